"""Exactly one beat: RedBeat's lock in Redis. A second beat waits; it takes
over within the lock timeout when the first one dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis
from django.conf import settings

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
TICKING = "beat: Extending lock"  # logged by the lock holder on every tick


def start_beat(prefix: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "CELERY_REDBEAT_KEY_PREFIX": prefix,
        "CELERY_REDBEAT_LOCK_TIMEOUT": "4",
        "CELERY_BEAT_MAX_LOOP_INTERVAL": "1",
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "text",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "portal", "beat", "--loglevel", "DEBUG"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def test_a_second_beat_waits_for_the_lock_and_takes_over_when_the_first_dies(tmp_path):
    assert settings.CELERY_BEAT_SCHEDULER == "redbeat.RedBeatScheduler"
    prefix = f"redbeat-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(settings.CELERY_REDBEAT_REDIS_URL)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_beat(prefix, first_log)
    second = None
    try:
        wait_for(lambda: TICKING in first_log.read_text(), timeout=30)
        assert client.exists(f"{prefix}:lock")
        second = start_beat(prefix, second_log)
        time.sleep(5)  # more than the lock timeout: the first one keeps renewing it

        assert second.poll() is None, second_log.read_text()
        assert TICKING not in second_log.read_text()  # waiting, not scheduling

        first.send_signal(signal.SIGKILL)  # dies without releasing the lock
        first.wait(timeout=10)
        wait_for(lambda: TICKING in second_log.read_text(), timeout=20)
    finally:
        for beat in (first, second):
            if beat and beat.poll() is None:
                beat.terminate()
                beat.wait(timeout=10)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)

"""make run's runportal: a busy address is a clear error before anything starts."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parents[2]


def test_a_busy_address_fails_clearly_before_anything_starts():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        addr = f"127.0.0.1:{squatter.getsockname()[1]}"
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "manage.py", "runportal"], cwd=ROOT, capture_output=True,
            text=True, timeout=60,
            env={**os.environ, "PORTAL_ADDR": addr, "DJANGO_SETTINGS_MODULE": "portal.settings.base"},
        )
    assert result.returncode == 1
    assert f"{addr} is already in use" in result.stderr
    assert "nothing was started" in result.stderr
    assert "Demo owners" not in result.stdout  # no banner: it did not get that far
    assert time.monotonic() - started < 30


def test_the_procfile_runs_web_worker_and_beat():
    processes = parse_procfile((ROOT / "portal" / "Procfile").read_text()).processes
    assert {"web", "worker", "beat"} <= set(processes)
    assert "portal/gunicorn.conf.py" in processes["web"]


def test_a_busy_platform_port_fails_clearly_before_anything_starts():
    with socket.socket() as free, socket.socket() as squatter:
        free.bind(("127.0.0.1", 0))
        addr = f"127.0.0.1:{free.getsockname()[1]}"
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        free.close()
        result = subprocess.run(
            [sys.executable, "manage.py", "runportal"], cwd=ROOT, capture_output=True,
            text=True, timeout=60,
            env={**os.environ, "PORTAL_ADDR": addr, "PORTAL_PLATFORM_PORT": str(busy),
                 "DJANGO_SETTINGS_MODULE": "portal.settings.base"},
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{busy}, the reference platform's port, is already in use" in result.stderr
    assert f"PORTAL_PLATFORM_PORT={busy + 1}" in result.stderr


def test_the_procfile_also_runs_the_relay_and_the_reference_platform():
    processes = parse_procfile((ROOT / "portal" / "Procfile").read_text()).processes
    assert "manage.py outbox_relay" in processes["relay"]
    assert "examples/platform/server.py" in processes["platform"]
    assert "$PORTAL_ADDR" in processes["platform"]  # it talks to the portal this run serves

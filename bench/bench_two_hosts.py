"""Two "hosts" on one machine: nothing lost when a worker host dies mid-load.

Run from the repository root, by hand (not part of the suite):

    .venv/bin/python bench/bench_two_hosts.py [--owners 40] [--clients 8]

What runs, all on 127.0.0.1 and all under ``portal.settings.production``
(environment variables only):

- shared services: PostgreSQL (a fresh ``portal_bench_two_hosts`` database),
  Redis with the broker on db 11 and the cache on db 12, and moto's S3 server
  on a free port for the private files;
- host A: gunicorn on one port and a Celery worker (prefork, 2 children);
- host B: gunicorn on another port and a Celery worker;
- one Celery beat (RedBeat's lock) with the sweeper that re-sends stuck checks
  every minute, ``PORTAL_VERIFICATION_STUCK_AFTER_MINUTES=1``.

Owners (each with a real-name hold) sign in and submit a verification over
HTTP: details, two card photos, liveness frames, submit. Odd owners use host
A's web process, even ones host B's. When a third of the submissions are in,
host A's worker (its whole process group) is killed with SIGKILL. Messages it
held come back only after Redis' visibility timeout (an hour in production
settings); the sweeper re-sends those checks instead.

At the end it prints, and asserts: every submission was decided (left
submitted/checking), every one has its check results with no check recorded
twice, no owner has the same notice twice; and the figures (HTTP time per
submission, time until the last decision).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DB_NAME = "portal_bench_two_hosts"
PASSWORD = "bench-pass-2026-two-hosts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


# ---------------------------------------------------------------------------
# Shared services and the environment every process gets
# ---------------------------------------------------------------------------
def fresh_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DB_NAME}")


def start_s3() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(answers, 30, "moto_server")
    import boto3

    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                 aws_secret_access_key="bench").create_bucket(Bucket="bench-private")
    return process, url


def shared_env(s3_url: str, static_root: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
        "CACHE_URL": "redis://127.0.0.1:6379/12",
        "CELERY_REDBEAT_KEY_PREFIX": "redbeat-bench",
        "PORTAL_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PORTAL_IDENTITY_HASH_KEY": secrets.token_urlsafe(32),
        "PORTAL_PRIVATE_STORAGE_BACKEND": "s3",
        "PORTAL_S3_BUCKET": "bench-private",
        "PORTAL_S3_ENDPOINT_URL": s3_url,
        "PORTAL_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "DJANGO_STATIC_ROOT": str(static_root),
        "PORTAL_VERIFICATION_STUCK_AFTER_MINUTES": "1",
        "PORTAL_VERIFICATION_SUBMISSIONS_PER_DAY": "100",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
    }


def flush_redis() -> None:
    import redis

    for db in (11, 12):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


# ---------------------------------------------------------------------------
# The two hosts and beat
# ---------------------------------------------------------------------------
class Host:
    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.addr = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.addr}"
        web_env = {**env, "PORTAL_ADDR": self.addr}
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "portal.wsgi", "--config", "portal/gunicorn.conf.py"],
            cwd=ROOT, env=web_env, start_new_session=True,
            stdout=(logs / f"web-{name}.log").open("w"), stderr=subprocess.STDOUT)
        self.worker = subprocess.Popen(
            [str(BIN / "celery"), "--app", "portal", "worker", "--queues",
             "checks,review,notify", "--concurrency", "2", "--hostname", f"worker-{name}@%h"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=(logs / f"worker-{name}.log").open("w"), stderr=subprocess.STDOUT)
        # Each host relays the outbox too (several relays never publish one message twice).
        self.relay = subprocess.Popen(
            [sys.executable, "manage.py", "outbox_relay"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=(logs / f"relay-{name}.log").open("w"), stderr=subprocess.STDOUT)

    def kill_worker(self) -> None:
        """The worker host dies: SIGKILL to the worker and its pool children."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        for process in (self.web, self.worker, self.relay):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.web, self.worker, self.relay):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------
# An owner's browser, as requests through the TLS proxy production expects
# ---------------------------------------------------------------------------
class Owner:
    def __init__(self, base: str) -> None:
        import requests

        self.http = requests
        self.base = base
        self.origin = "https://" + base.split("://", 1)[1]
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, **kwargs):
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": "en",
                   "Referer": self.origin + "/", "Origin": self.origin,
                   "X-CSRFToken": self.cookies.get("csrftoken", ""),
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        response = self.http.request(method, urljoin(self.base, path), headers=headers,
                                     allow_redirects=False, timeout=60, **kwargs)
        self.cookies.update(response.cookies.get_dict())
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def post(self, path: str, data: dict | None = None, files=None):
        response = self.call("POST", path, data={**(data or {}), "csrfmiddlewaretoken":
                                                 self.cookies.get("csrftoken", "")}, files=files)
        if response.status_code == 200 and "text/html" in response.headers["Content-Type"]:
            errors = re.findall(r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>\s*([^<]+)',
                                response.text)
            raise RuntimeError(f"POST {path} was refused: {errors[:2]}")
        return response

    def submit_verification(self, username: str, number: str, seed: int) -> None:
        from tests.verification.pictures import card_jpeg, frame_jpeg

        self.call("GET", "/accounts/login/")
        signed_in = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.text[:300]
        step = self.post("/verification/").headers["Location"]  # the draft's first step
        pk = re.search(r"/verification/(\d+)/", step).group(1)
        self.post(f"/verification/{pk}/step/who/", {"subject": "individual"})
        self.post(f"/verification/{pk}/step/identity/", {
            "legal_name": "王小明", "document_type": "cn_ric", "number": number})
        # The two consents (before the photos, before the camera) have their own pages.
        self.post(f"/verification/{pk}/step/front/", {"consent": "photos"})
        for i, side in enumerate(("front", "back")):
            self.post(f"/verification/{pk}/step/{side}/",
                      files={"photo": (f"{side}.jpg", card_jpeg(  # the card of what was typed
                          seed + i, side=side, name="王小明", number=number), "image/jpeg")})
        self.post(f"/verification/{pk}/step/liveness/", {"consent": "liveness"})
        self.call("GET", f"/verification/{pk}/step/liveness/")  # starts the challenge
        for i in range(3):
            self.post(f"/verification/{pk}/liveness/frame/",
                      files={"frame": (f"f{i}.jpg", frame_jpeg(seed * 7 + i), "image/jpeg")})
        done = self.post(f"/verification/{pk}/step/review/")
        assert done.headers["Location"].endswith(f"/verification/{pk}/"), done.headers["Location"]


def id_number(n: int) -> str:
    """A valid mainland resident ID number (checksum right), one per owner."""
    from stdnum.cn import ric

    body = f"110105{1970 + n % 30}0{1 + n % 9}1{n % 10}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 digits


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def create_owners(count: int) -> list[str]:
    from accounts import services
    from accounts.models import Account, Hold

    names = []
    for n in range(count):
        account = Account.objects.create_user(
            f"owner{n}", password=PASSWORD, platform_account_id=f"bench-{n}", language="en")
        services.hold_place(account=account, reason="realname_missing", acting_user=None,
                            source=Hold.Source.SYSTEM)
        names.append(account.username)
    return names


def outcome(started: float) -> dict:
    from django.db.models import Count

    from accounts.models import Notice
    from verification.models import CheckResult, VerificationRequest

    State = VerificationRequest.State
    requests_ = VerificationRequest.objects.exclude(state=State.DRAFT)
    undecided = requests_.filter(state__in=[State.SUBMITTED, State.CHECKING]).count()
    without_checks = requests_.annotate(n=Count("checks")).filter(n=0).count()
    twice = (CheckResult.objects.values("request_id", "name").annotate(n=Count("pk"))
             .filter(n__gt=1).count())
    duplicate_notices = (Notice.objects.values("account_id", "title", "body")
                         .annotate(n=Count("pk")).filter(n__gt=1).count())
    return {"submitted": requests_.count(), "undecided": undecided,
            "without_checks": without_checks, "checks_recorded_twice": twice,
            "duplicate_notices": duplicate_notices,
            "states": dict(requests_.values_list("state").annotate(n=Count("pk"))),
            "elapsed": time.monotonic() - started}


def web_ready(host: Host) -> bool:
    import requests

    if host.web.poll() is not None:
        raise SystemExit(f"web {host.name} exited: see its log")
    try:
        return requests.get(host.url + "/health/", timeout=5).ok
    except requests.RequestException:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--owners", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8, help="owners submitting at once")
    parser.add_argument("--logs", default=str(ROOT / "var" / "bench-two-hosts"))
    args = parser.parse_args()
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)

    fresh_database()
    flush_redis()
    s3, s3_url = start_s3()
    env = shared_env(s3_url, logs / "static")
    os.environ.update(env)  # this process reads and checks the same database
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("setup_roles", verbosity=0, stdout=open(os.devnull, "w"))
    usernames = create_owners(args.owners)

    hosts = [Host("a", env, logs), Host("b", env, logs)]
    beat = subprocess.Popen([str(BIN / "celery"), "--app", "portal", "beat"], cwd=ROOT, env=env,
                            stdout=(logs / "beat.log").open("w"), stderr=subprocess.STDOUT)
    try:

        for host in hosts:
            wait_until(lambda h=host: web_ready(h), 60, f"web {host.name}")
        print(f"hosts: A web {hosts[0].url}, B web {hosts[1].url}; S3 {s3_url}; "
              f"{args.owners} owners, {args.clients} at once")

        durations: list[float] = []
        failures: list[str] = []
        done = threading.Semaphore(0)
        killed_at: list[float] = []
        started = time.monotonic()

        def submit(n: int) -> None:
            host = hosts[n % 2]
            t0 = time.monotonic()
            try:
                Owner(host.url).submit_verification(usernames[n], id_number(n), seed=n * 10 + 1)
                durations.append(time.monotonic() - t0)
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(f"owner{n} via {host.name}: {error}")
            done.release()

        def killer() -> None:
            for _ in range(max(args.owners // 3, 1)):
                done.acquire()
            hosts[0].kill_worker()
            killed_at.append(time.monotonic() - started)
            print(f"SIGKILL to host A's worker at {killed_at[0]:.1f} s")

        threading.Thread(target=killer, daemon=True).start()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(submit, range(args.owners)))
        submitted_in = time.monotonic() - started
        for failure in failures[:5]:
            print("  failed:", failure)
        if not durations:
            raise SystemExit("no submission went through")
        print(f"{len(durations)} submissions over HTTP in {submitted_in:.1f} s; "
              f"per submission median {statistics.median(durations):.2f} s, "
              f"max {max(durations):.2f} s; {len(failures)} failed")

        def all_decided():
            result = outcome(started)
            return result if result["undecided"] == 0 else None

        result = wait_until(all_decided, 300, "every submission to be decided", every=2)
        print(f"every submission decided {result['elapsed']:.1f} s after the start "
              f"({result['elapsed'] - killed_at[0]:.1f} s after the kill)")
        print("states:", result["states"])
        print(f"without check results: {result['without_checks']}; checks recorded twice: "
              f"{result['checks_recorded_twice']}; duplicate notices: "
              f"{result['duplicate_notices']}")
        assert not failures, failures[:3]
        assert result["submitted"] == args.owners
        assert result["without_checks"] == 0
        assert result["checks_recorded_twice"] == 0
        assert result["duplicate_notices"] == 0
        from accounts.models import OutboxMessage

        unpublished = wait_until(
            lambda: OutboxMessage.objects.filter(published_at__isnull=True).count() == 0, 60,
            "the outbox to be empty", every=1)
        assert unpublished
        print("outbox: every recorded side effect published")
        print("OK: nothing lost, nothing stuck, nothing twice")
    finally:
        beat.terminate()
        for host in hosts:
            host.stop()
        beat.wait(timeout=30)
        s3.terminate()
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()

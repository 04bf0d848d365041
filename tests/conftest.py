"""The cast and the real parts every test file can use.

Cast (like Healthchecks' alice/bob/charlie): ``active_user``,
``restricted_user``, ``frozen_user``, ``banned_user``, ``reviewer``,
``officer`` (appeals), ``supervisor``, ``admin_user``.

``celery_worker`` starts a real Celery worker consuming the Redis broker
(``portal.settings.test``: redis db 13) in this process, with the outbox
relay beside it; tests that use it must be ``django_db(transaction=True)`` so
the worker sees committed rows.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from accounts import services
from accounts.models import Account, Hold
from accounts.roles import roles_apply

PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------------------
# A clean status cache
# ---------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _empty_status_cache() -> Iterator[None]:
    """Start every test with an empty status cache.

    The test database is rebuilt and its account versions restart at 0,
    while Redis would keep entries from an earlier test. Only our own keys
    are dropped: other apps may share this Redis database.
    """
    from accounts.api.auth import CLIENT_CACHE_PREFIX
    from accounts.cache import KEY_PREFIX, redis_client

    client = redis_client()
    if client is not None:
        for prefix in (KEY_PREFIX, CLIENT_CACHE_PREFIX):
            for key in client.scan_iter(match=prefix + "*", count=500):
                client.delete(key)
    yield


# ---------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------
_counter = iter(range(1, 10**9))


@pytest.fixture
def make_account(db) -> Callable[..., Account]:
    """Return a factory of owner accounts with a platform id and password."""

    def make(username: str | None = None, **extra) -> Account:
        n = next(_counter)
        username = username or f"owner{n}"
        extra.setdefault("platform_account_id", f"p-{username}")
        extra.setdefault("email", f"{username}@example.invalid")
        return Account.objects.create_user(username, password=PASSWORD, **extra)

    return make


@pytest.fixture
def place_hold() -> Callable[..., Hold]:
    """Return a shortcut that places a hold through the service."""

    def place(account: Account, reason: str = "content_violation", **kwargs) -> Hold:
        kwargs.setdefault("acting_user", None)
        kwargs.setdefault("source", Hold.Source.SYSTEM)
        return services.hold_place(account=account, reason=reason, **kwargs)

    return place


def _staff(username: str, group: str | None) -> Account:
    roles_apply()
    user = Account.objects.create_user(
        username,
        password=PASSWORD,
        email=f"{username}@example.invalid",
        is_staff=True,
        is_superuser=group is None,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


# ---------------------------------------------------------------------------
# The cast
# ---------------------------------------------------------------------------
@pytest.fixture
def active_user(make_account) -> Account:
    return make_account("alice")


@pytest.fixture
def restricted_user(make_account, place_hold) -> Account:
    account = make_account("rita")
    place_hold(account, "content_violation")
    account.refresh_from_db()
    return account


@pytest.fixture
def frozen_user(make_account, place_hold) -> Account:
    account = make_account("fred")
    place_hold(account, "suspicious_signin")
    account.refresh_from_db()
    return account


@pytest.fixture
def banned_user(make_account, place_hold) -> Account:
    account = make_account("bob")
    place_hold(account, "severe_violation")
    account.refresh_from_db()
    return account


@pytest.fixture
def reviewer(db) -> Account:
    return _staff("rev", "reviewer")


@pytest.fixture
def officer(db) -> Account:
    return _staff("officer", "appeals officer")


@pytest.fixture
def supervisor(db) -> Account:
    return _staff("sup", "supervisor")


@pytest.fixture
def admin_user(db) -> Account:
    return _staff("root", None)


# ---------------------------------------------------------------------------
# A real Celery worker on Redis
# ---------------------------------------------------------------------------
@pytest.fixture
def outbox_relay(transactional_db) -> Iterator[None]:
    """Run the outbox relay in a thread, as ``manage.py outbox_relay`` runs in production."""
    import threading

    from accounts import outbox

    stop = threading.Event()

    def relay() -> None:
        try:
            outbox.relay_forever(stop=stop.is_set, idle_seconds=0.1)
        finally:
            connections.close_all()

    thread = threading.Thread(target=relay, name="outbox-relay", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def celery_worker(transactional_db, outbox_relay) -> Iterator[object]:
    """Run a real worker (solo pool, in a thread) on the Redis broker, and the outbox relay."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.control.purge()  # nothing left over from an earlier run
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
        queues=["checks", "review", "notify"],
    ) as worker:
        yield worker
    # The worker thread opened its own connections; close them so the test
    # database can be flushed and dropped.
    connections.close_all()


def wait_for(condition: Callable[[], object], *, timeout: float = 20.0, every: float = 0.1):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


def run_together(actions: list[Callable[[], object]]) -> list[object]:
    """Start every action at the same moment, each in its own thread.

    Each thread has its own database connection, so row locks really
    serialise them. Returns each action's result or the exception it raised
    (in finishing order). Needs ``django_db(transaction=True)``.
    """
    import threading

    barrier = threading.Barrier(len(actions))
    results: list[object] = []

    def run(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(action())
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def errors_of(results: list[object]) -> list[BaseException]:
    return [result for result in results if isinstance(result, BaseException)]


# ---------------------------------------------------------------------------
# Object storage: moto's S3 server on 127.0.0.1
# ---------------------------------------------------------------------------
# No S3 server is packaged in the registries these machines reach; moto's
# server mode (moto[server]) answers the S3 HTTP API, which django-storages'
# S3 backend talks to through endpoint_url, as it would to any S3 store.
S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_s3_server(port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``moto_server`` on 127.0.0.1; return the process and its URL once it answers."""
    import urllib.request

    port = port or free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except OSError:
            return process.poll() is not None and _raise(f"moto_server exited ({url})")

    wait_for(answers, timeout=30, every=0.2)
    return process, url


def _raise(message: str) -> bool:
    raise RuntimeError(message)


def s3_bucket_create(endpoint_url: str, bucket: str) -> None:
    import boto3

    boto3.client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
    ).create_bucket(Bucket=bucket)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """An S3-compatible server (moto) for the whole run; yields its URL."""
    process, url = start_s3_server()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_private_storage(s3_server, settings) -> Iterator[dict]:
    """Keep this test's private files in a fresh bucket on the S3 server.

    Yields the S3 storage options. Model fields captured their storage when
    the models loaded; the evidence field is pointed at the new one too.
    """
    from django.core.files.storage import storages

    from appeals.models import Attachment

    bucket = f"private-{next(_counter)}-{int(time.time() * 1000)}"
    s3_bucket_create(s3_server, bucket)
    options = {**settings.PORTAL_S3_OPTIONS, **S3_CREDENTIALS,
               "bucket_name": bucket, "endpoint_url": s3_server}
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}
    storages._storages.pop("private", None)
    field = Attachment._meta.get_field("file")
    captured = field.storage
    field.storage = storages["private"]
    yield options
    field.storage = captured
    storages._storages.pop("private", None)


# ---------------------------------------------------------------------------
# Private files in a folder of the test's own
# ---------------------------------------------------------------------------
@pytest.fixture
def private_dir(settings, tmp_path):
    """Keep this test's private files (identity photos, evidence) in its own folder; return it."""
    from django.core.files.storage import storages

    from appeals.models import Attachment

    folder = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(folder), "base_url": None}},
    }
    storages._storages.pop("private", None)
    # FileField evaluates its storage callable once, when the model class is built.
    field = Attachment._meta.get_field("file")
    before, field.storage = field.storage, storages["private"]
    yield folder
    field.storage = before
    storages._storages.pop("private", None)


def stored_files(folder) -> list:
    """Every file under ``folder`` (none if it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def staff_two_step_pass(client, user: Account) -> None:
    """Give ``user`` a confirmed authenticator and mark ``client``'s session as having
    passed its code (what ``accounts:staff_two_step`` does), for staff image views."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "authenticator"})
    from accounts.middleware import TWO_STEP_PENDING

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(TWO_STEP_PENDING, None)  # as the sign-in's second step leaves it
    session.save()

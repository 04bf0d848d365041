"""The cast and the real parts every test file can use.

Cast (like Healthchecks' alice/bob/charlie): ``active_user``,
``restricted_user``, ``frozen_user``, ``banned_user``, ``reviewer``,
``officer`` (appeals), ``supervisor``, ``admin_user``.

``celery_worker`` starts a real Celery worker consuming the Redis broker
(``portal.settings.test``: redis db 13) in this process; tests that use it
must be ``django_db(transaction=True)`` so the worker sees committed rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from accounts import services
from accounts.models import Account, Hold
from accounts.roles import roles_apply

PASSWORD = "correct horse battery staple"


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
def celery_worker(transactional_db) -> Iterator[object]:
    """Run a real worker (solo pool, in a thread) on the Redis broker."""
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

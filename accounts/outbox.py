"""The transactional outbox: side effects are recorded with the change, then published.

Services never call a task, a cache or another app directly. They record
what must happen, in the same transaction as the change it belongs to::

    outbox.task("verification.tasks.verification_run_checks", request.pk)
    outbox.call("status_cache.refresh", account.pk)

so a change and everything it owes commit together, or not at all. Then:

1. Right after the commit, the process that made the change publishes what it
   recorded: one try, failing fast, never raising (a committed request is
   never reported as failed because the broker is down).
2. Whatever is left (the broker was down, the process died between the commit
   and the publish, a retry's backoff is not over) is published by the relay:
   ``manage.py outbox_relay`` (a process of its own; several may run) and,
   as a backstop, the ``accounts.tasks.outbox_relay`` beat task.

Two kinds of message:

- ``task``: a Celery task by its registered name, so no service imports a
  tasks module (routing by name, ``CELERY_TASK_ROUTES``, picks the queue).
- ``call``: a quick, idempotent function registered here with
  ``@outbox.registered_call`` and run by the publisher itself, not through
  the broker: cache writes, which must not wait for (or be lost with) the
  broker.

Each message is published at least once: a publisher takes a lease on it
(a conditional UPDATE), publishes, then marks it published; a publisher that
dies mid-way leaves a lease that lapses. Consumers are idempotent (claims by
conditional UPDATE, dedupe keys), so each side effect happens once. A message
recorded with a ``dedupe_key`` that was already recorded is not recorded again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_guid import clear_guid, get_guid, set_guid
from kombu.exceptions import OperationalError as KombuOperationalError

from .models import OutboxMessage

logger = logging.getLogger(__name__)
Kind = OutboxMessage.Kind

# How long a publisher holds a message before another may take it.
LEASE = timedelta(seconds=30)
# Errors that say "the broker is unreachable", as opposed to a bad message.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    KombuOperationalError, ConnectionError, TimeoutError,
)

_CALLS: dict[str, Callable[..., Any]] = {}


class BrokerUnavailable(Exception):
    """The broker could not be reached; nothing about the message is wrong."""


# ---------------------------------------------------------------------------
# Recording (inside the services' transactions)
# ---------------------------------------------------------------------------
def task(
    name: str, *args: Any, dedupe_key: str | None = None, delay: timedelta | None = None,
    **kwargs: Any,
) -> OutboxMessage | None:
    """Record that the Celery task ``name`` must run with these arguments.

    ``delay`` holds it back (a retry's backoff). Returns the message, or None
    when ``dedupe_key`` was already recorded.
    """
    return _record(Kind.TASK, name, args, kwargs, dedupe_key=dedupe_key, delay=delay)


def call(
    name: str, *args: Any, dedupe_key: str | None = None, **kwargs: Any
) -> OutboxMessage | None:
    """Record that the registered call ``name`` must run (a cache write, say)."""
    if name not in _CALLS:
        raise LookupError(f"No outbox call is registered as {name!r}.")
    return _record(Kind.CALL, name, args, kwargs, dedupe_key=dedupe_key, delay=None)


def registered_call(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function the publisher may run for ``call(name, …)``.

    It must be quick and idempotent, and raise when it did not take effect
    (so the message stays pending and is tried again).
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _CALLS[name] = function
        return function

    return register


def _record(kind, name, args, kwargs, *, dedupe_key, delay) -> OutboxMessage | None:
    now = timezone.now()
    message = OutboxMessage(
        kind=kind, name=name, args=list(args), kwargs=kwargs, dedupe_key=dedupe_key,
        created_at=now, available_at=now + (delay or timedelta(0)),
        request_id=(get_guid() or "")[:64],
    )
    if dedupe_key:
        try:
            with transaction.atomic():  # a savepoint: a twin may already hold the key
                message.save()
        except IntegrityError:
            return None
    else:
        message.save()
    if not delay:
        transaction.on_commit(partial(_publish_after_commit, message))
    return message


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------
class _Breaker:
    """After the broker failed, this process leaves publishing to the relay for a while,
    so requests do not each wait for a broker that is down."""

    def __init__(self) -> None:
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + settings.PORTAL_OUTBOX_BREAKER_SECONDS


_breaker = _Breaker()


def _publish_after_commit(message: OutboxMessage) -> None:
    """Publish a message this process just committed; leave it to the relay on failure."""
    if message.kind == Kind.TASK and _breaker.is_open():
        return
    try:
        publish(message)
    except BrokerUnavailable:
        _breaker.trip()
    except Exception:  # the change is committed: the relay tries the message again
        logger.exception("Outbox message %s not published after commit", message.pk)


def publish(message: OutboxMessage, *, now: datetime | None = None) -> bool:
    """Take the lease on ``message``, publish it, mark it published.

    Returns False if it was published or leased by someone else. Raises
    ``BrokerUnavailable`` (message untouched but for its lease) or the
    message's own error (message put back with a backoff).
    """
    now = now or timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    taken = OutboxMessage.objects.filter(free, pk=message.pk, published_at__isnull=True).update(
        leased_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not taken:
        return False
    message.attempts += 1
    try:
        _deliver(message)
    except BROKER_ERRORS as error:
        _release(message, error=error, retry_at=now)
        raise BrokerUnavailable(str(error)) from error
    except Exception as error:
        _release(message, error=error, retry_at=now + _backoff(message.attempts))
        raise
    OutboxMessage.objects.filter(pk=message.pk).update(
        published_at=timezone.now(), leased_until=None, last_error=""
    )
    return True


def _deliver(message: OutboxMessage) -> None:
    if message.kind == Kind.CALL:
        _CALLS[message.name](*message.args, **message.kwargs)
    else:
        _send_task(message)


def _release(message: OutboxMessage, *, error: BaseException, retry_at: datetime) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        leased_until=None, available_at=retry_at,
        last_error=f"{type(error).__name__}: {error}"[:1000],
    )


def _backoff(attempts: int) -> timedelta:
    seconds = min(2 ** min(attempts, 10), settings.PORTAL_OUTBOX_MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds)


# The publisher's own broker connection, per thread and process: it fails at
# once instead of retrying (the relay retries), and is reused between messages.
_local = threading.local()


def _send_task(message: OutboxMessage) -> None:
    from portal.celery import app

    connection = _connection(app)
    outer_request_id = get_guid()
    if message.request_id:
        # django-guid's publish signal copies the current id into the task's headers.
        set_guid(message.request_id)
    try:
        app.send_task(
            message.name, args=message.args, kwargs=message.kwargs,
            task_id=f"outbox-{message.pk}-{message.attempts}",
            connection=connection, retry=False,
        )
    except BaseException:
        _drop_connection()
        raise
    finally:
        if outer_request_id:
            set_guid(outer_request_id)
        else:
            clear_guid()


def _connection(app):
    if getattr(_local, "pid", None) != os.getpid() or getattr(_local, "connection", None) is None:
        _local.connection = app.connection_for_write(
            transport_options={"max_retries": 0, "socket_connect_timeout": 2, "socket_timeout": 5}
        )
        _local.pid = os.getpid()
    return _local.connection


def _drop_connection() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        try:
            connection.release()
        except Exception:  # a broken connection may fail to close; it is dropped anyway
            logger.debug("Closing a broken broker connection failed", exc_info=True)


# ---------------------------------------------------------------------------
# The relay
# ---------------------------------------------------------------------------
@dataclass
class RelayRound:
    published: int = 0
    failed: int = 0
    broker_down: bool = False


def relay_due(*, limit: int = 200, now: datetime | None = None) -> RelayRound:
    """Publish every message that is due, oldest first; stop at a broker outage."""
    now = now or timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    due = list(
        OutboxMessage.objects.filter(free, published_at__isnull=True, available_at__lte=now)
        .order_by("available_at", "pk")[:limit]
    )
    result = RelayRound()
    for message in due:
        try:
            result.published += publish(message, now=now)
        except BrokerUnavailable as error:
            logger.warning("Broker unavailable; %d message(s) wait: %s", len(due), error)
            result.broker_down = True
            break
        except Exception:
            logger.exception("Outbox message %s failed; it will be tried again", message.pk)
            result.failed += 1
    return result


def relay_forever(*, stop: Callable[[], bool], idle_seconds: float | None = None) -> None:
    """Relay until ``stop()`` is true: poll when idle, back off while the broker is down."""
    idle = idle_seconds if idle_seconds is not None else settings.PORTAL_OUTBOX_POLL_SECONDS
    wait = idle
    while not stop():
        try:
            result = relay_due()
        except Exception:  # the database itself is unreachable: wait and try again
            logger.exception("Outbox relay round failed")
            result = RelayRound(broker_down=True)
        if result.broker_down:
            wait = min(max(wait * 2, 0.5), settings.PORTAL_OUTBOX_MAX_BACKOFF_SECONDS)
        elif result.published:
            wait = 0
        else:
            wait = idle
        _sleep(wait, stop)


def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))


def prune_published(*, older_than: timedelta, batch: int = 5000) -> int:
    """Delete messages published before ``older_than`` ago. Return how many."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        pks = list(
            OutboxMessage.objects.filter(published_at__lt=cutoff).values_list("pk", flat=True)[
                :batch
            ]
        )
        if not pks:
            return deleted
        deleted += OutboxMessage.objects.filter(pk__in=pks).delete()[0]


def pending_count() -> int:
    """Return how many messages wait to be published (for metrics and health)."""
    return OutboxMessage.objects.filter(published_at__isnull=True).count()

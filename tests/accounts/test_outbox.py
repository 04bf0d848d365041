"""The transactional outbox: recorded with the change, published after it, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts import outbox
from accounts.models import OutboxMessage
from tests.conftest import errors_of, run_together
from tests.support.servers import RedisServer, free_port

CHECK_TASK = "accounts.tasks.holds_lift_expired"


@pytest.fixture
def broker_on(monkeypatch, tmp_path):
    """Point the outbox's broker connection at a Redis of the test's own; return it (stopped)."""
    from portal.celery import app

    server = RedisServer(free_port(), tmp_path)
    monkeypatch.setattr(app.conf, "broker_url", server.url)
    monkeypatch.setattr(app.conf, "broker_write_url", server.url)
    outbox._drop_connection()
    yield server
    server.stop()
    outbox._drop_connection()
    outbox._breaker.open_until = 0  # later tests publish after commit again


def _queued(server: RedisServer, queue: str = "review") -> int:
    import redis

    return redis.Redis.from_url(server.url).llen(queue)


@pytest.mark.django_db
def test_placing_a_hold_records_its_side_effects_in_the_same_transaction(active_user, place_hold):
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    place_hold(active_user, "content_violation")
    recorded = OutboxMessage.objects.exclude(pk__in=before)
    names = sorted(recorded.values_list("name", flat=True))
    assert "accounts.tasks.notify_hold_change" in names
    assert "status_cache.refresh" in names
    assert names.count("accounts.tasks.event_listener_run") >= 1  # webhooks hear status changes


@pytest.mark.django_db
def test_a_change_that_rolls_back_records_nothing(active_user, place_hold):
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        place_hold(active_user, "content_violation")
        raise RuntimeError("the request failed after the hold was placed")
    assert OutboxMessage.objects.count() == before


@pytest.mark.django_db
def test_a_dedupe_key_is_recorded_once(db):
    first = outbox.task(CHECK_TASK, dedupe_key="same-thing")
    second = outbox.task(CHECK_TASK, dedupe_key="same-thing")
    assert first is not None and second is None
    assert OutboxMessage.objects.filter(dedupe_key="same-thing").count() == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_commit_succeeds_and_the_message_waits(broker_on):
    from portal.celery import app  # noqa: F401  the broker points at a port nobody listens on

    started = timezone.now()
    with transaction.atomic():
        message = outbox.task(CHECK_TASK)
    # The publish after commit failed fast and did not raise.
    assert (timezone.now() - started) < timedelta(seconds=3)
    message.refresh_from_db()
    assert message.published_at is None and message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error


@pytest.mark.django_db(transaction=True)
def test_the_relay_publishes_everything_once_the_broker_is_back(broker_on):
    outbox._breaker.open_until = 0
    with transaction.atomic():
        messages = [outbox.task(CHECK_TASK) for _ in range(3)]
    assert outbox.relay_due().broker_down
    broker_on.start()
    result = outbox.relay_due()
    assert result.published == 3 and not result.broker_down
    assert _queued(broker_on) == 3  # routed by name to the review queue
    assert not OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], published_at__isnull=True
    ).exists()
    assert outbox.relay_due().published == 0  # nothing is published twice


@pytest.mark.django_db(transaction=True)
def test_two_relays_never_publish_one_message_at_once(broker_on):
    broker_on.start()
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind="task", name=CHECK_TASK) for _ in range(40)]
    )
    results = run_together([outbox.relay_due, outbox.relay_due])
    assert not errors_of(results)
    assert sum(r.published for r in results) == 40
    assert _queued(broker_on) == 40


@pytest.mark.django_db
def test_a_failing_call_is_kept_and_tried_again_later(db):
    calls = []

    @outbox.registered_call("test.flaky")
    def flaky(n):
        calls.append(n)
        if len(calls) == 1:
            raise ValueError("not this time")

    message = outbox.call("test.flaky", 7)
    with pytest.raises(ValueError):
        outbox.publish(message)
    message.refresh_from_db()
    assert message.published_at is None and message.available_at > timezone.now()
    assert outbox.relay_due().published == 0  # its backoff is not over
    assert outbox.relay_due(now=timezone.now() + timedelta(minutes=2)).published == 1
    assert calls == [7, 7]


@pytest.mark.django_db
def test_an_unregistered_call_is_refused_at_once(db):
    with pytest.raises(LookupError):
        outbox.call("nobody.registered.this")


@pytest.mark.django_db
def test_published_messages_are_pruned_after_the_keep_period(db):
    old = OutboxMessage.objects.create(
        kind="task", name=CHECK_TASK, published_at=timezone.now() - timedelta(days=30)
    )
    recent = OutboxMessage.objects.create(kind="task", name=CHECK_TASK, published_at=timezone.now())
    pending = OutboxMessage.objects.create(kind="task", name=CHECK_TASK)
    assert outbox.prune_published(older_than=timedelta(days=7)) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) >= {recent.pk, pending.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_published_by_the_relay_carries_the_request_id(broker_on):
    import json

    import redis
    from django_guid import clear_guid, set_guid

    set_guid("a1b2c3d4e5f60718293a4b5c6d7e8f90")
    try:
        with transaction.atomic():
            message = outbox.task(CHECK_TASK)  # the broker is down: it waits for the relay
    finally:
        clear_guid()
    assert message.request_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    broker_on.start()
    assert outbox.relay_due().published == 1
    raw = redis.Redis.from_url(broker_on.url).lpop("review")
    headers = json.loads(raw)["headers"]
    assert headers["X-Request-ID"] == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert headers["id"].startswith(f"outbox-{message.pk}-")

"""Signed webhooks, delivered by the real Celery worker to a real HTTP receiver."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.api import services as api_services
from accounts.api.models import WebhookDelivery, WebhookEndpoint
from accounts.models import Hold, StatusEvent
from tests.conftest import wait_for

State = WebhookDelivery.State
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def fast_retries(settings):
    settings.PORTAL_WEBHOOK_BACKOFF_SECONDS = 0.2
    settings.PORTAL_WEBHOOK_MAX_ATTEMPTS = 3
    settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS = 1.0


def _deliveries(event_id: int) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event_id=event_id).order_by("attempt"))


def _status_event(account) -> StatusEvent:
    return wait_for(lambda: StatusEvent.objects.filter(
        account=account, kind=StatusEvent.Kind.STATUS_CHANGED).order_by("-pk").first())


def test_status_change_is_posted_signed(celery_worker, endpoint, receiver, api, active_user):
    response = api.post(f"/api/v1/accounts/{active_user.platform_account_id}/holds",
                        {"reason": "suspicious_signin"}, format="json")
    assert response.status_code == 201
    event = _status_event(active_user)

    got = wait_for(receiver.verified)
    assert got[0]["event_id"] == f"evt_{event.pk}"
    assert got[0]["body"]["type"] == "account.status_changed"
    assert got[0]["body"]["data"] == {
        "platform_account_id": "p-alice", "status": "frozen", "previous_status": "active",
        "blocked_features": event.data["blocked_features"], "version": 1,
    }
    delivery = wait_for(lambda: WebhookDelivery.objects.filter(
        event=event, state=State.DELIVERED).first())
    assert delivery.status_code == 200 and delivery.attempt == 1
    assert delivery.response_excerpt == "ok" and delivery.duration_ms is not None


def test_receiver_500_is_retried_until_it_recovers(
    celery_worker, endpoint, receiver, fast_retries, active_user, place_hold
):
    receiver.next_statuses = [500, 500]
    place_hold(active_user, "content_violation")
    event = _status_event(active_user)

    wait_for(lambda: WebhookDelivery.objects.filter(event=event, state=State.DELIVERED).exists())
    attempts = _deliveries(event.pk)
    assert [(d.attempt, d.state, d.status_code) for d in attempts] == [
        (1, State.FAILED, 500), (2, State.FAILED, 500), (3, State.DELIVERED, 200),
    ]
    assert attempts[0].response_excerpt == "receiver failed"
    assert attempts[1].next_retry_at > attempts[0].next_retry_at
    assert [r["status"] for r in receiver.verified()] == [500, 500, 200]
    assert {r["event_id"] for r in receiver.received} == {f"evt_{event.pk}"}


def test_timeout_counts_as_failure_and_is_retried(
    celery_worker, endpoint, receiver, fast_retries, active_user, place_hold
):
    receiver.next_delays = [3.0]
    place_hold(active_user, "content_violation")
    event = _status_event(active_user)

    wait_for(lambda: WebhookDelivery.objects.filter(event=event, state=State.DELIVERED).exists())
    first, second = _deliveries(event.pk)
    assert first.state == State.FAILED and first.error.startswith("timeout")
    assert second.state == State.DELIVERED


def test_unreachable_endpoint_stops_after_max_attempts(
    celery_worker, fast_retries, active_user, place_hold
):
    WebhookEndpoint.objects.create(name="down", url="http://127.0.0.1:1/hook")
    place_hold(active_user, "content_violation")
    event = _status_event(active_user)

    wait_for(lambda: WebhookDelivery.objects.filter(
        event=event, state=State.FAILED, attempt=3).exists())
    attempts = _deliveries(event.pk)
    assert [d.attempt for d in attempts] == [1, 2, 3]
    assert all(d.state == State.FAILED and d.status_code is None and d.error for d in attempts)


def test_manual_resend_sends_the_same_event_again(
    celery_worker, endpoint, receiver, active_user, place_hold
):
    place_hold(active_user, "content_violation")
    event = _status_event(active_user)
    first = wait_for(lambda: WebhookDelivery.objects.filter(
        event=event, state=State.DELIVERED).first())

    resend = api_services.webhook_resend(delivery=first, acting_user=None)
    assert resend.manual and resend.attempt == 2
    wait_for(lambda: WebhookDelivery.objects.filter(pk=resend.pk, state=State.DELIVERED).exists())
    got = receiver.verified()
    assert len(got) == 2 and got[0]["body"] == got[1]["body"]


def test_inactive_endpoint_gets_nothing(celery_worker, receiver, active_user, place_hold):
    WebhookEndpoint.objects.create(name="off", url=receiver.url, active=False)
    live = WebhookEndpoint.objects.create(name="on", url=receiver.url, secret=receiver.secret,
                                          event_types=["account.status_changed"])
    hold = place_hold(active_user, "content_violation")
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    wait_for(lambda: WebhookDelivery.objects.filter(state=State.DELIVERED).count() == 2)
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {live.pk}


def test_duplicate_task_sends_once(endpoint, receiver, active_user, place_hold):
    """The claim makes a re-delivered task (late ack, sweeper) harmless."""
    place_hold(active_user, "content_violation")
    event = StatusEvent.objects.get(account=active_user, kind=StatusEvent.Kind.STATUS_CHANGED)
    (delivery,) = api_services.webhook_deliveries_create(event)
    assert api_services.webhook_deliver(delivery_id=delivery.pk).state == State.DELIVERED
    assert api_services.webhook_deliver(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1
    assert api_services.webhook_deliveries_create(event) == []  # fan-out ran twice


def test_sweep_requeues_lost_attempts_and_fails_stuck_ones(
    celery_worker, endpoint, receiver, fast_retries, active_user, place_hold
):
    """A pending attempt whose task was lost is sent again; one stuck while sending is
    marked failed and followed by a new attempt."""
    from datetime import timedelta

    from django.utils import timezone

    place_hold(active_user, "content_violation")
    event = _status_event(active_user)
    wait_for(lambda: WebhookDelivery.objects.filter(event=event, state=State.DELIVERED).exists())
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, attempt=5, body="{}", next_retry_at=long_ago
    )
    stuck = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, attempt=2, body="{}", state=State.SENDING,
        attempted_at=long_ago,
    )

    assert api_services.webhook_deliveries_sweep() >= 1
    wait_for(lambda: WebhookDelivery.objects.filter(pk=lost.pk, state=State.DELIVERED).exists())
    stuck.refresh_from_db()
    assert stuck.state == State.FAILED and stuck.error.startswith("interrupted")
    wait_for(lambda: WebhookDelivery.objects.filter(
        event=event, attempt=3, state=State.DELIVERED).exists())

"""Every outcome reaches the platform as a Standard Webhooks event a real receiver verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts import services
from accounts.api import events
from accounts.api import services as api_services
from accounts.api.models import WebhookDelivery, WebhookEndpoint
from accounts.models import StatusEvent
from appeals import services as appeal_services
from appeals.models import Appeal
from tests.verification.conftest import in_review, make_request  # noqa: F401  fixtures
from verification import services as verification_services

pytestmark = pytest.mark.django_db


def _deliver_all(account_ids: list[int]) -> list[WebhookDelivery]:
    """Run the webhook listener and one send for every event of these accounts, in order."""
    sent = []
    for event in StatusEvent.objects.filter(account_id__in=account_ids).order_by("pk"):
        for delivery in api_services.webhook_deliveries_create(event):
            sent.append(api_services.webhook_deliver(delivery_id=delivery.pk))
    return sent


def _outcomes(make_account, place_hold, in_review, reviewer, officer) -> list[int]:  # noqa: F811
    """Produce every kind of outcome through the services; return the accounts."""
    owner = make_account("wei", language="en")
    hold = place_hold(owner, "realname_missing", deadline=timezone.now() + timedelta(days=1))
    services.hold_escalate(hold=hold, acting_user=None, now=timezone.now() + timedelta(days=2))
    approved = in_review(owner)
    verification_services.verification_claim(request=approved, acting_user=reviewer)
    verification_services.verification_approve(request=approved, acting_user=reviewer)

    other = make_account("li")
    rejected = in_review(other, number="110101199003074477")
    verification_services.verification_claim(request=rejected, acting_user=reviewer)
    verification_services.verification_reject(request=rejected, acting_user=reviewer,
                                             reason="photo_unclear", message="Too dark.")

    appellant = make_account("zhao")
    contested = place_hold(appellant, "content_violation")
    appeal = appeal_services.appeal_file(account=appellant, hold=contested, acting_user=appellant,
                                         category=Appeal.Category.WRONG_DECISION,
                                         statement="The video was satire.")
    appeal_services.appeal_claim(appeal=appeal, acting_user=officer)
    appeal_services.appeal_decide(appeal=appeal, acting_user=officer, decision="accepted",
                                  message="You are right, sorry.")
    return [owner.pk, other.pk, appellant.pk]


def test_every_event_type_is_delivered_and_verifies(
    receiver, make_account, place_hold, in_review, reviewer, officer  # noqa: F811
):
    WebhookEndpoint.objects.create(name="platform", url=receiver.url, secret=receiver.secret)
    accounts = _outcomes(make_account, place_hold, in_review, reviewer, officer)
    sent = _deliver_all(accounts)
    assert sent and all(d.state == WebhookDelivery.State.DELIVERED for d in sent)

    got = receiver.verified()
    assert len(got) == len(receiver.received) == len(sent)  # every one verified
    assert {r["body"]["type"] for r in got} == set(events.NAMES)
    for r in got:
        assert r["event_id"] == r["body"]["id"]
        assert r["body"]["data"]["platform_account_id"].startswith("p-")
    placed = next(r["body"]["data"] for r in got if r["body"]["type"] == "hold.placed")
    assert placed["portal_url"].endswith(f"/holds/{placed['hold_id']}/")  # the app's 去处理
    decided = next(r["body"]["data"] for r in got if r["body"]["type"] == "appeal.decided")
    assert decided["decision"] == "accepted"
    lifted = [r["body"]["data"] for r in got if r["body"]["type"] == "hold.lifted"]
    assert {d["lift_reason"] for d in lifted} == {"verification_approved", "appeal_accepted"}
    rejected = next(r["body"]["data"] for r in got if r["body"]["type"] == "verification.rejected")
    assert rejected == {"platform_account_id": "p-li", "request_id": rejected["request_id"],
                        "reason": "photo_unclear", "automatic": False}


def test_an_endpoint_receives_only_the_types_it_chose(receiver, active_user, place_hold):
    WebhookEndpoint.objects.create(name="holds only", url=receiver.url, secret=receiver.secret,
                                   event_types=["hold.placed", "hold.lifted"])
    hold = place_hold(active_user, "content_violation")
    services.hold_lift(hold=hold, acting_user=None, lift_reason="staff")
    _deliver_all([active_user.pk])
    assert [r["body"]["type"] for r in receiver.verified()] == ["hold.placed", "hold.lifted"]


def test_a_receiver_keeps_verifying_through_a_secret_rotation(receiver, active_user, place_hold):
    endpoint = WebhookEndpoint.objects.create(
        name="platform", url=receiver.url, secret=receiver.secret, event_types=["hold.placed"]
    )
    old_secret = receiver.secret
    place_hold(active_user, "content_violation")
    _deliver_all([active_user.pk])
    assert len(receiver.verified()) == 1

    new_secret = api_services.webhook_endpoint_rotate_secret(endpoint=endpoint, acting_user=None)
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    # During the rotation both secrets sign: the receiver still holding the old one verifies...
    hold = place_hold(active_user, "bulk_activity")
    event = hold.events.get(kind="hold_placed")
    (delivery,) = api_services.webhook_deliveries_create(event)
    api_services.webhook_deliver(delivery_id=delivery.pk)
    assert len(receiver.verified()) == 2
    # ...and so does one that already switched to the new one.
    headers = receiver.received[-1]["headers"]
    Webhook(new_secret).verify(receiver_body(delivery), headers)
    assert len(headers["webhook-signature"].split(" ")) == 2

    # After the window the old secret no longer signs.
    endpoint.refresh_from_db()
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save(update_fields=["previous_secret_expires_at"])
    (resend,) = [api_services.webhook_resend(delivery=delivery, acting_user=None)]
    api_services.webhook_deliver(delivery_id=resend.pk)
    last = receiver.received[-1]
    assert not last["valid"]  # the receiver still had only the old secret
    Webhook(new_secret).verify(receiver_body(delivery), last["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(receiver_body(delivery), last["headers"])


def receiver_body(delivery: WebhookDelivery) -> str:
    return WebhookDelivery.objects.get(pk=delivery.pk).body


def test_existing_receivers_can_keep_the_v1_signature(receiver, active_user, place_hold):
    WebhookEndpoint.objects.create(name="old", url=receiver.url, secret=receiver.secret,
                                   legacy_signature=True, event_types=["hold.placed"])
    WebhookEndpoint.objects.create(name="new", url=receiver.url, secret=receiver.secret,
                                   event_types=["hold.placed"])
    place_hold(active_user, "content_violation")
    _deliver_all([active_user.pk])
    legacy = [r["legacy_valid"] for r in receiver.received]
    assert sorted(legacy) == [False, True]  # only the old endpoint sends (a valid) v1 header
    assert all(r["valid"] for r in receiver.received)


def test_a_tampered_body_does_not_verify(receiver, active_user, place_hold):
    endpoint = WebhookEndpoint.objects.create(name="p", url=receiver.url, secret=receiver.secret,
                                              event_types=["hold.placed"])
    place_hold(active_user, "content_violation")
    event = StatusEvent.objects.get(account=active_user, kind="hold_placed")
    (delivery,) = api_services.webhook_deliveries_create(event)
    delivery.endpoint = endpoint
    headers = api_services.webhook_headers(delivery)
    Webhook(receiver.secret).verify(delivery.body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.secret).verify(delivery.body.replace("content_violation", "legal"),
                                        headers)

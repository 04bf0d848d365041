"""Placing and lifting holds through the API (always through the services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.api.models import ServiceClient
from accounts.models import Hold, StatusEvent
from tests.api.conftest import WRITE

pytestmark = pytest.mark.django_db


def _place(api, account, body, **headers):
    return api.post(
        f"/api/v1/accounts/{account.platform_account_id}/holds", body, format="json", **headers
    )


def test_place_hold_with_every_field(api, active_user):
    deadline = timezone.now() + timedelta(days=7)
    expires = timezone.now() + timedelta(days=30)
    response = _place(api, active_user, {
        "reason": "realname_missing", "features": ["publish", "live"], "level": "restricted",
        "deadline": deadline.isoformat(), "expires_at": expires.isoformat(),
        "public_message": "请完成实名认证", "internal_note": "risk score 0.93",
    })
    assert response.status_code == 201, response.json()
    hold = Hold.objects.get(pk=response.json()["id"])
    assert hold.source == Hold.Source.API and hold.placed_by is None
    assert hold.blocked_features == ["publish", "live"]
    assert hold.deadline == deadline and hold.expires_at == expires
    assert hold.internal_note == "risk score 0.93"
    active_user.refresh_from_db()
    assert active_user.status == "restricted"
    assert StatusEvent.objects.filter(account=active_user, kind="hold_placed").exists()


def test_place_hold_defaults_from_reason(api, active_user):
    response = _place(api, active_user, {"reason": "suspicious_signin"})
    assert response.status_code == 201
    assert response.json()["level"] == "frozen"


@pytest.mark.parametrize("body,field", [
    ({"reason": "bogus"}, "reason"),
    ({"reason": "content_violation", "features": ["teleport"]}, "features"),
    ({"reason": "content_violation", "features": []}, "features"),
    ({"reason": "content_violation", "level": "ultra"}, "level"),
    ({"reason": "content_violation", "deadline": "not a date"}, "deadline"),
    ({}, "reason"),
])
def test_place_hold_invalid_fields_are_400(api, active_user, body, field):
    response = _place(api, active_user, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not active_user.holds.exists()


@pytest.mark.parametrize("body,code", [
    ({"reason": "realname_missing", "deadline": "2001-01-01T00:00:00Z"}, "deadline_in_past"),
    ({"reason": "content_violation", "expires_at": "2001-01-01T00:00:00Z"}, "expiry_in_past"),
    ({"reason": "severe_violation", "level": "restricted"}, "level_not_allowed"),
])
def test_place_hold_rule_violations_are_400_with_service_code(api, active_user, body, code):
    response = _place(api, active_user, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not active_user.holds.exists()


def test_place_hold_body_must_be_an_object(api, active_user):
    response = _place(api, active_user, ["content_violation"])
    assert response.status_code == 400


def test_place_hold_on_a_malformed_unknown_id_is_400_and_creates_nothing(api, db):
    # An unknown id creates the account (tests/api/test_provisioning.py); one
    # that could never be a platform id is refused before anything is written.
    response = api.post("/api/v1/accounts/no%20body/holds", {"reason": "content_violation"},
                        format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_account_id"
    assert not Hold.objects.exists()


def test_same_idempotency_key_returns_the_first_hold(api, active_user):
    first = _place(api, active_user, {"reason": "content_violation"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = _place(api, active_user, {"reason": "content_violation"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert active_user.holds.count() == 1


def test_idempotency_key_reused_for_other_reason_is_422(api, active_user):
    _place(api, active_user, {"reason": "content_violation"}, HTTP_IDEMPOTENCY_KEY="k-2")
    response = _place(api, active_user, {"reason": "payment_anomaly"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request_key_reused"


def test_idempotency_keys_are_per_client(make_client, active_user):
    one, two = make_client(name="one"), make_client(name="two")
    a = _place(one.http, active_user, {"reason": "content_violation"}, HTTP_IDEMPOTENCY_KEY="x")
    b = _place(two.http, active_user, {"reason": "content_violation"}, HTTP_IDEMPOTENCY_KEY="x")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_malformed_idempotency_key_is_400(api, active_user):
    response = _place(api, active_user, {"reason": "content_violation"},
                      HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_lift_hold(api, frozen_user):
    hold = frozen_user.holds.get()
    response = api.post(f"/api/v1/holds/{hold.pk}/lift",
                        {"lift_reason": "staff", "note": "false positive"}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    frozen_user.refresh_from_db()
    assert frozen_user.status == "active"


def test_lifting_a_lifted_hold_is_400(api, frozen_user):
    hold = frozen_user.holds.get()
    api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": "staff"}, format="json")
    response = api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": "staff"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_lifted"


def test_lift_with_unknown_reason_is_400(api, frozen_user):
    hold = frozen_user.holds.get()
    response = api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": "bribe"}, format="json")
    assert response.status_code == 400
    assert "lift_reason" in response.json()["error"]["fields"]
    assert frozen_user.holds.get().is_active


@pytest.mark.parametrize("reason", ["verification_approved", "appeal_accepted", "expired"])
def test_lift_cannot_claim_a_flows_reason(api, frozen_user, reason):
    hold = frozen_user.holds.get()
    response = api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": reason}, format="json")
    assert response.status_code == 400
    assert "lift_reason" in response.json()["error"]["fields"]
    assert frozen_user.holds.get().is_active


def test_lift_unknown_hold_is_404(api, db):
    for pk in (999999, 2**70):
        response = api.post(f"/api/v1/holds/{pk}/lift", {"lift_reason": "staff"}, format="json")
        assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["severe_violation", "legal"])
def test_holds_write_alone_cannot_lift_a_ban_or_a_legal_hold(make_client, make_account, place_hold, reason):
    hold = place_hold(make_account(), reason)
    api = make_client(WRITE).http
    response = api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": "staff"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "needs_supervisor"
    hold.refresh_from_db()
    assert hold.is_active


@pytest.mark.django_db
def test_the_protected_lift_scope_lifts_a_legal_hold(make_client, make_account, place_hold):
    hold = place_hold(make_account(), "legal")
    api = make_client(WRITE, ServiceClient.Scope.HOLDS_LIFT_PROTECTED).http
    response = api.post(f"/api/v1/holds/{hold.pk}/lift", {"lift_reason": "staff"}, format="json")
    assert response.status_code == 200, response.content
    hold.refresh_from_db()
    assert not hold.is_active

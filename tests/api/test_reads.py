"""Status, "may X do Y" and the event feed."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import Hold, StatusEvent

pytestmark = pytest.mark.django_db


def test_status_of_active_account(api, active_user):
    response = api.get(f"/api/v1/accounts/{active_user.platform_account_id}/status")
    assert response.status_code == 200
    assert response.json() == {
        "platform_account_id": "p-alice", "status": "active", "blocked_features": [],
        "version": 0, "holds": [],
    }


def test_status_of_frozen_account_lists_its_hold(api, frozen_user):
    body = api.get(f"/api/v1/accounts/{frozen_user.platform_account_id}/status").json()
    hold = frozen_user.holds.get()
    assert body["status"] == "frozen"
    assert set(body["blocked_features"]) == set(hold.blocked_features)
    assert [h["id"] for h in body["holds"]] == [hold.pk]
    assert body["holds"][0]["reason"] == "suspicious_signin"
    assert "internal_note" not in body["holds"][0]


def test_status_of_unknown_account_is_404(api):
    response = api.get("/api/v1/accounts/no-such-id/status")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_not_found"


def test_may_answers_per_feature(api, restricted_user):
    blocked = restricted_user.blocked_features[0]
    base = f"/api/v1/accounts/{restricted_user.platform_account_id}/may"
    no = api.get(f"{base}/{blocked}").json()
    assert no["allowed"] is False and no["status"] == "restricted"
    free = next(f for f in ("sign_in", "pay") if f not in restricted_user.blocked_features)
    assert api.get(f"{base}/{free}").json()["allowed"] is True


def test_may_unknown_feature_is_400(api, active_user):
    response = api.get(f"/api/v1/accounts/{active_user.platform_account_id}/may/teleport")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_feature"


def test_may_unknown_account_is_404(api):
    response = api.get("/api/v1/accounts/nobody/may/publish")
    assert response.status_code == 404


def _events(api, account, **params):
    return api.get(f"/api/v1/accounts/{account.platform_account_id}/events", params)


def test_events_page_in_id_order_with_cursor(api, active_user, place_hold):
    hold = place_hold(active_user, "content_violation")
    services.hold_lift(hold=hold, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    all_ids = list(
        StatusEvent.objects.filter(account=active_user).order_by("pk").values_list("pk", flat=True)
    )
    assert len(all_ids) == 4  # placed, status changed, lifted, status changed

    first = _events(api, active_user, limit=3).json()
    assert [int(e["id"]) for e in first["results"]] == all_ids[:3]
    assert first["has_more"] is True
    second = _events(api, active_user, limit=3, after=first["next_cursor"]).json()
    assert [int(e["id"]) for e in second["results"]] == all_ids[3:]
    assert second["has_more"] is False
    # Polling with the last cursor returns nothing new, and the same cursor.
    third = _events(api, active_user, after=second["next_cursor"]).json()
    assert third == {"results": [], "next_cursor": second["next_cursor"], "has_more": False}


def test_events_hide_staff_only_kinds(api, active_user):
    services.event_record(
        account=active_user, kind=StatusEvent.Kind.EVIDENCE_VIEWED, acting_user=None
    )
    assert _events(api, active_user).json()["results"] == []


def test_events_carry_the_webhook_data_never_what_the_event_stores(api, active_user,
                                                                   place_hold):
    """An event's stored details are internal (a supervisor's note, another
    account's id): the feed gives the webhook catalogue's data, or nothing."""
    hold = place_hold(active_user, "content_violation")
    services.event_record(account=active_user, kind=StatusEvent.Kind.IDENTITY_TRANSFERRED,
                          acting_user=None, data={"note": "INTERNAL fraud ring", "to": 3})
    results = _events(api, active_user).json()["results"]
    by_kind = {event["kind"]: event["data"] for event in results}
    assert by_kind["identity_transferred"] == {}
    assert by_kind["hold_placed"]["hold_id"] == hold.pk
    assert by_kind["hold_placed"]["reason"] == "content_violation"
    assert "INTERNAL" not in str(results)


@pytest.mark.parametrize("params,code", [
    ({"after": "abc"}, "invalid_cursor"),
    ({"after": "-1"}, "invalid_cursor"),
    ({"after": str(2**64)}, "invalid_cursor"),
    ({"limit": "0"}, "invalid_limit"),
    ({"limit": "201"}, "invalid_limit"),
])
def test_events_bad_parameters_are_400(api, active_user, params, code):
    response = _events(api, active_user, **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_events_of_unknown_account_is_404(api):
    assert api.get("/api/v1/accounts/nobody/events").status_code == 404

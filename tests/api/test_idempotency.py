"""Idempotency-Key: a retry returns the first hold; the same key with another
request (another body, another account) is refused with 422, even when both
arrive at the same instant."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Hold, StatusEvent
from tests.conftest import errors_of, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _url(account) -> str:
    return f"/api/v1/accounts/{account.platform_account_id}/holds"


def _post(key: str, account, body: dict, idempotency_key: str):
    http = APIClient()  # each thread gets its own database connection
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http.post(_url(account), body, format="json", HTTP_IDEMPOTENCY_KEY=idempotency_key)


def test_concurrent_identical_requests_place_one_hold(make_client, active_user):
    keyed = make_client()
    barrier = threading.Barrier(2)
    responses = []

    def post():
        try:
            barrier.wait(timeout=10)
            responses.append(_post(keyed.key, active_user, {"reason": "content_violation"},
                                   "retry-123"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Hold.objects.filter(account=active_user).count() == 1


def test_same_key_for_two_accounts_at_once_refuses_one_with_422(make_client, make_account):
    keyed = make_client()
    first, second = make_account(), make_account()
    for _round in range(3):  # several rounds: the race is decided differently each time
        key = f"race-{_round}"
        results = run_together([
            lambda account=account, key=key: _post(keyed.key, account,
                                                   {"reason": "content_violation"}, key)
            for account in (first, second)
        ])
        assert not errors_of(results)
        assert sorted(r.status_code for r in results) == [201, 422], [r.content for r in results]
        refused = next(r for r in results if r.status_code == 422)
        assert refused["Content-Type"] == "application/json"
        assert refused.json()["error"]["code"] == "request_key_reused"
        assert Hold.objects.filter(request_key__endswith=f":{key}").count() == 1
    # The loser wrote nothing: one hold and one hold_placed event per round in all.
    assert Hold.objects.count() == 3
    assert StatusEvent.objects.filter(kind="hold_placed").count() == 3


def test_reused_key_with_another_body_is_422_and_writes_nothing(make_client, active_user):
    keyed = make_client()
    body = {"reason": "content_violation", "features": ["publish"], "public_message": "a"}
    assert _post(keyed.key, active_user, body, "k-body").status_code == 201
    for changed in ({**body, "features": ["publish", "comment"]},
                    {**body, "public_message": "b"},
                    {**body, "level": "frozen"}):
        response = _post(keyed.key, active_user, changed, "k-body")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "request_key_reused"
    assert Hold.objects.filter(account=active_user).count() == 1


def test_retry_with_the_same_request_spelled_differently_is_a_replay(make_client, active_user):
    keyed = make_client()
    body = {"reason": "content_violation", "features": ["publish", "comment"]}
    first = _post(keyed.key, active_user, body, "k-same")
    again = _post(keyed.key, active_user,
                  {"features": ["comment", "publish", "publish"], "reason": "content_violation",
                   "public_message": ""}, "k-same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"


def test_holds_keyed_before_fingerprints_still_compare_account_and_reason(
    make_client, active_user
):
    keyed = make_client()
    hold = services.hold_place(account=active_user, reason="content_violation",
                               acting_user=None, request_key=f"{keyed.client.pk}:old")
    Hold.objects.filter(pk=hold.pk).update(request_fingerprint="")  # as stored before
    assert _post(keyed.key, active_user, {"reason": "content_violation"}, "old").status_code == 200
    other = _post(keyed.key, active_user, {"reason": "payment_anomaly"}, "old")
    assert other.status_code == 422

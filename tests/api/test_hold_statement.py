"""The statement of reasons through the API: optional fields of a placed hold, returned
in the hold representation; bad facts are a clear 400 and write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Hold, StatusEvent
from tests.api.conftest import READ, WRITE

pytestmark = pytest.mark.django_db


def counts():
    return Hold.objects.count(), StatusEvent.objects.count()


def test_the_api_places_a_hold_with_its_statement_and_returns_it(make_client, active_user):
    api = make_client(READ, WRITE).http
    response = api.post(f"/api/v1/accounts/{active_user.platform_account_id}/holds", {
        "reason": "suspicious_signin", "rule": "SEC-3", "decision_mode": "human",
        "facts": {"region": "Guangdong", "time": "2026-03-01T02:14+08:00"},
    }, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rule"] == "SEC-3" and body["decision_mode"] == "human"
    assert body["rule_title"] == "Protection of accounts at risk of takeover"
    assert body["facts"] == {"region": "Guangdong", "time": "2026-03-01T02:14+08:00"}
    assert [way["code"] for way in body["ways_to_contest"]] == [
        "appeal", "verify", "support", "redress"]
    assert body["ways_to_contest"][0]["url"].endswith(
        reverse("appeals:file", args=[body["id"]]))
    status = api.get(f"/api/v1/accounts/{active_user.platform_account_id}/status").json()
    assert status["holds"][0]["facts"]["region"] == "Guangdong"


@pytest.mark.parametrize("facts,code", [
    ("region=Guangdong", "facts_not_object"),
    ({"region": {"nested": "no"}}, "facts_value_not_text"),
    ({"detail": "x" * 5000}, "facts_value_too_long"),
])
def test_bad_facts_through_the_api_are_a_clear_400_and_nothing_is_written(make_client,
                                                                          active_user, facts,
                                                                          code):
    api = make_client(READ, WRITE).http
    before = counts()
    response = api.post(f"/api/v1/accounts/{active_user.platform_account_id}/holds",
                        {"reason": "suspicious_signin", "facts": facts}, format="json",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert counts() == before

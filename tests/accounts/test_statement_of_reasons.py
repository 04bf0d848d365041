"""The statement of reasons on every hold: the rule, the facts, who decided, every way to
contest it — in the service, on the card and in the admin form (the API: tests/api/
test_hold_statement.py)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import Hold, StatusEvent

pytestmark = pytest.mark.django_db


def counts():
    return Hold.objects.count(), StatusEvent.objects.count()


def test_a_hold_cites_its_reasons_default_rule_and_who_decided(active_user, place_hold):
    automatic = place_hold(active_user, "suspicious_signin", source=Hold.Source.RISK_ENGINE)
    by_staff = services.hold_place(account=active_user, reason="content_violation",
                                   acting_user=None, source=Hold.Source.STAFF)
    assert (automatic.rule, automatic.decision_mode) == ("SEC-1", "automated")
    assert (by_staff.rule, by_staff.decision_mode) == ("CON-1", "human")
    with translation.override("en"):
        assert by_staff.rule_title == "Community rules on content"


def test_a_rule_the_catalogue_allows_for_the_reason_is_kept(active_user, place_hold):
    hold = place_hold(active_user, "content_violation", rule="CON-2", decision_mode="human",
                      facts={"content": "Video 42", "published_at": "2026-03-01 10:00"})
    hold.refresh_from_db()
    assert hold.rule == "CON-2" and hold.decision_mode == "human"
    assert hold.facts == {"content": "Video 42", "published_at": "2026-03-01 10:00"}
    placed = StatusEvent.objects.get(hold=hold, kind="hold_placed")
    assert placed.data["rule"] == "CON-2"


@pytest.mark.parametrize("kwargs,code", [
    ({"rule": "LAW-1"}, "rule_not_for_reason"),
    ({"rule": "NOPE-9"}, "unknown_rule"),
    ({"facts": ["region", "Guangdong"]}, "facts_not_object"),
    ({"facts": {"region": 42}}, "facts_value_not_text"),
    ({"facts": {"Region!": "x"}}, "facts_key_invalid"),
    ({"facts": {f"k{n}": "x" for n in range(13)}}, "facts_too_many"),
    ({"facts": {"detail": "x" * 301}}, "facts_value_too_long"),
    ({"facts": {f"k{n}": "字" * 250 for n in range(10)}}, "facts_too_large"),
    ({"decision_mode": "robot"}, "unknown_decision_mode"),
])
def test_a_bad_statement_is_refused_and_nothing_is_written(active_user, kwargs, code):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.hold_place(account=active_user, reason="content_violation", acting_user=None,
                            **kwargs)
    assert error.value.code == code
    assert error.value.messages[0]  # a sentence, not only a code
    assert counts() == before


def test_the_card_states_rule_facts_decider_and_every_way_to_contest(client, active_user,
                                                                      place_hold):
    hold = place_hold(active_user, "suspicious_signin",
                      facts={"region": "Guangdong Shenzhen", "time": "2026-03-01 02:14"})
    client.force_login(active_user)
    html = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "SEC-1 · Protection against sign-ins that do not look like the owner" in html
    assert "Region: Guangdong Shenzhen" in html and "Time: 2026-03-01 02:14" in html
    assert "An automated system" in html
    contest = html.split('data-testid="ways-to-contest"')[1].split("</details>")[0]
    assert reverse("appeals:file", args=[hold.pk]) in contest
    assert reverse("verification:start") in contest
    assert reverse("appeals:support_new", args=[hold.pk]) in contest
    assert "out-of-court dispute settlement" in contest


def test_the_admin_form_takes_rule_facts_and_decider(client, supervisor, active_user):
    client.force_login(supervisor)
    url = reverse("admin:accounts_account_place_hold", args=[active_user.pk])
    response = client.post(url, {
        "reason": "content_violation", "rule": "CON-3", "decision_mode": "human",
        "facts": json.dumps({"content": "Comment #77", "detail": "reported 12 times"}),
    })
    assert response.status_code == 302
    hold = Hold.objects.get(account=active_user)
    assert hold.rule == "CON-3" and hold.facts["detail"] == "reported 12 times"
    assert hold.decision_mode == "human"


def test_the_admin_form_shows_the_service_refusal_of_bad_facts(client, supervisor, active_user):
    client.force_login(supervisor)
    url = reverse("admin:accounts_account_place_hold", args=[active_user.pk])
    response = client.post(url, {"reason": "content_violation", "facts": '["not", "an object"]'},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "must be a JSON object" in response.content.decode()
    assert not Hold.objects.filter(account=active_user).exists()

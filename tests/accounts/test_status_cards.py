"""Cards that follow the case: the open case on each hold, the one next action, the
order by what needs the owner soonest, checklists of several-remedy holds, and a
query count that does not grow with holds or cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import cards, selectors
from accounts import services as account_services
from accounts.demo import demo_load
from accounts.models import Account, StatusEvent
from appeals import services as appeal_services
from tests.verification.conftest import in_review, make_request  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def page_cards(account):
    return cards.status_cards(selectors.status_page(account))


def status_html(client, account) -> str:
    client.force_login(account)
    response = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def card_html(html: str, reason: str) -> str:
    match = re.search(rf'data-reason="{reason}".*?</article>', html, re.S)
    assert match, reason
    return match.group(0)


def test_demo_multi_cards_are_in_urgency_order():
    demo_load()
    account = Account.objects.get(username="demo-multi")
    ordered = page_cards(account)
    assert [card.hold.reason for card in ordered] == [
        "realname_missing", "content_violation", "password_failures"]
    first, _middle, last = ordered
    assert first.needs_you and first.action.url == reverse("verification:start")
    assert last.lifts_by_itself and last.action is None


def test_a_hold_that_lifts_by_itself_has_no_button(client, active_user, place_hold):
    place_hold(active_user, "password_failures", expires_at=timezone.now() + timedelta(hours=3))
    card = card_html(status_html(client, active_user), "password_failures")
    assert "btn" not in card
    assert "Nothing to do: it lifts by itself" in card
    assert reverse("appeals:support_new", args=[active_user.holds.get().pk]) in card  # a link


def test_nearest_deadline_first_then_severity(active_user, place_hold):
    now = timezone.now()
    later = place_hold(active_user, "realname_missing", deadline=now + timedelta(days=6))
    sooner = place_hold(active_user, "realname_missing", deadline=now + timedelta(days=2))
    content = place_hold(active_user, "content_violation")
    frozen = place_hold(active_user, "inactivity")
    assert [card.hold for card in page_cards(active_user)] == [sooner, later, frozen, content]


def test_after_filing_an_appeal_the_card_follows_it_instead_of_offering_it_again(
        client, restricted_user):
    hold = restricted_user.holds.get()
    appeal = appeal_services.appeal_file(account=restricted_user, hold=hold, category="other",
                                         statement="Wrong.", acting_user=restricted_user)
    card = card_html(status_html(client, restricted_user), "content_violation")
    assert reverse("appeals:file", args=[hold.pk]) + '"' not in card.split("ways-to-contest")[0]
    assert 'data-case-kind="appeal"' in card and "Your appeal is in review" in card
    assert reverse("appeals:detail", args=[appeal.pk]) in card


def test_an_appeal_waiting_for_the_owner_is_on_top_with_its_answer_by_date(
        client, make_account, place_hold, officer):
    account = make_account()
    # The answer is due in 14 days (PORTAL_APPEAL_CLOSE_AFTER): sooner than this deadline.
    place_hold(account, "realname_missing", deadline=timezone.now() + timedelta(days=20))
    hold = place_hold(account, "content_violation")
    appeal = appeal_services.appeal_file(account=account, hold=hold, category="other",
                                         statement="Wrong.", acting_user=account)
    appeal_services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Which post?")
    ordered = page_cards(account)
    assert ordered[0].hold == hold
    assert ordered[0].case.needs_you and ordered[0].action.label == "Answer staff"
    card = card_html(status_html(client, account), "content_violation")
    assert "Staff asked you a question" in card and "Answer by" in card


def test_a_decided_appeal_shows_the_decision_and_the_rule_for_appealing_again(
        client, restricted_user, officer):
    hold = restricted_user.holds.get()
    appeal = appeal_services.appeal_file(account=restricted_user, hold=hold, category="other",
                                         statement="Wrong.", acting_user=restricted_user)
    appeal_services.appeal_decide(appeal=appeal, acting_user=officer, decision="rejected",
                                  message="The post breaks rule 4.")
    card = card_html(status_html(client, restricted_user), "content_violation")
    assert "Your appeal was rejected" in card and "The post breaks rule 4." in card
    assert "You can appeal once more from" in card  # the cool-down, not a button


def test_verification_states_show_on_the_card(client, make_account, place_hold, in_review,  # noqa: F811
                                              reviewer):
    account = make_account(language="en")
    place_hold(account, "realname_outdated")
    request = in_review(account)
    card = card_html(status_html(client, account), "realname_outdated")
    assert 'data-case-state="in_review"' in card and "A person is reviewing it" in card
    assert 'class="btn btn-primary"' not in card  # nothing to do but wait

    from verification import services as verification_services

    verification_services.verification_claim(request=request, acting_user=reviewer)
    verification_services.verification_reject(
        request=request, acting_user=reviewer, reason="photo_unclear",
        message="The back photo is blurred: retake it in good light.")
    card = card_html(status_html(client, account), "realname_outdated")
    assert "Your verification needs another try" in card
    assert "The back photo is blurred: retake it in good light." in card
    assert f'href="{reverse("verification:start")}" data-testid="remedy">Verify again' in card


def test_a_theft_hold_shows_a_checklist_and_says_when_the_owners_part_is_done(
        client, make_account, place_hold):
    account = make_account()
    hold = place_hold(account, "theft_risk")
    card = card_html(status_html(client, account), "theft_risk")
    assert card.count('data-testid="step"') == 2 and 'data-done="1"' not in card
    account_services.event_record(account=account, kind=StatusEvent.Kind.VERIFICATION_APPROVED,
                                  acting_user=None, data={"request": 1})
    card = card_html(status_html(client, account), "theft_risk")
    assert 'data-remedy="verify" data-done="1"' in card
    assert reverse("accounts:secure", args=[hold.pk]) in card  # the next step
    account.set_password("changed Pa55!")
    account.save()
    account_services.account_password_changed(account=account)
    account_services.account_secure(account=account, hold=hold, keep_session_key=None,
                                    reviewed_sign_ins=True)
    card = card_html(status_html(client, account), "theft_risk")
    assert 'data-remedy="secure" data-done="1"' in card
    assert "Your part is done" in card


def _count_queries(client, account) -> tuple[int, int]:
    """Queries of the first view and of a reload with nothing changed."""
    client.force_login(account)
    counts = []
    for _view in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("accounts:status"))
        assert response.status_code == 200
        counts.append(len(queries))
    return counts[0], counts[1]


@pytest.mark.parametrize("holds", [1, 12])
def test_query_count_is_constant_with_cases_on_every_hold(client, make_account, place_hold,
                                                          officer, holds):
    account = make_account()
    for n in range(holds):
        hold = place_hold(account, ["content_violation", "bulk_activity"][n % 2])
        appeal = appeal_services.appeal_file(account=account, hold=hold, category="other",
                                             statement=f"Appeal {n}", acting_user=account)
        if n % 3 == 1:
            appeal_services.appeal_ask_user(appeal=appeal, acting_user=officer, body="Why?")
        appeal_services.support_open(account=account, hold=hold, body="Help",
                                     acting_user=account)
    place_hold(account, "theft_risk")
    appeal_services.support_open(account=account, hold=None, body="General", acting_user=account)
    # session, user, fingerprint, holds, events, cases, verifications, security facts,
    # appeal waits; a reload with nothing changed: session, user, fingerprint
    assert _count_queries(client, account) == (9, 3)

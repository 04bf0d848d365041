"""The status page: what the owner sees, and its query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Hold

pytestmark = pytest.mark.django_db


def status_html(client, account) -> str:
    client.force_login(account)
    response = client.get(reverse("accounts:status"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("accounts:status"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_active_account_sees_nothing_is_wrong(client, active_user):
    html = status_html(client, active_user)
    assert 'data-testid="all-clear"' in html
    assert 'data-testid="hold-card"' not in html


def test_each_active_hold_gets_a_card_with_words_not_codes(client, active_user, place_hold):
    place_hold(active_user, "realname_missing", deadline=timezone.now() + timedelta(days=5))
    place_hold(active_user, "content_violation", public_message="Video of 11-20 judged misleading")
    lifted = place_hold(active_user, "suspicious_signin")
    services.hold_lift(hold=lifted, acting_user=None, lift_reason=Hold.LiftReason.STAFF)
    html = status_html(client, active_user)
    assert html.count('data-testid="hold-card"') == 2
    assert "Real-name verification missing or incomplete" in html
    assert "Withdraw your balance" in html and "withdraw</" not in html  # words, not codes
    assert "If you do not verify by the deadline, the account will be frozen." in html
    assert "Video of 11-20 judged misleading" in html
    assert 'data-reason="suspicious_signin"' not in html  # lifted: no card
    assert 'data-testid="security-checklist"' in html  # but the checklist after it


def test_remedy_buttons_follow_the_catalog(client, active_user, place_hold):
    password = place_hold(active_user, "password_failures")  # no expiry given: secure it
    legal = place_hold(active_user, "legal")
    html = status_html(client, active_user)
    assert reverse("accounts:secure", args=[password.pk]) in html  # secure account
    assert reverse("appeals:support_new", args=[legal.pk]) in html  # legal: support only
    assert "Self-service does not apply" in html


def test_internal_note_is_never_shown_to_the_owner(client, active_user, place_hold):
    place_hold(active_user, "content_violation", internal_note="SECRET-RISK-SCORE-97")
    assert "SECRET-RISK-SCORE-97" not in status_html(client, active_user)


def test_user_text_is_escaped(client, active_user, place_hold):
    place_hold(active_user, "content_violation", public_message="<script>alert(1)</script>")
    html = status_html(client, active_user)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_default_language_is_simplified_chinese(client, restricted_user):
    client.force_login(restricted_user)
    html = client.get(reverse("accounts:status")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "受限" in html  # "Restricted", from the compiled catalog


def test_switching_to_english_is_remembered(client, restricted_user):
    client.force_login(restricted_user)
    client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("accounts:status")).content.decode()
    assert '<html lang="en">' in html and "Restricted" in html
    restricted_user.refresh_from_db()
    assert restricted_user.language == "en"


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


@pytest.mark.parametrize("holds", [1, 50])
def test_status_page_query_count_is_constant(client, make_account, place_hold, holds):
    account = make_account()
    reasons = ["content_violation", "suspicious_signin", "realname_missing", "bulk_activity"]
    for n in range(holds):
        place_hold(account, reasons[n % len(reasons)])
    # session, user, fingerprint, holds, events, cases, verifications, security facts;
    # a reload with nothing changed: session, user, fingerprint
    assert _count_queries(client, account) == (8, 3)


@pytest.mark.parametrize("grown", [0, 30])
def test_status_page_query_count_stays_constant_as_notices_and_events_grow(
        client, make_account, place_hold, grown):
    account = make_account()
    holds = [place_hold(account, reason)
             for reason in ("content_violation", "suspicious_signin", "bulk_activity")]
    for n in range(grown):
        services.notice_send(account=account, title=f"Notice {n}", email=False)
        services.security_checklist_done(account=account)
    if grown:
        services.hold_lift(hold=holds[1], acting_user=None, lift_reason="staff")
    # session, user, fingerprint, holds, events, cases, verifications, security facts;
    # a reload with nothing changed: session, user, fingerprint
    assert _count_queries(client, account) == (8, 3)
    shown = client.get(reverse("accounts:status")).content.decode()
    if grown:
        assert f'data-testid="bell-count">{grown}<' in shown
    else:
        assert 'data-testid="bell-count"' not in shown


def test_help_page_has_the_self_check_table_without_signing_in(client):
    html = client.get(reverse("accounts:help"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="self-check"' in html
    assert 'id="contact"' in html and 'id="pay"' in html


def test_opening_notices_marks_them_read(client, active_user, place_hold):
    services.notice_send(account=active_user, title="Hello", email=False)
    client.force_login(active_user)
    assert 'data-testid="bell-count"' in client.get(reverse("accounts:status")).content.decode()
    assert "Hello" in client.get(reverse("accounts:notices")).content.decode()
    assert 'data-testid="bell-count"' not in client.get(reverse("accounts:status")).content.decode()

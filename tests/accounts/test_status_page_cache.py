"""The status page's content is reused only while nothing it shows has changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import page_cache, selectors, services
from accounts.models import AccountSession, Hold
from appeals import services as appeal_services

STATUS = "/"


def _page(client) -> str:
    response = client.get(STATUS)
    assert response.status_code == 200
    return response.content.decode()


def _tables_read(queries) -> set[str]:
    names = set()
    for query in queries:
        # (not EXTRACT(EPOCH FROM a_column))
        names.update(re.findall(r'(?<!EPOCH )(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"]))
    return names


def test_the_page_reads_no_table_about_its_owner_the_fingerprint_does_not_cover(
        client, frozen_user, place_hold, officer):
    hold = place_hold(frozen_user, "content_violation")
    appeal_services.appeal_file(account=frozen_user, hold=hold, category="other",
                                statement="Please look again", acting_user=frozen_user)
    services.notice_send(account=frozen_user, title="Hello", email=False)
    client.force_login(frozen_user)
    with CaptureQueriesContext(connection) as queries:
        assert 'data-testid="status-banner"' in _page(client)
    read = _tables_read(queries) - {AccountSession._meta.db_table}
    assert read <= set(selectors.status_page_tables()), read


def test_a_reload_with_nothing_changed_reuses_the_content(client, frozen_user):
    client.force_login(frozen_user)
    first = _page(client)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client)
    assert len(queries) == 3  # session, user, fingerprint
    banner = 'data-testid="status-banner"'
    assert again[again.index(banner):] == first[first.index(banner):]


def test_a_change_made_behind_the_services_back_shows_at_once(client, frozen_user):
    client.force_login(frozen_user)
    assert "Words from the platform" not in _page(client)
    # A bulk UPDATE: no service, no signal, no event; the row's text changed all the same.
    Hold.objects.filter(account=frozen_user).update(public_message="Words from the platform")
    assert "Words from the platform" in _page(client)


def test_a_lift_shows_at_once(client, frozen_user):
    client.force_login(frozen_user)
    assert 'status-frozen' in _page(client)
    services.hold_lift(hold=Hold.objects.get(account=frozen_user), acting_user=None,
                       lift_reason="staff")
    assert 'status-active' in _page(client)


def test_a_new_notice_shows_in_the_bell_at_once(client, frozen_user):
    client.force_login(frozen_user)
    assert 'data-testid="bell-count"' not in _page(client)
    services.notice_send(account=frozen_user, title="Hello", email=False)
    assert 'data-testid="bell-count">1<' in _page(client)


def test_a_message_shows_once_and_is_never_kept(client, frozen_user):
    services.hold_lift(hold=Hold.objects.get(account=frozen_user), acting_user=None,
                       lift_reason="staff")
    client.force_login(frozen_user)
    _page(client)
    thanks = 'class="alert alert-success"'
    html = client.post(reverse("accounts:checklist_done"), follow=True).content.decode()
    assert thanks in html
    assert thanks not in _page(client)
    assert thanks not in _page(client)


def test_the_language_switch_returns_to_the_address_asked_for(client, frozen_user):
    client.force_login(frozen_user)
    _page(client)
    html = client.get(STATUS + "?from=app").content.decode()
    assert 'name="next" type="hidden" value="/?from=app"' in html


def test_each_language_has_its_own_content(client, frozen_user):
    client.force_login(frozen_user)
    assert '<html lang="zh-hans">' in _page(client)
    client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    html = _page(client)
    assert '<html lang="en">' in html and "Frozen" in html


def test_a_form_on_reused_content_passes_the_csrf_check(frozen_user):
    services.hold_lift(hold=Hold.objects.get(account=frozen_user), acting_user=None,
                       lift_reason="staff")  # a security hold lifted: the checklist shows
    client = Client(enforce_csrf_checks=True)
    client.force_login(frozen_user)
    _page(client)
    html = _page(client)  # from the cache
    checklist = html[html.index('data-testid="security-checklist"'):]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', checklist).group(1)
    response = client.post(reverse("accounts:checklist_done"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.parametrize(("after", "queries"), [(-1, 3), (0, 8)])
def test_the_page_is_reused_for_its_lifetime_only(client, frozen_user, monkeypatch,
                                                  after, queries):
    client.force_login(frozen_user)
    _page(client)
    later = timezone.now() + timedelta(seconds=page_cache.lifetime() + after)
    monkeypatch.setattr(page_cache.timezone, "now", lambda: later)
    with CaptureQueriesContext(connection) as captured:
        _page(client)
    assert len(captured) == queries


def test_the_page_is_served_when_the_cache_fails(client, frozen_user, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(page_cache.cache, "get", broken)
    monkeypatch.setattr(page_cache.cache, "set", broken)
    client.force_login(frozen_user)
    assert 'data-testid="status-banner"' in _page(client)


@pytest.mark.parametrize("seconds", [0])
def test_no_reuse_when_turned_off(client, frozen_user, settings, seconds):
    settings.PORTAL_STATUS_PAGE_CACHE_SECONDS = seconds
    client.force_login(frozen_user)
    _page(client)
    with CaptureQueriesContext(connection) as queries:
        _page(client)
    assert len(queries) == 8


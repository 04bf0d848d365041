"""The timeline of a busy account is paged: 50 events at a time, newest first, by key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StatusEvent
from accounts.selectors import TIMELINE_LENGTH, timeline_page

pytestmark = pytest.mark.django_db


def _events(account, n: int, *, kind: str = "password_changed") -> None:
    now = timezone.now()
    # Pairs share a moment, so the order must break ties by id across pages too.
    StatusEvent.objects.bulk_create(
        StatusEvent(account=account, kind=kind, at=now - timedelta(minutes=i // 2))
        for i in range(n))


def _walk(account, **kwargs) -> list[list[int]]:
    pages, before = [], None
    while True:
        events, before = timeline_page(account, before=before, **kwargs)
        pages.append([e.pk for e in events])
        if before is None:
            return pages


def test_pages_cover_every_event_once_newest_first(active_user):
    _events(active_user, 2 * TIMELINE_LENGTH + 7)
    pages = _walk(active_user)
    assert [len(page) for page in pages] == [TIMELINE_LENGTH, TIMELINE_LENGTH, 7]
    flat = [pk for page in pages for pk in page]
    expected = list(StatusEvent.objects.filter(account=active_user)
                    .order_by("-at", "-pk").values_list("pk", flat=True))
    assert flat == expected


def test_owner_pages_leave_staff_only_events_out_and_staff_pages_keep_them(active_user):
    _events(active_user, 3)
    _events(active_user, 2, kind=next(iter(StatusEvent.STAFF_ONLY_KINDS)))
    assert sum(map(len, _walk(active_user))) == 3
    assert sum(map(len, _walk(active_user, staff=True))) == 5


def test_status_page_links_to_older_events_and_an_old_page_costs_the_same(client,
                                                                          active_user):
    _events(active_user, 3 * TIMELINE_LENGTH)
    client.force_login(active_user)
    url = reverse("accounts:status")
    with CaptureQueriesContext(connection) as newest:
        first = client.get(url)
    older = first.context["older_events"]
    assert len(first.context["events"]) == TIMELINE_LENGTH and older
    assert f'href="?before={older}#timeline"' in first.content.decode()
    with CaptureQueriesContext(connection) as old:
        second = client.get(url, {"before": older})
    assert {e.pk for e in second.context["events"]}.isdisjoint(
        e.pk for e in first.context["events"])
    assert 'data-testid="timeline-newest"' in second.content.decode()
    assert len(old.captured_queries) == len(newest.captured_queries)
    assert client.get(url, {"before": "junk"}).status_code == 200


def test_admin_account_page_shows_fifty_events_with_a_link_to_older(client, admin_user,
                                                                    active_user):
    _events(active_user, TIMELINE_LENGTH + 5)
    client.force_login(admin_user)
    url = reverse("admin:accounts_account_change", args=[active_user.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("Password changed") == TIMELINE_LENGTH
    assert 'data-testid="timeline-older"' in page
    older = client.get(url, {"before": timeline_page(active_user, staff=True)[1]},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert older.status_code == 200
    assert older.content.decode().count("Password changed") == 5


def test_measured_waits_are_computed_once_per_cache_period(settings):
    from django.core.cache import cache

    from accounts.selectors import WAIT_CACHE_PREFIX, cached_wait

    settings.PORTAL_WAIT_CACHE_SECONDS = 60
    key = f"test-{timezone.now().timestamp()}"
    calls = []
    try:
        for _ in range(3):
            assert cached_wait(key, lambda: calls.append(1)) is None
        assert len(calls) == 1  # None (no decisions yet) is remembered too
    finally:
        cache.delete(WAIT_CACHE_PREFIX + key)
    settings.PORTAL_WAIT_CACHE_SECONDS = 0
    cached_wait(key, lambda: calls.append(1))
    cached_wait(key, lambda: calls.append(1))
    assert len(calls) == 3

"""The staff queues at scale: default view, ordering, one SLA rule, no whole-table
count, a constant number of queries, and the dashboard over both queues."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import queues
from accounts.models import Account
from appeals.models import Appeal
from verification.models import VerificationRequest

pytestmark = pytest.mark.django_db
APPEALS = reverse("admin:appeals_appeal_changelist")
REQUESTS = reverse("admin:verification_verificationrequest_changelist")
State = VerificationRequest.State


def _accounts(n: int, start: int = 0) -> list[Account]:
    return Account.objects.bulk_create(
        Account(username=f"bulk{start + i}", platform_account_id=f"p-bulk{start + i}")
        for i in range(n))


def _requests(n: int, *, state=State.IN_REVIEW, due_in=timedelta(hours=1), start=0):
    now = timezone.now()
    return VerificationRequest.objects.bulk_create(
        VerificationRequest(account=account, state=state, submitted_at=now,
                            sla_due_at=now + due_in + timedelta(minutes=i),
                            decided_at=now if state in VerificationRequest.DECIDED_STATES
                            else None)
        for i, account in enumerate(_accounts(n, start)))


def _conversations(n: int, *, state=Appeal.State.SUBMITTED, due_in=timedelta(hours=1), start=0):
    now = timezone.now()
    return Appeal.objects.bulk_create(
        Appeal(account=account, kind=Appeal.Kind.SUPPORT, state=state, statement="help",
               sla_due_at=now + due_in + timedelta(minutes=i))
        for i, account in enumerate(_accounts(n, start)))


def _ids(response) -> list[int]:
    return [case.pk for case in response.context["cl"].result_list]


def test_appeal_queue_opens_on_open_cases_oldest_due_first(client, admin_user):
    later, sooner = _conversations(2, due_in=timedelta(hours=5))[0], \
        _conversations(1, due_in=timedelta(hours=1), start=10)[0]
    (closed,) = _conversations(1, state=Appeal.State.CLOSED, due_in=-timedelta(days=3), start=20)
    client.force_login(admin_user)
    assert _ids(client.get(APPEALS))[:2] == [sooner.pk, later.pk]
    assert closed.pk not in _ids(client.get(APPEALS))
    assert closed.pk in _ids(client.get(APPEALS, {"open": "all"}))
    assert _ids(client.get(APPEALS, {"open": "no"})) == [closed.pk]
    # A filter on the state shows that state, whatever the default.
    assert _ids(client.get(APPEALS, {"state__exact": "closed"})) == [closed.pk]


def test_verification_queue_opens_on_cases_waiting_for_a_reviewer(client, reviewer):
    (waiting,) = _requests(1)
    (approved,) = _requests(1, state=State.APPROVED, due_in=-timedelta(days=1), start=10)
    (checking,) = _requests(1, state=State.CHECKING, start=20)
    client.force_login(reviewer)
    assert _ids(client.get(REQUESTS)) == [waiting.pk]
    assert _ids(client.get(REQUESTS, {"queue": "decided"})) == [approved.pk]
    assert _ids(client.get(REQUESTS, {"queue": "checking"})) == [checking.pk]
    assert set(_ids(client.get(REQUESTS, {"queue": "all"}))) == {waiting.pk, approved.pk,
                                                                  checking.pk}
    assert _ids(client.get(REQUESTS, {"state__exact": "approved"})) == [approved.pk]


def test_sla_column_and_filter_follow_one_rule(client, admin_user):
    (late,) = _conversations(1, due_in=-timedelta(hours=2))
    (closed_late,) = _conversations(1, state=Appeal.State.CLOSED, due_in=-timedelta(hours=2),
                                    start=10)
    (waiting_late,) = _requests(1, due_in=-timedelta(hours=2), start=20)
    client.force_login(admin_user)
    assert _ids(client.get(APPEALS, {"sla": "breached", "open": "all"})) == [late.pk]
    assert _ids(client.get(REQUESTS, {"sla": "breached"})) == [waiting_late.pk]
    for url in (APPEALS, REQUESTS):
        page = client.get(url).content.decode()
        assert page.count('class="sla-breached"') == 1, url
    everything = client.get(APPEALS, {"open": "all"})
    cells = {case.pk: everything.context["cl"].model_admin.sla(case)
             for case in everything.context["cl"].result_list}
    assert "sla-breached" in cells[late.pk] and cells[closed_late.pk] == "—"


def _table_counts(queries, table: str) -> list[str]:
    """The COUNT queries over ``table`` that are not capped by a LIMIT."""
    return [q["sql"] for q in queries if re.search(r"COUNT\(", q["sql"])
            and f'"{table}"' in q["sql"] and "LIMIT" not in q["sql"]]


@pytest.mark.parametrize("url,make,table,claim", [
    (APPEALS, _conversations, "appeals_appeal", "who"),
    (REQUESTS, _requests, "verification_verificationrequest", "claim"),
])
def test_changelists_never_count_the_whole_table_and_cost_the_same_at_any_size(
        client, admin_user, url, make, table, claim):
    client.force_login(admin_user)
    make(5)
    filters = [{}, {"sla": "breached"}, {claim: "unassigned"}, {claim: "mine"}]
    small = {}
    for params in filters:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        assert _table_counts(queries.captured_queries, table) == [], params
        small[str(params)] = len(queries.captured_queries)
    make(60, start=100)
    for params in filters:
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)
        assert len(queries.captured_queries) == small[str(params)], params


def test_past_the_cap_the_paginator_estimates_instead_of_counting(client, admin_user,
                                                                  monkeypatch):
    monkeypatch.setattr(queues, "COUNT_CAP", 3)
    _conversations(8)
    client.force_login(admin_user)
    changelist = client.get(APPEALS).context["cl"]
    assert changelist.paginator.estimated
    assert changelist.result_count >= 4  # the planner's guess, at least the cap + 1
    assert len(changelist.result_list) == 8
    _conversations(2, start=50)
    monkeypatch.setattr(queues, "COUNT_CAP", 100)
    assert client.get(APPEALS).context["cl"].result_count == 10


def test_dashboard_counts_both_queues_and_links_to_filtered_queues(client, admin_user):
    _requests(2, due_in=-timedelta(hours=1))
    _requests(1, state=State.AUTO_REJECTED, start=10)
    VerificationRequest.objects.filter(state=State.AUTO_REJECTED).update(
        checked_at=timezone.now())
    VerificationRequest.objects.filter(state=State.IN_REVIEW).update(checked_at=timezone.now())
    _conversations(3, start=20)
    (done,) = _conversations(1, state=Appeal.State.CLOSED, start=30)
    Appeal.objects.filter(pk=done.pk).update(closed_at=timezone.now(), assignee=admin_user)
    client.force_login(admin_user)
    response = client.get(reverse("queues_dashboard"))
    figures = {q.key: q for q in response.context["queues"]}
    assert (figures["verification"].depth, figures["verification"].breached) == (2, 2)
    assert figures["verification"].auto_rejection_rate == pytest.approx(1 / 3)
    assert (figures["support"].depth, figures["support"].unassigned) == (3, 3)
    assert figures["support"].per_reviewer == [(admin_user.username, 1)]
    assert sum(n for _day, n in figures["support"].per_day) == 1
    assert figures["appeals"].depth == 0
    breached = client.get(figures["verification"].links["breached"])
    assert len(_ids(breached)) == 2
    assert len(_ids(client.get(figures["support"].links["depth"]))) == 3
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("queues_dashboard"), {"format": "csv"}).content.decode())))
    summary = {row[0]: row for row in rows[1:] if row[7] == "summary"}
    assert summary["verification"][1:4] == ["2", "2", "2"]
    assert summary["support"][1] == "3"
    assert ["support", "", "", "", "", "", "", "decided_by", admin_user.username, "1"] in rows


def test_dashboard_shows_only_the_queues_a_user_may_open(client, reviewer, active_user):
    client.force_login(reviewer)
    keys = [q.key for q in client.get(reverse("queues_dashboard")).context["queues"]]
    assert keys == ["verification"]
    client.force_login(active_user)
    assert client.get(reverse("queues_dashboard")).status_code == 302  # admin sign-in


def test_mine_is_what_i_am_assigned_or_hold_and_history_only_with_all(client, admin_user,
                                                                       reviewer):
    assigned, claimed, elsewhere = _conversations(3)
    (history,) = _conversations(1, state=Appeal.State.CLOSED, start=10)
    Appeal.objects.filter(pk__in=[assigned.pk, history.pk]).update(assignee=admin_user)
    Appeal.objects.filter(pk=claimed.pk).update(assignee=reviewer, claimed_by=admin_user,
                                                claimed_at=timezone.now())
    Appeal.objects.filter(pk=elsewhere.pk).update(assignee=reviewer)
    client.force_login(admin_user)
    assert set(_ids(client.get(APPEALS, {"who": "mine"}))) == {assigned.pk, claimed.pk}
    assert set(_ids(client.get(APPEALS, {"who": "mine", "open": "all"}))) == {
        assigned.pk, claimed.pk, history.pk}
    assert _ids(client.get(APPEALS, {"who": "mine", "open": "no"})) == [history.pk]

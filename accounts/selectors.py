"""Reads that span relations, shaped for the pages that show them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from .models import Account, Hold, Notice, SignInRecord, StatusEvent
from .reasons import SECURITY_REASONS

TIMELINE_LENGTH = 50
VERIFICATION_HISTORY = 5
WAIT_WINDOW = timedelta(days=7)
Kind = StatusEvent.Kind
# The newest time of each of these is what the cards' steps and checklists need.
SECURITY_EVENT_KINDS = (Kind.PASSWORD_CHANGED, Kind.ACCOUNT_SECURED, Kind.SESSIONS_ENDED,
                        Kind.SECURITY_CHECKLIST_DONE, Kind.VERIFICATION_APPROVED)


@dataclass
class StatusPage:
    """Everything the status page shows, read in a fixed number of queries."""

    account: Account
    holds: list[Hold]
    events: list[StatusEvent]
    lifted_security_holds: list[Hold] = field(default_factory=list)
    cases: list = field(default_factory=list)  # appeals.Appeal, every kind
    verifications: list[dict] = field(default_factory=list)  # newest first
    latest: dict[str, datetime | None] = field(default_factory=dict)  # event kind → newest
    two_step_on: bool = False
    appeal_waits: dict[str, timedelta] = field(default_factory=dict)  # reason → median
    verification_wait: timedelta | None = None
    now: datetime = field(default_factory=timezone.now)


def account_active_holds(account: Account) -> list[Hold]:
    """Return the active holds, most severe first, in one query."""
    holds = list(Hold.objects.active().filter(account=account).order_by("placed_at", "pk"))
    rank = {"banned": 0, "frozen": 1, "restricted": 2}
    return sorted(holds, key=lambda hold: rank[hold.level])


def account_timeline(account: Account, *, limit: int = TIMELINE_LENGTH) -> list[StatusEvent]:
    """Return the owner-visible events, newest first, in one query."""
    events = (
        StatusEvent.objects.filter(account=account)
        .exclude(kind__in=StatusEvent.STAFF_ONLY_KINDS)
        .select_related("hold", "acting_user")  # the staff case page names who acted
        .order_by("-at", "-pk")[:limit]
    )
    return list(events)


def status_page(account: Account, *, now: datetime | None = None) -> StatusPage:
    """Everything the status page shows, in a fixed number of queries, whatever the
    number of holds and cases: holds (active, and security holds lifted lately),
    timeline, cases, verifications, the newest security and remedy events, and,
    only when something waits for a reviewer, the measured waits (one query each).
    """
    from appeals.models import Appeal
    from appeals.selectors import expected_waits, status_cases

    now = now or timezone.now()
    active, lifted = _holds_for_status(account, now)
    page = StatusPage(account=account, holds=active, events=account_timeline(account),
                      lifted_security_holds=lifted, now=now)
    page.cases = status_cases(account, [hold.pk for hold in active])
    page.verifications = _verifications(account)
    page.latest, page.two_step_on = _security_facts(account)
    waiting = {case.reason for case in page.cases
               if case.kind == Appeal.Kind.APPEAL and case.state in (Appeal.State.SUBMITTED,
                                                                     Appeal.State.IN_REVIEW)}
    if waiting:
        page.appeal_waits = expected_waits(sorted(waiting), now=now)
    if page.verifications and page.verifications[0]["state"] == "in_review":
        page.verification_wait = verification_review_wait(now=now)
    return page


def _holds_for_status(account: Account, now: datetime) -> tuple[list[Hold], list[Hold]]:
    """Active holds, and security holds lifted within the checklist period, in one query."""
    since = now - timedelta(days=settings.PORTAL_SECURITY_CHECKLIST_DAYS)
    holds = list(Hold.objects.filter(account=account).filter(
        Q(lifted_at__isnull=True) | Q(reason__in=SECURITY_REASONS, lifted_at__gte=since))
        .order_by("placed_at", "pk"))
    return ([hold for hold in holds if hold.is_active],
            sorted((hold for hold in holds if not hold.is_active),
                   key=lambda hold: hold.lifted_at or hold.placed_at, reverse=True))


def _verifications(account: Account) -> list[dict]:
    from verification.models import VerificationRequest

    return list(dict(row) for row in VerificationRequest.objects.filter(account=account)
                .order_by("-created_at", "-pk")
                .values("pk", "state", "created_at", "submitted_at", "decided_at",
                        "decision_reason", "decision_message", "sla_due_at")
                [:VERIFICATION_HISTORY])


def _security_facts(account: Account) -> tuple[dict[str, datetime | None], bool]:
    """The newest time of each security and remedy event, and whether two-step is on."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    newest = {
        f"newest_{kind}": Subquery(
            StatusEvent.objects.filter(account=OuterRef("pk"), kind=kind)
            .order_by("-at").values("at")[:1])
        for kind in SECURITY_EVENT_KINDS
    }
    device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    row = (Account.objects.filter(pk=account.pk)
           .annotate(two_step=Exists(device), **newest)
           .values("two_step", *newest).get())
    return {kind: row[f"newest_{kind}"] for kind in SECURITY_EVENT_KINDS}, row["two_step"]


def verification_review_wait(*, now: datetime) -> timedelta | None:
    """The median time from submission to a reviewer's decision over the last 7 days."""
    from verification.models import VerificationRequest

    decided = VerificationRequest.objects.filter(
        state__in=["approved", "rejected"], decided_by__isnull=False,
        decided_at__gte=now - WAIT_WINDOW, submitted_at__isnull=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY EXTRACT(EPOCH FROM decided_at - submitted_at)) "
                f"FROM {VerificationRequest._meta.db_table} WHERE state IN ('approved', "
                "'rejected') AND decided_by_id IS NOT NULL AND decided_at >= %s "
                "AND submitted_at IS NOT NULL", [now - WAIT_WINDOW])
            (seconds,) = cursor.fetchone()
        return None if seconds is None else timedelta(seconds=float(seconds))
    durations = [(done - sent).total_seconds()
                 for sent, done in decided.values_list("submitted_at", "decided_at")[:2000]
                 if sent and done]
    return timedelta(seconds=statistics.median(durations)) if durations else None


def account_sign_ins(account: Account) -> list[SignInRecord]:
    return list(SignInRecord.objects.filter(account=account)
                .order_by("-at", "-pk")[:settings.PORTAL_SIGN_INS_SHOWN])


def unread_notice_count(account: Account) -> int:
    return Notice.objects.filter(account=account, read_at__isnull=True).count()


def account_notices(account: Account) -> QuerySet[Notice]:
    return Notice.objects.filter(account=account).order_by("-created_at", "-pk")

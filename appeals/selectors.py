"""Reads for the owner's pages and the staff queue.

Everything the owner can load goes through ``owner_*`` functions, which
filter internal notes out at the query, so no template can leak one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Account, StatusEvent
from accounts.staff_views import CaseFacts, file_access_refusal

from .models import Appeal, Attachment, Macro, Message

EXPECTED_WAIT_WINDOW = timedelta(days=7)
EXPECTED_WAIT_SAMPLE = 2000


def owner_appeals(account: Account) -> QuerySet[Appeal]:
    """The owner's appeals, newest first."""
    return Appeal.objects.filter(account=account).order_by("-created_at", "-pk")


def owner_appeal(account: Account, pk: int) -> Appeal:
    """The owner's appeal or 404 (the same 404 whether it exists or not)."""
    return get_object_or_404(Appeal.objects.select_related("hold"), pk=pk, account=account)


def owner_messages(appeal: Appeal) -> list[Message]:
    """The thread as the owner sees it: no internal notes, oldest first."""
    attachments = Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    return list(appeal.messages.filter(internal=False).select_related("author")
                .prefetch_related(attachments).order_by("created_at", "pk"))


def owner_attachment(account: Account, appeal_pk: int, pk: int) -> Attachment:
    """An attachment the owner may download, or 404: never one on an internal note."""
    return get_object_or_404(Attachment.objects.select_related("appeal"), pk=pk,
                             appeal_id=appeal_pk, appeal__account=account,
                             message__internal=False)


def staff_messages(appeal: Appeal) -> list[Message]:
    """The whole thread, notes included, for staff."""
    return list(appeal.messages.select_related("author").prefetch_related("attachments")
                .order_by("created_at", "pk"))


@dataclass
class Step:
    label: str
    at: datetime
    kind: str


def appeal_steps(appeal: Appeal) -> list[Step]:
    """The case's events (filed, in review, asked, replied, decided, …), oldest first."""
    from .services.common import CASE_EVENT_KINDS

    events = (StatusEvent.objects.filter(account_id=appeal.account_id, data__appeal=appeal.pk,
                                         kind__in=CASE_EVENT_KINDS)
              .exclude(kind__in=StatusEvent.STAFF_ONLY_KINDS).order_by("at", "pk"))
    return [Step(label=e.get_kind_display(), at=e.at, kind=e.kind) for e in events]


def owner_thread_version(appeal: Appeal) -> str:
    """What changes when the owner's page should: the state and the newest visible message."""
    newest = (appeal.messages.filter(internal=False).order_by("-pk")
              .values_list("pk", flat=True).first())
    return f"{appeal.state}:{newest or 0}"


def status_cases(account: Account, hold_ids: list[int]) -> list[Appeal]:
    """The cases the status page shows, in one query: every case on the given holds,
    and the owner's open support conversations about no hold; oldest first."""
    general = Q(hold__isnull=True, state__in=Appeal.OPEN_STATES)
    return list(Appeal.objects.filter(account=account).filter(Q(hold_id__in=hold_ids) | general)
                .order_by("created_at", "pk"))


def expected_waits(reasons: list[str], *, now: datetime | None = None) -> dict[str, timedelta]:
    """The median time to a decision of each reason's appeals (last 7 days), one query."""
    reasons = sorted(set(reasons))
    if not reasons:
        return {}
    now = now or timezone.now()
    decided = Appeal.objects.filter(reason__in=reasons, decided_at__gte=now - EXPECTED_WAIT_WINDOW,
                                    decided_at__lte=now, kind=Appeal.Kind.APPEAL)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reason, percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY EXTRACT(EPOCH FROM decided_at - created_at)) "
                f"FROM {Appeal._meta.db_table} WHERE reason = ANY(%s) AND kind = %s "
                "AND decided_at IS NOT NULL AND decided_at >= %s AND decided_at <= %s "
                "GROUP BY reason",
                [reasons, Appeal.Kind.APPEAL, now - EXPECTED_WAIT_WINDOW, now])
            return {reason: timedelta(seconds=float(seconds))
                    for reason, seconds in cursor.fetchall()}
    durations: dict[str, list[float]] = {}
    for reason, created, done in decided.values_list("reason", "created_at", "decided_at")[
            :EXPECTED_WAIT_SAMPLE]:
        durations.setdefault(reason, []).append((done - created).total_seconds())
    return {reason: timedelta(seconds=statistics.median(values))
            for reason, values in durations.items()}


def expected_wait(reason: str, *, now: datetime | None = None) -> timedelta | None:
    """Median time from filing to decision for ``reason`` over the last 7 days.

    Computed from real decisions: in SQL on PostgreSQL, else over a bounded
    sample in Python. None when there were no decisions to learn from.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return expected_wait_sql(reason, now=now)
    return expected_wait_python(reason, now=now)


def expected_wait_sql(reason: str, *, now: datetime) -> timedelta | None:
    """The exact median, computed by PostgreSQL's ``percentile_cont`` over the index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY EXTRACT(EPOCH FROM decided_at - created_at)) "
            f"FROM {Appeal._meta.db_table} "
            "WHERE reason = %s AND decided_at IS NOT NULL AND decided_at >= %s "
            "AND decided_at <= %s",
            [reason, now - EXPECTED_WAIT_WINDOW, now])
        (seconds,) = cursor.fetchone()
    return None if seconds is None else timedelta(seconds=float(seconds))


def expected_wait_python(reason: str, *, now: datetime) -> timedelta | None:
    """The median of the newest decisions (a bounded sample), for databases without it."""
    pairs = (Appeal.objects.filter(reason=reason, decided_at__gte=now - EXPECTED_WAIT_WINDOW,
                                   decided_at__lte=now)
             .order_by("-decided_at").values_list("created_at", "decided_at")
             [:EXPECTED_WAIT_SAMPLE])
    durations = [(decided - created).total_seconds() for created, decided in pairs]
    return timedelta(seconds=statistics.median(durations)) if durations else None

def evidence_refusal(appeal: Appeal, user: Account, now=None) -> ValidationError | None:
    """Return why ``user`` may not open the appeal's evidence, or None if they may."""
    now = now or timezone.now()
    until = appeal.claimed_at and appeal.claimed_at + settings.PORTAL_APPEAL_CLAIM_TIMEOUT
    claimed = appeal.claimed_by if appeal.claimed_by_id and until and until > now else None
    return file_access_refusal(user, CaseFacts(
        submitted=True, in_queue=appeal.is_open, state_label=appeal.get_state_display(),
        claimed_by=claimed, claimed_until=until,
    ))


def case_macros(appeal: Appeal) -> list[dict]:
    """The reviewed canned replies for this kind of case, in the owner's language."""
    kind = Macro.Kind.SUPPORT if appeal.kind == Appeal.Kind.SUPPORT else Macro.Kind.APPEAL
    macros = Macro.objects.filter(kind=kind, active=True, approved_by__isnull=False)
    language = appeal.account.language
    return [{"pk": m.pk, "title": m.title, "body": m.body_for(language)} for m in macros]


def next_open_cases(user: Account, *, exclude: int = 0,
                    now: datetime | None = None) -> list[int]:
    """Open cases this person could take next, due first: theirs or nobody's, unclaimed."""
    now = now or timezone.now()
    lapsed = now - settings.PORTAL_APPEAL_CLAIM_TIMEOUT
    free = Q(claimed_by__isnull=True) | Q(claimed_at__lte=lapsed) | Q(claimed_by=user)
    return list(Appeal.objects.filter(free, Q(assignee__isnull=True) | Q(assignee=user),
                                      state__in=Appeal.OPEN_STATES)
                .exclude(pk=exclude).order_by("sla_due_at", "-priority", "pk")
                .values_list("pk", flat=True)[:5])

"""Reads that span relations, shaped for the pages that show them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from . import db
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
    older_events: int | None = None  # the cursor of the next page of the timeline
    paged: bool = False  # the timeline shows an older page, not the newest
    lifted_security_holds: list[Hold] = field(default_factory=list)
    cases: list = field(default_factory=list)  # appeals.Appeal, every kind
    verifications: list[dict] = field(default_factory=list)  # newest first
    latest: dict[str, datetime | None] = field(default_factory=dict)  # event kind → newest
    two_step_on: bool = False
    unread_notices: int = 0  # the bell's count, read with the security facts
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
    return timeline_page(account, limit=limit)[0]


def timeline_cursor(value: str | None) -> int | None:
    """A timeline page's cursor from the address (an event id), or None if absent or bad."""
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def timeline_page(account: Account, *, limit: int = TIMELINE_LENGTH, before: int | None = None,
                  staff: bool = False) -> tuple[list[StatusEvent], int | None]:
    """One page of the timeline, newest first, and the cursor of the next (older) page.

    Paged by key (the event ``before`` which to start), not by offset, so the
    oldest page of an account with 10,000 events costs what the newest does:
    one index range on ``(account, at)``. ``staff`` includes the staff-only
    kinds (the admin's account page). The cursor is None on the last page.
    """
    events = StatusEvent.objects.filter(account=account)
    if not staff:
        events = events.exclude(kind__in=StatusEvent.STAFF_ONLY_KINDS)
    if before is not None:
        start = StatusEvent.objects.filter(account=account, pk=before).values("at")
        events = events.filter(at__lte=Subquery(start)).filter(
            Q(at__lt=Subquery(start)) | Q(pk__lt=before))
    if staff:  # staff pages name who acted
        events = events.select_related("hold", "acting_user")
    else:  # only what ``event_text`` and the owner's page read, not who acted
        events = events.select_related("hold").only(
            "pk", "kind", "at", "data", "hold_id", "hold__reason")
    rows = list(events.order_by("-at", "-pk")[:limit + 1])
    older = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], older


def status_page(account: Account, *, now: datetime | None = None,
                before: int | None = None) -> StatusPage:
    """Everything the status page shows, in a fixed number of queries, whatever the
    number of holds and cases: holds (active, and security holds lifted lately),
    timeline, cases, verifications, the newest security and remedy events, and,
    only when something waits for a reviewer, the measured waits (one query each).
    """
    from appeals.models import Appeal
    from appeals.selectors import expected_waits, status_cases

    now = now or timezone.now()
    active, lifted = _holds_for_status(account, now)
    events, older = timeline_page(account, before=before)
    page = StatusPage(account=account, holds=active, events=events, older_events=older,
                      paged=before is not None, lifted_security_holds=lifted, now=now)
    page.cases = status_cases(account, [hold.pk for hold in active])
    page.verifications = _verifications(account)
    page.latest, page.two_step_on, page.unread_notices = _security_facts(account)
    waiting = {case.reason for case in page.cases
               if case.kind == Appeal.Kind.APPEAL and case.state in (Appeal.State.SUBMITTED,
                                                                     Appeal.State.IN_REVIEW)}
    if waiting:
        reasons = sorted(waiting)
        page.appeal_waits = cached_wait("appeals:" + ",".join(reasons),
                                        lambda: expected_waits(reasons, now=now))
    if page.verifications and page.verifications[0]["state"] == "in_review":
        page.verification_wait = cached_wait("verification",
                                             lambda: verification_review_wait(now=now))
    return page


WAIT_CACHE_PREFIX = "portal:waits:v1:"


def cached_wait(key: str, compute):
    """A measured wait, recomputed at most every ``PORTAL_WAIT_CACHE_SECONDS``.

    The medians read every decision of the last week: on a busy site that is
    hundreds of thousands of rows, too many for each status page, while the
    answer moves slowly. 0 turns the cache off (the tests).
    """
    from django.core.cache import cache

    ttl = settings.PORTAL_WAIT_CACHE_SECONDS
    if not ttl:
        return compute()
    hit = cache.get(WAIT_CACHE_PREFIX + key)
    if hit is not None:
        return hit[0]  # stored in a 1-tuple, so that "no wait known" (None) is cached too
    value = compute()
    cache.set(WAIT_CACHE_PREFIX + key, (value,), ttl)
    return value


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

    rows = [dict(row) for row in VerificationRequest.objects.filter(account=account)
            .order_by("-created_at", "-pk")
            .values("pk", "state", "created_at", "submitted_at", "decided_at",
                    "decision_reason", "decision_message", "sla_due_at", "redo_parts")
            [:VERIFICATION_HISTORY]]
    for row in rows:  # what a retry asks again, in words (the card names it)
        parts: list[str] = row["redo_parts"] or []  # type: ignore[assignment]
        row["redo"] = [str(VerificationRequest.Part(part).label) for part in parts]
    return rows



def _security_facts(account: Account) -> tuple[dict[str, datetime | None], bool, int]:
    """The newest time of each security and remedy event, whether two-step is on, and
    the unread notices, in one query.

    Plain SQL: it runs on every status page, and building it with the ORM (a
    subquery per event kind) cost more CPU than the rest of the page's queries
    together. Every part is an indexed lookup on the account.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    event_table, notice_table = StatusEvent._meta.db_table, Notice._meta.db_table
    newest = ", ".join(
        f"(SELECT MAX(at) FROM {event_table} WHERE account_id = %s AND kind = %s)"
        for _kind in SECURITY_EVENT_KINDS)
    sql = (f"SELECT EXISTS(SELECT 1 FROM {TOTPDevice._meta.db_table} "
           "WHERE user_id = %s AND confirmed = %s), "
           f"(SELECT COUNT(*) FROM {notice_table} WHERE account_id = %s AND read_at IS NULL), "
           f"{newest}")
    params: list[int | bool | str] = [account.pk, True, account.pk]
    for kind in SECURITY_EVENT_KINDS:
        params += [account.pk, str(kind)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        two_step, unread, *times = cursor.fetchone()
    times = [_as_datetime(value) for value in times]
    return dict(zip(SECURITY_EVENT_KINDS, times, strict=True)), bool(two_step), unread


def _as_datetime(value) -> datetime | None:
    """A raw ``MAX(at)`` as the ORM would give it (SQLite answers text, naive UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


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


def status_page_tables() -> dict[str, str]:
    """Each table the status page reads about its owner → the column naming the owner.

    ``status_page_fingerprint`` covers exactly these; a test checks that the
    page reads no other table, so a new query cannot serve a stale page.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from appeals.models import Appeal
    from verification.models import VerificationRequest

    return {
        Account._meta.db_table: "id",
        Hold._meta.db_table: "account_id",
        StatusEvent._meta.db_table: "account_id",
        Appeal._meta.db_table: "account_id",
        VerificationRequest._meta.db_table: "account_id",
        TOTPDevice._meta.db_table: "user_id",
        Notice._meta.db_table: "account_id",
    }


def status_page_fingerprint(account: Account) -> tuple[str, int] | None:
    """A digest of every row the status page shows of ``account``, and the unread
    notices, in one query; None where the database cannot make it (SQLite).

    The digest is of the rows' whole text, so any insert, update or delete
    changes it, whoever made it and however (a service, the admin, a bulk
    UPDATE); status events are append-only (enforced in PostgreSQL), so
    their count and newest id stand for them. What the page computes from
    other accounts' rows (the expected waits) and from the clock is bounded
    by the cache's lifetime instead (``PORTAL_STATUS_PAGE_CACHE_SECONDS``).
    """
    if connection.vendor != "postgresql":
        return None
    parts, params = [], []
    for table, owner in status_page_tables().items():
        if table == StatusEvent._meta.db_table:
            parts.append(f"(SELECT COUNT(*) || ':' || COALESCE(MAX(t.id), 0) FROM {table} t "
                         f"WHERE t.{owner} = %s)")
        elif table == Notice._meta.db_table:
            continue  # only the unread count is shown (the last column)
        else:
            parts.append(f"(SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) "
                         f"FROM {table} t WHERE t.{owner} = %s)")
        params.append(account.pk)
    digest_sql = " || '/' || ".join(parts)
    sql = (f"SELECT {digest_sql}, (SELECT COUNT(*) FROM {Notice._meta.db_table} "
           "WHERE account_id = %s AND read_at IS NULL)")
    # Prepared: planning these subqueries costs more than running them (accounts/db.py).
    row = db.fetch_one(sql, [*params, account.pk])
    assert row is not None  # a SELECT without FROM: always one row
    digest, unread = row
    return digest, unread

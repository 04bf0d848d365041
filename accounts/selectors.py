"""Reads that span relations, shaped for the pages that show them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Account, Hold, Notice, StatusEvent

TIMELINE_LENGTH = 50


@dataclass
class StatusPage:
    account: Account
    holds: list[Hold]
    events: list[StatusEvent]


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


def status_page(account: Account) -> StatusPage:
    """Everything the status page shows, in a fixed number of queries."""
    return StatusPage(
        account=account, holds=account_active_holds(account), events=account_timeline(account)
    )


def unread_notice_count(account: Account) -> int:
    return Notice.objects.filter(account=account, read_at__isnull=True).count()


def account_notices(account: Account) -> QuerySet[Notice]:
    return Notice.objects.filter(account=account).order_by("-created_at", "-pk")

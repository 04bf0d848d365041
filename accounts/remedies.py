"""Holds that need several remedies (``Reason.all_remedies_required``): which steps
the owner has done, read from the account's own event log.

A step counts when it happened after the hold was placed: a verification
approved, the account secured (``accounts.services.security``), an appeal
filed on the hold. Pure functions of what was read, shared by the status
page (which reads once for every card) and the appeals listener that sends
a completed checklist to the staff queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Q

from .models import Hold, StatusEvent
from .reasons import Remedy

Kind = StatusEvent.Kind
# The event that proves each remedy that the log can prove.
REMEDY_EVENTS = {Remedy.VERIFY: Kind.VERIFICATION_APPROVED, Remedy.SECURE: Kind.ACCOUNT_SECURED}


@dataclass(frozen=True)
class Step:
    remedy: str
    done_at: datetime | None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def label(self) -> str:
        return str(Remedy(self.remedy).label)


def needs_several(hold: Hold) -> bool:
    reason = hold.catalog
    return reason.all_remedies_required and len(reason.remedies) > 1


def remedy_steps(
    hold: Hold, *, latest: dict[str, datetime | None], appealed_at: datetime | None = None,
) -> list[Step]:
    """The hold's remedies in catalog order, each done or not.

    ``latest`` maps an event kind to its newest time on the account;
    ``appealed_at`` is when an appeal on this hold was filed (open or accepted).
    """
    steps = []
    for remedy in hold.catalog.remedies:
        if remedy == Remedy.APPEAL:
            at = appealed_at
        else:
            at = latest.get(REMEDY_EVENTS.get(remedy, ""))
        steps.append(Step(remedy, at if at is not None and at > hold.placed_at else None))
    return steps


def latest_remedy_events(account_id: int) -> dict[str, datetime | None]:
    """The newest time of each remedy event of the account, in one query."""
    aggregates = {kind: Max("at", filter=Q(kind=kind)) for kind in REMEDY_EVENTS.values()}
    return StatusEvent.objects.filter(account_id=account_id).aggregate(**aggregates)

"""Sweeps run by beat, and the listener that closes appeals of lifted holds."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import listeners
from accounts.models import Hold, StatusEvent

from ..models import Appeal
from .common import (
    _event,
    _lock,
    _move,
    _notify_owner,
)
from .decisions import appeal_close, appeal_escalate, appeal_remind
from .filing import appeal_triage

logger = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=5)
State = Appeal.State
Kind = StatusEvent.Kind


def _each(pks: Iterable[int], action) -> int:
    """Run ``action`` per appeal in its own transaction; skip ones that moved on."""
    done = 0
    for pk in list(pks):
        try:
            if action(pk) is not False:
                done += 1
        except ValidationError as error:
            logger.info("Skipped appeal %s: %s", pk, error.messages)
    return done


def appeals_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate every open appeal past its SLA that is not escalated yet."""
    now = now or timezone.now()
    due = Appeal.objects.filter(state__in=Appeal.OPEN_STATES, escalated_at__isnull=True,
                                sla_due_at__lte=now).values_list("pk", flat=True)
    return _each(due, lambda pk: appeal_escalate(appeal=pk, acting_user=None, now=now))


def appeals_remind_silent(*, now: datetime | None = None) -> int:
    """Remind owners who have not answered a question for the reminder period."""
    now = now or timezone.now()
    due = Appeal.objects.filter(
        state=State.AWAITING_USER, reminded_at__isnull=True,
        awaiting_since__lte=now - settings.PORTAL_APPEAL_REMIND_AFTER).values_list("pk", flat=True)
    return _each(due, lambda pk: appeal_remind(appeal=pk, now=now))


def appeals_close_abandoned(*, now: datetime | None = None) -> int:
    """Close appeals left waiting for the owner, and decided ones, after the close period."""
    now = now or timezone.now()
    cutoff = now - settings.PORTAL_APPEAL_CLOSE_AFTER
    silent = Appeal.objects.filter(state=State.AWAITING_USER, awaiting_since__lte=cutoff)
    decided = Appeal.objects.filter(state__in=[State.ACCEPTED, State.REJECTED],
                                    decided_at__lte=cutoff)
    found = [*silent.values_list("pk", flat=True), *decided.values_list("pk", flat=True)]
    return _each(found, lambda pk: appeal_close_if_abandoned(appeal=pk, now=now))


@transaction.atomic
def appeal_close_if_abandoned(*, appeal: Appeal | int, now: datetime) -> bool:
    """Close an appeal the sweep found, if it still qualifies under the lock:
    the owner may have answered (or staff asked again) since the sweep's query."""
    appeal = _lock(appeal)
    cutoff = now - settings.PORTAL_APPEAL_CLOSE_AFTER
    if appeal.state == State.AWAITING_USER and appeal.awaiting_since and (
            appeal.awaiting_since <= cutoff):
        note = "no answer from the user"
    elif appeal.state in (State.ACCEPTED, State.REJECTED) and appeal.decided_at and (
            appeal.decided_at <= cutoff):
        note = "decided; archived"
    else:
        return False
    appeal_close(appeal=appeal, acting_user=None, note=note, now=now)
    return True


def appeals_close_for_lifted_hold(hold: Hold, *, now: datetime | None = None) -> int:
    """Close the open appeals of a hold that was lifted some other way.

    A hold cleared by verification, by staff or by expiry leaves nothing to
    decide; the owner is told the limit is gone.
    """
    if hold.is_active or hold.lift_reason in (Hold.LiftReason.APPEAL_ACCEPTED,
                                              Hold.LiftReason.REMEDIES_COMPLETED):
        return 0
    # A support conversation stays open: the owner may still have questions.
    pks = (Appeal.objects.filter(hold=hold, state__in=Appeal.OPEN_STATES)
           .exclude(kind=Appeal.Kind.SUPPORT).values_list("pk", flat=True))
    return _each(pks, lambda pk: _appeal_close_resolved(appeal=pk, hold=hold, now=now))


@listeners.listen(StatusEvent.Kind.HOLD_LIFTED)
def appeals_close_on_hold_lifted(event: StatusEvent) -> int:
    """Event listener: a hold was lifted, so its open appeals close."""
    return appeals_close_for_lifted_hold(event.hold) if event.hold is not None else 0


@transaction.atomic
def _appeal_close_resolved(*, appeal: Appeal | int, hold: Hold, now: datetime | None) -> bool:
    appeal = _lock(appeal)
    if appeal.state not in Appeal.OPEN_STATES:
        return False  # decided or closed meanwhile
    _move(appeal, State.CLOSED)
    appeal.closed_at, appeal.claimed_by, appeal.claimed_at = now or timezone.now(), None, None
    appeal.save(update_fields=["state", "closed_at", "claimed_by", "claimed_at"])
    _event(appeal, Kind.APPEAL_CLOSED, None, note="hold lifted", lift_reason=hold.lift_reason)
    _notify_owner(appeal, "closed_lifted")
    return True


def appeals_triage_pending(*, now: datetime | None = None) -> int:
    """Triage appeals whose triage task was lost (e.g. the broker was down)."""
    now = now or timezone.now()
    stuck = Appeal.objects.filter(triaged_at__isnull=True, state__in=Appeal.OPEN_STATES,
                                  created_at__lte=now - STUCK_AFTER).values_list("pk", flat=True)
    return _each(stuck, lambda pk: appeal_triage(appeal=pk, now=now))

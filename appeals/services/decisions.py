"""Decisions, escalation, reminders and closing."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import notice_texts as nt
from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent
from accounts.permissions import may_lift

from ..models import MESSAGE_MAX_LENGTH, Appeal, Message
from .claims import _require_open, _require_staff, _take_claim
from .common import (
    _event,
    _least_busy,
    _lock,
    _message,
    _move,
    _notify,
    _notify_owner,
    _text_or_error,
)

State = Appeal.State
Kind = StatusEvent.Kind


@transaction.atomic
def appeal_decide(
    *, appeal: Appeal, acting_user: Account, decision: str, message: str,
    now: datetime | None = None,
) -> Appeal:
    """Accept (lift the hold) or reject (keep it) with a message to the owner."""
    now = now or timezone.now()
    _require_staff(acting_user)
    if decision not in (Appeal.Decision.ACCEPTED, Appeal.Decision.REJECTED):
        raise ValidationError(_("Choose accept or reject."), code="unknown_decision")
    if not appeal.decides:
        raise ValidationError(_("A support conversation is not accepted or rejected: reply, "
                                "or close it as resolved."), code="not_decidable")
    message = _text_or_error(message, limit=MESSAGE_MAX_LENGTH, field=_("decision message"))
    appeal = _lock(appeal)
    _require_open(appeal)
    _take_claim(appeal, acting_user, now)
    hold = appeal.hold
    assert hold is not None, "cases that decide always contest a hold"
    if decision == Appeal.Decision.ACCEPTED and not may_lift(hold, acting_user=acting_user):
        # hold_lift would refuse too; said here first in the appeal's words.
        raise ValidationError(_("Only a supervisor can accept an appeal against a ban or a "
                                "legal hold. Escalate it instead."), code="needs_supervisor")
    _move(appeal, decision)
    appeal.decision, appeal.decided_at, appeal.decided_by = decision, now, acting_user
    appeal.decision_message = message
    appeal.claimed_by, appeal.claimed_at, appeal.awaiting_since = None, None, None
    appeal.save()
    _message(appeal, author=acting_user, role=Message.Author.STAFF, body=message, now=now)
    if decision == Appeal.Decision.ACCEPTED:
        _event(appeal, Kind.APPEAL_ACCEPTED, acting_user)
        if hold.is_active:
            lift_reason = (Hold.LiftReason.REMEDIES_COMPLETED
                           if appeal.kind == Appeal.Kind.REMEDIES
                           else Hold.LiftReason.APPEAL_ACCEPTED)
            account_services.hold_lift(hold=hold, acting_user=acting_user,
                                       lift_reason=lift_reason, note=str(appeal), by_flow=True)
        _notify_owner(appeal, "accepted", message)
    else:
        _event(appeal, Kind.APPEAL_REJECTED, acting_user)
        _notify_owner(appeal, "rejected", message)
    return appeal


@transaction.atomic
def appeal_escalate(*, appeal: Appeal, acting_user: Account | None, note: str = "",
                    now: datetime | None = None) -> Appeal:
    """Hand an open appeal to the least busy supervisor and tell the supervisors."""
    now = now or timezone.now()
    if acting_user is not None:
        _require_staff(acting_user)
    appeal = _lock(appeal)
    _require_open(appeal)
    if acting_user is not None and not acting_user.has_perm("appeals.supervise_appeal"):
        _take_claim(appeal, acting_user, now)  # refuses if a colleague holds the case
    if appeal.escalated_at is not None:
        if acting_user is None:
            return appeal  # the beat task already did it: nothing to do
        raise ValidationError(_("This appeal was already escalated."), code="already_escalated")
    supervisor = _least_busy(settings.PORTAL_APPEAL_SUPERVISOR_GROUP)
    appeal.escalated_at = now
    if supervisor is not None:
        appeal.assignee = supervisor
    appeal.claimed_by, appeal.claimed_at = None, None
    appeal.save(update_fields=["escalated_at", "assignee", "claimed_by", "claimed_at"])

    reason = "overdue" if acting_user is None else "manual"
    why = _escalation_why(appeal, reason, note.strip())
    why_here = why if isinstance(why, str) else why.render()
    _message(appeal, author=acting_user, role=Message.Author.STAFF, internal=True,
             body=_("Escalated: %(why)s") % {"why": why_here}, now=now)
    _event(appeal, Kind.APPEAL_ESCALATED, acting_user, reason=reason,
           sla_due_at=appeal.sla_due_at.isoformat())
    url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    title = nt.text(gettext_noop("%(case)s escalated to supervisors"),
                    case=nt.nested(_case_name(appeal)))
    for staff in Account.objects.filter(groups__name=settings.PORTAL_APPEAL_SUPERVISOR_GROUP,
                                        is_active=True):
        _notify(staff, title, why, url)
    return appeal


def _escalation_why(appeal: Appeal, reason: str, note: str) -> nt.Text | str:
    """Why the case went up, as it happened: the sweep's overdue SLA, or a person's
    escalation (their note sent as written; the fixed texts in each reader's language)."""
    if reason == "overdue":
        return nt.text(gettext_noop("The answer is overdue (due %(due)s)."),
                       due=nt.when(appeal.sla_due_at))
    return note or nt.text(gettext_noop("escalated by a staff member, without a note."))


def _case_name(appeal: Appeal):
    names: dict[str, str] = {
        Appeal.Kind.SUPPORT: gettext_noop("Support conversation #%(pk)s"),
        Appeal.Kind.REMEDIES: gettext_noop("Remedies review #%(pk)s"),
    }
    return nt.text(names.get(appeal.kind, gettext_noop("Appeal #%(pk)s")), pk=appeal.pk)


@transaction.atomic
def appeal_remind(*, appeal: Appeal, now: datetime | None = None) -> bool:
    """Remind an owner who has not answered a question; once per question."""
    now = now or timezone.now()
    appeal = _lock(appeal)
    if (appeal.state != State.AWAITING_USER or appeal.reminded_at is not None
            or appeal.awaiting_since is None
            or appeal.awaiting_since + settings.PORTAL_APPEAL_REMIND_AFTER > now):
        return False
    appeal.reminded_at = now
    appeal.save(update_fields=["reminded_at"])
    _event(appeal, Kind.APPEAL_REMINDED, None)
    _notify_owner(appeal, "reminder", answer_by=nt.when(appeal.answer_by))
    return True


@transaction.atomic
def appeal_close(*, appeal: Appeal, acting_user: Account | None, note: str = "",
                 now: datetime | None = None) -> Appeal:
    """Close a decided appeal, or one left waiting for the owner's answer."""
    now = now or timezone.now()
    appeal = _lock(appeal)
    if appeal.state == State.CLOSED:
        return appeal
    _move(appeal, State.CLOSED)
    appeal.closed_at, appeal.claimed_by, appeal.claimed_at = now, None, None
    appeal.save(update_fields=["state", "closed_at", "claimed_by", "claimed_at"])
    _event(appeal, Kind.APPEAL_CLOSED, acting_user, note=note, decision=appeal.decision)
    if not appeal.decision:
        _notify_owner(appeal, "closed_unanswered")
    return appeal


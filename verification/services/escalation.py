"""Escalation to the supervisors: by a reviewer, or by the sweep when the SLA passes.

The reason is recorded as it happened (``EscalationReason``): a reviewer's
escalation is "manual" with their note, the sweep's is "overdue" with the due
time. The supervisors are told by an in-app notice through the outbox.
"""

from __future__ import annotations

import logging
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
from accounts.models import Account, StatusEvent

from ..models import VerificationRequest
from .common import _lock

logger = logging.getLogger(__name__)
State = VerificationRequest.State
Reason = VerificationRequest.EscalationReason


@transaction.atomic
def verification_escalate(
    *, request: VerificationRequest | int, acting_user: Account | None, note: str = "",
    now: datetime | None = None,
) -> VerificationRequest:
    """Hand a case in review to the supervisors; ``acting_user`` None is the SLA sweep."""
    now = now or timezone.now()
    request = _lock(request)
    if request.state != State.IN_REVIEW:
        raise ValidationError(_("Only cases in review can be escalated."), code="not_in_review")
    if request.escalated_at is not None:
        if acting_user is None:
            return request  # escalated already: the sweep has nothing to do
        raise ValidationError(_("This case was already escalated."), code="already_escalated")
    if acting_user is not None and request.is_claimed_by_other(acting_user, now):
        raise ValidationError(_("A colleague holds this case; only they can escalate it."),
                              code="claimed_by_other")
    reason = Reason.OVERDUE if acting_user is None else Reason.MANUAL
    request.escalated_at, request.escalation_reason = now, reason
    request.claimed_by, request.claimed_until = None, None
    request.save(update_fields=["escalated_at", "escalation_reason", "claimed_by",
                                "claimed_until"])
    account_services.event_record(
        account=request.account, kind=StatusEvent.Kind.VERIFICATION_ESCALATED,
        acting_user=acting_user,
        data={"request": request.pk, "reason": reason, "note": note.strip(),
              "sla_due_at": request.sla_due_at.isoformat() if request.sla_due_at else None},
    )
    _tell_supervisors(request, reason, note.strip())
    return request


def _tell_supervisors(request: VerificationRequest, reason: str, note: str) -> None:
    title = nt.text(gettext_noop("Verification #%(pk)s escalated to supervisors"), pk=request.pk)
    if reason == Reason.OVERDUE:
        body = nt.text(gettext_noop("The decision is overdue (due %(due)s)."),
                       due=nt.when(request.sla_due_at or timezone.now()))
    elif note:
        body = nt.text(gettext_noop("Escalated by a reviewer: %(note)s"), note=note)
    else:
        body = nt.text(gettext_noop("Escalated by a reviewer."))
    url = reverse("admin:verification_verificationrequest_change", args=[request.pk])
    for staff in Account.objects.filter(groups__name=settings.PORTAL_APPEAL_SUPERVISOR_GROUP,
                                        is_active=True):
        account_services.notice_send(account=staff, title=title, body=body, url=url)


def verifications_escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate every case in review past its SLA that is not escalated yet."""
    now = now or timezone.now()
    due = list(VerificationRequest.objects.filter(
        state=State.IN_REVIEW, escalated_at__isnull=True, sla_due_at__lte=now,
    ).values_list("pk", flat=True))
    done = 0
    for pk in due:
        try:
            verification_escalate(request=pk, acting_user=None, now=now)
            done += 1
        except ValidationError as error:  # decided meanwhile
            logger.info("Skipped verification %s: %s", pk, error.messages)
    return done

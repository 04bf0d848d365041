"""The automatic checks, run by the worker, and the sweeper that resends lost ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from accounts import services as account_services
from accounts.models import Account, StatusEvent

from .. import checks
from ..models import CheckResult, VerificationRequest
from .common import (
    _enqueue_checks,
    _identity_bound_hold,
    _lock,
    _move,
    _notify,
)

State = VerificationRequest.State
Kind = StatusEvent.Kind


def verification_run_checks(*, request_id: int, now: datetime | None = None) -> str | None:
    """Claim a submitted request, run the checks and route it. Idempotent.

    The claim (``submitted`` → ``checking`` in one UPDATE) makes a second
    delivery of the task a no-op. The CPU work runs outside any transaction.
    """
    now = now or timezone.now()
    claimed = VerificationRequest.objects.filter(pk=request_id, state=State.SUBMITTED).update(
        state=State.CHECKING, checking_started_at=now
    )
    if not claimed:
        return None
    request = VerificationRequest.objects.select_related("account").get(pk=request_id)
    outcomes = checks.run_all(request)
    return _route(request_id, outcomes, now=now)


@transaction.atomic
def _route(request_id: int, outcomes: list[checks.Outcome], *, now: datetime) -> str | None:
    request = _lock(request_id)
    if request.state != State.CHECKING:
        return None
    for o in outcomes:
        CheckResult.objects.update_or_create(
            request=request, name=o.name,
            defaults={"passed": o.passed, "score": o.score, "code": o.code, "detail": o.detail,
                      "created_at": now},
        )
    failed = [o for o in outcomes if not o.passed]
    request.checked_at = now
    bound = any(o.name == "identity_bound" for o in failed)
    under_age = any(o.code == "under_age" for o in failed)
    fixable = [o for o in failed if o.fixable]
    if bound or under_age or fixable:
        reason = (
            VerificationRequest.Decision.IDENTITY_BOUND if bound
            else VerificationRequest.Decision.UNDER_AGE if under_age
            else checks.decision_reason(fixable)  # photo unclear, details mismatch, expired
        )
        shown = [o for o in failed if o.code and o.message()]
        with override(request.account.language):  # stored in the owner's language
            message = "\n".join(dict.fromkeys(o.message() for o in shown))
        _auto_reject(request, reason=reason, message=message, now=now)
    else:
        _to_review(request, failed=failed, now=now)
    return request.state


def _auto_reject(request: VerificationRequest, *, reason: str, message: str, now) -> None:
    _move(request, State.AUTO_REJECTED)
    request.decided_at = now
    request.decision_reason = reason
    request.decision_message = message
    request.save()
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_AUTO_REJECTED, acting_user=None,
        data={"request": request.pk, "reason": reason},
    )
    if reason == VerificationRequest.Decision.IDENTITY_BOUND:
        _identity_bound_hold(request.account)
    _notify(request, approved=False)


def _to_review(request: VerificationRequest, *, failed: list[checks.Outcome], now) -> None:
    _move(request, State.IN_REVIEW)
    priority = 1
    if any(o.name == "reused_photo" for o in failed):
        priority += 2
    if any(o.name == "identity_changed" for o in failed):
        priority += 3
    if request.account.status in (Account.Status.FROZEN, Account.Status.BANNED):
        priority += 1
    request.priority = priority
    hours = (
        settings.PORTAL_VERIFICATION_URGENT_SLA_HOURS if priority >= 3
        else settings.PORTAL_VERIFICATION_SLA_HOURS
    )
    request.sla_due_at = (request.submitted_at or now) + timedelta(hours=hours)
    request.save()
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_IN_REVIEW, acting_user=None,
        data={"request": request.pk, "priority": priority},
    )


def verification_requeue_stuck(*, now: datetime | None = None) -> int:
    """Re-send the checks of requests stuck in submitted, or abandoned in checking.

    A broker outage loses the task of a submitted request; a worker killed
    mid-check leaves one in checking. Both are sent again; the claim keeps it
    to one run.
    """
    now = now or timezone.now()
    stale = now - settings.PORTAL_VERIFICATION_STUCK_AFTER
    with transaction.atomic():
        VerificationRequest.objects.filter(
            state=State.CHECKING, checking_started_at__lt=stale
        ).update(state=State.SUBMITTED)
        pks = list(VerificationRequest.objects.filter(
            state=State.SUBMITTED, submitted_at__lt=stale
        ).values_list("pk", flat=True))
        for pk in pks:
            _enqueue_checks(pk)
    return len(pks)



"""The automatic checks, run by the worker, and the sweeper that resends lost ones."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import override

from accounts import services as account_services
from accounts.models import Account, StatusEvent

from .. import checks, resubmission
from ..models import CheckResult, VerificationRequest
from .common import (
    _enqueue_checks,
    _identity_bound_hold,
    _lock,
    _move,
    _notify,
)

logger = logging.getLogger(__name__)
State = VerificationRequest.State
Kind = StatusEvent.Kind
# The check result recorded when the checks could not run at all.
CHECKS_ERROR = "checks_error"
# Runs of the checks on one submission before a person takes over.
MAX_CHECK_ATTEMPTS = 3


def verification_run_checks(*, request_id: int, now: datetime | None = None) -> str | None:
    """Claim a submitted request, run the checks and route it. Idempotent.

    The claim (``submitted`` → ``checking`` in one UPDATE) makes a second
    delivery of the task a no-op. The CPU work runs outside any transaction.
    A check that raises never leaves the request stuck: it goes to a person
    with the error recorded (a passing database fault is retried instead).
    """
    now = now or timezone.now()
    claimed = VerificationRequest.objects.filter(pk=request_id, state=State.SUBMITTED).update(
        state=State.CHECKING, checking_started_at=now, checks_attempts=F("checks_attempts") + 1
    )
    if not claimed:
        return None
    request = VerificationRequest.objects.select_related("account").get(pk=request_id)
    try:
        outcomes = checks.run_all(request)
    except (OperationalError, InterfaceError):
        _unclaim(request_id)  # the task retries; the sweeper covers a failed unclaim
        raise
    except Exception as error:
        logger.exception("Checks of verification request %s raised", request_id)
        outcomes = [_error_outcome(f"{type(error).__name__}: {error}")]
    return _route(request_id, outcomes, now=now)


def _error_outcome(error: str) -> checks.Outcome:
    """The outcome recorded when the checks could not run: a person decides."""
    return checks.Outcome(CHECKS_ERROR, False, 0.0, detail={"error": error[:500]})


def _unclaim(request_id: int) -> None:
    try:
        VerificationRequest.objects.filter(pk=request_id, state=State.CHECKING).update(
            state=State.SUBMITTED
        )
    except (OperationalError, InterfaceError):
        logger.warning("Could not hand request %s back; the sweeper will", request_id)


@transaction.atomic
def _route(request_id: int, outcomes: list[checks.Outcome], *, now: datetime) -> str | None:
    request = _lock(request_id)
    if request.state != State.CHECKING:
        return None
    for o in outcomes:
        CheckResult.objects.update_or_create(
            request=request, name=o.name,
            defaults={"passed": o.passed, "score": _finite(o.score), "code": o.code,
                      "detail": _json_safe(o.detail), "created_at": now},
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
        redo = resubmission.parts_for_checks(
            o.name for o in failed if o.fixable or o.name == "identity_bound")
        _auto_reject(request, reason=reason, message=message, redo=redo, now=now)
    else:
        _to_review(request, failed=failed, now=now)
    return request.state


def _finite(value: float) -> float:
    """A score that is not a number is no evidence at all: store it as 0."""
    return float(value) if math.isfinite(value) else 0.0


def _json_safe(value):
    """Replace NaN and infinities (which PostgreSQL's JSON refuses) with None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _auto_reject(request: VerificationRequest, *, reason: str, message: str,
                 redo: list[str], now) -> None:
    _move(request, State.AUTO_REJECTED)
    request.decided_at = now
    request.decision_reason = reason
    request.decision_message = message
    request.redo_parts = redo
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
    if any(o.name in ("identity_changed", CHECKS_ERROR) for o in failed):
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

    A message lost by the broker leaves a request in submitted; a worker
    killed mid-check leaves one in checking. Both are sent again, at most once
    per stuck period (a long backlog is not flooded with copies), and the
    claim keeps it to one run. A request whose checks never finish (they kill
    the worker every time) goes to a person after ``MAX_CHECK_ATTEMPTS``.
    """
    now = now or timezone.now()
    period = settings.PORTAL_VERIFICATION_STUCK_AFTER
    stale = now - period
    abandoned = VerificationRequest.objects.filter(
        state=State.CHECKING, checking_started_at__lt=stale
    )
    for pk in list(abandoned.filter(checks_attempts__gte=MAX_CHECK_ATTEMPTS).values_list(
        "pk", flat=True
    )):
        _route(pk, [_error_outcome("the checks did not finish after "
                                   f"{MAX_CHECK_ATTEMPTS} tries")], now=now)
    with transaction.atomic():
        abandoned.filter(checks_attempts__lt=MAX_CHECK_ATTEMPTS).update(state=State.SUBMITTED)
        pks = list(VerificationRequest.objects.filter(
            state=State.SUBMITTED, submitted_at__lt=stale
        ).values_list("pk", flat=True))
        bucket = int(now.timestamp() // period.total_seconds())
        for pk in pks:
            _enqueue_checks(pk, dedupe_key=f"verification-checks:{pk}:resend:{bucket}")
    return len(pks)

"""Staff review: claims, decisions, the identity binding and the audit of image views."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent
from accounts.reasons import reasons_cleared_by_own_verification
from accounts.staff_views import IDENTITY_IMAGES, staff_view_record

from .. import resubmission
from ..models import IdentityBinding, VerificationImage, VerificationRequest
from ..selectors import image_refusal
from .common import (
    _identity_bound_hold,
    _lock,
    _move,
    _notify,
)

State = VerificationRequest.State
Kind = StatusEvent.Kind


def _claim_holder_or_error(request: VerificationRequest, acting_user: Account, now) -> None:
    if request.is_claimed_by_other(acting_user, now):
        raise ValidationError(
            _("%(user)s has claimed this case until %(until)s; you cannot act on it.")
            % {"user": request.claimed_by, "until": timezone.localtime(request.claimed_until)
               .strftime("%H:%M")},
            code="claimed_by_other",
        )


@transaction.atomic
def verification_claim(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Lock the case for ``acting_user`` for the claim timeout (renewing their own claim)."""
    now = now or timezone.now()
    request = _lock(request)
    if request.state != State.IN_REVIEW:
        raise ValidationError(_("Only cases in review can be claimed."), code="not_in_review")
    _claim_holder_or_error(request, acting_user, now)
    request.claimed_by = acting_user
    request.claimed_until = now + settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT
    request.save(update_fields=["claimed_by", "claimed_until"])
    return request


SUPERVISE = "verification.supervise_verificationrequest"


@transaction.atomic
def verification_claim_next(
    *, acting_user: Account, exclude: tuple[int, ...] = (), now: datetime | None = None
) -> VerificationRequest | None:
    """Claim the case due first that nobody else holds, or return None if there is none.

    ``skip_locked`` lets two reviewers press "next" together: each gets a
    different case instead of waiting for, then failing on, the same one.
    """
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=acting_user)
    queue = (VerificationRequest.objects.select_for_update(skip_locked=True)
             .filter(free, state=State.IN_REVIEW).exclude(pk__in=exclude))
    if not acting_user.has_perm(SUPERVISE):
        queue = queue.filter(escalated_at__isnull=True)  # escalated: the supervisors' now
    request = queue.order_by(F("sla_due_at").asc(nulls_last=True), "submitted_at", "pk").first()
    if request is None:
        return None
    request.claimed_by = acting_user
    request.claimed_until = now + settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT
    request.save(update_fields=["claimed_by", "claimed_until"])
    return request


@transaction.atomic
def verification_claim_takeover(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Take a colleague's live claim (supervisors), recorded on the owner's audit trail.

    A reviewer is refused: only a supervisor may end someone else's work on a
    case. With no live claim of a colleague it is an ordinary claim.
    """
    now = now or timezone.now()
    if not acting_user.has_perm(SUPERVISE):
        raise ValidationError(_("Only a supervisor can take over a colleague's claim."),
                              code="not_supervisor")
    request = _lock(request)
    if request.state != State.IN_REVIEW:
        raise ValidationError(_("Only cases in review can be claimed."), code="not_in_review")
    previous = request.claimed_by if request.is_claimed_by_other(acting_user, now) else None
    request.claimed_by = acting_user
    request.claimed_until = now + settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT
    request.save(update_fields=["claimed_by", "claimed_until"])
    if previous is not None:
        account_services.event_record(
            account=request.account, kind=Kind.CLAIM_TAKEN_OVER, acting_user=acting_user,
            data={"request": request.pk, "from": previous.pk, "from_name": str(previous),
                  "to": acting_user.pk},
        )
    return request


@transaction.atomic
def verification_release(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Give the case back to the queue."""
    now = now or timezone.now()
    request = _lock(request)
    _claim_holder_or_error(request, acting_user, now)
    request.claimed_by = None
    request.claimed_until = None
    request.save(update_fields=["claimed_by", "claimed_until"])
    return request


def _lock_for_decision(request, acting_user, now) -> VerificationRequest:
    request = _lock(request)
    if request.state != State.IN_REVIEW:
        raise ValidationError(
            _("This case was already decided (%(state)s).")
            % {"state": request.get_state_display()},
            code="already_decided",
        )
    _claim_holder_or_error(request, acting_user, now)
    return request


@transaction.atomic
def verification_approve(
    *, request: VerificationRequest, acting_user: Account, message: str = "",
    now: datetime | None = None,
) -> VerificationRequest:
    """Approve: bind the identity, lift every hold the verify remedy clears, tell the owner.

    The unique constraint on the identity hash decides a race between two
    accounts with the same number: the loser gets a ValidationError and
    nothing of this transaction is kept.
    """
    now = now or timezone.now()
    request = _lock_for_decision(request, acting_user, now)
    account = Account.objects.select_for_update().get(pk=request.account_id)
    _bind_identity(request, account)
    _move(request, State.APPROVED)
    _decide(request, acting_user, reason="", message=message, now=now)
    account_services.event_record(
        account=account, kind=Kind.IDENTITY_BOUND, acting_user=acting_user,
        data={"document": request.number_masked},
    )
    account_services.event_record(
        account=account, kind=Kind.VERIFICATION_APPROVED, acting_user=acting_user,
        data={"request": request.pk},
    )
    account_services.holds_lift_for_remedy(
        account=account, remedy="verify", lift_reason=Hold.LiftReason.VERIFICATION_APPROVED,
        acting_user=acting_user,
    )
    _lift_failed_attempt_holds(account, acting_user)
    _notify(request, approved=True)
    return request


def _lift_failed_attempt_holds(account: Account, acting_user: Account) -> None:
    """Lift what an earlier failed attempt placed (identity bound elsewhere): the owner
    has now verified with an identity of their own."""
    holds = Hold.objects.active().filter(
        account=account, source=Hold.Source.SYSTEM,
        reason__in=reasons_cleared_by_own_verification()).order_by("pk")
    for hold in holds:
        account_services.hold_lift(
            hold=hold, acting_user=acting_user, by_flow=True,
            lift_reason=Hold.LiftReason.VERIFICATION_APPROVED)


def _bind_identity(request: VerificationRequest, account: Account) -> None:
    """Bind the request's identity to ``account``; never replace a different one.

    Re-verifying with the same identity refreshes the binding; a different
    identity on an already-bound account is refused (``identity_changed``).
    """
    current = IdentityBinding.objects.select_for_update().filter(account=account).first()
    if current is not None and current.identity_hash != request.identity_hash:
        raise ValidationError(
            _("This account is already verified with a different identity (%(document)s). "
              "Approving would replace it, so the case was not approved. Reject it, or ask a "
              "supervisor to resolve the change.") % {"document": current.number_masked},
            code="identity_changed",
        )
    fields = {
        "identity_hash": request.identity_hash, "document_type": request.document_type,
        "number_encrypted": request.number_encrypted, "number_masked": request.number_masked,
        "request": request,
    }
    try:
        with transaction.atomic():
            IdentityBinding.objects.update_or_create(account=account, defaults=fields)
    except IntegrityError:
        raise ValidationError(
            _("This identity is already bound to another account, so it cannot be bound here. "
              "Reject the case with the reason “identity bound to another account”."),
            code="identity_bound",
        ) from None


@transaction.atomic
def verification_reject(
    *, request: VerificationRequest, acting_user: Account, reason: str, message: str = "",
    now: datetime | None = None,
) -> VerificationRequest:
    """Reject with a reason template and a message; the owner may resubmit."""
    now = now or timezone.now()
    if reason not in VerificationRequest.Decision.values:
        raise ValidationError(_("Choose a reason."), code="unknown_reason")
    if reason == VerificationRequest.Decision.REUPLOAD:
        raise ValidationError(_("To ask for one part again, use “Ask for a re-upload”."),
                              code="reupload_needs_part")
    if reason == VerificationRequest.Decision.OTHER and not message.strip():
        # "Other" alone tells the owner nothing about what to do next.
        raise ValidationError(_("With the reason “Other”, write the owner what was wrong."),
                              code="other_needs_message")
    request = _lock_for_decision(request, acting_user, now)
    _move(request, State.REJECTED)
    request.redo_parts = resubmission.parts_for_reason(reason)
    _decide(request, acting_user, reason=reason, message=message, now=now)
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_REJECTED, acting_user=acting_user,
        data={"request": request.pk, "reason": reason, "redo": request.redo_parts},
    )
    if reason == VerificationRequest.Decision.IDENTITY_BOUND:
        _identity_bound_hold(request.account)
    _notify(request, approved=False)
    return request


@transaction.atomic
def verification_request_reupload(
    *, request: VerificationRequest, acting_user: Account, part: str, message: str,
    now: datetime | None = None,
) -> VerificationRequest:
    """Send the case back asking for one part again (front, back or liveness).

    The owner's retry keeps everything else; their card names the part and
    shows the message. Anything else than one known part and a message is
    refused before anything is written.
    """
    now = now or timezone.now()
    if part not in VerificationRequest.REUPLOAD_PARTS:
        raise ValidationError(_("Choose what to take again: the front, the back or the "
                                "liveness check."), code="unknown_part")
    if not message.strip():
        raise ValidationError(_("Write a message saying what was wrong with it."),
                              code="message_missing")
    request = _lock_for_decision(request, acting_user, now)
    _move(request, State.REJECTED)
    request.redo_parts = [part]
    _decide(request, acting_user, reason=VerificationRequest.Decision.REUPLOAD, message=message,
            now=now)
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_REUPLOAD_ASKED, acting_user=acting_user,
        data={"request": request.pk, "part": part},
    )
    _notify(request, approved=False)
    return request


def _decide(request, acting_user, *, reason: str, message: str, now) -> None:
    request.decided_at = now
    request.decided_by = acting_user
    request.decision_reason = reason
    request.decision_message = message.strip()
    request.claimed_by = None
    request.claimed_until = None
    request.save()


@transaction.atomic
def verification_images_viewed(
    *, request: VerificationRequest, acting_user: Account, image: VerificationImage,
    now: datetime | None = None,
) -> None:
    """Record that staff opened one identity image, if the access rule lets them.

    Checked again under the request's row lock (a claim may have been taken
    since the view looked). Every opening is recorded, staff-only, naming
    the image; the owner's timeline gets one event per reviewer and review
    session (``accounts.staff_views``). A refusal records nothing.
    """
    _identity_view_record(request, acting_user, {"image": image.kind, "image_id": image.pk},
                          now)


@transaction.atomic
def verification_details_viewed(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None,
) -> None:
    """Record that staff saw the identity details (typed and read from the card)
    on the case page, if the access rule lets them: the same rule and record
    as an image's."""
    _identity_view_record(request, acting_user, {"details": "typed_and_read"}, now)


def _identity_view_record(request: VerificationRequest, acting_user: Account, file: dict,
                          now: datetime | None) -> None:
    now = now or timezone.now()
    request = VerificationRequest.objects.select_for_update(of=("self",)).select_related(
        "account", "claimed_by").get(pk=request.pk)
    refusal = image_refusal(request, acting_user, now)
    if refusal is not None:
        raise refusal
    staff_view_record(
        kinds=IDENTITY_IMAGES, account=request.account, acting_user=acting_user,
        case_pk=request.pk, session_length=settings.PORTAL_VERIFICATION_CLAIM_TIMEOUT,
        file=file, now=now,
    )

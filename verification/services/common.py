"""The state table and the helpers every verification service shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from accounts import notice_texts, outbox
from accounts import services as account_services
from accounts.models import Account, Hold
from accounts.reasons import IDENTITY_BOUND

from ..models import IdentityBinding, VerificationRequest

State = VerificationRequest.State

TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.SUBMITTED},
    State.SUBMITTED: {State.CHECKING},
    State.CHECKING: {State.AUTO_REJECTED, State.IN_REVIEW, State.SUBMITTED},
    State.IN_REVIEW: {State.APPROVED, State.REJECTED},
    State.AUTO_REJECTED: set(),
    State.APPROVED: set(),
    State.REJECTED: set(),
}


def _move(request: VerificationRequest, new: str) -> None:
    if new not in TRANSITIONS[request.state]:
        raise ValidationError(
            _("This request is %(state)s and cannot change that way.")
            % {"state": request.get_state_display()},
            code="bad_transition",
        )
    request.state = new


def _lock(request: VerificationRequest | int) -> VerificationRequest:
    pk = request.pk if isinstance(request, VerificationRequest) else request
    return VerificationRequest.objects.select_for_update().get(pk=pk)


def _require_draft(request: VerificationRequest, acting_user: Account) -> VerificationRequest:
    request = _lock(request)
    if request.account_id != acting_user.pk:
        raise ValidationError(_("This request belongs to someone else."), code="not_owner")
    if request.state != State.DRAFT:
        raise ValidationError(_("This request was already submitted."), code="not_draft")
    return request


def _enqueue_checks(pk: int, *, dedupe_key: str | None = None) -> None:
    outbox.task("verification.tasks.verification_run_checks", pk, dedupe_key=dedupe_key)


def _identity_bound_hold(account: Account) -> None:
    """Place the identity_bound hold (once): its card offers the appeal.

    An account already verified with its own identity gets none: one wrong
    attempt must not limit an owner whose identity is settled.
    """
    if IdentityBinding.objects.filter(account=account).exists():
        return
    if not Hold.objects.active().filter(account=account, reason=IDENTITY_BOUND).exists():
        account_services.hold_place(
            account=account, reason=IDENTITY_BOUND, acting_user=None,
            source=Hold.Source.SYSTEM,
        )


def _notify(request: VerificationRequest, *, approved: bool) -> None:
    """Tell the owner; the title is kept as a message id (shown in the reader's language)."""
    account = request.account
    if approved:
        title = notice_texts.text(gettext_noop("Your real-name verification was approved"))
    elif request.state == State.AUTO_REJECTED:
        title = notice_texts.text(gettext_noop("Your verification needs another try"))
    else:
        title = notice_texts.text(gettext_noop("Your real-name verification was not approved"))
    with override(account.language):
        body = request.decision_message or (
            str(VerificationRequest.Decision(request.decision_reason).label)
            if request.decision_reason else ""
        )
    account_services.notice_send(
        account=account, title=title, body=body,
        url=reverse("verification:progress", args=[request.pk]),
    )

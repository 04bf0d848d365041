"""Every write to verification requests, images, checks and bindings.

States and the only allowed moves (``TRANSITIONS``)::

    draft → submitted → checking → auto_rejected
                           │    ↘ in_review → approved | rejected
                           └→ submitted   (the sweeper's retry of a lost check)

Holds, account status and events are changed only through
``accounts.services``. Side effects (the checks task, notices) go out on commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts import services as account_services
from accounts.models import Account, Hold, StatusEvent

from . import checks, crypto, documents, images, liveness, selectors
from .models import CheckResult, IdentityBinding, VerificationImage, VerificationRequest

logger = logging.getLogger(__name__)
State = VerificationRequest.State
Kind = StatusEvent.Kind

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


# ---------------------------------------------------------------------------
# The owner's wizard
# ---------------------------------------------------------------------------
def verification_open_request(account: Account) -> VerificationRequest | None:
    """Return the account's request in progress (draft to in review), if any."""
    return VerificationRequest.objects.filter(
        account=account, state__in=VerificationRequest.OPEN_STATES
    ).first()


def submissions_left_today(account: Account, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    used = VerificationRequest.objects.filter(
        account=account, submitted_at__gte=now - timedelta(days=1)
    ).count()
    return max(settings.PORTAL_VERIFICATION_SUBMISSIONS_PER_DAY - used, 0)


@transaction.atomic
def verification_start(*, acting_user: Account) -> VerificationRequest:
    """Return the owner's open request, or a new draft."""
    account = Account.objects.select_for_update().get(pk=acting_user.pk)
    if existing := verification_open_request(account):
        return existing
    return VerificationRequest.objects.create(account=account)


@transaction.atomic
def verification_set_subject(
    *, request: VerificationRequest, acting_user: Account, subject: str,
    licence_number: str = "", legal_representative: str = "",
) -> VerificationRequest:
    """Store whether an individual or an organization (with its licence) is verified."""
    request = _require_draft(request, acting_user)
    if subject not in VerificationRequest.Subject.values:
        raise ValidationError(_("Choose who is being verified."), code="unknown_subject")
    if subject == VerificationRequest.Subject.ORGANIZATION:
        licence_number = documents.validate_licence_number(licence_number)
        if not legal_representative.strip():
            raise ValidationError(
                _("Enter the legal representative's name."), code="representative_missing"
            )
    else:
        licence_number, legal_representative = "", ""
    request.subject = subject
    request.licence_number = licence_number
    request.legal_representative = legal_representative.strip()
    request.save(update_fields=["subject", "licence_number", "legal_representative"])
    return request


@transaction.atomic
def verification_set_details(
    *,
    request: VerificationRequest,
    acting_user: Account,
    subject: str,
    legal_name: str,
    document_type: str,
    number: str,
    licence_number: str = "",
    legal_representative: str = "",
    today=None,
) -> VerificationRequest:
    """Validate and store who is being verified; the number is encrypted and hashed."""
    request = _require_draft(request, acting_user)
    if subject not in VerificationRequest.Subject.values:
        raise ValidationError(_("Choose who is being verified."), code="unknown_subject")
    if document_type not in VerificationRequest.DocumentType.values:
        raise ValidationError(_("Choose a document type."), code="unknown_document_type")
    legal_name = legal_name.strip()
    if not legal_name:
        raise ValidationError(_("Enter the legal name."), code="name_missing")
    number = documents.validate_document_number(document_type, number)
    documents.validate_minimum_age(
        documents.birth_date(document_type, number), today or timezone.localdate()
    )
    if subject == VerificationRequest.Subject.ORGANIZATION:
        licence_number = documents.validate_licence_number(licence_number)
        if not legal_representative.strip():
            raise ValidationError(
                _("Enter the legal representative's name."), code="representative_missing"
            )
    else:
        licence_number, legal_representative = "", ""
    request.subject = subject
    request.legal_name = legal_name
    request.document_type = document_type
    request.licence_number = licence_number
    request.legal_representative = legal_representative.strip()
    request.number_encrypted = crypto.encrypt(number)
    request.number_masked = crypto.mask(number, document_type=document_type)
    request.identity_hash = crypto.identity_hash(document_type, number)
    request.save()
    return request


def verification_attach_image(
    *, request: VerificationRequest, acting_user: Account, kind: str, upload
) -> VerificationImage:
    """Sanitize an ID photo and store it, replacing the previous one of that side.

    The decoding runs before the transaction: a bad file raises and nothing
    is written.
    """
    if kind not in (VerificationImage.Kind.FRONT, VerificationImage.Kind.BACK):
        raise ValidationError(_("Unknown photo."), code="unknown_kind")
    clean = images.sanitize(upload)
    with transaction.atomic():
        request = _require_draft(request, acting_user)
        name = images.store(clean, folder=f"verification/{request.pk}")
        old = list(request.images.filter(kind=kind))
        image = VerificationImage.objects.create(
            request=request, kind=kind, name=name, width=clean.width, height=clean.height,
            phash=_phash(clean.content),
        )
        for previous in old:
            previous.delete()
            transaction.on_commit(lambda n=previous.name: images.delete(n))
    return image


def _phash(content: bytes) -> str:
    return images.analyse(content).phash


@transaction.atomic
def verification_liveness_start(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Issue a fresh liveness challenge; frames of an earlier one are discarded."""
    request = _require_draft(request, acting_user)
    request.liveness_challenge = liveness.backend().start_challenge(now=now)
    request.save(update_fields=["liveness_challenge"])
    _frames_discard(request)
    return request


def _frames_discard(request: VerificationRequest) -> None:
    for frame in list(request.images.filter(kind=VerificationImage.Kind.FRAME)):
        frame.delete()
        transaction.on_commit(lambda n=frame.name: images.delete(n))


def verification_liveness_add_frame(
    *, request: VerificationRequest, acting_user: Account, upload, now: datetime | None = None
) -> VerificationImage:
    """Store one captured frame for the current challenge."""
    clean = images.sanitize(upload)
    backend = liveness.backend()
    with transaction.atomic():
        request = _require_draft(request, acting_user)
        if backend.is_expired(request.liveness_challenge, now=now):
            raise ValidationError(
                _("The liveness challenge has expired. Start it again."), code="challenge_expired"
            )
        frames = request.images.filter(kind=VerificationImage.Kind.FRAME)
        if frames.count() >= backend.MAX_FRAMES:
            raise ValidationError(_("Enough frames were captured."), code="too_many_frames")
        name = images.store(clean, folder=f"verification/{request.pk}")
        return VerificationImage.objects.create(
            request=request, kind=VerificationImage.Kind.FRAME, name=name, width=clean.width,
            height=clean.height, received_at=now or timezone.now(),
        )


@transaction.atomic
def verification_submit(
    *, request: VerificationRequest, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Submit a complete draft and send the checks task on commit."""
    now = now or timezone.now()
    request = _require_draft(request, acting_user)
    if selectors.missing_parts(request):
        raise ValidationError(
            _("Some steps are not finished yet."), code="incomplete"
        )
    if submissions_left_today(request.account, now=now) <= 0:
        raise ValidationError(
            _("You have submitted too many times today. Try again tomorrow."), code="rate_limited"
        )
    _move(request, State.SUBMITTED)
    request.submitted_at = now
    request.save(update_fields=["state", "submitted_at"])
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_SUBMITTED, acting_user=acting_user,
        data={"request": request.pk, "document": request.number_masked},
    )
    _enqueue_checks(request.pk)
    return request


def _enqueue_checks(pk: int) -> None:
    from . import tasks

    tasks.verification_run_checks.delay_on_commit(pk)


# ---------------------------------------------------------------------------
# The automatic checks (run by the worker)
# ---------------------------------------------------------------------------
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
            else VerificationRequest.Decision.PHOTO_UNCLEAR
        )
        shown = [o for o in failed if o.code]
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


def _identity_bound_hold(account: Account) -> None:
    """Place the identity_bound hold (once): its card offers the appeal."""
    if not Hold.objects.active().filter(account=account, reason="identity_bound").exists():
        account_services.hold_place(
            account=account, reason="identity_bound", acting_user=None,
            source=Hold.Source.SYSTEM,
        )


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


# ---------------------------------------------------------------------------
# Staff review
# ---------------------------------------------------------------------------
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
    _notify(request, approved=True)
    return request


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
    request = _lock_for_decision(request, acting_user, now)
    _move(request, State.REJECTED)
    _decide(request, acting_user, reason=reason, message=message, now=now)
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_REJECTED, acting_user=acting_user,
        data={"request": request.pk, "reason": reason},
    )
    if reason == VerificationRequest.Decision.IDENTITY_BOUND:
        _identity_bound_hold(request.account)
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


def _notify(request: VerificationRequest, *, approved: bool) -> None:
    account = request.account
    with override(account.language):
        if approved:
            title = _("Your real-name verification was approved")
        elif request.state == State.AUTO_REJECTED:
            title = _("Your verification needs another try")
        else:
            title = _("Your real-name verification was not approved")
        body = request.decision_message or (
            str(VerificationRequest.Decision(request.decision_reason).label)
            if request.decision_reason else ""
        )
        account_services.notice_send(
            account=account, title=title, body=body,
            url=reverse("verification:progress", args=[request.pk]),
        )


def verification_images_viewed(
    *, request: VerificationRequest, acting_user: Account, image: VerificationImage,
) -> None:
    """Record in the owner's audit trail that staff opened one identity image.

    Every view is recorded, each naming the image, so the owner's trail shows
    exactly which pictures of their document were seen, by whom and when.
    """
    account_services.event_record(
        account=request.account, kind=Kind.ID_IMAGES_VIEWED, acting_user=acting_user,
        data={"request": request.pk, "image": image.kind, "image_id": image.pk},
    )


# ---------------------------------------------------------------------------
# Retention and key rotation
# ---------------------------------------------------------------------------
def verification_images_purge(*, now: datetime | None = None) -> int:
    """Delete the image files of requests decided (or drafts abandoned) before the retention.

    Decided requests keep their image rows without files (the perceptual hash
    still reveals reuse); stale draft images lose their rows too, so the wizard
    asks for the photos again. Returns how many requests and draft images were purged.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PORTAL_IMAGE_RETENTION_DAYS)
    done = _draft_images_purge(cutoff)
    due = VerificationRequest.objects.filter(
        decided_at__lt=cutoff, images_purged_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            request = _lock(pk)
            if request.images_purged_at is not None:
                continue
            names = [n for n in request.images.values_list("name", flat=True) if n]
            request.images.update(name="")
            request.images_purged_at = now
            request.save(update_fields=["images_purged_at"])
            transaction.on_commit(lambda names=names: [images.delete(n) for n in names])
            done += 1
    return done


@transaction.atomic
def _draft_images_purge(cutoff: datetime) -> int:
    """Delete photos and frames of drafts that were uploaded before ``cutoff``."""
    stale = VerificationImage.objects.select_for_update().filter(
        request__state=State.DRAFT, received_at__lt=cutoff
    )
    rows = list(stale.values_list("pk", "name"))
    VerificationImage.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
    names = [name for _pk, name in rows if name]
    transaction.on_commit(lambda: [images.delete(n) for n in names])
    return len(rows)


def encryption_rotate(*, batch: int = 500) -> int:
    """Re-encrypt every stored document number under the newest key. Return rows changed."""
    changed = 0
    for model in (VerificationRequest, IdentityBinding):
        qs = model.objects.exclude(number_encrypted="").only("pk", "number_encrypted")
        for row in qs.iterator(chunk_size=batch):
            token = crypto.rotate(row.number_encrypted)
            if token != row.number_encrypted:
                model.objects.filter(pk=row.pk).update(number_encrypted=token)
                changed += 1
    return changed

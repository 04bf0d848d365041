"""The owner's wizard: a draft filled step by step, then submitted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.models import Account, StatusEvent
from portal.files import storage as file_storage

from .. import crypto, documents, images, liveness, selectors
from ..document.phash import to_signed as phash_bits
from ..models import VerificationImage, VerificationRequest
from . import document
from .common import (
    _enqueue_checks,
    _move,
    _require_draft,
)

State = VerificationRequest.State
Part = VerificationRequest.Part
Kind = StatusEvent.Kind


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


def verification_start(
    *, acting_user: Account, now: datetime | None = None
) -> VerificationRequest:
    """Return the owner's open request, or a new draft.

    After a rejection the new draft keeps what passed (``redo_parts`` of the
    rejected request says what did not): the wizard asks only for the rest.
    A passed liveness check is kept for ``PORTAL_VERIFICATION_LIVENESS_KEPT_FOR``.
    """
    now = now or timezone.now()
    with file_storage.kept_on_success() as keep, transaction.atomic():
        account = Account.objects.select_for_update().get(pk=acting_user.pk)
        if existing := verification_open_request(account):
            return existing
        draft = VerificationRequest.objects.create(account=account)
        previous = _retry_source(account, draft)
        if previous is not None:
            _carry_over(previous, draft, keep=keep, now=now)
        return draft


def _retry_source(account: Account, draft: VerificationRequest) -> VerificationRequest | None:
    """The rejected request a new draft continues, if the newest one is such."""
    latest = (VerificationRequest.objects.filter(account=account).exclude(pk=draft.pk)
              .order_by("-created_at", "-pk").first())
    if latest is None or latest.state not in (State.AUTO_REJECTED, State.REJECTED):
        return None
    if not latest.redo_parts or latest.images_purged_at is not None \
            or latest.decision_reason == VerificationRequest.Decision.UNDER_AGE:
        return None
    return latest


def _carry_over(previous: VerificationRequest, draft: VerificationRequest, *, keep,
                now: datetime) -> None:
    redo = set(previous.redo_parts)
    if _liveness_stale(previous, now):
        redo.add(Part.LIVENESS)
    for field in ("subject", "licence_number", "legal_representative", "legal_name",
                  "document_type", "photos_consent_at", "liveness_consent_at"):
        setattr(draft, field, getattr(previous, field))
    if Part.IDENTITY not in redo:
        draft.number_encrypted = previous.number_encrypted
        draft.number_masked = previous.number_masked
        draft.identity_hash = previous.identity_hash
    for side in (Part.FRONT, Part.BACK):
        if side not in redo and not _copy_images(previous, draft, side, keep):
            redo.add(side)
    if Part.LIVENESS not in redo:
        if _copy_images(previous, draft, VerificationImage.Kind.FRAME, keep):
            draft.liveness_challenge = previous.liveness_challenge
        else:
            redo.add(Part.LIVENESS)
    draft.carried_from = previous
    draft.redo_parts = [part for part in selectors.STEPS if part in redo]
    draft.save()


def _liveness_stale(previous: VerificationRequest, now: datetime) -> bool:
    newest = (previous.images.filter(kind=VerificationImage.Kind.FRAME)
              .order_by("-received_at").values_list("received_at", flat=True).first())
    return newest is None or newest < now - settings.PORTAL_VERIFICATION_LIVENESS_KEPT_FOR


def _copy_images(previous: VerificationRequest, draft: VerificationRequest, kind: str,
                 keep) -> bool:
    """Copy the stored pictures of ``kind`` into the draft; False if any is gone."""
    originals = list(previous.images.filter(kind=kind).order_by("received_at", "pk"))
    try:
        contents = [images.load(image.name) for image in originals if image.name]
    except OSError:
        return False
    if not originals or len(contents) != len(originals):
        return False
    for image, content in zip(originals, contents, strict=True):
        name = keep(images.store(images.CleanImage(content, image.width, image.height),
                                 folder=f"verification/{draft.pk}"))
        copy = VerificationImage.objects.create(
            request=draft, kind=kind, name=name, width=image.width, height=image.height,
            phash=image.phash, phash_bits=image.phash_bits, received_at=image.received_at)
        if kind != VerificationImage.Kind.FRAME:
            document.enqueue_read(copy.pk)
    return True


CONSENT_FIELDS = {"photos": "photos_consent_at", "liveness": "liveness_consent_at"}


@transaction.atomic
def verification_consent(
    *, request: VerificationRequest, acting_user: Account, scope: str,
    now: datetime | None = None,
) -> VerificationRequest:
    """Record the owner's consent before the ID photos ("photos") or the camera ("liveness").

    Asked on a page of its own before each; recorded once per request, as an event.
    """
    if scope not in CONSENT_FIELDS:
        raise ValidationError(_("Unknown consent."), code="unknown_consent")
    request = _require_draft(request, acting_user)
    field = CONSENT_FIELDS[scope]
    if getattr(request, field) is not None:
        return request
    setattr(request, field, now or timezone.now())
    request.save(update_fields=[field])
    account_services.event_record(
        account=request.account, kind=Kind.VERIFICATION_CONSENTED, acting_user=acting_user,
        data={"request": request.pk, "scope": scope},
    )
    return request


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
    if not number.strip() and request.number_encrypted and document_type == request.document_type:
        number = crypto.decrypt(request.number_encrypted)  # going back keeps the saved number
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
    is written. A rollback deletes the file it wrote; a crash before the
    commit leaves it to the files sweeper.
    """
    if kind not in (VerificationImage.Kind.FRONT, VerificationImage.Kind.BACK):
        raise ValidationError(_("Unknown photo."), code="unknown_kind")
    clean = images.sanitize(upload)
    phash = _phash(clean.content)
    with file_storage.kept_on_success() as keep, transaction.atomic():
        request = _require_draft(request, acting_user)
        name = keep(images.store(clean, folder=f"verification/{request.pk}"))
        # The old photo of this side goes, with the card the checks cut from it.
        old = list(request.images.filter(kind__in=[kind, f"{kind}_card"]))
        image = VerificationImage.objects.create(
            request=request, kind=kind, name=name, width=clean.width, height=clean.height,
            phash=phash, phash_bits=phash_bits(phash),
        )
        for previous in old:
            previous.delete()
            images.delete_after_commit(previous.name)
        document.enqueue_read(image.pk)
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
        images.delete_after_commit(frame.name)


def verification_liveness_add_frame(
    *, request: VerificationRequest, acting_user: Account, upload, now: datetime | None = None
) -> VerificationImage:
    """Store one captured frame for the current challenge."""
    return verification_liveness_add_frames(
        request=request, acting_user=acting_user, uploads=[upload], now=now)[0]


def verification_liveness_add_frames(
    *, request: VerificationRequest, acting_user: Account, uploads: Sequence,
    now: datetime | None = None,
) -> list[VerificationImage]:
    """Store several captured frames for the current challenge: all of them or none.

    Every file is sanitized before anything is written, so one bad file
    refuses the whole batch; the stored files go with a rollback.
    """
    cleans = [images.sanitize(upload) for upload in uploads]
    if not cleans:
        raise ValidationError(_("No frame was received."), code="no_frames")
    backend = liveness.backend()
    received_at = now or timezone.now()
    with file_storage.kept_on_success() as keep, transaction.atomic():
        request = _require_draft(request, acting_user)
        if backend.is_expired(request.liveness_challenge, now=now):
            raise ValidationError(
                _("The liveness challenge has expired. Start it again."), code="challenge_expired"
            )
        frames = request.images.filter(kind=VerificationImage.Kind.FRAME)
        if frames.count() + len(cleans) > backend.MAX_FRAMES:
            raise ValidationError(_("Enough frames were captured."), code="too_many_frames")
        return [
            VerificationImage.objects.create(
                request=request, kind=VerificationImage.Kind.FRAME, width=clean.width,
                name=keep(images.store(clean, folder=f"verification/{request.pk}")),
                height=clean.height, received_at=received_at,
            )
            for clean in cleans
        ]


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
    if request.photos_consent_at is None or request.liveness_consent_at is None:
        raise ValidationError(_("Agree to the identity check before submitting."),
                              code="consent_missing")
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



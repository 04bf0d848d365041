"""Reading ID photos (the document checks' one write): claim, read, store.

``verification_document_read`` runs outside any transaction for the CPU work
and is idempotent: a photo is read once and its ``DocumentReading`` reused
by the prefill (right after the upload) and by the automatic checks. A read
that never finished (a worker killed mid-OCR) is started again at most
``PORTAL_DOCUMENT_READ_MAX_ATTEMPTS`` times in all; then the reading is
marked failed and the case goes to a person with that error.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import outbox

from .. import crypto, documents, images
from ..document.reading import Reading, read_photo
from ..models import DocumentReading, VerificationImage

logger = logging.getLogger(__name__)
Kind = VerificationImage.Kind
CROP_KIND: dict[str, str] = {Kind.FRONT: Kind.FRONT_CARD, Kind.BACK: Kind.BACK_CARD}


def verification_document_read(*, image_id: int, now: datetime | None = None
                               ) -> DocumentReading | None:
    """Return the reading of ID photo ``image_id``, reading it first if needed."""
    claimed = _claim(image_id, now or timezone.now())
    if claimed is None or claimed.state != DocumentReading.State.READING:
        return claimed
    image = claimed.image
    try:
        result = read_photo(images.load(image.name))
    except Exception as error:  # noqa: BLE001 - whatever the engine raises goes to a person
        logger.exception("reading ID photo %s failed", image_id)
        return _finish_failed(claimed.pk, f"{type(error).__name__}: {error}"[:500])
    return _finish(claimed.pk, result)


@transaction.atomic
def _claim(image_id: int, now: datetime) -> DocumentReading | None:
    image = (VerificationImage.objects.select_for_update()
             .filter(pk=image_id, kind__in=list(CROP_KIND)).first())
    if image is None or not image.name:
        return None
    reading, _ = DocumentReading.objects.get_or_create(image=image)
    if reading.state != DocumentReading.State.READING:
        return reading
    if reading.attempts >= settings.PORTAL_DOCUMENT_READ_MAX_ATTEMPTS:
        reading.state = DocumentReading.State.FAILED
        reading.error = (f"The reading was started {reading.attempts} times and never "
                         "finished (the worker stopped while reading).")
        reading.finished_at = now
        reading.save()
        return reading
    reading.attempts += 1
    reading.started_at = now
    reading.save(update_fields=["attempts", "started_at"])
    return reading


@transaction.atomic
def _finish_failed(reading_pk: int, error: str) -> DocumentReading | None:
    reading = DocumentReading.objects.select_for_update().filter(pk=reading_pk).first()
    if reading is not None and reading.state == DocumentReading.State.READING:
        reading.state = DocumentReading.State.FAILED
        reading.error = error
        reading.finished_at = timezone.now()
        reading.save()
    return reading


def _finish(reading_pk: int, result: Reading) -> DocumentReading | None:
    stored_crop = None
    if result.crop:
        stored_crop = images.store(images.CleanImage(result.crop, 0, 0),
                                   folder="verification/cards")
    with transaction.atomic():
        reading = (DocumentReading.objects.select_for_update().select_related("image")
                   .filter(pk=reading_pk).first())
        # The photo was replaced meanwhile (the reading went with it), or another
        # worker finished first: keep nothing of this reading.
        if reading is None or reading.state != DocumentReading.State.READING:
            images.delete_after_commit(stored_crop or "")
            return reading
        image = reading.image
        if stored_crop:
            reading.crop = VerificationImage.objects.create(
                request_id=image.request_id, kind=CROP_KIND[image.kind], name=stored_crop,
                width=result.crop_size[0], height=result.crop_size[1])
        number = result.fields.get("number", "")
        reading.number_encrypted = crypto.encrypt(number) if number else ""
        reading.number_masked = crypto.mask(number, document_type=_type_of(result)) \
            if number else ""
        reading.data = result.as_json()
        reading.state = DocumentReading.State.DONE
        reading.finished_at = timezone.now()
        reading.save()
    return reading


def _type_of(result: Reading) -> str:
    return {"cn_front": documents.MAINLAND_ID, "passport": documents.PASSPORT}.get(
        result.kind, "")


def read_number(reading: DocumentReading | None) -> str:
    """The number read from the card, decrypted ("" if none)."""
    if reading is None or not reading.number_encrypted:
        return ""
    return crypto.decrypt(reading.number_encrypted)


def enqueue_read(image_pk: int) -> None:
    """Read a new ID photo in the background (the details step's prefill)."""
    if not settings.PORTAL_DOCUMENT_PREFILL:
        return
    outbox.task("verification.tasks.verification_read_document", image_pk)

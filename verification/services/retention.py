"""Retention of identity images and rotation of the encryption keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import crypto, images
from ..models import DocumentReading, IdentityBinding, VerificationImage, VerificationRequest
from .common import (
    _lock,
)

State = VerificationRequest.State


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
            # What the document checks read from the photos goes with them.
            DocumentReading.objects.filter(image__request=request).update(
                data={}, number_encrypted="", number_masked="")
            request.images_purged_at = now
            request.save(update_fields=["images_purged_at"])
            images.delete_after_commit(*names)
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
    images.delete_after_commit(*names)
    return len(rows)


def encryption_rotate(*, batch: int = 500) -> int:
    """Re-encrypt every stored document number under the newest key. Return rows changed."""
    changed = 0
    # Every model that stores a number: the typed one, the bound one, and
    # the one read from the card.
    for model in (VerificationRequest, IdentityBinding, DocumentReading):
        qs = model.objects.exclude(number_encrypted="").only("pk", "number_encrypted")
        for row in qs.iterator(chunk_size=batch):
            token = crypto.rotate(row.number_encrypted)
            if token != row.number_encrypted:
                model.objects.filter(pk=row.pk).update(number_encrypted=token)
                changed += 1
    return changed

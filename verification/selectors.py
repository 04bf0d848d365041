"""Reads for the verification pages and the staff case page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account, Hold
from accounts.reasons import IDENTITY_BOUND
from accounts.selectors import account_active_holds, account_timeline
from accounts.staff_views import CaseFacts, file_access_refusal

from . import crypto, liveness
from .models import DocumentReading, VerificationImage, VerificationRequest

# The front photo comes before the details: it is read in the background while
# the owner goes on, and the details step offers what was read (prefill).
STEPS = ("who", "front", "identity", "back", "liveness", "review")


def own_request(account: Account, pk: int) -> VerificationRequest | None:
    return VerificationRequest.objects.filter(account=account, pk=pk).first()


def latest_request(account: Account) -> VerificationRequest | None:
    requests = VerificationRequest.objects.filter(account=account)
    return requests.order_by("-created_at", "-pk").first()


def missing_parts(request: VerificationRequest) -> list[str]:
    """Return the wizard steps (``STEPS``) still missing for a submission, in order.

    Liveness counts as done only with the backend's minimum of frames: fewer
    would be rejected automatically and use up one of the day's submissions.
    """
    kinds = list(request.images.values_list("kind", flat=True))
    missing = [] if "front" in kinds else ["front"]
    missing += [] if request.number_encrypted else ["identity"]
    missing += [] if "back" in kinds else ["back"]
    frame_count = kinds.count(VerificationImage.Kind.FRAME)
    if not request.liveness_challenge or frame_count < liveness.backend().MIN_FRAMES:
        missing.append("liveness")
    return missing


def identity_claim_hold(account: Account) -> Hold | None:
    """The owner's active identity-bound limit: the hold an identity claim appeals."""
    return Hold.objects.active().filter(account=account, reason=IDENTITY_BOUND).first()


def redo_labels(request: VerificationRequest) -> list[str]:
    """What the owner is asked to give again, in words, in the wizard's order."""
    if request.state not in (VerificationRequest.State.AUTO_REJECTED,
                             VerificationRequest.State.REJECTED, VerificationRequest.State.DRAFT):
        return []
    wanted = set(request.redo_parts or [])
    return [str(VerificationRequest.Part(part).label) for part in STEPS if part in wanted]


def consent_needed(request: VerificationRequest, step: str) -> str | None:
    """The consent (``photos`` or ``liveness``) owed before ``step`` can be shown, if any."""
    if step in ("front", "back") and request.photos_consent_at is None:
        return "photos"
    if step == "liveness" and request.liveness_consent_at is None:
        return "liveness"
    return None


def next_step(request: VerificationRequest) -> str:
    """Return the first wizard step not done yet."""
    if not request.subject:
        return "who"
    return next(iter(missing_parts(request)), "review")


def prefill(request: VerificationRequest) -> dict:
    """What was read from the front photo, for the details step.

    ``{"state": "ready", "name": ..., "number": ..., "document_type": ...}``
    once read; ``{"state": "reading"}`` while the worker is at it; ``{}``
    when there is nothing to offer (no photo, nothing readable, prefill off).
    """
    if not settings.PORTAL_DOCUMENT_PREFILL:
        return {}
    image = request.images.filter(kind=VerificationImage.Kind.FRONT).order_by("-pk").first()
    if image is None:
        return {}
    reading = DocumentReading.objects.filter(image=image).first()
    if reading is None or reading.state == DocumentReading.State.READING:
        return {"state": "reading"}
    found = reading.fields
    number = crypto.decrypt(reading.number_encrypted) if reading.number_encrypted else ""
    if not (found.get("name") or number):
        return {}
    kind = reading.data.get("kind")
    return {"state": "ready", "name": found.get("name", ""), "number": number,
            "document_type": {"cn_front": "cn_ric", "passport": "passport"}.get(kind, "")}


def frames(request: VerificationRequest) -> QuerySet[VerificationImage]:
    return request.images.filter(kind=VerificationImage.Kind.FRAME).order_by("received_at", "pk")


def case_page(request: VerificationRequest) -> dict:
    """What the staff case page shows beside the request itself."""
    from .check_texts import describe
    from .document.review import comparison

    images = list(request.images.order_by("kind", "received_at", "pk"))
    sides = ("front", "back")
    readings = {r.image.kind: r for r in DocumentReading.objects.filter(
        image__request=request, image__kind__in=sides).select_related("image", "crop")}
    checks = list(request.checks.all())
    return {
        "id_images": sorted((i for i in images if i.kind in sides),
                            key=lambda i: i.kind != VerificationImage.Kind.FRONT),
        "frames": [i for i in images if i.kind == VerificationImage.Kind.FRAME],
        "checks": checks,
        "check_texts": [describe(c) for c in checks],
        "cards": [{"side": side, "original": next((i for i in images if i.kind == side), None),
                   "reading": readings.get(side)} for side in sides],
        "comparison": comparison(request, readings.get("front"), readings.get("back")),
        "holds": account_active_holds(request.account),
        "timeline": account_timeline(request.account, limit=30),
        "history": list(
            VerificationRequest.objects.filter(account=request.account)
            .exclude(pk=request.pk).order_by("-created_at")[:10]
        ),
    }


def image_refusal(request: VerificationRequest, user: Account, now=None) -> ValidationError | None:
    """Return why ``user`` may not open the request's images, or None if they may."""
    now = now or timezone.now()
    claimed = request.claimed_by if request.claimed_until and request.claimed_until > now \
        else None
    return file_access_refusal(user, CaseFacts(
        submitted=request.state != VerificationRequest.State.DRAFT,
        in_queue=request.state == VerificationRequest.State.IN_REVIEW,
        state_label=request.get_state_display(),
        claimed_by=claimed, claimed_until=request.claimed_until,
    ))

"""The automatic checks: each returns an ``Outcome`` with a pass flag and a score.

They read the stored, already re-encoded images, analysing downscaled copies
(``images.analyse``), so a 12-megapixel photo costs a fraction of a full decode.
``fixable`` failures are ones the owner can fix by retaking or retyping;
they auto-reject with the message below. The rest go to a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import crypto, documents, images, liveness
from .models import IdentityBinding, VerificationImage, VerificationRequest

MIN_SHORT_EDGE = 600  # pixels of the original photo
MIN_SHARPNESS = 60.0  # Laplacian variance of the 1024-px grey copy
MAX_GLARE = 0.06  # share of blown-out pixels
CARD_RATIO = (1.25, 1.95)  # long/short edge; an ID card is 85.6 × 54 mm = 1.59

SIDES = {"front": _("front"), "back": _("back")}

MESSAGES = {
    "resolution": _("The %(side)s photo is too small. Take it again closer to the card."),
    "blurred": _("The %(side)s photo is blurred. Retake it in good light, holding the phone "
                 "still."),
    "glare": _("The %(side)s photo has glare. Tilt the card away from the light and retake it."),
    "proportions": _("The %(side)s photo does not show the card as a whole. Hold the phone "
                     "level so the whole card fills the frame."),
    "missing": _("The %(side)s photo is missing. Add it again."),
    "document_number": _("The document number is not valid. Check it and submit again."),
    "under_age": _("You are under the minimum age for verification."),
    "liveness": _("The liveness check did not work. Do it again in good light, following the "
                  "instructions on screen."),
    "identity_bound": _("This identity is already bound to another account. If that account "
                        "is not yours, appeal from your status page."),
}


@dataclass
class Outcome:
    name: str
    passed: bool
    score: float
    code: str = ""
    fixable: bool = False
    detail: dict = field(default_factory=dict)
    side: str = ""

    def message(self) -> str:
        text = MESSAGES.get(self.code, "")
        return str(text) % {"side": SIDES.get(self.side, self.side)} if text else ""


def run_all(request: VerificationRequest) -> list[Outcome]:
    """Run every check on ``request`` and return the outcomes."""
    outcomes = check_document(request)
    stored = list(request.images.all())
    phashes = {}
    for side in ("front", "back"):
        image = next((i for i in stored if i.kind == side and i.name), None)
        try:
            analysis = images.analyse(images.load(image.name)) if image else None
        except (OSError, ValidationError):  # the stored file is gone or damaged
            analysis = None
        if analysis is None:
            outcomes.append(Outcome(f"{side}_present", False, 0.0, "missing", True, side=side))
            continue
        phashes[side] = analysis.phash
        outcomes.extend(check_quality(side, analysis))
    outcomes.append(check_reused_photo(request, list(phashes.values())))
    outcomes.append(check_identity_bound(request))
    outcomes.append(check_identity_changed(request))
    outcomes.append(check_liveness(request, [i for i in stored if i.kind == "frame"]))
    return outcomes


def check_document(request: VerificationRequest) -> list[Outcome]:
    """Re-validate the number and the age from the stored ciphertext."""
    try:
        number = documents.validate_document_number(
            request.document_type, crypto.decrypt(request.number_encrypted)
        )
    except ValidationError as error:
        return [Outcome("document_number", False, 0.0, "document_number", True,
                        detail={"error": error.code})]
    out = [Outcome("document_number", True, 1.0)]
    born = documents.birth_date(request.document_type, number)
    try:
        documents.validate_minimum_age(born, timezone.localdate())
        out.append(Outcome("age", True, 1.0, detail={"known": born is not None}))
    except ValidationError:
        out.append(Outcome("age", False, 0.0, "under_age", False, detail={"known": True}))
    return out


def check_quality(side: str, a: images.Analysis) -> list[Outcome]:
    """Resolution, sharpness, glare and card proportions of one ID photo."""
    short, long_ = sorted((a.width, a.height))
    ratio = long_ / short
    low, high = CARD_RATIO
    return [
        Outcome(f"{side}_resolution", short >= MIN_SHORT_EDGE, min(short / MIN_SHORT_EDGE, 1.0),
                "resolution", True, {"width": a.width, "height": a.height}, side),
        Outcome(f"{side}_sharpness", a.sharpness >= MIN_SHARPNESS,
                min(a.sharpness / MIN_SHARPNESS, 1.0), "blurred", True,
                {"laplacian_variance": round(a.sharpness, 1)}, side),
        Outcome(f"{side}_glare", a.glare <= MAX_GLARE, max(0.0, 1.0 - a.glare / (2 * MAX_GLARE)),
                "glare", True, {"blown_out_share": round(a.glare, 4)}, side),
        Outcome(f"{side}_proportions", low <= ratio <= high, 1.0 if low <= ratio <= high else 0.0,
                "proportions", True, {"ratio": round(ratio, 3)}, side),
    ]


def check_reused_photo(request: VerificationRequest, phashes: list[str]) -> Outcome:
    """Fail when an ID photo's perceptual hash was seen on another account."""
    hits = (
        VerificationImage.objects.filter(phash__in=phashes, kind__in=["front", "back"])
        .exclude(request__account_id=request.account_id)
        .values_list("request_id", flat=True)[:5]
    ) if phashes else []
    hits = list(hits)
    return Outcome("reused_photo", not hits, 0.0 if hits else 1.0, "", False,
                   {"other_requests": hits})


def check_identity_bound(request: VerificationRequest) -> Outcome:
    """Fail when the identity is bound to a different account."""
    taken = IdentityBinding.objects.filter(identity_hash=request.identity_hash).exclude(
        account_id=request.account_id
    ).exists()
    return Outcome("identity_bound", not taken, 0.0 if taken else 1.0,
                   "identity_bound" if taken else "", False)


def check_identity_changed(request: VerificationRequest) -> Outcome:
    """Fail when the account is already bound to a different identity.

    Approving would replace the binding, so the case goes to a person (with a
    high priority) instead of passing quietly; nothing is shown to the owner.
    """
    bound = IdentityBinding.objects.filter(account_id=request.account_id).exclude(
        identity_hash=request.identity_hash
    ).first()
    if bound is None:
        return Outcome("identity_changed", True, 1.0)
    return Outcome("identity_changed", False, 0.0, "", False, {
        "note": "This account is already verified with a different identity; approving "
                "would replace it, so approval is refused until the binding is resolved.",
        "bound_document_type": bound.document_type,
        "bound_document": bound.number_masked,
        "requested_document_type": request.document_type,
        "requested_document": request.number_masked,
    })


def check_liveness(request: VerificationRequest, frames: list[VerificationImage]) -> Outcome:
    """Ask the configured backend to judge the captured frames."""
    seen = []
    for frame in frames:
        try:
            a = images.analyse(images.load(frame.name))
            seen.append(liveness.Frame(a.grey, a.width, a.height, frame.received_at))
        except (ValidationError, OSError):
            seen.append(liveness.Frame(None, 0, 0, frame.received_at))
    result = liveness.backend().evaluate(request.liveness_challenge, seen)
    return Outcome("liveness", result.passed, result.score, "" if result.passed else "liveness",
                   True, {"rules": result.rules, "frames": len(seen)})

"""The automatic checks: each returns an ``Outcome`` with a pass flag and a score.

They read the stored, already re-encoded images, analysing downscaled copies
(``images.analyse``), so a 12-megapixel photo costs a fraction of a full decode.
``fixable`` failures are ones the owner can fix by retaking or retyping;
they auto-reject with the message below. The rest go to a person.

The ID photos are judged on the card itself (``verification/document/``):
the card is found, flattened, measured and read, and what it says is
cross-checked with what the owner typed. A check that raises is recorded as
failed with the error (never fixable), so the case goes to a person.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, F, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import crypto, documents, images, liveness
from .document import judge
from .document.phash import HammingDistance, to_signed
from .document.reading import faces_in_frame, finite
from .models import DocumentReading, IdentityBinding, VerificationImage, VerificationRequest

MIN_SHORT_EDGE = 600  # pixels of the original photo; the card's own rules: document/judge.py

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
    # Document checks: judged on the card found in the photo.
    "no_card": _("We could not find the card in the %(side)s photo. Put the whole card on a "
                 "plain surface and take the photo again."),
    "cut_off": _("The card is cut off at the edge of the %(side)s photo. Take it again with "
                 "the whole card inside the frame."),
    "too_small": _("The card is too small in the %(side)s photo. Hold the phone closer so the "
                   "card fills most of the frame."),
    "too_dark": _("The %(side)s photo is too dark. Take it again in brighter light."),
    "glare_number": _("Light reflects on the document number in the %(side)s photo. Tilt the "
                      "card away from the light and retake it."),
    "no_face_on_card": _("We could not see the portrait in the %(side)s photo. Photograph the "
                         "side with your picture, without glare on it."),
    "not_id_card": _("The %(side)s photo does not show the chosen document. Take a photo of "
                     "the document itself."),
    "wrong_side": _("The %(side)s photo shows the other side of the card. Take the photo of "
                    "the right side."),
    "number_differs": _("The document number you typed does not match the number on the card. "
                        "Check the “Document number” field and submit again."),
    "expired": _("Your document has expired. Verify with a valid document (a renewed card)."),
    "no_face_in_frames": _("We could not see your face in the liveness check. Do it again "
                           "facing the camera in good light."),
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
    reason: str = ""  # decision reason of an auto-rejection; see decision_reason()

    def __post_init__(self) -> None:
        # NaN never reaches the database: a score is a finite number in 0..1,
        # and a non-finite float in the detail becomes None.
        score = float(self.score)
        self.score = min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0
        self.detail = finite(self.detail)

    @classmethod
    def of(cls, finding: judge.Finding, side: str = "") -> Outcome:
        return cls(finding.name, finding.passed, finding.value, finding.code, finding.fixable,
                   finding.detail, side, finding.reason)

    def message(self) -> str:
        text = MESSAGES.get(self.code, "")
        return str(text) % {"side": SIDES.get(self.side, self.side)} if text else ""


def run_all(request: VerificationRequest) -> list[Outcome]:
    """Run every check on ``request`` and return the outcomes."""
    outcomes = check_document(request)
    stored = list(request.images.all())
    for side in ("front", "back"):
        image = next((i for i in stored if i.kind == side and i.name), None)
        if image is None:
            outcomes.append(Outcome(f"{side}_present", False, 0.0, "missing", True, side=side))
            continue
        outcomes.append(check_resolution(side, image))
        outcomes.extend(guarded(f"{side}_read", side, partial(check_side, request, side, image)))
    sides = [i for i in stored if i.kind in ("front", "back") and i.name]
    outcomes.extend(guarded("reused_photo", "", lambda: [check_reused_photo(request, sides)]))
    outcomes.append(check_identity_bound(request))
    outcomes.append(check_identity_changed(request))
    frames = [i for i in stored if i.kind == "frame"]
    outcomes.append(check_liveness(request, frames))
    outcomes.extend(guarded("liveness_face", "", lambda: check_liveness_face(frames)))
    outcomes.extend(guarded("face_likeness", "", lambda: check_face_likeness(stored, frames)))
    return outcomes


def guarded(name: str, side: str, check: Callable[[], list[Outcome]]) -> list[Outcome]:
    """Run ``check``; if it raises, record the error as a failed check for a person."""
    try:
        return check()
    except Exception as error:  # noqa: BLE001 - any failure is a case for a person
        return [Outcome(name, False, 0.0, "", False,
                        {"error": f"{type(error).__name__}: {error}"[:500]}, side)]


def decision_reason(fixable: list[Outcome]) -> str:
    """The decision reason of an auto-rejection, from the failed fixable checks."""
    reasons = {o.reason for o in fixable}
    for reason in (VerificationRequest.Decision.DOCUMENT_EXPIRED,
                   VerificationRequest.Decision.DETAILS_MISMATCH):
        if reason in reasons:
            return reason
    return VerificationRequest.Decision.PHOTO_UNCLEAR


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


def check_resolution(side: str, image: VerificationImage) -> Outcome:
    """The stored photo's short edge (a photo too small to read anything on)."""
    short = min(image.width, image.height)
    return Outcome(f"{side}_resolution", short >= MIN_SHORT_EDGE, short / MIN_SHORT_EDGE,
                   "" if short >= MIN_SHORT_EDGE else "resolution", True,
                   {"width": image.width, "height": image.height}, side)


def check_side(request: VerificationRequest, side: str, image: VerificationImage
               ) -> list[Outcome]:
    """Find, flatten and read the card in one ID photo; judge it and cross-check it."""
    from .services.document import read_number, verification_document_read

    try:
        images.load(image.name)  # deleted or lost: ask for it again
    except (OSError, ValidationError):
        return [Outcome(f"{side}_present", False, 0.0, "missing", True, side=side)]
    reading = verification_document_read(image_id=image.pk)
    if reading is None:
        return [Outcome(f"{side}_present", False, 0.0, "missing", True, side=side)]
    if reading.state != DocumentReading.State.DONE:
        return [Outcome(f"{side}_read", False, 0.0, "", False,
                        {"error": reading.error or reading.state}, side)]
    findings = judge.judge_photo(side, reading.data, request.document_type)
    if judge.photo_usable(findings):
        today = timezone.localdate()
        if side == "front":
            findings += judge.judge_front(
                reading.data, read_number(reading), document_type=request.document_type,
                typed_name=request.legal_name, typed_number=_typed_number(request), today=today)
        else:
            findings += judge.judge_back(reading.data, document_type=request.document_type,
                                         today=today)
    return [Outcome.of(f, side) for f in findings]


def _typed_number(request: VerificationRequest) -> str:
    try:
        return crypto.decrypt(request.number_encrypted)
    except Exception:  # noqa: BLE001 - an undecryptable number fails check_document already
        return ""


def check_reused_photo(request: VerificationRequest, sides: list[VerificationImage]) -> Outcome:
    """Fail when an ID photo is (nearly) the same picture as one of another account.

    Fronts are compared with fronts, backs with backs. "Nearly": the
    perceptual hashes differ in at most
    ``PORTAL_PHOTO_REUSE_MAX_DISTANCE`` bits, computed by the database, so
    the same photo cropped a little, turned a degree or re-encoded is caught.
    """
    limit = settings.PORTAL_PHOTO_REUSE_MAX_DISTANCE
    others = VerificationImage.objects.filter(
        kind__in=["front", "back"], phash_bits__isnull=False,
    ).exclude(request__account_id=request.account_id)
    hits: dict[int, int] = {}
    for image in sides:
        bits = image.phash_bits if image.phash_bits is not None else to_signed(image.phash)
        if bits is None:
            continue
        near = (others.filter(kind=image.kind).annotate(distance=HammingDistance(
                    F("phash_bits"), Value(bits, output_field=BigIntegerField())))
                .filter(distance__lte=limit).order_by("distance")
                .values_list("request_id", "distance")[:5])
        for request_id, distance in near:
            hits[request_id] = min(distance, hits.get(request_id, 64))
    return Outcome("reused_photo", not hits, 0.0 if hits else 1.0, "", False,
                   {"other_requests": sorted(hits), "distances": hits and sorted(hits.values()),
                    "max_distance": limit})


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


def check_liveness_face(frames: list[VerificationImage]) -> list[Outcome]:
    """Enough liveness frames show a face (OpenCV's frontal-face detector)."""
    if not frames:
        return []
    with_face = 0
    for frame in frames:
        try:
            with_face += faces_in_frame(images.load(frame.name)) > 0
        except (ValidationError, OSError):
            continue
    need = max(1, math.ceil(len(frames) * settings.PORTAL_LIVENESS_MIN_FACE_SHARE))
    passed = with_face >= need
    return [Outcome("liveness_face", passed, with_face / len(frames),
                    "" if passed else "no_face_in_frames", True,
                    {"frames": len(frames), "with_face": with_face, "needed": need})]


def check_face_likeness(stored: list[VerificationImage],
                        frames: list[VerificationImage]) -> list[Outcome]:
    """A hint for the reviewer: how alike the card's portrait and the liveness face look.

    Informational only: it always "passes" (never rejects, never routes);
    the detail says the distance and dlib's rule-of-thumb verdict.
    """
    from .document import likeness
    from .document.reading import portrait_of

    front = next((i for i in stored if i.kind == "front"), None)
    reading = DocumentReading.objects.filter(image=front).select_related("crop").first() \
        if front else None
    if reading is None or reading.crop is None or not reading.crop.name:
        return [Outcome("face_likeness", True, 0.0, detail={"compared": False,
                                                            "why": "no card portrait"})]
    portrait = likeness.descriptor(portrait_of(images.load(reading.crop.name),
                                               reading.data.get("kind", "")))
    seen = None
    for frame in frames[:3]:
        seen = likeness.descriptor(rgb_of(images.load(frame.name)))
        if seen is not None:
            break
    if portrait is None or seen is None:
        why = "no face found in the portrait" if portrait is None else "no face in the frames"
        return [Outcome("face_likeness", True, 0.0, detail={"compared": False, "why": why})]
    distance = likeness.distance(portrait, seen)
    return [Outcome("face_likeness", True, max(0.0, 1.0 - distance), detail={
        "compared": True, "distance": round(distance, 3),
        "likely_same_person": distance < likeness.SAME_PERSON_DISTANCE, "hint_only": True})]


def rgb_of(data: bytes):
    import numpy as np

    picture, _size = images.downscaled(data, 640)
    return np.asarray(picture)

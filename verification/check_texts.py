"""Check results in words, for reviewers: what was checked and what came out.

The staff case page shows these instead of raw names and codes, in the
reviewer's language. Unknown names and codes fall back to themselves, so a
new check is never hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .models import CheckResult

SIDE_WORDS = {"front": pgettext_lazy("side of an ID card", "Front"),
              "back": pgettext_lazy("side of an ID card", "Back")}

LABELS = {
    "document_number": _("Document number is valid"),
    "age": _("Minimum age"),
    "present": _("Photo present"),
    "resolution": _("Photo resolution"),
    "read": _("Card read by the checks"),
    "card": _("Card found, whole and large enough"),
    "exposure": _("Exposure"),
    "glare": _("Glare"),
    "sharpness": _("Sharpness"),
    "face": _("Face in the portrait"),
    "document": _("Right document and side"),
    "read_number": _("Number on the card = number typed"),
    "read_name": _("Name on the card = name typed"),
    "read_birth_date": _("Birth date on the card = birth date in the number"),
    "read_sex": _("Sex on the card = sex in the number"),
    "read_mrz": _("Passport machine-readable zone"),
    "validity": _("Validity period"),
    "reused_photo": _("Photo not seen on another account"),
    "identity_bound": _("Identity not bound to another account"),
    "identity_changed": _("Account not verified with another identity"),
    "liveness": _("Liveness (stub rules)"),
    "liveness_face": _("A face in the liveness frames"),
    "face_likeness": _("Card portrait and liveness face (hint only)"),
}

VERDICTS = {
    "missing": _("The photo is missing or its file is gone."),
    "resolution": _("The photo is too small to read."),
    "no_card": _("No card was found in the photo."),
    "cut_off": _("The card runs off the edge of the photo."),
    "too_small": _("The card is too small in the photo."),
    "proportions": _("The outline found does not have the document's proportions."),
    "too_dark": _("The photo is too dark."),
    "glare": _("Blown-out glare covers part of the card."),
    "glare_number": _("Glare covers the document number."),
    "blurred": _("The card is blurred."),
    "no_face_on_card": _("No face was found in the portrait area."),
    "wrong_side": _("The photo shows the other side of the card."),
    "not_id_card": _("The photo shows text, but not this document."),
    "unreadable": _("The card could not be read; check it by eye."),
    "number_unread": _("The number could not be read (or failed its checksum); compare by eye."),
    "number_differs": _("The number on the card differs from the number typed."),
    "number_differs_unchecked": _("The number read differs from the number typed; this document "
                                  "has no check digit, so the reading may be wrong."),
    "name_unread": _("The name could not be read; compare by eye."),
    "name_differs": _("The name on the card differs from the name typed."),
    "birth_differs": _("The printed birth date differs from the one in the number."),
    "sex_differs": _("The printed sex differs from the one in the number."),
    "mrz_unread": _("No machine-readable zone was read; check the data page by eye."),
    "mrz_check_digits": _("A check digit of the machine-readable zone does not match."),
    "expired": _("The document's validity period has ended."),
    "validity_unread": _("The validity period could not be read; check it by eye."),
    "document_number": _("The document number is not valid."),
    "under_age": _("The holder is under the minimum age."),
    "liveness": _("The liveness stub's rules failed."),
    "no_face_in_frames": _("Too few liveness frames show a face."),
    "identity_bound": _("This identity is bound to another account."),
}

NOT_FIXABLE_FAILURES = {
    "reused_photo": _("Seen on another account: compare the photos."),
    "identity_changed": _("This account is bound to a different identity."),
}


def _likeness(detail: dict) -> str:
    if not detail.get("compared"):
        return str(_("Not compared: no face found on both sides."))
    if detail.get("likely_same_person"):
        text = _("Distance %(distance)s: likely the same person. A hint, not a decision.")
    else:
        text = _("Distance %(distance)s: may be different people. Compare by eye.")
    return str(text) % {"distance": detail.get("distance")}


def describe(check: CheckResult) -> dict:
    """Return the check's label, a verdict sentence and what a reviewer needs from its detail."""
    side, _sep, base = check.name.partition("_")
    if side not in SIDE_WORDS:
        side, base = "", check.name
    label = LABELS.get(base, base)
    verdict: StrOrPromise
    if check.name == "face_likeness":
        verdict = _likeness(check.detail)
    elif check.passed:
        verdict = _("Passed.")
    elif check.detail.get("error"):
        verdict = _("The check could not run; decide by eye.")
    else:
        verdict = VERDICTS.get(check.code) or NOT_FIXABLE_FAILURES.get(base) or check.code
    return {"side": SIDE_WORDS.get(side, ""), "label": label, "verdict": verdict,
            "passed": check.passed, "score": check.score, "error": check.detail.get("error", ""),
            "detail": check.detail}

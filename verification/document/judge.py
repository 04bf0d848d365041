"""Judge a ``Reading`` against the document type and what the owner typed.

Pure rules, no database: the checks (``verification/checks.py``) and the
benchmark call the same functions. Each ``Finding`` names a check, whether
it passed, a message code, whether the owner can fix it (auto-rejection),
and the decision reason an auto-rejection takes.

Thresholds were tuned on the generated corpus of ``bench/bench_document_checks.py``
(see docs/benchmarks.md), not on real photos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from .. import documents
from . import fields as F

MIN_CARD_SHARE = 0.10  # the card covers at least this share of the photo
MIN_CARD_LONG_SIDE = 450  # pixels of the original photo along the card's long side
MIN_SHARPNESS = 0.9  # steepest edges / grey range on the flattened card (card.measure)
MIN_BRIGHTNESS = 70  # median grey level of the card
MAX_GLARE = 0.04  # share of blown-out pixels on the card
MAX_GLARE_NUMBER = 0.015  # ... in the band where the number is printed
DARK_PHOTO = 50  # mean grey level of a whole photo that is too dark to find anything
RATIO_WINDOWS = {  # long/short as photographed, perspective included
    documents.MAINLAND_ID: (1.44, 1.80),
    documents.HK_MACAO_PERMIT: (1.44, 1.80),
    documents.TAIWAN_PERMIT: (1.44, 1.80),
    documents.PASSPORT: (1.22, 1.62),
}


@dataclass
class Finding:
    name: str
    passed: bool
    code: str = ""
    fixable: bool = False
    reason: str = ""  # the decision reason of an auto-rejection (Decision value)
    detail: dict = field(default_factory=dict)
    score: float | None = None

    @property
    def value(self) -> float:
        score = (1.0 if self.passed else 0.0) if self.score is None else self.score
        return min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0


def fail(name: str, code: str, *, fixable: bool = True, reason: str = "photo_unclear",
         **detail) -> Finding:
    return Finding(name, False, code, fixable, reason if fixable else "", detail)


def ok(name: str, **detail) -> Finding:
    return Finding(name, True, detail=detail)


# ---------------------------------------------------------------------------
# The photo as a picture of a card
# ---------------------------------------------------------------------------
def judge_photo(side: str, reading: dict, document_type: str) -> list[Finding]:
    """Card found, whole, large enough, right proportions, light, sharp, no glare."""
    m = reading.get("metrics", {})
    if reading.get("card") == "cut_off":
        return [fail(f"{side}_card", "cut_off", card_share=m.get("card_share"))]
    if reading.get("card") != "found":
        dark = m.get("photo_brightness", 255) < DARK_PHOTO
        return [fail(f"{side}_card", "too_dark" if dark else "no_card",
                     photo_brightness=m.get("photo_brightness"))]
    low, high = RATIO_WINDOWS.get(document_type, RATIO_WINDOWS[documents.MAINLAND_ID])
    ratio = m.get("ratio", 0.0)
    if not low <= ratio <= high:
        return [fail(f"{side}_card", "proportions", ratio=ratio, expected=[low, high])]
    out = []
    small = m.get("card_share", 0) < MIN_CARD_SHARE or m.get(
        "card_long_side_px", 0) < MIN_CARD_LONG_SIDE
    out.append(fail(f"{side}_card", "too_small", card_share=m.get("card_share"),
                    long_side_px=m.get("card_long_side_px")) if small
               else ok(f"{side}_card", ratio=ratio, card_share=m.get("card_share")))
    if m.get("card_brightness", 255) < MIN_BRIGHTNESS:
        out.append(fail(f"{side}_exposure", "too_dark", brightness=m.get("card_brightness")))
        return out  # a dark card is neither sharp nor blurred: say only what to fix
    out.append(ok(f"{side}_exposure", brightness=m.get("card_brightness")))
    glare, glare_number = m.get("glare", 0.0), m.get("glare_number", 0.0)
    if glare_number > MAX_GLARE_NUMBER:
        out.append(fail(f"{side}_glare", "glare_number", glare=glare, glare_number=glare_number))
    elif glare > MAX_GLARE:
        out.append(fail(f"{side}_glare", "glare", glare=glare))
    else:
        out.append(ok(f"{side}_glare", glare=glare, glare_number=glare_number))
    sharp = m.get("sharpness", 0.0)
    out.append(Finding(f"{side}_sharpness", sharp >= MIN_SHARPNESS,
                       "" if sharp >= MIN_SHARPNESS else "blurred", sharp < MIN_SHARPNESS,
                       "photo_unclear" if sharp < MIN_SHARPNESS else "",
                       {"sharpness": sharp}, min(sharp / MIN_SHARPNESS, 1.0)))
    return out


def photo_usable(findings: list[Finding]) -> bool:
    return all(f.passed for f in findings)


# ---------------------------------------------------------------------------
# What the document says
# ---------------------------------------------------------------------------
def judge_front(reading: dict, number: str, *, document_type: str, typed_name: str,
                typed_number: str, today: date) -> list[Finding]:
    """Cross-check the front (or a passport's data page) with what was typed.

    ``number`` is the number read from the card (kept out of ``reading``,
    which is stored in clear).
    """
    kind = reading.get("kind")
    face = reading.get("face")
    face_finding = (ok("front_face") if face else
                    fail("front_face", "no_face_on_card"))
    if document_type == documents.MAINLAND_ID:
        if kind == "cn_back":
            return [fail("front_document", "wrong_side", found="back")]
        if kind != "cn_front":
            if face is False:  # no resident-ID text and no portrait: not the card's front
                return [fail("front_document", "not_id_card", text_rows=reading.get(
                    "metrics", {}).get("text_rows", 0))]
            return _unreadable_or_not_a_document("front_document", reading)
        return [ok("front_document"), face_finding,
                *_cross_check_ric(reading.get("fields", {}), number, typed_name, typed_number)]
    if document_type == documents.PASSPORT:
        return [face_finding, *_cross_check_mrz(reading.get("fields", {}), number,
                                                typed_number, today)]
    return [face_finding, *_cross_check_permit(reading, number, document_type, typed_number)]


def _unreadable_or_not_a_document(name: str, reading: dict) -> list[Finding]:
    rows = reading.get("metrics", {}).get("text_rows", 0)
    if rows >= 3:  # plenty of text, none of it a resident ID's: another paper
        return [fail(name, "not_id_card", text_rows=rows)]
    return [fail(name, "unreadable", fixable=False, text_rows=rows)]


def _cross_check_ric(read: dict, number: str, typed_name: str, typed_number: str) -> list[Finding]:
    out = []
    typed_number = documents.normalise(typed_number)
    valid = bool(number) and F.number_is_valid(number)
    if not valid:
        out.append(fail("read_number", "number_unread", fixable=False, read=bool(number)))
    elif number != typed_number:
        out.append(fail("read_number", "number_differs", reason="details_mismatch",
                        field="number"))
    else:
        out.append(ok("read_number"))
    name = read.get("name", "")
    typed = "".join(typed_name.split())
    if not name:
        out.append(fail("read_name", "name_unread", fixable=False, typed=typed))
    elif name != typed:
        out.append(fail("read_name", "name_differs", fixable=False, read=name, typed=typed))
    else:
        out.append(ok("read_name", read=name))
    in_number = F.birth_in_number(number if valid else typed_number)
    printed = read.get("birth_date")
    if printed and in_number and printed != in_number:
        out.append(fail("read_birth_date", "birth_differs", fixable=False, printed=printed,
                        in_number=in_number))
    elif printed:
        out.append(ok("read_birth_date", printed=printed))
    sex = read.get("sex")
    reference = number if valid else typed_number
    if sex and len(reference) == 18 and sex != F.sex_in_number(reference):
        out.append(fail("read_sex", "sex_differs", fixable=False, printed=sex))
    return out


def _cross_check_mrz(read: dict, number: str, typed_number: str, today: date) -> list[Finding]:
    if not read:
        return [fail("read_mrz", "mrz_unread", fixable=False)]
    checks = read.get("mrz_checks", {})
    out = [Finding("read_mrz", all(checks.values()), "" if all(checks.values()) else
                   "mrz_check_digits", False, "", {"checks": checks})]
    if checks.get("number") and number:
        same = number == documents.normalise(typed_number)
        out.append(ok("read_number") if same else
                   fail("read_number", "number_differs", reason="details_mismatch",
                        field="number"))
    expiry = read.get("expiry_date")
    if checks.get("expiry_date") and expiry:
        out.append(_validity(expiry, today))
    return out


def _cross_check_permit(reading: dict, number: str, document_type: str,
                        typed_number: str) -> list[Finding]:
    if not number:
        return [fail("read_number", "number_unread", fixable=False)]
    if number != documents.normalise(typed_number):
        # No check digit on these permits: a misread is possible, so a person decides.
        return [fail("read_number", "number_differs_unchecked", fixable=False)]
    return [ok("read_number")]


def judge_back(reading: dict, *, document_type: str, today: date) -> list[Finding]:
    """The back of a resident ID: right side, and the validity period not over."""
    if document_type != documents.MAINLAND_ID:
        return []
    kind = reading.get("kind")
    if kind == "cn_front":
        return [fail("back_document", "wrong_side", found="front")]
    if kind != "cn_back":
        return _unreadable_or_not_a_document("back_document", reading)
    until = reading.get("fields", {}).get("valid_until")
    if not until:
        return [ok("back_document"), fail("validity", "validity_unread", fixable=False)]
    if until == "long_term":
        return [ok("back_document"), ok("validity", valid_until="long_term")]
    return [ok("back_document"), _validity(until, today)]


def _validity(until: str, today: date) -> Finding:
    try:
        end = date.fromisoformat(until)
    except ValueError:
        return fail("validity", "validity_unread", fixable=False)
    if end < today:
        return fail("validity", "expired", reason="document_expired", valid_until=until)
    return ok("validity", valid_until=until)

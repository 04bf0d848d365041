"""Validation of document numbers with python-stdnum, and the age rule."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# Document types; values match VerificationRequest.DocumentType.
MAINLAND_ID = "cn_ric"
PASSPORT = "passport"
HK_MACAO_PERMIT = "hk_mo_permit"
TAIWAN_PERMIT = "tw_permit"

# Format checks for documents without a public checksum: a Chinese passport
# is E/G + 8 digits or E + letter + 7 digits (foreign ones: 6-9 letters/digits);
# the HK/Macao permit (往来港澳通行证) is C + 8 characters or H/M + 8-10 digits;
# the Taiwan permit is 8 or 10 digits.
_FORMATS = {
    # re.ASCII: \d must not accept other scripts' digits (they would hash
    # differently from the same number typed in ASCII).
    PASSPORT: re.compile(r"^(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[A-Z0-9]{6,9})$", re.ASCII),
    HK_MACAO_PERMIT: re.compile(r"^(?:C[0-9A-Z]\d{7}|[HM]\d{8,10})$", re.ASCII),
    TAIWAN_PERMIT: re.compile(r"^(?:\d{8}|\d{10})$", re.ASCII),
}


def normalise(number: str) -> str:
    """Return the form that is hashed and stored: full-width characters (which
    Chinese input methods type) folded to ASCII by NFKC, spaces and dashes
    dropped, upper-case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", number or "")).upper()


def validate_document_number(document_type: str, number: str) -> str:
    """Return the normalised number or raise ValidationError with a specific code."""
    number = normalise(number)
    if not number:
        raise ValidationError(_("Enter the document number."), code="number_missing")
    if document_type == MAINLAND_ID:
        return _validate_ric(number)
    pattern = _FORMATS.get(document_type)
    if pattern is None:
        raise ValidationError(_("Choose a document type."), code="unknown_document_type")
    if not pattern.match(number):
        raise ValidationError(
            _("This does not look like a valid number for this document. Check it against "
              "the document and type it again."),
            code="number_format",
        )
    return number


def _validate_ric(number: str) -> str:
    try:
        return ric.validate(number)
    except InvalidLength:
        raise ValidationError(
            _("A resident ID number has 18 characters."), code="ric_length"
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("The last character of this ID number does not match the others. "
              "Check for a mistyped digit."),
            code="ric_checksum",
        ) from None
    except InvalidComponent:
        raise ValidationError(
            _("The birth date or region inside this ID number is not valid."), code="ric_component"
        ) from None
    except InvalidFormat:
        raise ValidationError(
            _("A resident ID number has 17 digits followed by a digit or X."), code="ric_format"
        ) from None


def validate_licence_number(number: str) -> str:
    """Validate a unified social credit code (business licence); return it normalised."""
    number = normalise(number)
    try:
        return uscc.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("The check character of this business licence code does not match. Check it "
              "against the licence."),
            code="uscc_checksum",
        ) from None
    except (InvalidLength, InvalidFormat, InvalidComponent):
        raise ValidationError(
            _("A unified social credit code has 18 characters (digits and capital letters)."),
            code="uscc_format",
        ) from None


def birth_date(document_type: str, number: str) -> date | None:
    """Return the birth date encoded in the number, if the document carries one."""
    if document_type == MAINLAND_ID:
        return ric.get_birth_date(number)
    return None


def age_on(born: date, today: date) -> int:
    """Return the age in whole years on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_minimum_age(born: date | None, today: date) -> None:
    """Raise when the holder is younger than ``settings.PORTAL_MINIMUM_AGE``."""
    if born is not None and age_on(born, today) < settings.PORTAL_MINIMUM_AGE:
        raise ValidationError(
            _("You must be at least %(age)d years old to verify an account.")
            % {"age": settings.PORTAL_MINIMUM_AGE},
            code="under_age",
        )

"""Typed beside read, for the reviewer's case page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .. import crypto, documents
from ..models import DocumentReading, VerificationRequest
from . import fields as F


def comparison(request: VerificationRequest, front: DocumentReading | None,
               back: DocumentReading | None) -> list[dict]:
    """Rows of (field, typed, read, differs); ``differs`` only where both are known."""
    read = front.fields if front else {}
    back_read = back.fields if back else {}
    number = _typed_number(request)
    in_number = F.birth_in_number(number) if request.document_type == documents.MAINLAND_ID \
        and len(number) == 18 else None
    sex = F.sex_in_number(number) if in_number else None
    read_masked = front.number_masked if front else ""
    rows = [
        ("name", _("Name"), request.legal_name, read.get("name") or _full_name(read)),
        ("number", _("Document number"), request.number_masked, read_masked),
        ("birth_date", _("Birth date"), in_number, read.get("birth_date")),
        ("sex", _("Sex"), sex, read.get("sex")),
        ("ethnicity", _("Ethnicity"), None, read.get("ethnicity")),
        ("address", _("Address"), None, read.get("address")),
        ("authority", _("Issuing authority"), None, back_read.get("authority")),
        ("valid_from", _("Valid from"), None, back_read.get("valid_from")),
        ("valid_until", _("Valid until"), None,
         _("long-term") if back_read.get("valid_until") == "long_term"
         else back_read.get("valid_until") or read.get("expiry_date")),
    ]
    out = []
    for key, label, typed, seen in rows:
        if not typed and not seen:
            continue
        differs = bool(typed and seen and str(typed) != str(seen))
        if key == "number" and front and front.number_encrypted:  # compare in full, show masked
            differs = crypto.decrypt(front.number_encrypted) != number
        out.append({"key": key, "label": label, "typed": typed or "", "read": seen or "",
                    "differs": differs})
    return out


def _full_name(read: dict) -> str:
    return " ".join(filter(None, (read.get("surname"), read.get("given_names"))))


def _typed_number(request: VerificationRequest) -> str:
    try:
        return crypto.decrypt(request.number_encrypted) if request.number_encrypted else ""
    except Exception:  # noqa: BLE001 - an unreadable number shows as missing
        return ""

"""What a retry asks again: the parts of a decided request that failed.

Pure functions of check names and decision reasons (no database), so the
rule is read in one place and unit-tested. A part is a wizard step:
``identity`` (the typed details), ``front``, ``back``, ``liveness``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import VerificationRequest

Part = VerificationRequest.Part
Decision = VerificationRequest.Decision
ALL_PARTS = (Part.IDENTITY, Part.FRONT, Part.BACK, Part.LIVENESS)
A_NEW_DOCUMENT = (Part.IDENTITY, Part.FRONT, Part.BACK)

# Failed checks that name their part by prefix (front_card, back_glare, ...).
_PREFIXES = (("front_", Part.FRONT), ("back_", Part.BACK), ("liveness", Part.LIVENESS))
_CHECK_PARTS: dict[str, tuple[str, ...]] = {
    "document_number": (Part.IDENTITY,),
    "read_number": (Part.IDENTITY,),
    "read_name": (Part.IDENTITY,),
    "read_birth_date": (Part.IDENTITY,),
    "read_sex": (Part.IDENTITY,),
    "read_mrz": (Part.FRONT,),
    "validity": A_NEW_DOCUMENT,  # expired: another document altogether
    "identity_bound": A_NEW_DOCUMENT,
    "reused_photo": (Part.FRONT, Part.BACK),
}
_REASON_PARTS: dict[str, tuple[str, ...]] = {
    Decision.PHOTO_UNCLEAR: (Part.FRONT, Part.BACK),
    Decision.DETAILS_MISMATCH: (Part.IDENTITY,),
    Decision.FACE_MISMATCH: (Part.LIVENESS,),
    Decision.DOCUMENT_EXPIRED: A_NEW_DOCUMENT,
    Decision.IDENTITY_BOUND: A_NEW_DOCUMENT,
}


def _ordered(parts: Iterable[str]) -> list[str]:
    wanted = set(parts)
    return [part for part in ALL_PARTS if part in wanted]


def parts_for_checks(failed_names: Iterable[str]) -> list[str]:
    """The parts to give again after these checks failed; every part if none is known."""
    parts: set[str] = set()
    for name in failed_names:
        parts.update(_CHECK_PARTS.get(name, ()))
        parts.update(part for prefix, part in _PREFIXES if name.startswith(prefix))
    return _ordered(parts) or list(ALL_PARTS)


def parts_for_reason(reason: str) -> list[str]:
    """The parts to give again after a reviewer's rejection for ``reason``."""
    return _ordered(_REASON_PARTS.get(reason, ALL_PARTS))

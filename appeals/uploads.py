"""Validate untrusted evidence files: photos and PDFs, recognised from their bytes.

Both go through the shared guard (``portal.files``): photos are checked and
rebuilt from their pixels (``portal.files.images``: upright, sRGB, no
metadata; JPEG, PNG and WebP keep their format, HEIC becomes JPEG); PDFs are
parsed by a real parser and stored as its normalised rewrite
(``portal.files.pdf``). Every refusal names the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from portal.files import images, pdf
from portal.files.uploads import read_capped

_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"PK\x03\x04",
)

# The guard's refusals in this form's words; any other is "“name”: reason".
MESSAGES = {
    "file_too_large": _("“%(name)s” is larger than %(mb)d MB. Send a smaller file."),
    "file_empty": _("“%(name)s” is empty."),
    "file_executable": _(
        "“%(name)s” is a program or archive, not a photo or PDF. It was not accepted."),
    "file_type": _(
        "“%(name)s” is not a photo (JPEG, PNG, WebP or HEIC) or a PDF document. Take a "
        "screenshot of it or export it as JPEG or PDF, then send it again."),
    "image_too_large": _("“%(name)s” has too many pixels. Send a smaller photo."),
    "image_broken": _("“%(name)s” could not be read as a photo. It may be damaged."),
    "named": _("“%(name)s”: %(reason)s"),
}
# Guard codes renamed for this form (kept from before the guard was shared).
_IMAGE_CODES = {
    "too_many_pixels": "image_too_large",
    "format_not_allowed": "file_type",
    "unreadable": "image_broken",
}


@dataclass(frozen=True)
class CleanFile:
    """A validated file ready to store."""

    name: str
    content: bytes
    content_type: str
    extension: str


def sniff(head: bytes) -> str | None:
    """Return "jpeg", "png", "webp", "heif", "avif", "pdf" or "executable" from the first bytes."""
    if image_format := images.sniff(head):
        return image_format.name.lower()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_EXECUTABLE_MAGIC):
        return "executable"
    return None


def evidence_clean(upload: UploadedFile) -> CleanFile:
    """Return a safe copy of ``upload`` or raise ValidationError with a clear message."""
    name = (upload.name or "file")[-120:]
    try:
        data = read_capped(upload, settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES)
    except ValidationError as error:
        code = "file_empty" if error.code == "empty" else "file_too_large"
        raise _refusal(code, name, mb=settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES >> 20) from None
    kind = sniff(data[:64])
    if kind == "executable":
        raise _refusal("file_executable", name)
    if kind is None:
        raise _refusal("file_type", name)
    try:
        return _pdf_clean(name, data) if kind == "pdf" else _image_clean(name, data)
    except ValidationError as error:
        raise _named(error, name) from None


def _pdf_clean(name: str, data: bytes) -> CleanFile:
    clean = pdf.clean(data)
    return CleanFile(name=name, content=clean.content, content_type="application/pdf",
                     extension="pdf")


def _image_clean(name: str, data: bytes) -> CleanFile:
    clean = images.clean(data, images.evidence_rules(), keep_format=True)
    return CleanFile(name=name, content=clean.content, content_type=clean.content_type,
                     extension=clean.extension)


def _refusal(code: str, name: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params={"name": name, **params})


def _named(error: ValidationError, name: str) -> ValidationError:
    """Put the guard's refusal in this form's words, naming the file."""
    if code := _IMAGE_CODES.get(error.code):
        return _refusal(code, name)
    return ValidationError(MESSAGES["named"], code=error.code,
                           params={"name": name, "reason": error.messages[0]})

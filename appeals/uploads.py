"""Validate untrusted evidence files: images and PDF, sniffed from their bytes.

Images go through the same guard as identity photos
(``verification.images.open_guarded``: format allow-list sniffed from the
bytes, pixel budget, the decompression-bomb warning as an error, verify and
reopen), then are re-encoded from their pixels in their own format, which
drops EXIF/GPS and anything appended to the file. PDFs are kept as sent but
must start with the PDF magic and must not carry JavaScript or launch actions.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from verification import images

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"PK\x03\x04",
)
# Names whose presence makes a PDF active content. Hex escapes (/J#61vaScript)
# are decoded before the scan so they cannot hide a name.
# OpenAction and AA run actions by themselves when the file is opened.
_PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|OpenAction|AA)\b"
)
# Streams (including PDF 1.5 object streams, which can hold the names above
# out of sight of a byte scan) are inflated and scanned too, within a budget
# so a deflate bomb cannot exhaust memory.
# Found by a linear scan (``_pdf_streams``): a lazy regex from "stream" to
# "endstream" takes time quadratic in the file on unterminated streams, and
# runs past a stream whose data ends without a line break.
_PDF_STREAM_START = re.compile(rb"stream\r?\n")
_PDF_INFLATE_BUDGET = 20 * 1024 * 1024
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class CleanFile:
    """A validated file ready to store."""

    name: str
    content: bytes
    content_type: str
    extension: str


def sniff(head: bytes) -> str | None:
    """Return "jpeg", "png", "webp", "pdf" or "executable" from the first bytes."""
    if image_format := images.sniff(head):
        return image_format.lower()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_EXECUTABLE_MAGIC):
        return "executable"
    return None


def evidence_clean(upload: UploadedFile) -> CleanFile:
    """Return a safe copy of ``upload`` or raise ValidationError with a clear message."""
    name = (upload.name or "file")[-120:]
    max_bytes = settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)d MB. Send a smaller file.")
            % {"name": name, "mb": max_bytes // (1024 * 1024)},
            code="file_too_large",
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)d MB. Send a smaller file.")
            % {"name": name, "mb": max_bytes // (1024 * 1024)},
            code="file_too_large",
        )
    if not data:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="file_empty")
    kind = sniff(data[:16])
    if kind == "executable":
        raise ValidationError(
            _("“%(name)s” is a program or archive, not a photo or PDF. It was not accepted.")
            % {"name": name},
            code="file_executable",
        )
    if kind is None:
        raise ValidationError(
            _("“%(name)s” is not a JPEG, PNG or WebP photo or a PDF document.") % {"name": name},
            code="file_type",
        )
    if kind == "pdf":
        return _pdf_clean(name, data)
    return _image_clean(name, data)


def _pdf_unescape(data: bytes) -> bytes:
    """Decode #xx escapes in names (/J#61vaScript) so they cannot hide a name."""
    return _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _pdf_streams(data: bytes):
    """Yield the raw bytes of each stream, or None for one that never ends."""
    position = 0
    while start := _PDF_STREAM_START.search(data, position):
        end = data.find(b"endstream", start.end())
        if end < 0:
            yield None
            return
        yield data[start.end():end].rstrip(b"\r\n")
        position = end + len(b"endstream")


def _pdf_parts(data: bytes):
    """Yield the raw file, then each Flate stream inflated (within the budget)."""
    yield data
    budget = _PDF_INFLATE_BUDGET
    for stream in _pdf_streams(data):
        if stream is None:
            yield b"/JavaScript"  # an unterminated stream cannot be inspected: refuse
            return
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(stream, budget)
        except zlib.error:
            continue  # not Flate (an image, say): nothing the scan could read
        budget -= len(inflated)
        yield inflated
        if budget <= 0 or inflater.unconsumed_tail:
            yield b"/JavaScript"  # too much to inspect: treat as active content
            return


def _pdf_clean(name: str, data: bytes) -> CleanFile:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError(
            _("“%(name)s” is not a complete PDF document.") % {"name": name}, code="pdf_broken"
        )
    if any(_PDF_ACTIVE.search(_pdf_unescape(part)) for part in _pdf_parts(data)):
        raise ValidationError(
            _(
                "“%(name)s” contains scripts or embedded programs. Save it as a plain PDF "
                "(for example print it to PDF) and try again."
            )
            % {"name": name},
            code="pdf_active_content",
        )
    return CleanFile(name=name, content=data, content_type="application/pdf", extension="pdf")


# The shared guard's refusals, in this form's words (they name the file).
_IMAGE_REFUSALS = {
    "too_many_pixels": (
        "image_too_large",
        gettext_lazy("“%(name)s” has too many pixels. Send a smaller photo."),
    ),
    "format_not_allowed": (
        "file_type",
        gettext_lazy("“%(name)s” is not a JPEG, PNG or WebP photo or a PDF document."),
    ),
    "unreadable": (
        "image_broken",
        gettext_lazy("“%(name)s” could not be read as a photo. It may be damaged."),
    ),
}


def _image_clean(name: str, data: bytes) -> CleanFile:
    """Rebuild the pixels into a fresh file of the same format (see images.rebuild)."""
    try:
        image = images.open_guarded(data)
        image.load()
        content_type, extension = IMAGE_FORMATS[image.format]
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") and image.format != "JPEG" else "RGB"
        clean = images.rebuild(image, mode=mode)
    except ValidationError as error:
        code, message = _IMAGE_REFUSALS.get(error.code, _IMAGE_REFUSALS["unreadable"])
        raise ValidationError(message % {"name": name}, code=code) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        code, message = _IMAGE_REFUSALS["unreadable"]
        raise ValidationError(message % {"name": name}, code=code) from None
    out = io.BytesIO()
    options = {"quality": 90} if image.format in ("JPEG", "WEBP") else {}
    clean.save(out, format=image.format, **options)
    return CleanFile(
        name=name, content=out.getvalue(), content_type=content_type, extension=extension
    )

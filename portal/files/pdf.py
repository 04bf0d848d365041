"""Untrusted PDFs: parsed by a real parser (pikepdf) in a child process; a normalised copy kept.

``pdf_inspect`` (run with this interpreter, limits of its own) opens the
file with qpdf, which decodes object streams, every standard filter and
encryption; refuses a password it does not know, a decompression bomb (the
decoded size, objects and pages are bounded), and JavaScript, launch and
other outside actions, attached files, XFA forms and rich media wherever
they are; and writes qpdf's rewrite of the document, which is what we store.
A crash, a timeout or exhausted memory in the child is a refusal here.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("pdf_inspect.py")
_PRINT_AGAIN = _("Print it to a new PDF (Print → Save as PDF) and send that instead.")

MESSAGES = {
    "pdf_encrypted": _(
        "It is protected with a password, so staff could not open it. Save it again without "
        "a password (or print it to a new PDF) and send that."),
    "pdf_javascript": _("It contains scripts (JavaScript), which are not accepted."),
    "pdf_launch": _("It contains actions that open other files or programs, or send data "
                    "somewhere."),
    "pdf_embedded_file": _("It has files attached inside it. Send those files on their own."),
    "pdf_xfa": _("It is an XFA form, which cannot be shown safely."),
    "pdf_rich_media": _("It contains multimedia (Flash, video, sound or 3D)."),
    "pdf_too_large": _(
        "It is too large to check: unpacked, it holds more than %(mb)d MB or too many parts. "
        "Split it into smaller PDFs, or send photos of the pages that matter."),
    "pdf_too_many_pages": _(
        "It has %(pages)d pages; at most %(max)d are accepted. Send only the pages that "
        "matter."),
    "pdf_empty": _("It has no pages."),
    "pdf_broken": _(
        "It is damaged or not a complete PDF document. Save or export it again and send the "
        "new file."),
}
# Refusals the owner can fix by printing the document to a new PDF.
PRINT_AGAIN_CODES = {"pdf_javascript", "pdf_launch", "pdf_embedded_file", "pdf_xfa",
                     "pdf_rich_media"}


@dataclass(frozen=True)
class CleanPdf:
    content: bytes
    pages: int


def refusal(code: str, **params) -> ValidationError:
    if code not in MESSAGES:
        code, params = "pdf_broken", {}
    message = MESSAGES[code]
    if code in PRINT_AGAIN_CODES:
        message = _("%(problem)s %(advice)s")
        params = {"problem": MESSAGES[code], "advice": _PRINT_AGAIN}
    return ValidationError(message, code=code, params=params)


def limits() -> dict:
    return {
        "max_objects": settings.PORTAL_PDF_MAX_OBJECTS,
        "max_pages": settings.PORTAL_PDF_MAX_PAGES,
        "max_decoded_bytes": settings.PORTAL_PDF_MAX_DECODED_BYTES,
        "max_stream_bytes": settings.PORTAL_PDF_MAX_STREAM_BYTES,
        "max_image_pixels": settings.PORTAL_PDF_MAX_IMAGE_PIXELS,
        "memory_bytes": settings.PORTAL_PDF_MEMORY_BYTES,
        "cpu_seconds": settings.PORTAL_PDF_CPU_SECONDS,
    }


def clean(data: bytes) -> CleanPdf:
    """Return the normalised copy of the PDF ``data``, or raise ValidationError."""
    too_large = refusal("pdf_too_large", mb=settings.PORTAL_PDF_MAX_DECODED_BYTES >> 20)
    try:
        done = subprocess.run(
            [sys.executable, str(CHILD), json.dumps(limits())], input=data,
            capture_output=True, timeout=settings.PORTAL_PDF_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise too_large from None
    verdict_line, _newline, content = done.stdout.partition(b"\n")
    if done.returncode != 0 or not verdict_line:
        raise _child_failed(done, too_large)
    verdict = json.loads(verdict_line)
    if not verdict["ok"]:
        raise refusal(verdict["code"], **verdict.get("params", {}))
    return CleanPdf(content=content, pages=verdict["pages"])


def _child_failed(done: subprocess.CompletedProcess, too_large: ValidationError):
    """Out of memory or CPU time means too large; any other crash, a damaged file."""
    out_of_resources = done.returncode in (-signal.SIGKILL, -signal.SIGXCPU) or (
        b"MemoryError" in done.stderr or b"bad_alloc" in done.stderr)
    if out_of_resources:
        return too_large
    logger.warning("PDF check ended with status %s: %s", done.returncode,
                   done.stderr[-2000:].decode(errors="replace"))
    return refusal("pdf_broken")

"""Untrusted images: sniff, guard, decode, rebuild and re-encode; analyse cheaply.

As Django's ImageField does it (open, ``verify()``, reopen), plus an explicit
format allow-list sniffed from the bytes, the decompression-bomb guard turned
into an error, and a rebuild of the pixels into a fresh JPEG without EXIF, so
no metadata (GPS) or polyglot payload survives.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

import imagehash
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

# Magic bytes of the formats we accept; anything else (SVG, GIF, HTML, text) is refused.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
# Long edge of the stored copy; larger photos add nothing a reviewer can see.
STORE_MAX_EDGE = 4096
# Long edge of the copy the automatic checks analyse. 1000 lets the JPEG decoder
# scale a 4000×3000 (12 MP) photo by 1/4 while decoding.
ANALYSIS_EDGE = 1000


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    width: int
    height: int


def sniff(head: bytes) -> str | None:
    """Return the format the leading bytes announce, if it is one we accept."""
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _read_capped(upload) -> bytes:
    limit = settings.PORTAL_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large()
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    if not data:
        raise ValidationError(_("The file is empty. Choose the photo again."), code="empty")
    return data


def _too_large() -> ValidationError:
    mb = settings.PORTAL_UPLOAD_MAX_BYTES // (1024 * 1024)
    return ValidationError(
        _("The file is larger than %(mb)d MB. Take the photo again or choose a smaller one.")
        % {"mb": mb},
        code="too_large",
    )


def _unreadable() -> ValidationError:
    return ValidationError(
        _("The picture could not be read; it may be damaged or cut off. Take it again."),
        code="unreadable",
    )


def open_guarded(data: bytes) -> Image.Image:
    """Open ``data`` as an allowed format with the bomb guard; raise ValidationError.

    The header is sniffed before Pillow sees the bytes, the pixel count is
    checked before anything is decoded, and Pillow's own bomb warning is an
    error too.
    """
    announced = sniff(data[:16])
    if announced is None:
        raise ValidationError(
            _("Only JPEG, PNG or WebP photos are accepted."), code="format_not_allowed"
        )
    Image.MAX_IMAGE_PIXELS = settings.PORTAL_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=[announced])
            _check_pixels(probe)
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=[announced])
            _check_pixels(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError):
        raise _unreadable() from None
    return image


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width * height > settings.PORTAL_IMAGE_MAX_PIXELS:
        raise _too_many_pixels()
    if min(width, height) < 1:
        raise _unreadable()


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The picture has too many pixels. Use your phone camera's normal setting."),
        code="too_many_pixels",
    )


def sanitize(upload) -> CleanImage:
    """Validate an uploaded file and return a fresh JPEG without metadata."""
    data = _read_capped(upload)
    image = open_guarded(data)
    try:
        image.load()
        clean = rebuild(image, mode="RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _unreadable() from None
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=90, optimize=True)
    return CleanImage(content=out.getvalue(), width=clean.width, height=clean.height)


def rebuild(image: Image.Image, *, mode: str) -> Image.Image:
    """Return a new image of only the loaded ``image``'s pixels: upright (EXIF
    orientation applied), in ``mode``, at most ``STORE_MAX_EDGE`` on a side, with
    no info dict, EXIF, ICC or trailing bytes. May raise Pillow's decode errors."""
    pixels = ImageOps.exif_transpose(image).convert(mode)
    pixels.thumbnail((STORE_MAX_EDGE, STORE_MAX_EDGE))
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


# ---------------------------------------------------------------------------
# Private storage
# ---------------------------------------------------------------------------
def private_storage():
    return storages["private"]


def store(clean: CleanImage, *, folder: str) -> str:
    """Save a clean image in private storage under a random name; return the name."""
    return private_storage().save(f"{folder}/{uuid.uuid4().hex}.jpg", ContentFile(clean.content))


def load(name: str) -> bytes:
    with private_storage().open(name, "rb") as handle:
        return handle.read()


def delete(name: str) -> None:
    if name:
        private_storage().delete(name)


# ---------------------------------------------------------------------------
# Analysis on a downscaled copy
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Analysis:
    width: int  # of the original picture
    height: int
    sharpness: float  # variance of the Laplacian of the grey copy
    glare: float  # share of blown-out pixels
    phash: str
    grey: np.ndarray  # small grey copy, for comparing frames


def downscaled(data: bytes, edge: int = ANALYSIS_EDGE) -> tuple[Image.Image, tuple[int, int]]:
    """Decode ``data`` at reduced size (JPEG draft mode) and return it with the original size."""
    image = open_guarded(data)
    size = image.size
    if image.format == "JPEG":
        # The JPEG decoder scales by 1/2..1/8 while decoding: far less work and memory.
        # draft() keeps the result at least as large as the box, so give it the aspect.
        scale = edge / max(size)
        image.draft("RGB", (max(1, int(size[0] * scale)), max(1, int(size[1] * scale))))
    image = image.convert("RGB")
    image.thumbnail((edge, edge))
    return image, size


def analyse(data: bytes) -> Analysis:
    """Measure what the quality checks need, from a downscaled copy."""
    image, (width, height) = downscaled(data)
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    return Analysis(
        width=width,
        height=height,
        sharpness=laplacian_variance(grey),
        glare=float((grey >= 250).mean()),
        phash=str(imagehash.phash(image)),
        grey=np.asarray(image.convert("L").resize((64, 64)), dtype=np.float32),
    )


def laplacian_variance(grey: np.ndarray) -> float:
    """Return the variance of the 4-neighbour Laplacian: low means blurred."""
    lap = (
        -4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
    )
    return float(lap.var())

"""Untrusted photos: sniff, bound the cost, decode, bring to sRGB, rebuild.

As Django's ImageField does it (open, ``verify()``, reopen, and any error of
the decoder is a refusal), and more:

- the format comes from the bytes, against an allow-list (JPEG, PNG, WebP,
  HEIC/HEIF from iPhones, AVIF);
- everything is judged from the header before a pixel is decoded: the pixel
  budget, a minimum size and sane proportions for the purpose, and whether
  the file is large enough to honestly hold the pixels it declares (a 1.4 KB
  JPEG claiming 6000 × 6000 is refused without decoding it);
- a JPEG larger than the stored copy is decoded at a reduced scale (draft);
- the pixels become 8-bit sRGB whatever their mode (16-bit grey, 32-bit
  integer, float, palette with transparency, CMYK, 1-bit, …) and colour
  profile (a Display-P3 photo keeps its colours);
- the EXIF orientation is applied when it can be read and ignored when it
  cannot: EXIF is untrusted too and never becomes an error;
- a fresh image is built from the pixels alone, so no metadata (GPS), colour
  profile or appended payload survives.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms

# iPhones save HEIC. Thumbnails, depth maps and auxiliary images are never used.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

# Below this many pixels a decode is cheap (about 12 MB of RGB) whatever the
# file size; above it the file must be large enough to hold its pixels.
FREE_PIXELS = 4_000_000


@dataclass(frozen=True)
class Format:
    name: str  # Pillow's format id
    content_type: str
    extension: str
    # The most pixels one byte of a real file of this format can hold:
    # Huffman-coded JPEG spends at least one bit on each 8 × 8 block (512);
    # PNG's deflate expands at most 1032:1 and a pixel takes at least one bit
    # (8256). WebP, HEIF and AVIF use arithmetic coding, which has no hard
    # bound; 2048 is far beyond any camera photo or screenshot.
    pixels_per_byte: int


FORMATS = {
    f.name: f
    for f in (
        Format("JPEG", "image/jpeg", "jpg", 512),
        Format("PNG", "image/png", "png", 8256),
        Format("WEBP", "image/webp", "webp", 2048),
        Format("HEIF", "image/heic", "heic", 2048),
        Format("AVIF", "image/avif", "avif", 2048),
    )
}
# ISO base media brands (the ``ftyp`` box) of HEVC-coded HEIF and of AVIF.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
# A progressive JPEG's decoder goes over every block once per scan; phones write
# about 10. Thousands of tiny scans cost minutes of CPU in a small file.
MAX_JPEG_SCANS = 100
# The largest side a WebP can have (JPEG and PNG allow more).
WEBP_MAX_EDGE = 16383
# Formats stored as they came (re-encoded); the others are stored as JPEG.
KEPT_FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class Rules:
    """What a photo for one purpose must be."""

    min_edge: int  # pixels on the short side
    max_ratio: float  # long side / short side
    max_edge: int  # long side of the stored copy


def photo_rules() -> Rules:
    """Identity photos and liveness frames."""
    return Rules(settings.PORTAL_PHOTO_MIN_EDGE, settings.PORTAL_PHOTO_MAX_RATIO,
                 settings.PORTAL_IMAGE_STORE_MAX_EDGE)


def evidence_rules() -> Rules:
    """Appeal evidence: screenshots may be long (a whole chat), and are kept readable:
    only the pixel budget bounds them, up to WebP's largest side."""
    return Rules(settings.PORTAL_EVIDENCE_IMAGE_MIN_EDGE, settings.PORTAL_EVIDENCE_IMAGE_MAX_RATIO,
                 WEBP_MAX_EDGE)


MESSAGES = {
    "format_not_allowed": _(
        "Only JPEG, PNG, WebP or HEIC (iPhone) photos are accepted. Take a screenshot of the "
        "picture or export it as JPEG, then try again."),
    "unreadable": _(
        "The picture could not be read; it may be damaged or cut off. Take it again."),
    "too_many_pixels": _(
        "The picture has too many pixels. Use your phone camera's normal setting."),
    "too_small": _(
        "The picture is only %(width)d × %(height)d pixels; each side needs at least %(min)d. "
        "Take the photo again with the camera."),
    "bad_proportions": _(
        "The picture is %(width)d × %(height)d pixels, far too long and narrow for a photo. "
        "Take the photo again with the camera."),
    "too_complex": _(
        "The picture is saved in an unusual way that would take too long to read. Take the "
        "photo again with the camera, or take a screenshot of it."),
    "implausible": _(
        "The picture claims to be %(width)d × %(height)d pixels, but the file is far too small "
        "to hold them: it is damaged or not a real photo. Take it again."),
}


def refusal(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params)


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


def sniff(head: bytes) -> Format | None:
    """Return the allowed format the leading bytes (64 are enough) announce, if any."""
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["JPEG"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["PNG"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FORMATS["WEBP"]
    if head[4:8] == b"ftyp":
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, box_end - 3, 4)}
        if brands & _AVIF_BRANDS and not brands & (_HEIF_BRANDS - {b"mif1", b"msf1"}):
            return FORMATS["AVIF"]
        if brands & _HEIF_BRANDS:
            return FORMATS["HEIF"]
    return None


# ---------------------------------------------------------------------------
# Open: judge the header before decoding anything
# ---------------------------------------------------------------------------
def open_guarded(data: bytes, rules: Rules | None = None) -> Image.Image:
    """Open ``data`` as an allowed format, judged from its header; raise ValidationError.

    Nothing is decoded before the declared size has passed the pixel budget,
    the ``rules`` and the honest-size check.
    """
    fmt = sniff(data[:64])
    if fmt is None:
        raise refusal("format_not_allowed")
    # Start-of-scan markers cannot occur inside entropy-coded data (0xFF is stuffed).
    if fmt.name == "JPEG" and data.count(b"\xff\xda") > MAX_JPEG_SCANS:
        raise refusal("too_complex")
    try:
        return _open_checked(data, fmt, rules)
    except ValidationError as refused:
        # Pillow reads a JPEG's EXIF while opening it, and some damaged blocks
        # (a resolution tag of the wrong type) make the whole file unreadable
        # to it. The picture is what is wanted: try once more without EXIF.
        without = jpeg_without_exif(data) if fmt.name == "JPEG" else data
        if refused.code != "unreadable" or without == data:
            raise
        return _open_checked(without, fmt, rules)


def _open_checked(data: bytes, fmt: Format, rules: Rules | None) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = settings.PORTAL_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns about corrupt EXIF and the like: noise, not refusals.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=[fmt.name])
            check_declared(probe.size, len(data), fmt, rules)
            probe.verify()
            return Image.open(io.BytesIO(data), formats=[fmt.name])
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refusal("too_many_pixels") from None
    except Exception:  # noqa: BLE001 - any decoder error on hostile bytes is a refusal
        raise refusal("unreadable") from None


def jpeg_without_exif(data: bytes) -> bytes:
    """``data`` without its EXIF segments (APP1 "Exif"), everything else as it was.

    Walks the segments before the first scan; where the file stops making
    sense, the rest is kept as it is, for the decoder to judge.
    """
    kept, at = [data[:2]], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker == 0xDA or length < 2:  # the scan begins, or not a segment
            break
        segment = data[at:at + 2 + length]
        if not (marker == 0xE1 and segment[4:10] == b"Exif\x00\x00"):
            kept.append(segment)
        at += 2 + length
    kept.append(data[at:])
    return b"".join(kept)


def check_declared(size: tuple[int, int], nbytes: int, fmt: Format,
                   rules: Rules | None = None) -> None:
    """Refuse a declared size outside the budget, the rules, or what ``nbytes`` can hold."""
    width, height = size
    pixels = width * height
    if min(width, height) < 1:
        raise refusal("unreadable")
    if pixels > settings.PORTAL_IMAGE_MAX_PIXELS:
        raise refusal("too_many_pixels")
    if rules and min(width, height) < rules.min_edge:
        raise refusal("too_small", width=width, height=height, min=rules.min_edge)
    if rules and max(width, height) / min(width, height) > rules.max_ratio:
        raise refusal("bad_proportions", width=width, height=height)
    if pixels > FREE_PIXELS + nbytes * fmt.pixels_per_byte:
        raise refusal("implausible", width=width, height=height)


# ---------------------------------------------------------------------------
# Decode: reduced when it can be, upright, 8-bit sRGB
# ---------------------------------------------------------------------------
def decode(image: Image.Image, *, max_edge: int) -> Image.Image:
    """Decode an opened image into upright 8-bit sRGB pixels (RGB, or RGBA if
    it has transparency), at most ``max_edge`` on the long side.

    May raise the decoder's errors; ``clean`` turns them into a refusal.
    """
    if image.format in ("JPEG", "MPO") and max(image.size) > max_edge:
        # The JPEG decoder scales by 1/2..1/8 while decoding; draft keeps the
        # result at least as large as asked.
        scale = max_edge / max(image.size)
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    profile = image.info.get("icc_profile")
    orientation = exif_orientation(image)
    pixels = upright(to_srgb(image, profile), orientation)
    if max(pixels.size) > max_edge:
        pixels.thumbnail((max_edge, max_edge))
    return pixels


def exif_orientation(image: Image.Image) -> int:
    """Return the EXIF orientation (1–8), or 1 when there is none or it cannot be read."""
    try:
        value = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - a malformed EXIF block: keep the picture, skip the tag
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def to_srgb(image: Image.Image, profile: bytes | None = None) -> Image.Image:
    """Return the pixels as 8-bit sRGB: RGB, or RGBA when the picture has transparency."""
    image = eight_bit(image)
    alpha = None
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        colour = image.convert("L") if image.mode in ("LA", "La") else rgba.convert("RGB")
    elif image.mode in ("L", "RGB", "CMYK"):
        colour = image
    else:  # P, YCbCr, RGBX, …
        colour = image.convert("RGB")
    rgb = _with_profile(colour, profile)
    if alpha is None:
        return rgb
    rgb = rgb.convert("RGBA")
    rgb.putalpha(alpha)
    return rgb


def eight_bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit integer and float greyscale to 8-bit "L"; 1-bit to "L".

    A plain ``convert`` clips 16-bit values above 255, so a 16-bit scan
    would come out white.
    """
    mode = image.mode
    if mode == "1":
        return image.convert("L")
    if mode in ("I;16", "I"):  # PNG's 16-bit grey: scaled by Pillow, in C
        high = float(image.getextrema()[1])  # type: ignore[arg-type]  # one band: (low, high)
        top = 65535 if mode == "I;16" or 255 < high <= 65535 else max(high, 255)
        return image.point(lambda value: value * (255 / top) + 0.5).convert("L")
    if not (mode.startswith("I;16") or mode == "F"):
        return image
    values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(values.max()) if values.size else 0.0
    if mode.startswith("I;16") or 255 < top <= 65535:
        top = 65535.0
    elif 0 < top <= 1.0:  # float in 0..1
        top = 1.0
    elif top <= 255:
        top = 255.0
    scaled = np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(scaled)  # uint8, two dimensions: "L"


# The colour space an embedded profile must describe for each mode.
_PROFILE_SPACES = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}


def _with_profile(image: Image.Image, profile: bytes | None) -> Image.Image:
    """Convert L, RGB or CMYK pixels to sRGB RGB through their embedded profile.

    A profile that is missing, damaged or of another colour space is
    skipped: the pixels are then taken as sRGB already.
    """
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if source.profile.xcolor_space.strip() == _PROFILE_SPACES[image.mode]:
                converted = ImageCms.profileToProfile(
                    image, source, _srgb(), outputMode="RGB",
                    renderingIntent=ImageCms.Intent.PERCEPTUAL)
                if converted is not None:  # None only when converting in place
                    return converted
        except Exception:  # noqa: BLE001 - a damaged profile from an untrusted file: ignore it
            pass
    return image.convert("RGB")


_SRGB: ImageCms.ImageCmsProfile | None = None


def _srgb() -> ImageCms.ImageCmsProfile:
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


# ---------------------------------------------------------------------------
# Rebuild and encode
# ---------------------------------------------------------------------------
def rebuild(pixels: Image.Image) -> Image.Image:
    """Return a new image holding only ``pixels`` (no info, EXIF, profile or trailer)."""
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    return clean


def encode(image: Image.Image, format_name: str) -> bytes:
    out = io.BytesIO()
    if format_name == "JPEG":
        _on_white(image).save(out, "JPEG", quality=90, optimize=True)
    elif format_name == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        image.save(out, format_name)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white (what a viewer shows), for formats without alpha."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image).convert("RGB")


def clean(data: bytes, rules: Rules, *, keep_format: bool = False) -> CleanImage:
    """Validate ``data`` and return a fresh, upright sRGB copy without metadata.

    The copy is a JPEG, or with ``keep_format`` the same format for JPEG, PNG
    and WebP (HEIC and AVIF become JPEG, which every viewer shows).
    """
    image = open_guarded(data, rules)
    source_format = "JPEG" if image.format == "MPO" else image.format
    out_format = source_format if keep_format and source_format in KEPT_FORMATS else "JPEG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels = rebuild(decode(image, max_edge=rules.max_edge))
            content = encode(pixels, out_format)
    except Exception:  # noqa: BLE001 - any decoder error on hostile bytes is a refusal
        raise refusal("unreadable") from None
    fmt = FORMATS[out_format]
    return CleanImage(content=content, width=pixels.width, height=pixels.height,
                      content_type=fmt.content_type, extension=fmt.extension)

"""The photo guard: sizes judged before decoding, every mode and profile to sRGB, HEIC, EXIF."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from portal.files import images
from tests.files import samples
from tests.files.icc import matrix_profile, p3_to_srgb

pytestmark = pytest.mark.usefixtures("english")


def clean(data: bytes, rules=None, **options) -> images.CleanImage:
    return images.clean(data, rules or images.photo_rules(), **options)


def opened(result: images.CleanImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.content))
    image.load()
    return image


def refused(data: bytes, rules=None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        clean(data, rules)
    return info.value


# ---------------------------------------------------------------------------
# Judged from the header: size, proportions, honesty
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size,code", [
    ((1, 1), "too_small"),
    ((20000, 10), "too_small"),
    ((10, 20000), "too_small"),
    ((199, 600), "too_small"),
    ((2000, 400), "bad_proportions"),
])
def test_absurd_photo_sizes_are_refused_with_the_size_in_the_message(size, code):
    error = refused(samples.encoded(Image.new("L", size, 128), "PNG"))
    assert error.code == code
    assert f"{size[0]} × {size[1]}" in error.messages[0]


def test_evidence_allows_long_screenshots_but_not_strips():
    chat = samples.encoded(samples.picture((1080, 16000)), "PNG")  # a whole chat: 1 : 15
    kept = clean(chat, images.evidence_rules(), keep_format=True)
    assert (kept.width, kept.height) == (1080, 16000)  # every line still readable
    tall = samples.encoded(samples.picture((500, 20000)), "JPEG")
    assert clean(tall, images.evidence_rules(), keep_format=True).height == 16383
    strip = samples.encoded(Image.new("L", (20000, 10), 128), "PNG")
    assert refused(strip, images.evidence_rules()).code == "too_small"
    line = samples.encoded(Image.new("L", (3000, 40), 128), "PNG")  # 1 : 75
    assert refused(line, images.evidence_rules()).code == "bad_proportions"


def test_a_tiny_jpeg_claiming_36_megapixels_is_refused_before_decoding():
    data = samples.lying_jpeg((6000, 6000))
    assert len(data) < 2000
    error = refused(data)
    assert error.code == "implausible" and "6000 × 6000" in error.messages[0]


def test_refusing_the_lying_jpeg_costs_no_decode_memory(tmp_path):
    """Measured in a fresh process: the refusal adds nothing to peak memory.

    Decoding what the header claims would take 6000 × 6000 × 3 bytes (108 MB).
    """
    sample = tmp_path / "lying.jpg"
    sample.write_bytes(samples.lying_jpeg((6000, 6000)))
    script = (
        "import os, resource, sys, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings.test'\n"
        "django.setup()\n"
        "from django.core.exceptions import ValidationError\n"
        "from portal.files import images\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    images.clean(data, images.photo_rules())\n"
        "except ValidationError as error:\n"
        "    print(error.code)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(sample)], capture_output=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd()}, text=True, check=True,
                          timeout=120)
    code, kib = done.stdout.split()[-2:]
    assert code == "implausible"
    assert int(kib) < 5_000, kib


def test_a_png_claiming_more_than_its_data_can_hold_is_refused():
    data = bytearray(samples.encoded(samples.picture((300, 300)), "PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = (6000).to_bytes(4, "big") * 2
    data[ihdr + 17:ihdr + 21] = zlib.crc32(bytes(data[ihdr:ihdr + 17])).to_bytes(4, "big")
    assert refused(bytes(data)).code == "implausible"


def test_a_flat_picture_that_really_is_that_large_is_accepted(settings):
    # Honest compression never trips the check: 9000 × 6000 of one colour, 1 bit a pixel.
    settings.PORTAL_IMAGE_MAX_PIXELS = 60_000_000
    data = samples.encoded(Image.new("1", (9000, 6000), 1), "PNG")
    assert clean(data, images.evidence_rules(), keep_format=True).width == 9000


def test_a_jpeg_with_thousands_of_scans_is_refused_before_decoding():
    progressive = samples.encoded(samples.picture((800, 600)), "JPEG", progressive=True)
    assert clean(progressive).width == 800  # a phone's ten scans are fine
    header, first_scan = progressive.split(b"\xff\xda")[:2]
    many = header + (b"\xff\xda" + first_scan) * 1000 + b"\xff\xd9"
    assert refused(many).code == "too_complex"


def test_the_pixel_budget_is_checked_before_anything_else(settings):
    settings.PORTAL_IMAGE_MAX_PIXELS = 1_000_000
    assert refused(samples.encoded(samples.picture((1200, 900)), "JPEG")).code == \
        "too_many_pixels"


@pytest.mark.parametrize("data,name", [
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "gif"),
    (b"BM" + bytes(100), "bmp"),
    (b"II*\x00" + bytes(100), "tiff"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
])
def test_other_formats_are_refused_saying_what_to_do(data, name):
    error = refused(data)
    assert error.code == "format_not_allowed"
    assert "HEIC" in error.messages[0] and "screenshot" in error.messages[0]


# ---------------------------------------------------------------------------
# Every mode to 8-bit sRGB
# ---------------------------------------------------------------------------
def test_a_16_bit_greyscale_png_keeps_its_greys():
    result = opened(clean(samples.grey16_png((640, 480))))
    row = np.asarray(result.convert("L"))[240]
    assert row[5] < 10 and row[-5] > 245  # black to white, as in the original
    assert 110 < row[320] < 145  # the middle of the ramp is mid-grey, not white
    assert (np.asarray(result.convert("L")) >= 250).mean() < 0.05


@pytest.mark.parametrize("mode,value,expected", [
    ("I", 30000, 117),  # 32-bit integer holding 16-bit values
    ("I", 200, 200),  # 32-bit integer holding 8-bit values
    ("F", 0.5, 128),  # float in 0..1
    ("F", 1000.0, 4),  # float holding 16-bit values
    ("I;16", 65535, 255),
    ("I;16B", 32768, 128),
    ("1", 1, 255),
    ("L", 77, 77),
])
def test_numeric_modes_are_scaled_to_8_bit(mode, value, expected):
    image = Image.new(mode, (8, 8), value)
    grey = np.asarray(images.to_srgb(image).convert("L"))
    assert abs(int(grey[0, 0]) - expected) <= 1


def test_a_palette_with_a_transparent_colour_keeps_its_transparency_in_png():
    image = Image.new("P", (300, 300), 1)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    image.paste(0, (0, 0, 150, 300))
    data = samples.encoded(image, "PNG", transparency=0)
    result = opened(clean(data, images.evidence_rules(), keep_format=True))
    assert result.mode == "RGBA"
    assert result.getpixel((10, 10))[3] == 0 and result.getpixel((200, 10)) == (200, 30, 30, 255)


def test_transparency_becomes_white_in_a_jpeg_not_black():
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    image.paste((20, 20, 160, 255), (100, 100, 200, 200))
    result = opened(clean(samples.encoded(image, "PNG")))
    assert result.mode == "RGB"
    assert min(result.getpixel((10, 10))) > 245
    assert result.getpixel((150, 150))[2] > 130


@pytest.mark.parametrize("mode,colour", [("LA", (90, 255)), ("CMYK", (0, 255, 255, 0)),
                                         ("L", 200), ("RGB", (10, 200, 30))])
def test_other_modes_come_out_as_8_bit_rgb(mode, colour):
    fmt = "JPEG" if mode in ("CMYK", "L", "RGB") else "PNG"
    result = opened(clean(samples.encoded(Image.new(mode, (300, 300), colour), fmt)))
    assert result.mode == "RGB"
    expected = Image.new(mode, (1, 1), colour).convert("RGB").getpixel((0, 0))
    assert all(abs(a - b) <= 4 for a, b in zip(result.getpixel((150, 150)), expected, strict=True))


# ---------------------------------------------------------------------------
# Colour profiles
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_display_p3_photo_keeps_its_colours(fmt):
    p3 = (90, 170, 60)
    data = samples.encoded(Image.new("RGB", (400, 300), p3), fmt, icc_profile=matrix_profile(),
                           **({"quality": 100} if fmt != "PNG" else {}))
    result = opened(clean(data, images.evidence_rules(), keep_format=True))
    assert "icc_profile" not in result.info  # converted, then dropped: sRGB everywhere
    got = result.convert("RGB").getpixel((200, 150))
    want = p3_to_srgb(p3)
    assert all(abs(g - w) <= 4 for g, w in zip(got, want, strict=True)), (got, want)
    assert abs(got[0] - p3[0]) > 25  # a plain copy of the numbers would be far off


def test_a_damaged_or_mismatched_profile_is_ignored_and_the_photo_kept():
    photo = samples.picture((400, 300))
    for profile in (b"not a profile at all", matrix_profile()[:100]):
        assert clean(samples.encoded(photo, "JPEG", icc_profile=profile)).width == 400
    grey = Image.new("L", (400, 300), 99)  # an RGB profile on a greyscale JPEG
    result = opened(clean(samples.encoded(grey, "JPEG", icc_profile=matrix_profile())))
    assert abs(result.getpixel((5, 5))[0] - 99) <= 2


# ---------------------------------------------------------------------------
# HEIC (iPhone) and AVIF: accepted and converted on arrival
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_become_upright_jpeg(fmt):
    photo = samples.picture((640, 480), seed=3)
    data = samples.encoded(photo, fmt, exif=samples.orientation_exif(6), quality=90)
    assert images.sniff(data[:64]).name == fmt
    result = clean(data, images.evidence_rules(), keep_format=True)
    assert result.content_type == "image/jpeg" and result.extension == "jpg"
    stored = opened(result)
    assert stored.size == (480, 640)  # rotated upright once, not twice
    assert not stored.getexif()


def test_the_heif_brand_is_read_from_the_file_type_box():
    assert images.sniff(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic").name == "HEIF"
    assert images.sniff(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif").name == "AVIF"
    assert images.sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41") is None  # a video


# ---------------------------------------------------------------------------
# EXIF: applied when readable, never an error
# ---------------------------------------------------------------------------
def test_orientation_is_applied_and_all_exif_dropped():
    data = samples.with_exif(samples.picture((400, 300)), "JPEG", samples.orientation_exif(6))
    result = clean(data)
    assert (result.width, result.height) == (300, 400)
    assert b"Exif" not in result.content and b"PhoneMaker" not in result.content


@pytest.mark.parametrize("exif", [
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01",  # cut short
    b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",  # first IFD far outside the block
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + bytes(40),  # 65535 entries claimed
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x02\x00\x00\x00\x04\x00\x00\x00\x1a"
    b"six\x00",  # orientation as text
])
def test_malformed_exif_keeps_the_picture(exif):
    photo = samples.picture((400, 300))
    for fmt in ("JPEG", "PNG", "WEBP"):
        result = clean(samples.with_exif(photo, fmt, exif), images.evidence_rules(),
                       keep_format=True)
        assert (result.width, result.height) == (400, 300)


def test_the_checks_analysis_of_a_tiny_picture_is_finite():
    from verification import images as verification_images

    for size in ((1, 1), (2, 500), (5000, 2)):
        data = samples.encoded(Image.new("L", size, 50), "PNG")
        analysis = verification_images.analyse(data)
        values = [analysis.sharpness, analysis.glare]
        assert all(np.isfinite(v) for v in values), values
        json.dumps(values, allow_nan=False)  # what PostgreSQL's JSON accepts

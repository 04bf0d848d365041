"""Fuzzed EXIF blocks never cost the picture and never give a 500.

A phone's EXIF block (orientation, camera, resolution, dates, GPS) is
mutated byte by byte, cut short, padded or replaced by Hypothesis; the
picture around it is a real photo. Thousands of cases go through the guard
as the ID step and the evidence form use it, and a few hundred through the
real views.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from appeals.uploads import evidence_clean
from portal.files import images
from tests.appeals.conftest import upload as evidence_upload
from tests.files import samples
from tests.support import verification as wizard
from tests.verification.pictures import upload as photo_upload
from verification import images as verification_images
from verification.models import VerificationImage

PHOTO = samples.picture((320, 240), seed=11)
JPEG = samples.encoded(PHOTO, "JPEG", quality=85)
PNG = samples.encoded(PHOTO, "PNG")


def _phone_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 15"
    exif[0x011A] = 72.0
    exif[0x011B] = 72.0
    exif[0x0128] = 2
    exif[0x0132] = "2026:11:20 10:00:00"
    exif[0x8769] = {0x9003: "2026:11:20 10:00:00", 0x920A: 4.2, 0x9286: b"ASCII\0\0\0note"}
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    return exif.tobytes()


PHONE_EXIF = _phone_exif()


@st.composite
def exif_blocks(draw) -> bytes:
    """A phone's EXIF block, damaged: flipped bytes, cut short, padded, or random."""
    if draw(st.integers(0, 9)) == 0:
        return b"Exif\x00\x00" + draw(st.sampled_from([b"MM\x00*", b"II*\x00"])) + draw(
            st.binary(max_size=200))
    block = bytearray(PHONE_EXIF)
    for _ in range(draw(st.integers(1, 10))):
        block[draw(st.integers(6, len(block) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(8, len(block)))
    return bytes(block[:cut]) + draw(st.binary(max_size=24))


def jpeg_with(exif: bytes) -> bytes:
    """The photo with ``exif`` as its APP1 segment, written as a phone writes it."""
    return JPEG[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + JPEG[2:]


def png_with(exif: bytes) -> bytes:
    """The photo with ``exif`` (without its "Exif" header) as an eXIf chunk."""
    body = exif[6:]
    chunk = (struct.pack(">I", len(body)) + b"eXIf" + body
             + struct.pack(">I", zlib.crc32(b"eXIf" + body)))
    end_of_header = 8 + 25  # signature + IHDR
    return PNG[:end_of_header] + chunk + PNG[end_of_header:]


def _upright_or_not(width: int, height: int) -> bool:
    return (width, height) in ((320, 240), (240, 320))


def test_the_unharmed_block_turns_the_photo_upright():
    for data in (jpeg_with(PHONE_EXIF), png_with(PHONE_EXIF)):
        clean = images.clean(data, images.photo_rules())
        assert (clean.width, clean.height) == (240, 320)


def _with_resolution_as_one_byte(block: bytes) -> bytes:
    """``block`` with its XResolution tag's type changed to BYTE, count 1."""
    damaged = bytearray(block)
    order = ">" if damaged[6:8] == b"MM" else "<"
    ifd = 6 + struct.unpack(order + "I", damaged[10:14])[0]
    for n in range(struct.unpack(order + "H", damaged[ifd:ifd + 2])[0]):
        entry = ifd + 2 + 12 * n
        if struct.unpack(order + "H", damaged[entry:entry + 2])[0] == 0x011A:
            damaged[entry + 2:entry + 8] = struct.pack(order + "HI", 1, 1)
            return bytes(damaged)
    raise AssertionError("no XResolution tag")


def test_an_exif_block_pillow_cannot_open_costs_only_the_exif():
    """Pillow reads the resolution while opening a JPEG; a one-byte XResolution
    makes it refuse the whole file. The picture is kept, without EXIF."""
    damaged = jpeg_with(_with_resolution_as_one_byte(PHONE_EXIF))
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(io.BytesIO(damaged), formats=["JPEG"])
    for clean in (images.clean(damaged, images.photo_rules()),
                  images.clean(damaged, images.evidence_rules(), keep_format=True)):
        assert (clean.width, clean.height) == (320, 240)  # not turned: its EXIF is gone
        assert b"PhoneMaker" not in clean.content


def test_leaving_out_the_exif_keeps_every_other_segment():
    assert images.jpeg_without_exif(jpeg_with(PHONE_EXIF)) == JPEG
    assert images.jpeg_without_exif(JPEG) == JPEG
    cut_short = jpeg_with(PHONE_EXIF)[:40]  # inside the EXIF segment
    assert images.jpeg_without_exif(cut_short) == cut_short[:2]


@settings(max_examples=3000, deadline=None, database=None)
@given(exif=exif_blocks())
def test_fuzzed_exif_in_a_jpeg_keeps_the_picture(exif):
    for clean in (images.clean(jpeg_with(exif), images.photo_rules()),
                  images.clean(jpeg_with(exif), images.evidence_rules(), keep_format=True)):
        assert _upright_or_not(clean.width, clean.height)
        assert b"PhoneMaker" not in clean.content


@settings(max_examples=1000, deadline=None, database=None)
@given(exif=exif_blocks())
def test_fuzzed_exif_in_a_png_keeps_the_picture(exif):
    clean = images.clean(png_with(exif), images.evidence_rules(), keep_format=True)
    assert _upright_or_not(clean.width, clean.height)


@settings(max_examples=500, deadline=None, database=None)
@given(exif=exif_blocks())
def test_fuzzed_exif_in_a_webp_keeps_the_picture(exif):
    data = samples.encoded(PHOTO, "WEBP", exif=exif, quality=80)
    clean = images.clean(data, images.evidence_rules(), keep_format=True)
    assert _upright_or_not(clean.width, clean.height)


@settings(max_examples=1000, deadline=None, database=None)
@given(exif=exif_blocks())
def test_fuzzed_exif_through_both_apps_entry_points(exif):
    photo = verification_images.sanitize(photo_upload(jpeg_with(exif)))
    assert _upright_or_not(photo.width, photo.height)
    evidence = evidence_clean(evidence_upload("photo.jpg", jpeg_with(exif)))
    assert evidence.content_type == "image/jpeg"


# ---------------------------------------------------------------------------
# Through the views
# ---------------------------------------------------------------------------
_VIEW_SETTINGS = settings(max_examples=200, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.django_db
@_VIEW_SETTINGS
@given(exif=exif_blocks())
def test_fuzzed_exif_on_the_id_step_is_stored_never_a_500(exif, client, make_account,
                                                          private_dir):
    account = make_account(language="en")
    client.force_login(account)
    request = wizard.draft(account)
    response = client.post(reverse("verification:step", args=[request.pk, "front"]),
                           {"photo": photo_upload(jpeg_with(exif))})
    assert response.status_code == 302
    image = VerificationImage.objects.get(request=request, kind="front")
    stored = Image.open(io.BytesIO((private_dir / image.name).read_bytes()))
    assert _upright_or_not(*stored.size) and not stored.getexif()


@pytest.mark.django_db
@_VIEW_SETTINGS
@given(exif=exif_blocks())
def test_fuzzed_exif_in_evidence_is_stored_never_a_500(exif, client, restricted_user,
                                                       file_appeal, private_dir):
    appeal = restricted_user.appeals.first() or file_appeal(restricted_user.holds.get())
    client.force_login(restricted_user)
    before = appeal.attachments.count()
    response = client.post(reverse("appeals:reply", args=[appeal.pk]), {
        "body": "A photo of the receipt.",
        "evidence": [evidence_upload("receipt.jpg", jpeg_with(exif))]})
    assert response.status_code == 302, _form_errors(response)
    assert appeal.attachments.count() == before + 1


def _form_errors(response) -> str:
    """The error texts of a refused form, so a rare falsifying example says why."""
    import re

    text = response.content.decode(errors="replace")
    return " | ".join(re.findall(r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>\s*([^<]+)', text))[:1000]

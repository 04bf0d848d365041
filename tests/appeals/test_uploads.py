"""Evidence validation: type from content, re-encoding, bombs, active PDFs (see tests/files)."""

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from appeals.uploads import evidence_clean, sniff
from tests.appeals.conftest import PDF_OK, image_bytes, upload
from tests.files import samples


@pytest.fixture(autouse=True)
def _english():
    """Messages are read in English here (the portal's default is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.parametrize("fmt,ctype", [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                       ("WEBP", "image/webp")])
def test_images_are_accepted_and_reencoded(settings, fmt, ctype):
    clean = evidence_clean(upload("x.bin", image_bytes(fmt)))
    assert clean.content_type == ctype
    assert Image.open(io.BytesIO(clean.content)).format == fmt


def test_exif_and_gps_are_dropped(settings):
    original = image_bytes("JPEG", exif=True)
    assert Image.open(io.BytesIO(original)).getexif()
    clean = evidence_clean(upload("photo.jpg", original))
    assert not Image.open(io.BytesIO(clean.content)).getexif()
    assert b"SpyCam" not in clean.content


def test_a_phone_photo_taken_sideways_is_stored_upright():
    # Phones store the sensor's pixels and say "rotate 90°" in EXIF (orientation 6).
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (400, 200), (10, 120, 200)).save(out, format="JPEG", exif=exif)
    clean = evidence_clean(upload("photo.jpg", out.getvalue()))
    assert Image.open(io.BytesIO(clean.content)).size == (200, 400)


def test_payload_appended_to_an_image_is_dropped():
    clean = evidence_clean(upload("photo.jpg", image_bytes() + b"<script>alert(1)</script>"))
    assert b"<script>" not in clean.content


def test_type_comes_from_content_not_the_name():
    clean = evidence_clean(upload("statement.pdf", image_bytes("PNG")))
    assert clean.content_type == "image/png"
    assert clean.extension == "png"


@pytest.mark.parametrize("name,head", [
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("scan.pdf", b"\x7fELF\x02\x01\x01\x00"),
    ("photo.png", b"#!/bin/sh\nrm -rf /\n"),
])
def test_disguised_executables_are_refused(name, head):
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload(name, head + b"\x00" * 200))
    assert error.value.code == "file_executable"
    assert name in error.value.messages[0]


def test_unknown_types_are_refused():
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("notes.txt", b"just some text"))
    assert error.value.code == "file_type"


def test_a_plain_pdf_is_stored_as_the_parsers_rewrite():
    clean = evidence_clean(upload("scan.pdf", PDF_OK, "application/pdf"))
    assert clean.content_type == "application/pdf" and clean.extension == "pdf"
    assert clean.content.startswith(b"%PDF-") and clean.content != PDF_OK
    with pikepdf.open(io.BytesIO(clean.content)) as document:
        assert len(document.pages) == 1


@pytest.mark.parametrize("name", ["js_open_action", "launch", "attachment", "xfa", "rich_media"])
def test_pdfs_with_active_content_are_refused_naming_the_file_and_the_reason(name):
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("scan.pdf", samples.active_pdf(name), "application/pdf"))
    assert error.value.code == samples.ACTIVE[name][1]
    assert error.value.messages[0].startswith("“scan.pdf”: It ")


def test_a_pdf_that_goes_to_a_page_when_opened_is_accepted():
    # /OpenAction << /S /GoTo >> (and LibreOffice's destination array) runs nothing.
    assert evidence_clean(upload("scan.pdf", samples.link_pdf(), "application/pdf")).content


def test_a_password_protected_pdf_is_refused_saying_so():
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("locked.pdf", samples.encrypted_pdf(user="1234"),
                              "application/pdf"))
    assert error.value.code == "pdf_encrypted"
    assert "“locked.pdf”" in error.value.messages[0] and "password" in error.value.messages[0]


def test_a_truncated_pdf_is_refused():
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("scan.pdf", b"%PDF-1.4\n" + b"x" * 100))
    assert error.value.code == "pdf_broken"


def test_decompression_bomb_is_an_error(settings):
    settings.PORTAL_IMAGE_MAX_PIXELS = 1000
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("big.png", image_bytes("PNG", size=(200, 200))))
    assert error.value.code == "image_too_large"


def test_size_cap(settings):
    settings.PORTAL_APPEAL_EVIDENCE_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("photo.jpg", image_bytes(size=(200, 200))))
    assert error.value.code == "file_too_large"


def test_broken_image_is_refused():
    data = image_bytes()
    with pytest.raises(ValidationError) as error:
        evidence_clean(upload("photo.jpg", data[:40]))
    assert error.value.code == "image_broken"


def test_sniff_knows_webp_and_pdf():
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff(b"%PDF-1.7") == "pdf"
    assert sniff(b"GIF89a") is None

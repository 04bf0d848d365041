"""The bad-upload corpus, generated here: each is refused clearly and nothing is stored."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from verification import services
from verification.models import VerificationImage

from .pictures import card_jpeg, upload


def _gps_exif() -> bytes:
    exif = Image.Exif()
    gps = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    exif[0x010F] = "PhoneMaker"
    return exif.tobytes()


def _huge_png(settings) -> bytes:
    # 1-bit pixels compress to almost nothing: a small file that decodes to a lot.
    side = int((settings.PORTAL_IMAGE_MAX_PIXELS * 1.2) ** 0.5) + 1
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def _corpus(settings) -> dict[str, tuple[bytes, str, str]]:
    good = card_jpeg(3)
    gif_html = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<html><script>alert(1)</script></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
    return {
        "truncated_jpeg": (good[: len(good) // 2], "card.jpg", "unreadable"),
        "png_bomb": (_huge_png(settings), "card.png", "too_many_pixels"),
        "text_as_jpg": (b"this is not a picture at all\n" * 20, "card.jpg", "format_not_allowed"),
        "svg": (svg, "card.svg", "format_not_allowed"),
        "gif_html_polyglot": (gif_html, "card.gif", "format_not_allowed"),
        "empty": (b"", "card.jpg", "empty"),
        "thirty_mb": (b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024), "card.jpg", "too_large"),
    }


CASES = ["truncated_jpeg", "png_bomb", "text_as_jpg", "svg", "gif_html_polyglot", "empty",
         "thirty_mb"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_bad_upload_is_refused_with_a_clear_error_and_nothing_is_stored(
    case, settings, make_account, _private_media
):
    data, name, code = _corpus(settings)[case]
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    with pytest.raises(ValidationError) as info:
        services.verification_attach_image(
            request=request, acting_user=account, kind="front", upload=upload(data, name))
    assert info.value.code == code
    assert info.value.messages[0]  # a sentence the user can act on
    assert not VerificationImage.objects.exists()
    assert not _private_media.exists() or not any(_private_media.rglob("*.*"))


@pytest.mark.django_db
def test_jpeg_with_gps_is_stored_without_any_exif(make_account, _private_media):
    data = card_jpeg(4, exif=_gps_exif())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the corpus file has GPS
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    image = services.verification_attach_image(
        request=request, acting_user=account, kind="front", upload=upload(data))
    stored = (_private_media / image.name).read_bytes()
    reopened = Image.open(io.BytesIO(stored))
    assert reopened.format == "JPEG"
    assert not reopened.getexif()
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    assert "exif" not in reopened.info


@pytest.mark.django_db
def test_gif_html_polyglot_named_jpg_is_refused_by_its_content(make_account):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    with pytest.raises(ValidationError) as info:
        services.verification_attach_image(
            request=request, acting_user=account, kind="back",
            upload=upload(b"GIF89a\x01\x00\x01\x00;<html></html>", "x.jpg"))
    assert info.value.code == "format_not_allowed"


@pytest.mark.django_db
def test_png_and_webp_are_accepted_and_re_encoded_as_jpeg(make_account, _private_media):
    account = make_account(language="en")
    request = services.verification_start(acting_user=account)
    for kind, fmt in (("front", "PNG"), ("back", "WEBP")):
        out = io.BytesIO()
        Image.open(io.BytesIO(card_jpeg(5))).save(out, fmt)
        image = services.verification_attach_image(
            request=request, acting_user=account, kind=kind, upload=upload(out.getvalue()))
        assert (_private_media / image.name).read_bytes()[:3] == b"\xff\xd8\xff"


def test_private_storage_has_no_public_url(settings):
    from django.core.files.storage import storages

    assert settings.STORAGES["private"]["OPTIONS"]["base_url"] is None
    assert not str(storages["private"].location).startswith(str(settings.STATIC_ROOT))

"""Hostile and unusual photos through the real wizard views: a clear message, nothing stored.

Each refusal is shown on the step in English and in Chinese, with no 500,
no row and no file; each unusual but real photo (16-bit, HEIC, Display-P3,
malformed EXIF) is accepted and stored as an upright sRGB JPEG.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from tests.files import samples
from tests.files.icc import matrix_profile
from tests.support.verification import ID_NUMBERS
from verification import services
from verification.models import VerificationImage

from .pictures import card_jpeg, frame_jpeg, upload

pytestmark = pytest.mark.django_db

REFUSED = {
    "one_pixel": (samples.encoded(Image.new("RGB", (1, 1)), "PNG"),
                  "only 1 × 1 pixels", "图片只有 1 × 1 像素"),
    "strip": (samples.encoded(Image.new("L", (20000, 10), 200), "PNG"),
              "only 20000 × 10 pixels", "图片只有 20000 × 10 像素"),
    "narrow": (samples.encoded(samples.picture((2400, 400)), "JPEG"),
               "far too long and narrow", "过于细长"),
    "lying_jpeg": (samples.lying_jpeg((6000, 6000)), "claims to be 6000 × 6000",
                   "声称有 6000 × 6000"),
    "gif": (samples.encoded(samples.picture((400, 300)), "GIF"), "Take a screenshot",
            "请截图"),
    "truncated": (card_jpeg(1)[:3000], "could not be read", None),
    "pdf_as_photo": (samples.plain_pdf(), "Take a screenshot", None),
}


@pytest.fixture
def draft(make_account, client):
    account = make_account(language="en")
    client.force_login(account)
    request = services.verification_start(acting_user=account)
    for scope in ("photos", "liveness"):
        services.verification_consent(request=request, acting_user=account, scope=scope)
    return services.verification_set_details(
        request=request, acting_user=account, subject="individual", legal_name="张三",
        document_type="cn_ric", number=ID_NUMBERS[0])


def _post_photo(client, draft, data: bytes, name: str = "photo.jpg"):
    return client.post(reverse("verification:step", args=[draft.pk, "front"]),
                       {"photo": upload(data, name)})


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_hostile_photo_is_refused_on_the_step_and_nothing_is_stored(
        case, draft, client, settings, _private_media):
    data, english, chinese = REFUSED[case]
    response = _post_photo(client, draft, data)
    assert response.status_code == 200  # the step again, with the message; not a redirect
    assert english in response.content.decode()
    assert not VerificationImage.objects.exists()
    assert not _private_media.exists() or not any(p.is_file() for p in _private_media.rglob("*"))
    if chinese:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        assert chinese in _post_photo(client, draft, data).content.decode()


ACCEPTED = {
    "grey16": samples.grey16_png((800, 600)),
    "heic_rotated": samples.encoded(samples.picture((800, 600)), "HEIF",
                                    exif=samples.orientation_exif(6)),
    "display_p3": samples.encoded(samples.picture((800, 600)), "JPEG",
                                  icc_profile=matrix_profile()),
    "cmyk": samples.encoded(samples.picture((800, 600)).convert("CMYK"), "JPEG"),
    "malformed_exif": samples.with_exif(
        samples.picture((800, 600)), "JPEG",
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_an_unusual_real_photo_is_accepted_as_an_srgb_jpeg(case, draft, client, _private_media):
    response = _post_photo(client, draft, ACCEPTED[case], "IMG_0001.HEIC")
    assert response.status_code == 302
    image = VerificationImage.objects.get()
    stored = Image.open(io.BytesIO((_private_media / image.name).read_bytes()))
    assert stored.format == "JPEG" and stored.mode == "RGB"
    assert "icc_profile" not in stored.info and not stored.getexif()
    expected = (600, 800) if case == "heic_rotated" else (800, 600)
    assert stored.size == expected


# ---------------------------------------------------------------------------
# Liveness frames: all or nothing
# ---------------------------------------------------------------------------
def _liveness(client, draft):
    url = reverse("verification:step", args=[draft.pk, "liveness"])
    client.get(url)  # issues the challenge
    return url


def test_several_frames_with_one_bad_file_store_none(draft, client, _private_media):
    url = _liveness(client, draft)
    frames = [upload(frame_jpeg(1)), upload(frame_jpeg(2)),
              upload(samples.encoded(Image.new("RGB", (1, 1)), "PNG"), "3.png")]
    response = client.post(url, {"frames": frames})
    assert response.status_code == 200
    assert "only 1 × 1 pixels" in response.content.decode()
    assert not VerificationImage.objects.exists()
    assert not _private_media.exists() or not any(p.is_file() for p in _private_media.rglob("*"))
    response = client.post(url, {"frames": [upload(frame_jpeg(i)) for i in range(3)]})
    assert response.status_code == 302
    assert VerificationImage.objects.filter(kind="frame").count() == 3


def test_frames_beyond_the_maximum_are_refused_together(draft, client, _private_media):
    url = _liveness(client, draft)
    client.post(url, {"frames": [upload(frame_jpeg(i)) for i in range(6)]})
    response = client.post(url, {"frames": [upload(frame_jpeg(10 + i)) for i in range(3)]})
    assert "Enough frames" in response.content.decode()
    assert VerificationImage.objects.filter(kind="frame").count() == 6
    assert sum(1 for p in _private_media.rglob("*") if p.is_file()) == 6


def test_the_camera_endpoint_refuses_a_bad_frame_as_json(draft, client):
    _liveness(client, draft)
    response = client.post(reverse("verification:liveness_frame", args=[draft.pk]),
                           {"frame": upload(samples.lying_jpeg(), "frame.jpg")})
    assert response.status_code == 400
    assert response.json()["code"] == "implausible"
    assert not VerificationImage.objects.exists()

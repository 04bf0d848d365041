"""Generated pictures and shortcuts for verification tests.

Every picture is drawn here with Pillow; nothing is checked in.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

from verification import services
from verification.models import VerificationRequest

# Valid mainland resident ID numbers (checksums correct), all adults.
ID_NUMBERS = ["11010519491231002X", "110101199003074477", "440308198808084512"]


def card_jpeg(seed: int = 0, size=(1000, 630), *, blur: float = 0, glare: bool = False,
              quality: int = 90, exif: bytes | None = None) -> bytes:
    """Draw an ID-card-like picture: tinted background, photo box, text lines, pattern."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size, (200 + rng.randrange(30), 215, 230 - rng.randrange(30)))
    draw = ImageDraw.Draw(image)
    draw.rectangle([w * 0.65, h * 0.15, w * 0.92, h * 0.75], fill=(120, 110, 100))
    for i in range(7):
        y = int(h * (0.12 + i * 0.1))
        draw.rectangle([w * 0.06, y, w * (0.25 + rng.random() * 0.3), y + h * 0.04],
                       fill=(30, 30, 40))
    for _ in range(120):
        x, y = rng.randrange(w), rng.randrange(h)
        draw.line([x, y, x + rng.randrange(-40, 40), y + rng.randrange(-40, 40)],
                  fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)), width=2)
    if glare:
        draw.ellipse([w * 0.1, h * 0.1, w * 0.7, h * 0.9], fill=(255, 255, 255))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    image.save(out, "JPEG", quality=quality, **kwargs)
    return out.getvalue()


def frame_jpeg(seed: int, size=(320, 240)) -> bytes:
    """A camera-frame-like picture that differs with ``seed``."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse([x, y, x + 40, y + 40], fill=(rng.randrange(256), 80, rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def make_request(make_account) -> Callable[..., VerificationRequest]:
    """Return a factory of complete drafts (or submitted requests) for fresh accounts."""

    def make(account=None, *, number: str = ID_NUMBERS[0], seed: int | None = None,
             front: bytes | None = None, back: bytes | None = None, frames: int = 3,
             submit: bool = False, name: str = "张三") -> VerificationRequest:
        account = account or make_account()
        seed = account.pk * 10 if seed is None else seed
        request = services.verification_start(acting_user=account)
        services.verification_set_details(
            request=request, acting_user=account, subject="individual", legal_name=name,
            document_type="cn_ric", number=number,
        )
        services.verification_attach_image(
            request=request, acting_user=account, kind="front",
            upload=upload(front or card_jpeg(seed)))
        services.verification_attach_image(
            request=request, acting_user=account, kind="back",
            upload=upload(back or card_jpeg(seed + 1)))
        services.verification_liveness_start(request=request, acting_user=account)
        for i in range(frames):
            services.verification_liveness_add_frame(
                request=request, acting_user=account, upload=upload(frame_jpeg(seed * 7 + i)))
        if submit:
            services.verification_submit(request=request, acting_user=account)
        request.refresh_from_db()
        return request

    return make


@pytest.fixture
def in_review(make_request) -> Callable[..., VerificationRequest]:
    """Return a factory of requests that went through the checks into review (no worker)."""

    def make(*args, **kwargs) -> VerificationRequest:
        request = make_request(*args, submit=True, **kwargs)
        state = services.verification_run_checks(request_id=request.pk)
        request.refresh_from_db()
        assert state == VerificationRequest.State.IN_REVIEW, list(
            request.checks.filter(passed=False).values("name", "detail"))
        return request

    return make


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Keep each test's private files in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None}},
    }
    from django.core.files.storage import storages

    storages._storages.pop("private", None)
    yield tmp_path / "private"
    storages._storages.pop("private", None)

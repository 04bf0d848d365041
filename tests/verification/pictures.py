"""Pictures drawn with Pillow for the verification tests (nothing is checked in)."""

from __future__ import annotations

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter


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

"""Pictures drawn for the verification tests (nothing is checked in).

``card_jpeg`` is a phone photo of a resident ID card (``cards.py``) that the
document checks accept as it is: the name and number given are printed on
it, the back is valid for years, the portrait holds a face. Small (1000×750)
to keep the suite quick. ``frame_jpeg`` is a liveness frame with the face at
a place that depends on ``seed``.
"""

from __future__ import annotations

import io
import random
from dataclasses import replace

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from . import cards

DEFAULT_NAME = "张三"
DEFAULT_NUMBER = "11010519491231002X"


def card_jpeg(seed: int = 0, size=(1000, 750), *, side: str = "front", name: str = DEFAULT_NAME,
              number: str = DEFAULT_NUMBER, blur: float = 0, glare: bool | float = False,
              quality: int = 88, exif: bytes | None = None, squash: bool = False,
              face: bool = True, **shot) -> bytes:
    """A photo of one side of the card of ``name``/``number``, good unless told otherwise.

    ``glare`` puts a blown-out spot on the card (away from the number),
    ``squash`` draws the card square (wrong proportions), ``shot`` overrides
    ``cards.Shot`` fields (``center``, ``card_width``, ``brightness``, ...).
    """
    person = cards.identity_for(name, number, **shot.pop("identity", {}))
    draw = cards.draw_front(person, seed=seed, face=face) if side == "front" \
        else cards.draw_back(person, seed=seed)
    if squash:
        draw = draw.resize((draw.width, draw.width))
        shot.setdefault("card_width", 0.5)
    rng = random.Random(seed)
    # Framing varies with the seed, as two people's photos do (so unrelated test
    # photos do not look like one photo to the reuse check).
    photo = replace(cards.Shot(size=size, rotation=rng.uniform(-6, 6), quality=quality,
                               card_width=rng.uniform(0.6, 0.78),
                               center=(0.5 + rng.uniform(-0.05, 0.05),
                                       0.5 + rng.uniform(-0.04, 0.04)),
                               background=rng.choice(("desk", "busy"))),
                    blur=blur, **shot)
    if glare is True:
        photo = replace(photo, glare=0.12, glare_at=(0.35, 0.4))
    elif glare:
        photo = replace(photo, glare=glare)  # where: glare_at=(x, y) among ``shot``
    data = cards.photograph(draw, photo, seed=seed)
    if exif:
        image = Image.open(io.BytesIO(data))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif)
        data = out.getvalue()
    return data


def frame_jpeg(seed: int, size=(320, 240), *, face: bool = True) -> bytes:
    """A camera frame: a face (the astronaut) at a place that moves with ``seed``."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(80, 200), rng.randrange(80, 200),
                                    rng.randrange(80, 200)))
    if face:
        portrait = cards.portrait(seed % 5, size=(150, 190))
        image.paste(portrait, (60 + (seed * 23) % 100, 20 + (seed * 7) % 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)

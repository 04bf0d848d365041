"""A fake camera for Chromium: a Y4M clip it plays to ``getUserMedia``.

The journeys give Chromium a clip of their own
(``--use-file-for-fake-video-capture``): a face (scikit-image's bundled
astronaut portrait, shipped in its wheel, never downloaded) moving across a
still, textured background. The document checks look for a face in the
liveness frames, and the stub backend's motion rule for something that
moved while the background stayed.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 15, 4
FACE_W, FACE_H = 120, 150


@cache
def _face() -> np.ndarray:
    """The portrait as a grey (luma) plane."""
    from tests.verification.cards import portrait

    return np.asarray(portrait(0, size=(FACE_W, FACE_H)).convert("L"), dtype=np.uint8)


def _frame(index: int) -> np.ndarray:
    """Return the grey (Y) plane of frame ``index``: the face moves on a small circle."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    frame = (96 + 24 * ((xs // 20 + ys // 20) % 2)).astype(np.uint8)
    angle = 2 * math.pi * index / (FPS * SECONDS)
    x = int(WIDTH / 2 - FACE_W / 2 + 50 * math.cos(angle))
    y = int(HEIGHT / 2 - FACE_H / 2 + 25 * math.sin(angle))
    frame[y:y + FACE_H, x:x + FACE_W] = _face()
    return frame


def write_clip(path: Path) -> Path:
    """Write the clip as 4:2:0 Y4M (grey: chroma planes at 128) and return ``path``."""
    chroma = np.full((HEIGHT // 2) * (WIDTH // 2), 128, dtype=np.uint8).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(FPS * SECONDS):
            out.write(b"FRAME\n")
            out.write(_frame(index).tobytes())
            out.write(chroma)
            out.write(chroma)
    return path

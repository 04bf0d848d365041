"""A fake camera for Chromium: a Y4M clip it plays to ``getUserMedia``.

Chromium's built-in fake device changes its picture too little between the
liveness captures for the stub backend's motion rule on some versions, so
the journeys give it a clip of their own (``--use-file-for-fake-video-capture``):
a bright disc moving across a still, textured background, which is what the
rule looks for (something moved while the background stayed).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 15, 4


def _frame(index: int) -> np.ndarray:
    """Return the grey (Y) plane of frame ``index``."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    background = (96 + 24 * ((xs // 20 + ys // 20) % 2)).astype(np.uint8)
    angle = 2 * math.pi * index / (FPS * SECONDS)
    cx = WIDTH / 2 + WIDTH / 3 * math.cos(angle)
    cy = HEIGHT / 2 + HEIGHT / 3 * math.sin(angle)
    disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= 30**2
    background[disc] = 235
    return background


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

"""The offline OCR engine: RapidOCR on onnxruntime, models from the rapidocr wheel.

The rapidocr wheel carries its PP-OCR text detection and recognition models
(``rapidocr/models/``), so nothing is downloaded: the engine is built from
those files once per worker process and reused. One thread per inference: a
worker runs one check at a time per process, and more threads would only add
CPU time on a shared machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from django.conf import settings

_lock = threading.Lock()
_engine = None

# The flattened card's long edge is about 856 px; the detector works on a copy
# no larger than this (its default enlarges the short side to 736 px, which
# costs four times the CPU for no gain on a flat card).
DETECT_EDGE = 640


@dataclass(frozen=True)
class Line:
    text: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def engine():
    """Return this process's engine, building it on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _build()
    return _engine


def _build():
    from rapidocr import RapidOCR

    return RapidOCR(params={
        "Global.log_level": "warning",
        "Global.use_cls": False,  # the card is flattened upright; no 180° text
        "EngineConfig.onnxruntime.intra_op_num_threads": settings.PORTAL_CHECKS_THREADS,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_EDGE,
    })


def read(image: np.ndarray) -> list[Line]:
    """Return the text lines the engine finds in the BGR ``image``, top to bottom."""
    result = engine()(image)
    if result.boxes is None or result.txts is None:
        return []
    lines = []
    for box, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        lines.append(Line(str(text), float(score), (min(xs), min(ys), max(xs), max(ys))))
    return sorted(lines, key=lambda line: (line.cy, line.cx))

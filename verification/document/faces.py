"""Is there a face? OpenCV's Haar cascade for frontal faces, shipped in its wheel.

``cv2.data.haarcascades`` holds the cascade files inside the
opencv-python-headless wheel; the detector is built once per process. It
finds upright frontal faces; it says nothing about whose face it is.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

_lock = threading.Lock()
_detector = None


def detector() -> cv2.CascadeClassifier:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
                cascade = cv2.CascadeClassifier(path)
                if cascade.empty():
                    raise RuntimeError(f"the face detector's model did not load from {path}")
                _detector = cascade
    return _detector


def find_faces(grey: np.ndarray, *, min_share: float = 0.15) -> list[tuple[int, int, int, int]]:
    """Return face boxes (x, y, w, h) at least ``min_share`` of the short side wide.

    The picture is first brought to at most 480 px on its long side: faces in
    these pictures are large, and the cascade's cost grows with the pixels.
    """
    h, w = grey.shape[:2]
    scale = min(1.0, 480 / max(h, w))
    if scale < 1.0:
        grey = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    smallest = max(24, int(min(grey.shape[:2]) * min_share))
    # As taken first; then with the contrast stretched (a dim or washed-out face).
    for picture in (grey, cv2.equalizeHist(grey)):
        found = detector().detectMultiScale(picture, scaleFactor=1.08, minNeighbors=3,
                                            minSize=(smallest, smallest))
        if len(found):
            return [tuple(int(v / scale) for v in box) for box in found]
    return []

"""Read one photo of a document: find the card, flatten it, measure it, read it, look for a face.

``read_photo`` is pure computation on the stored (re-encoded) bytes; it
writes nothing. The services store what it returns (``Reading.as_json``, the
flattened card as a private image) and the checks judge it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from .. import documents, images
from . import card as cards
from . import faces, fields, ocr

# The photo is decoded at reduced size: a 12-MP JPEG is scaled by 1/2 while
# decoding (JPEG draft mode), which keeps the card's text sharp for reading.
DECODE_EDGE = 1600
# Where things are printed on a flattened card (fractions of its width, height).
CN_NUMBER_BAND = (0.33, 0.78, 0.98, 0.95)
CN_PORTRAIT = (0.60, 0.05, 1.0, 0.85)
PASSPORT_PORTRAIT = (0.0, 0.10, 0.40, 0.80)


@dataclass
class Reading:
    card: str = "none"  # found | cut_off | none
    kind: str = "unknown"  # cn_front | cn_back | passport | unknown
    fields: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    face: bool | None = None
    crop: bytes | None = None  # the flattened card, JPEG
    crop_size: tuple[int, int] = (0, 0)
    cpu_seconds: float = 0.0

    def as_json(self) -> dict:
        """Everything but the crop and the number (stored encrypted, apart).

        A measurement that came out as NaN or infinity (an empty region, a
        division by zero) becomes None: such values never reach the database.
        """
        return finite({
            "card": self.card, "kind": self.kind, "face": self.face,
            "fields": {k: v for k, v in self.fields.items() if k != "number"},
            "metrics": self.metrics, "cpu_seconds": round(self.cpu_seconds, 3),
        })


def finite(value):
    """Return ``value`` (JSON-like) with every non-finite float replaced by None."""
    if isinstance(value, float) or isinstance(value, np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    return value


def read_photo(data: bytes) -> Reading:
    """Find, flatten, measure and read the document in the JPEG/PNG ``data``."""
    started = time.process_time()
    reading = Reading()
    picture, (width, height) = images.downscaled(data, DECODE_EDGE)
    bgr = cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    reading.metrics["photo_brightness"] = round(float(grey.mean()), 1)
    reading.metrics["photo_bright_share"] = round(float((grey >= 96).mean()), 4)
    search = cards.find_card(bgr)
    to_original = width / bgr.shape[1]
    if search.card is not None:
        _read_card(reading, bgr, search.card, search.scale, to_original)
    elif search.cut_off is not None:
        reading.card = "cut_off"
        reading.metrics["card_share"] = round(search.cut_off.area_share, 4)
    reading.cpu_seconds = time.process_time() - started
    return reading


def _read_card(reading: Reading, bgr: np.ndarray, found: cards.Candidate, scale: float,
               to_original: float) -> None:
    reading.card = "found"
    corners = found.corners * scale
    long_side = max(np.linalg.norm(corners[1] - corners[0]),
                    np.linalg.norm(corners[2] - corners[1]))
    size = cards.ID3[1] if found.ratio < 1.5 else cards.ID1[1]
    flat = cards.flatten(bgr, corners, size)
    reading.metrics.update({
        "card_share": round(found.area_share, 4), "ratio": round(found.ratio, 3),
        "card_long_side_px": int(long_side * to_original), "edge_support": round(found.support, 2),
    })
    texts, flat = _read_text(flat)
    reading.kind = fields.kind_of(texts)
    measures = cards.measure(flat, CN_NUMBER_BAND if reading.kind == "cn_front" else None)
    reading.metrics.update({
        "sharpness": round(measures.sharpness, 3), "card_brightness": round(measures.brightness, 1),
        "glare": round(measures.glare, 4), "glare_number": round(measures.glare_band, 4),
        "contrast": round(measures.contrast, 1), "text_rows": len(texts),
    })
    reading.fields = _fields(reading.kind, texts)
    reading.face = _face(reading.kind, flat)
    reading.crop = _jpeg(flat)
    reading.crop_size = (flat.shape[1], flat.shape[0])


def _read_text(flat: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Read the card; if nothing sensible comes out, it may be upside down: turn it once."""
    texts = fields.rows(ocr.read(flat))
    if fields.kind_of(texts) == "unknown" and texts:
        turned = cv2.rotate(flat, cv2.ROTATE_180)
        turned_texts = fields.rows(ocr.read(turned))
        if fields.kind_of(turned_texts) != "unknown":
            return turned_texts, turned
    return texts, flat


def _fields(kind: str, texts: list[str]) -> dict:
    if kind == "cn_front":
        return fields.read_cn_front(texts)
    if kind == "cn_back":
        return fields.read_cn_back(texts)
    if kind == "passport":
        return fields.read_mrz(texts)
    for document_type in (documents.HK_MACAO_PERMIT, documents.TAIWAN_PERMIT):
        if number := fields.find_number(texts, documents._FORMATS[document_type]):
            return {"number": number}
    return {}


def _face(kind: str, flat: np.ndarray) -> bool | None:
    if kind == "cn_back":
        return None
    region = {"cn_front": CN_PORTRAIT, "passport": PASSPORT_PORTRAIT}.get(kind, (0, 0, 1, 1))
    h, w = flat.shape[:2]
    x0, y0, x1, y1 = region
    portrait = cv2.cvtColor(flat[int(h * y0):int(h * y1), int(w * x0):int(w * x1)],
                            cv2.COLOR_BGR2GRAY)
    return bool(faces.find_faces(portrait, min_share=0.12 if kind != "unknown" else 0.08))


def _jpeg(flat: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", flat, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return encoded.tobytes() if ok else b""


def faces_in_frame(data: bytes) -> int:
    """Count the faces in one liveness frame (or selfie)."""
    picture, _ = images.downscaled(data, 640)
    grey = cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2GRAY)
    return len(faces.find_faces(grey, min_share=0.12))


def portrait_of(crop_jpeg: bytes, kind: str) -> np.ndarray:
    """The portrait area of a stored flattened card, as RGB."""
    flat = cv2.imdecode(np.frombuffer(crop_jpeg, np.uint8), cv2.IMREAD_COLOR)
    region = {"cn_front": CN_PORTRAIT, "passport": PASSPORT_PORTRAIT}.get(kind, (0, 0, 1, 1))
    h, w = flat.shape[:2]
    x0, y0, x1, y1 = region
    return cv2.cvtColor(flat[int(h * y0):int(h * y1), int(w * x0):int(w * x1)],
                        cv2.COLOR_BGR2RGB)

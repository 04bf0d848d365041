"""Identity photos: checked by the shared guard, stored privately, analysed cheaply.

The guard itself (format allow-list, cost bounds, modes, colour profiles,
EXIF, rebuild) lives in ``portal.files.images``, shared with appeals; this
module applies it with the identity-photo rules and keeps what only the
automatic checks need: a downscaled analysis whose numbers are always finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import imagehash
import numpy as np
from django.conf import settings

from accounts import outbox
from portal.files import images as guard
from portal.files import storage
from portal.files.images import CleanImage, open_guarded
from portal.files.uploads import read_capped

__all__ = ["Analysis", "CleanImage", "analyse", "delete", "downscaled", "laplacian_variance",
           "load", "open_guarded", "sanitize", "store"]

# Long edge of the copy the automatic checks analyse. 1000 lets the JPEG decoder
# scale a 4000×3000 (12 MP) photo by 1/4 while decoding.
ANALYSIS_EDGE = 1000


def sanitize(upload) -> CleanImage:
    """Validate an uploaded photo and return a fresh upright sRGB JPEG without metadata."""
    return guard.clean(read_capped(upload, settings.PORTAL_UPLOAD_MAX_BYTES), guard.photo_rules())


# ---------------------------------------------------------------------------
# Private storage
# ---------------------------------------------------------------------------
def store(clean: CleanImage, *, folder: str) -> str:
    """Save a clean image in private storage under a random name; return the name."""
    return storage.save(clean.content, folder=folder, extension=clean.extension)


load = storage.load
delete = storage.delete


@outbox.registered_call("verification.files_delete")
def files_delete(*names: str) -> None:
    """Outbox call: delete private files (raises if the storage fails, to be tried again)."""
    for name in names:
        delete(name)


def delete_after_commit(*names: str) -> None:
    """Delete these files once the change that dropped their rows commits (outbox call).

    A rollback keeps them (their rows are back); a crash after the commit
    leaves the call to the relay, so nothing is left unowned.
    """
    if names := tuple(n for n in names if n):
        outbox.call("verification.files_delete", *names)


# ---------------------------------------------------------------------------
# Analysis on a downscaled copy
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Analysis:
    width: int  # of the original picture
    height: int
    sharpness: float  # variance of the Laplacian of the grey copy
    glare: float  # share of blown-out pixels
    phash: str
    grey: np.ndarray  # small grey copy, for comparing frames


def downscaled(data: bytes, edge: int = ANALYSIS_EDGE):
    """Decode ``data`` at reduced size (JPEG draft mode); return it (RGB) and the original size."""
    image = open_guarded(data)
    size = image.size
    return guard.decode(image, max_edge=edge).convert("RGB"), size


def analyse(data: bytes) -> Analysis:
    """Measure what the quality checks need, from a downscaled copy; every number is finite."""
    image, (width, height) = downscaled(data)
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    return Analysis(
        width=width,
        height=height,
        sharpness=laplacian_variance(grey),
        glare=_finite(float((grey >= 250).mean())) if grey.size else 0.0,
        phash=str(imagehash.phash(image)),
        grey=np.asarray(image.convert("L").resize((64, 64)), dtype=np.float32),
    )


def laplacian_variance(grey: np.ndarray) -> float:
    """Return the variance of the 4-neighbour Laplacian: low means blurred.

    A picture under 3 pixels on a side has no Laplacian: 0.0 (blurred), never NaN.
    """
    if grey.ndim != 2 or min(grey.shape) < 3:
        return 0.0
    lap = (
        -4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
    )
    return _finite(float(lap.var()))


def _finite(value: float) -> float:
    """NaN and infinity never leave the analysis (PostgreSQL's JSON refuses them)."""
    return value if math.isfinite(value) else 0.0

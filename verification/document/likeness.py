"""How alike two faces look: dlib's face embedding, models from a registry package.

The ``face_recognition_models`` package (CC0) carries dlib's ResNet face
embedding, its 5-point landmark model and nothing to download; ``dlib-bin``
is dlib's prebuilt wheel. Two faces whose 128-number descriptors are less
than ``SAME_PERSON_DISTANCE`` apart are "likely the same person" by dlib's
own rule of thumb. This is a hint for the reviewer, never a decision: it is
recorded as an informational check that cannot fail a request.
"""

from __future__ import annotations

import threading

import numpy as np

SAME_PERSON_DISTANCE = 0.6
_lock = threading.Lock()
_models = None


def _load():
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                import dlib
                import face_recognition_models as files

                _models = (
                    dlib.get_frontal_face_detector(),
                    dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
                    dlib.face_recognition_model_v1(files.face_recognition_model_location()),
                )
    return _models


def descriptor(rgb: np.ndarray) -> np.ndarray | None:
    """The 128-number descriptor of the largest face in the RGB picture, if one is found."""
    detector, landmarks, model = _load()
    picture = np.ascontiguousarray(rgb, dtype=np.uint8)
    faces = detector(picture, 1 if max(picture.shape[:2]) < 400 else 0)
    if not faces:
        return None
    face = max(faces, key=lambda f: f.width() * f.height())
    return np.asarray(model.compute_face_descriptor(picture, landmarks(picture, face)))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))

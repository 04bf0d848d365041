"""One native thread per check by default, so worker processes, not threads, scale."""

from __future__ import annotations

import importlib

import cv2
import rapidocr


def test_opencv_uses_the_configured_number_of_threads(settings):
    import verification.document

    settings.PORTAL_CHECKS_THREADS = 1
    importlib.reload(verification.document)
    assert cv2.getNumThreads() == 1


def test_the_ocr_engine_is_built_with_the_configured_threads(settings, monkeypatch):
    from verification.document import ocr

    seen = {}
    monkeypatch.setattr(rapidocr, "RapidOCR", lambda params: seen.update(params))
    settings.PORTAL_CHECKS_THREADS = 3
    ocr._build()
    assert seen["EngineConfig.onnxruntime.intra_op_num_threads"] == 3
    assert seen["EngineConfig.onnxruntime.inter_op_num_threads"] == 1

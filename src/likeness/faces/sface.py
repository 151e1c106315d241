"""SFace (OpenCV Zoo, Apache-2.0): the 128-D identity embedding, run by ``cv2.FaceRecognizerSF``.

The int8 block-quantised file runs in ``cv2.dnn`` (onnxruntime rejects it). A face
is aligned from its five YuNet landmarks onto SFace's 112×112 template by OpenCV's
own ``alignCrop`` (a similarity transform), so the alignment is the one the model
was evaluated with. Recognizer objects are not shared between threads.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .opencv_zoo import SFACE, runtime_path

_local = threading.local()
CHIP = 112


def _recognizer() -> cv2.FaceRecognizerSF:
    rec = getattr(_local, "recognizer", None)
    if rec is None:
        rec = cv2.FaceRecognizerSF.create(runtime_path(SFACE), "")
        _local.recognizer = rec
    return rec


def align(image_bgr: np.ndarray, landmarks5: np.ndarray) -> np.ndarray:
    """The 112×112 BGR chip of the face whose five landmarks (YuNet order, px) are given."""
    row = np.zeros((1, 15), np.float32)
    row[0, 4:14] = np.asarray(landmarks5, np.float32).reshape(10)
    return _recognizer().alignCrop(np.ascontiguousarray(image_bgr), row)


def embed_chips(chips: list[np.ndarray]) -> np.ndarray:
    """Raw (not normalised) 128-D features of aligned BGR chips, N×128 float32."""
    rec = _recognizer()
    return np.stack([rec.feature(np.ascontiguousarray(c)).reshape(-1) for c in chips]).astype(np.float32)

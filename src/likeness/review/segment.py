"""Person segmentation for the review (keeps hair and backdrop measures honest).

Uses ``likeness.matting.segment`` when the matting stage provides it, else the
mediapipe selfie-segmentation model directly (Apache-2.0, ships in the wheel). The
model runs on the small canonical view (it sees 256×256 anyway), so it is cheap.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

_local = threading.local()


def person_mask(rgb: np.ndarray) -> np.ndarray:
    """Float32 H×W in [0, 1]: how likely each pixel belongs to a person (RGB uint8 in)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3:
        raise ValueError("person_mask expects an RGB uint8 image")
    seg = _matting_segment()
    if seg is not None:
        out = seg(rgb)
        out = getattr(out, "alpha", getattr(out, "mask", out))
        m = np.asarray(out, np.float32)
        if m.max() > 1.0:
            m = m / 255.0
        if m.shape != rgb.shape[:2]:
            m = cv2.resize(m, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        return np.clip(m, 0, 1)
    model = getattr(_local, "selfie", None)
    if model is None:
        import mediapipe as mp  # heavy: first use only

        model = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        _local.selfie = model  # graph objects are not thread-safe: one per thread
    m = model.process(np.ascontiguousarray(rgb)).segmentation_mask
    if m is None:
        return np.zeros(rgb.shape[:2], np.float32)
    m = np.asarray(m, np.float32)
    if m.shape != rgb.shape[:2]:
        m = cv2.resize(m, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(m, 0, 1)


def _matting_segment():
    try:
        from ..matting import segment  # the matting stage, when it offers one
    except ImportError:
        return None
    return segment if callable(segment) else None

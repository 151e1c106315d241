"""Identity embedding: align the face, embed with dlib's ResNet, average views.

Baseline: dlib 5-point landmarks inside the detected box, the aligned 150×150 chip and
its mirror image, mean of the two descriptors, L2-normalised.
"""

from __future__ import annotations

import numpy as np

from . import dlib_backend as dlb


def embed_face(
    image: np.ndarray, box: tuple[float, float, float, float], *, mesh: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(5×2 landmarks, 128-D unit embedding) of the face in ``box``."""
    shape = dlb.shape5(image, _dlib_box(box))
    chip = dlb.chip(image, shape)
    d = dlb.embed_chips([chip, chip[:, ::-1]])
    e = d.mean(0)
    return dlb.shape_points(shape), (e / np.linalg.norm(e)).astype(np.float32)


def _dlib_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    # mediapipe boxes run from the brows to the mouth; dlib's detector boxes (what the
    # 5-point predictor was trained on) are a little lower and larger.
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (x0 - 0.05 * w, y0 + 0.05 * h, x1 + 0.05 * w, y1 + 0.12 * h)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between unit embeddings (0 = same, 2 = opposite)."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))

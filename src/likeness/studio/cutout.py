"""Matte stage adapter: the framed crop → alpha and edge colour correction.

Calls :func:`likeness.matting.matte` at working resolution. The fine detail of the
subject is kept from the full-size crop: what the matte's foreground estimate changes
(the old background's colour bleeding into hair and edges) is carried to output size as
a smooth *correction* (foreground − image), so edges are decontaminated without
losing sharpness inside the subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Cutout:
    alpha: np.ndarray  # float32 h×w, working size
    correction: np.ndarray  # float32 h×w×3, foreground − image (0 where no change)
    backend: str


def cut_out(image: np.ndarray, *, face_box: tuple[float, float, float, float] | None, valid: np.ndarray) -> Cutout:
    """Matte ``image`` (uint8, working size); ``valid`` (same size) forces 0 off-photo."""
    alpha, fg, backend = _matte(image, face_box)
    alpha = keep_subject(np.clip(alpha.astype(np.float32), 0, 1) * valid, face_box)
    img = image.astype(np.float32) * (1 / 255)
    if fg is None:
        corr = np.zeros_like(img)
    else:
        edge = ((alpha > 0.01) & (alpha < 0.99)).astype(np.float32)
        edge = cv2.dilate(edge, np.ones((3, 3), np.uint8))
        corr = (fg.astype(np.float32) - img) * edge[..., None]
    return Cutout(alpha=alpha, correction=corr, backend=backend)


def keep_subject(alpha: np.ndarray, face_box) -> np.ndarray:
    """Drop matte islands not joined to the person (a lamp, a face in a poster, a
    bright patch of the old background): one stray blob reads as cut-and-paste."""
    if face_box is None:
        return alpha
    solid = (alpha > 0.35).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if n <= 2:
        return alpha
    h, w = alpha.shape
    x0, y0, x1, y1 = (int(round(v)) for v in face_box)
    cx, cy = min(max((x0 + x1) // 2, 0), w - 1), min(max((y0 + y1) // 2, 0), h - 1)
    keep = np.zeros(n, bool)
    face_ids = np.unique(labels[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)])
    keep[face_ids[face_ids > 0]] = True
    keep[labels[cy, cx]] = labels[cy, cx] > 0
    # Large parts (shoulders split off by a microphone, an arm) stay too.
    keep |= stats[:, cv2.CC_STAT_AREA] > 0.08 * stats[1:, cv2.CC_STAT_AREA].max()
    keep[0] = False
    mask = keep[labels].astype(np.uint8)
    # Soft edges around what is kept stay; alpha far from it goes.
    near = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    return alpha * near.astype(np.float32)


def _matte(image: np.ndarray, face_box):
    try:
        from ..matting import matte  # the matting stage (other module)
    except ImportError:
        return (*_fallback(image), "fallback: selfie segmentation + guided filter")
    m = matte(image, face_box=face_box)
    return m.alpha, m.foreground, "likeness.matting"


# --- temporary fallback until likeness.matting lands --------------------------------


def _fallback(image: np.ndarray):
    import mediapipe as mp

    seg = _fallback.__dict__.get("seg")
    if seg is None:
        seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        _fallback.seg = seg  # type: ignore[attr-defined]
    mask = seg.process(np.ascontiguousarray(image)).segmentation_mask.astype(np.float32)
    mask = cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    r = max(4, image.shape[0] // 100)
    alpha = cv2.ximgproc.guidedFilter(grey, mask, r, 1e-3)
    alpha = np.clip((alpha - 0.5) * 1.6 + 0.5, 0, 1).astype(np.float32)
    img = image.astype(np.float32) / 255
    fg = img
    for r in (max(9, image.shape[0] // 12) | 1, 7):  # blur-fusion foreground estimate
        fg = _blur_fusion(img, fg, alpha, r)
    return alpha, np.clip(fg, 0, 1)


def _blur_fusion(img, fg, alpha, r):
    a = alpha[..., None]
    eps = 1e-4
    b_a = cv2.blur(alpha, (r, r))[..., None]
    f_hat = cv2.blur(fg * a, (r, r)) / (b_a + eps)
    b_hat = cv2.blur(img * (1 - a), (r, r)) / (1 - b_a + eps)
    return f_hat + a * (img - a * f_hat - (1 - a) * b_hat)

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

from ..color import to_float


@dataclass(frozen=True)
class Cutout:
    alpha: np.ndarray  # float32 h×w, working size
    correction: np.ndarray  # float32 h×w×3, foreground − image (0 where no change)
    backend: str


def cut_out(
    image: np.ndarray,
    *,
    face_box: tuple[float, float, float, float] | None,
    valid: np.ndarray,
    prior: np.ndarray | None = None,
) -> Cutout:
    """Matte ``image`` (uint8, working size); ``valid`` (same size) forces 0 off-photo;
    ``prior``: a person probability for ``image`` from a wider view (see
    :func:`likeness.matting.matte`)."""
    alpha, fg, backend = _matte(image, face_box, prior)
    alpha = keep_subject(np.clip(alpha.astype(np.float32), 0, 1) * valid, face_box)
    img = to_float(image)
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


def _matte(image: np.ndarray, face_box, prior=None):
    from ..matting import matte

    m = matte(image, face_box=face_box, prior=prior)
    return m.alpha, m.foreground, "likeness.matting"

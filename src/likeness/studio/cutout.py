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
    others: list[tuple[float, float, float, float]] | None = None,
    chin_y: float | None = None,
) -> Cutout:
    """Matte ``image`` (uint8, working size); ``valid`` (same size) forces 0 off-photo;
    ``prior``: a person probability for ``image`` from a wider view (see
    :func:`likeness.matting.matte`); ``others``: boxes of other people's faces in
    ``image``, whose heads are cut out of the matte; ``chin_y``: the subject's chin row
    (pieces apart from the subject above it are someone else's, not a split shoulder)."""
    alpha, fg, backend = _matte(image, face_box, prior)
    alpha = np.clip(alpha.astype(np.float32), 0, 1) * valid
    if others and face_box is not None:
        alpha = cut_others(alpha, face_box, others)
    alpha = keep_subject(alpha, face_box, chin_y=chin_y)
    img = to_float(image)
    edge = ((alpha > 0.01) & (alpha < 0.99)).astype(np.float32)
    edge = cv2.dilate(edge, np.ones((3, 3), np.uint8))
    corr = (fg.astype(np.float32) - img) * edge[..., None]
    return Cutout(alpha=alpha, correction=corr, backend=backend)


#: The subject's body reaches this many face widths from its axis before a bystander's
#: claim on a pixel wins (shoulders are about 1.5 face widths out).
BODY_REACH = 1.6


def cut_others(alpha: np.ndarray, face_box, others) -> np.ndarray:
    """Zero the matte over other people (an ellipse about each face, grown for hair, and
    below it their body), never over the subject's own head: a bystander kept beside the
    subject is the first thing a viewer sees.

    Each person's body is a vertical axis down from their face. A pixel belongs to the
    nearest axis, distances in that person's face widths (the subject's times
    ``BODY_REACH``, so its shoulders stay): a bystander's suit joined to the subject's
    shoulder in the matte goes with its face. Before, only the bystander's head went,
    and a press photo kept a second man's face and suit beside the subject (his face
    below the first detector's reach: see ``pipeline.other_faces``)."""
    h, w = alpha.shape
    x0, y0, x1, y1 = face_box
    fw, fh = x1 - x0, y1 - y0
    own = np.zeros((h, w), np.uint8)
    # The subject's head with its hair. (At 0.85 × 0.95 of the face box it reached over a
    # bystander's face half a face width beside the subject's and kept it.)
    cv2.ellipse(own, (int((x0 + x1) / 2), int((y0 + y1) / 2 - 0.15 * fh)), (int(0.65 * fw), int(0.85 * fh)), 0, 0, 360, 1, -1)
    cut = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mine = _axis_distance(xx, yy, (x0 + x1) / 2, (y0 + y1) / 2) / max(BODY_REACH * fw, 1.0)
    for b in others:
        bw, bh = b[2] - b[0], b[3] - b[1]
        cv2.ellipse(cut, (int((b[0] + b[2]) / 2), int((b[1] + b[3]) / 2 - 0.2 * bh)),
                    (int(0.95 * bw), int(1.05 * bh)), 0, 0, 360, 1, -1)
        theirs = _axis_distance(xx, yy, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2) / max(bw, 1.0)
        cut |= ((theirs < mine) & (yy > b[1])).astype(np.uint8)
    cut &= 1 - own
    return alpha * (1 - cut.astype(np.float32))


def _axis_distance(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Distance to a body's axis: the face centre, and straight down from it."""
    return np.where(yy >= cy, np.abs(xx - cx), np.hypot(xx - cx, yy - cy))


def keep_subject(alpha: np.ndarray, face_box, *, chin_y: float | None = None) -> np.ndarray:
    """Drop matte islands not joined to the person (a lamp, a face in a poster, a
    bright patch of the old background): one stray blob reads as cut-and-paste."""
    if face_box is None:
        return alpha
    solid = (alpha > 0.35).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if n <= 2:
        return alpha
    h, w = alpha.shape
    x0, y0, x1, y1 = (int(round(v)) for v in face_box)
    cx, cy = min(max((x0 + x1) // 2, 0), w - 1), min(max((y0 + y1) // 2, 0), h - 1)
    keep = np.zeros(n, bool)
    face_ids = np.unique(labels[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)])
    keep[face_ids[face_ids > 0]] = True
    keep[labels[cy, cx]] = labels[cy, cx] > 0
    # Large parts (shoulders split off by a microphone, an arm) stay too; above the
    # subject's chin, apart from the subject, a part is someone else's head.
    big = stats[:, cv2.CC_STAT_AREA] > 0.08 * stats[1:, cv2.CC_STAT_AREA].max()
    if chin_y is not None:
        big &= cents[:, 1] > chin_y
    keep |= big
    keep[0] = False
    mask = keep[labels].astype(np.uint8)
    # Soft edges around what is kept stay; alpha far from it goes.
    near = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    return alpha * near.astype(np.float32)


def _matte(image: np.ndarray, face_box, prior=None):
    from ..matting import matte

    m = matte(image, face_box=face_box, prior=prior)
    return m.alpha, m.foreground, "likeness.matting"

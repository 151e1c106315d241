"""Masks of a face from its 478-point mesh: skin, shine, cheeks, forehead, under-eye.

Retouching must only ever touch skin: eyes, brows, lips and nostrils are dark or red
*by nature* and would otherwise look like blemishes; the review and the team read
skin colour on the same cheeks. The regions are the polygons of
:mod:`likeness.faces.regions`, rasterised at any scale and offset so a stage can work
on a crop, a canonical view or a reduced view of the photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .regions import (
    BROW_L, BROW_R, CHEEK_L, CHEEK_R, EYE_L, EYE_R, FACE_OVAL, FOREHEAD, INNER_EYE_CORNERS, LIPS, MOUTH_CORNERS,
    NOSE_BASE, NOSE_TIP, UNDER_EYE_L, UNDER_EYE_R,
)

@dataclass(frozen=True)
class SkinMasks:
    """Float32 H×W masks in [0, 1] (hard edges; feather where you blend)."""

    skin: np.ndarray  # face oval minus eyes, brows, lips and the lower nose
    shine: np.ndarray  # where highlights may be compressed: ``skin`` plus the nose tip
    cheeks: np.ndarray  # both cheeks, within ``skin``
    forehead: np.ndarray  # above the brows, within ``skin``
    under_eye: np.ndarray  # tear troughs below both eyes, lid margin excluded
    inter_eye: float  # eye-centre distance in mask pixels, the unit for sizes
    side: np.ndarray  # int8: +1 on the subject's right half of the face, −1 on the left


def skin_masks(
    mesh: np.ndarray,
    shape: tuple[int, int],
    *,
    origin: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
) -> SkinMasks:
    """Rasterise the skin regions of a 478-point ``mesh`` (image px) into an H×W grid.

    Mask pixel = (image px − ``origin``) × ``scale``, so a crop at (x0, y0) reduced by
    ``scale`` gets masks aligned with it.
    """
    if mesh is None or len(mesh) < 478:
        raise ValueError("skin_masks needs a 478-point face mesh")
    h, w = int(shape[0]), int(shape[1])
    pts = (np.asarray(mesh[:, :2], np.float64) - np.asarray(origin, np.float64)) * scale
    eye = float(np.hypot(*(pts[473] - pts[468])))
    unit = max(eye, 8.0)

    def poly(idx: list[int]) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [np.round(pts[list(idx)] * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
        return m

    def hull(idx: list[int]) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        hp = cv2.convexHull(np.round(pts[list(idx)] * 16).astype(np.int32))
        cv2.fillConvexPoly(m, hp, 1, lineType=cv2.LINE_8, shift=4)
        return m

    def grow(m: np.ndarray, frac: float) -> np.ndarray:
        r = max(1, int(round(frac * unit)))
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        return cv2.dilate(m, k)

    oval = poly(FACE_OVAL)
    # Margins are in inter-eye units: lashes, lid creases and brow hairs reach past the
    # mesh outlines, and a lip liner or stubble shadow past the lip contour.
    eye_open = poly(EYE_R) | poly(EYE_L)
    eyes = grow(eye_open, 0.12)
    # Inner eye corners: the shadow between eye and nose bridge is anatomy, not a spot.
    for i in INNER_EYE_CORNERS:
        cv2.circle(eyes, (int(round(pts[i, 0])), int(round(pts[i, 1]))), max(1, int(round(0.2 * unit))), 1, -1)
    brows = grow(poly(BROW_R) | poly(BROW_L), 0.07)
    lips = grow(poly(LIPS), 0.07)
    # Mouth corners: the commissure shadow and its stubble reach well past the lips.
    for i in MOUTH_CORNERS:
        cv2.circle(lips, (int(round(pts[i, 0])), int(round(pts[i, 1]))), max(1, int(round(0.16 * unit))), 1, -1)
    nose = grow(hull(NOSE_BASE), 0.03)
    tip = grow(hull(NOSE_TIP), 0.03)
    shine = oval & ~(eyes | brows | lips | nose) & 1
    skin = shine & ~tip & 1
    cheeks = (poly(CHEEK_R) | poly(CHEEK_L)) & skin
    forehead = poly(FOREHEAD) & skin
    # Lashes and the lid margin stay out: lifting them would grey the lash line.
    under = (poly(UNDER_EYE_R) | poly(UNDER_EYE_L)) & oval & ~(grow(eye_open, 0.06) | brows | nose) & 1
    # Halves split by the forehead→chin line (mesh 10→152), so a tilted head splits right.
    top, chin = pts[10], pts[152]
    yy, xx = np.mgrid[0:h, 0:w]
    cross = (chin[0] - top[0]) * (yy - top[1]) - (chin[1] - top[1]) * (xx - top[0])
    side = np.where(cross > 0, 1, -1).astype(np.int8)  # image-left of the line: subject's right
    f = np.float32
    return SkinMasks(skin.astype(f), shine.astype(f), cheeks.astype(f), forehead.astype(f), under.astype(f), eye, side)

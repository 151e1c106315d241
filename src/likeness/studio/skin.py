"""Skin regions of a face from its 478-point mesh (mediapipe face-mesh topology).

Retouching must only ever touch skin: eyes, brows, lips and nostrils are dark or red
*by nature* and would otherwise look like blemishes. The regions are polygons over
mesh vertices (ordered outlines of mediapipe's face-mesh contours), rasterised at any
scale and offset so a stage can work on a crop or a reduced view of the photo.

Index lists name the *subject's* side: ``RIGHT_*`` is the subject's right, which is
the image-left side of a frontal photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_BROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
# Lower nose (convex hull): nostrils and the alar creases, dark by anatomy.
NOSE_BASE = (48, 64, 98, 97, 2, 326, 327, 294, 278, 219, 439, 115, 344, 49, 279, 129, 358, 102, 331)
# Nose tip and alar grooves: their shading draws the nose's shape (and weighs heavily
# in face recognition), so spots are not healed there; shine is still reduced.
NOSE_TIP = (4, 45, 275, 220, 440, 115, 344, 48, 278, 1, 2, 198, 420, 131, 360, 209, 429)
MOUTH_CORNERS = (61, 291)
INNER_EYE_CORNERS = (133, 362)
RIGHT_CHEEK = (117, 118, 119, 100, 142, 203, 206, 216, 192, 213, 147, 123)
LEFT_CHEEK = (346, 347, 348, 329, 371, 423, 426, 436, 416, 433, 376, 352)
FOREHEAD = (54, 103, 67, 109, 10, 338, 297, 332, 284, 300, 293, 334, 296, 336, 9, 107, 66, 105, 63, 70)
# From the second lid ring down to the cheekbone: the tear trough where darkness sits.
RIGHT_UNDER_EYE = (130, 25, 110, 24, 23, 22, 26, 112, 243, 244, 128, 121, 120, 119, 118, 117, 111, 35)
LEFT_UNDER_EYE = (359, 255, 339, 254, 253, 252, 256, 341, 463, 464, 357, 350, 349, 348, 347, 346, 340, 265)


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

    def poly(idx: tuple[int, ...]) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [np.round(pts[list(idx)] * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
        return m

    def hull(idx: tuple[int, ...]) -> np.ndarray:
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
    eye_open = poly(RIGHT_EYE) | poly(LEFT_EYE)
    eyes = grow(eye_open, 0.12)
    # Inner eye corners: the shadow between eye and nose bridge is anatomy, not a spot.
    for i in INNER_EYE_CORNERS:
        cv2.circle(eyes, (int(round(pts[i, 0])), int(round(pts[i, 1]))), max(1, int(round(0.2 * unit))), 1, -1)
    brows = grow(poly(RIGHT_BROW) | poly(LEFT_BROW), 0.07)
    lips = grow(poly(LIPS), 0.07)
    # Mouth corners: the commissure shadow and its stubble reach well past the lips.
    for i in MOUTH_CORNERS:
        cv2.circle(lips, (int(round(pts[i, 0])), int(round(pts[i, 1]))), max(1, int(round(0.16 * unit))), 1, -1)
    nose = grow(hull(NOSE_BASE), 0.03)
    tip = grow(hull(NOSE_TIP), 0.03)
    shine = oval & ~(eyes | brows | lips | nose) & 1
    skin = shine & ~tip & 1
    cheeks = (poly(RIGHT_CHEEK) | poly(LEFT_CHEEK)) & skin
    forehead = poly(FOREHEAD) & skin
    # Lashes and the lid margin stay out: lifting them would grey the lash line.
    under = (poly(RIGHT_UNDER_EYE) | poly(LEFT_UNDER_EYE)) & oval & ~(grow(eye_open, 0.06) | brows | nose) & 1
    # Halves split by the forehead→chin line (mesh 10→152), so a tilted head splits right.
    top, chin = pts[10], pts[152]
    yy, xx = np.mgrid[0:h, 0:w]
    cross = (chin[0] - top[0]) * (yy - top[1]) - (chin[1] - top[1]) * (xx - top[0])
    side = np.where(cross > 0, 1, -1).astype(np.int8)  # image-left of the line: subject's right
    f = np.float32
    return SkinMasks(skin.astype(f), shine.astype(f), cheeks.astype(f), forehead.astype(f), under.astype(f), eye, side)

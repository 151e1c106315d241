"""The face at a canonical resolution, with masks from the 478-point mesh.

A similarity transform puts the eye centres level and ``CANON_IED`` px apart (or at
the face's own resolution when it is smaller: never upsampled), so every measure in
:mod:`.quality` reads faces of every photo size the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..types import Face

#: Canonical distance between the eye centres: the ICAO minimum for a usable face.
CANON_IED = 64

FACE_OVAL = [176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10, 338, 297,
             332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148]
EYE_R = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]  # image-left eye
EYE_L = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]  # image-right eye
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
BROW_R = [46, 53, 52, 65, 55, 70, 63, 105, 66, 107]
BROW_L = [276, 283, 282, 295, 285, 300, 293, 334, 296, 336]
CHEEK_R = [50, 101, 205, 36, 118, 117, 123, 187]  # image-left cheek
CHEEK_L = [280, 330, 425, 266, 347, 346, 352, 411]  # image-right cheek
FOREHEAD = [151, 108, 337, 9, 107, 336, 69, 299]
#: Eyelid pairs (upper, lower) and the corners that give the eye width.
LIDS_R, CORNERS_R = [(160, 144), (159, 145), (158, 153)], (33, 133)
LIDS_L, CORNERS_L = [(385, 380), (386, 374), (387, 373)], (362, 263)


@dataclass(frozen=True)
class FaceView:
    """The face at the canonical resolution with masks from the mesh."""

    rgb: np.ndarray  # float32 H×W×3 sRGB [0, 1]
    luma: np.ndarray  # float32 H×W sRGB luma
    lin: np.ndarray  # float32 H×W linear-light luminance
    pts: np.ndarray  # 478×2 mesh in view pixels
    face: np.ndarray  # bool: inside the face oval
    skin: np.ndarray  # bool: face oval less eyes, brows, lips
    ied: float  # eye distance in view pixels


def face_view(image: np.ndarray, face: Face) -> FaceView:
    """Warp the face to the canonical view (eyes level, ``CANON_IED`` apart or native)."""
    if face.mesh is None:
        raise ValueError("face has no mesh")
    a, b = face.eye_centers()
    ied_img = float(np.hypot(*(b - a)))
    # Never upsample: a small face is judged at its own resolution (inter_eye says it
    # is small; sharpness should say whether it is *focused*).
    ied = float(min(CANON_IED, max(ied_img, 8.0)))
    k = ied / ied_img
    ang = np.arctan2(b[1] - a[1], b[0] - a[0])
    c, s = np.cos(-ang) * k, np.sin(-ang) * k
    W, H = int(round(3.0 * ied)), int(round(3.7 * ied))
    mid = (a + b) / 2
    # x' = R·(x − mid) + (W/2, 1.5·ied)
    M = np.array([[c, -s, 0.0], [s, c, 0.0]], np.float64)
    M[:, 2] = np.array([W / 2, 1.5 * ied]) - M[:, :2] @ mid
    pts = face.mesh[:, :2] @ M[:, :2].T + M[:, 2]
    src, Mw = image, M
    if k < 0.95:
        src, Mw = _preshrink(image, M, (W, H), k)
    crop = cv2.warpAffine(src, Mw, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    rgb = crop.astype(np.float32) / 255.0
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    lin = linear(rgb) @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    face_m = poly(H, W, pts[FACE_OVAL])
    holes = np.zeros((H, W), np.uint8)
    for idx in (EYE_R, EYE_L, LIPS):
        cv2.fillPoly(holes, [np.round(pts[idx] * 4).astype(np.int32)], 1, shift=2)
    for idx in (BROW_R, BROW_L):
        cv2.fillConvexPoly(holes, np.round(cv2.convexHull(pts[idx].astype(np.float32)) * 4).astype(np.int32), 1, shift=2)
    holes = cv2.dilate(holes, np.ones((5, 5), np.uint8))
    skin = face_m & (holes == 0)
    return FaceView(rgb, luma, lin, pts.astype(np.float32), face_m, skin, ied)


def _preshrink(image: np.ndarray, M: np.ndarray, size: tuple[int, int], k: float) -> tuple[np.ndarray, np.ndarray]:
    """Crop what the view needs and shrink it by ``k`` with area averaging, so the
    warp that follows only rotates. warpAffine interpolates bilinearly, which aliases
    when it shrinks, and aliasing adds false fine detail (it would read as sharpness)."""
    W, H = size
    inv = cv2.invertAffineTransform(M)
    corners = np.array([[0, 0], [W, 0], [0, H], [W, H]], np.float64) @ inv[:, :2].T + inv[:, 2]
    h, w = image.shape[:2]
    x0, y0 = (int(max(0, np.floor(v) - 4)) for v in corners.min(0))
    x1, y1 = (int(min(lim, np.ceil(v) + 4)) for v, lim in zip(corners.max(0), (w, h)))
    crop = image[y0:y1, x0:x1]
    sw, sh = max(1, round(crop.shape[1] * k)), max(1, round(crop.shape[0] * k))
    small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA)
    fx, fy = sw / crop.shape[1], sh / crop.shape[0]
    # small-image point = (p − (x0, y0)) · (fx, fy)  →  M' = M · S with S its inverse
    S = np.array([[1 / fx, 0, x0], [0, 1 / fy, y0], [0, 0, 1]], np.float64)
    return small, M @ S


def poly(h: int, w: int, p: np.ndarray) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.fillPoly(m, [np.round(p * 4).astype(np.int32)], 1, shift=2)
    return m.astype(bool)


def linear(rgb: np.ndarray) -> np.ndarray:
    from ..color import srgb_to_linear

    return srgb_to_linear(rgb)


def disc_mask(v: FaceView, idx: list[int], radius: float) -> np.ndarray:
    m = np.zeros(v.luma.shape, np.uint8)
    c = v.pts[idx].mean(0)
    cv2.circle(m, (int(round(c[0])), int(round(c[1]))), max(2, int(round(radius))), 1, -1)
    return m.astype(bool) & v.skin

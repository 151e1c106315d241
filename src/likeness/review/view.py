"""The face at a canonical scale, and the regions every review measure reads.

Every colour and texture measure works on a *view*: the photo warped by one
similarity transform so the eyes are level, ``CANON_IED`` px apart, at a fixed place.
A studio crop, a resized copy and the original photo then give the same view, and
regions are rasterised from the 478-point mesh in view pixels. Shrinking is
anti-aliased (area pre-shrink) so a large photo does not alias into false texture.

Mesh topology (mediapipe): 468/473 iris centres, 469–472 and 474–477 iris rims.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from ..types import Face

#: Eye-centre distance of the view (px). The ICAO minimum for a usable face image.
CANON_IED = 64
#: View size and eye position in inter-eye units: room for the hair above the head and
#: some backdrop beside it (the light check reads it).
VIEW_W, VIEW_H = 6.0, 6.0
EYES_X, EYES_Y = 3.0, 2.7

EYE_R = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
EYE_L = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
BROW_R = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_L = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
LIPS_OUT = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
LIPS_IN = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
IRIS = ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477)))


@dataclass(frozen=True)
class View:
    """A face at the canonical scale. ``rgb`` float32 sRGB [0, 1]; ``pts`` the mesh."""

    rgb: np.ndarray
    pts: np.ndarray  # 478×2, view px
    native_ied: float  # eye distance in the photo (px): what detail the view can hold
    matrix: np.ndarray  # 2×3, photo px → view px

    @property
    def unit(self) -> float:
        """View px per inter-eye distance."""
        return self.rgb.shape[1] / VIEW_W

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    @cached_property
    def lab(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2Lab)

    @cached_property
    def lin(self) -> np.ndarray:
        """Linear-light RGB (sRGB transfer function undone)."""
        from ..color import srgb_to_linear

        return srgb_to_linear(self.rgb)

    def poly(self, idx, *, hull: bool = False) -> np.ndarray:
        m = np.zeros(self.shape, np.uint8)
        p = np.round(self.pts[list(idx)] * 16).astype(np.int32)
        if hull:
            cv2.fillConvexPoly(m, cv2.convexHull(p), 1, shift=4)
        else:
            cv2.fillPoly(m, [p], 1, shift=4)
        return m > 0

    @cached_property
    def skin(self):
        """Skin masks (``likeness.studio.skin``) rasterised in view px."""
        from ..studio.skin import skin_masks

        return skin_masks(np.c_[self.pts, np.zeros(len(self.pts))], self.shape)

    @cached_property
    def cheeks(self) -> np.ndarray:
        return self.skin.cheeks > 0

    @cached_property
    def eyes(self) -> np.ndarray:
        return self.poly(EYE_R) | self.poly(EYE_L)

    @cached_property
    def iris_radius(self) -> float:
        """Mean iris radius in view px (≈ 0.09 inter-eye distances on an adult)."""
        r = [np.linalg.norm(self.pts[list(rim)] - self.pts[c], axis=1).mean() for c, rim in IRIS]
        return float(np.mean(r))

    def iris_ring(self, inner: float = 0.4, outer: float = 0.9) -> np.ndarray:
        """Iris pixels between ``inner`` and ``outer`` radii (pupil and limbus out),
        inside the visible eye opening (lids out)."""
        yy, xx = np.mgrid[0 : self.shape[0], 0 : self.shape[1]].astype(np.float32)
        ring = np.zeros(self.shape, bool)
        for c, rim in IRIS:
            r = float(np.linalg.norm(self.pts[list(rim)] - self.pts[c], axis=1).mean())
            d = np.hypot(xx - self.pts[c, 0], yy - self.pts[c, 1])
            ring |= (d >= inner * r) & (d <= outer * r)
        return ring & self.eyes

    @cached_property
    def lips(self) -> np.ndarray:
        return self.poly(LIPS_OUT) & ~self.poly(LIPS_IN)

    @cached_property
    def brows(self) -> np.ndarray:
        return self.poly(BROW_R, hull=True) | self.poly(BROW_L, hull=True)

    @cached_property
    def oval(self) -> np.ndarray:
        return self.poly(FACE_OVAL)


def face_view(image: np.ndarray, face: Face, *, ied: float = CANON_IED) -> View:
    """Warp ``face`` of an RGB uint8 photo to the canonical view."""
    if face.mesh is None:
        raise ValueError("the face has no mesh")
    a, b = face.eye_centers()
    native = float(np.hypot(*(b - a)))
    k = ied / max(native, 1e-6)
    ang = np.arctan2(b[1] - a[1], b[0] - a[0])
    c, s = np.cos(-ang) * k, np.sin(-ang) * k
    W, H = int(round(VIEW_W * ied)), int(round(VIEW_H * ied))
    M = np.array([[c, -s, 0.0], [s, c, 0.0]], np.float64)
    M[:, 2] = np.array([EYES_X * ied, EYES_Y * ied]) - M[:, :2] @ ((a + b) / 2)
    src, Mw = image, M
    if k < 0.7:  # bilinear warping aliases when shrinking: pre-shrink by area first
        src, Mw = _preshrink(image, M, k, W, H)
    crop = cv2.warpAffine(src, Mw, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    pts = face.mesh[:, :2] @ M[:, :2].T + M[:, 2]
    return View(crop.astype(np.float32) / 255.0, pts.astype(np.float32), native, M)


def _preshrink(image: np.ndarray, M: np.ndarray, k: float, W: int, H: int):
    """Crop to what the view shows and shrink it by area; return it and the new matrix."""
    Minv = cv2.invertAffineTransform(M)
    corners = np.array([[0, 0], [W, 0], [0, H], [W, H]], np.float64) @ Minv[:, :2].T + Minv[:, 2]
    h, w = image.shape[:2]
    x0, y0 = (int(max(0, np.floor(v) - 2)) for v in corners.min(0))
    x1, y1 = int(min(w, np.ceil(corners[:, 0].max()) + 2)), int(min(h, np.ceil(corners[:, 1].max()) + 2))
    crop = image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image
    if crop is image:
        x0 = y0 = 0
    f = min(1.0, 1.25 * k)
    small = cv2.resize(crop, (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f))),
                       interpolation=cv2.INTER_AREA)
    fx, fy = small.shape[1] / crop.shape[1], small.shape[0] / crop.shape[0]
    S = np.array([[1 / fx, 0, x0], [0, 1 / fy, y0], [0, 0, 1]], np.float64)
    return small, M @ S

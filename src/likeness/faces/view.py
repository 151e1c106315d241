"""The face at a canonical scale: the one view every face measure reads.

One similarity transform puts the eyes level, ``CANON_IED`` px apart, at a fixed place
in the view. A studio crop, a resized copy and the original photo then give the same
view, and regions are rasterised from the 478-point mesh in view pixels
(:mod:`.regions`, :mod:`.masks`). Shrinking is anti-aliased (an area pre-shrink), so a
large photo does not alias into false fine detail, which would read as sharpness or
texture.

Two framings of the same view: :data:`FACE` (the face itself, never enlarged: intake
judges a small face at its own resolution) and :data:`HEAD` (room for the hair above
and the backdrop beside the head: the review reads hair colour and light there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from ..color import LUMA_601
from ..types import Face
from .regions import BROW_L, BROW_R, EYE_L, EYE_R, FACE_OVAL, IRIS, LIPS, LIPS_IN

#: Eye-centre distance of the view (px): the ICAO minimum for a usable face image.
CANON_IED = 64


@dataclass(frozen=True)
class ViewFraming:
    """View size and eye-midpoint position in inter-eye units; ``enlarge``: whether a
    face smaller than ``CANON_IED`` is enlarged to it (else kept at its own size)."""

    width: float
    height: float
    eyes_x: float
    eyes_y: float
    enlarge: bool


FACE = ViewFraming(3.0, 3.7, 1.5, 1.5, enlarge=False)
HEAD = ViewFraming(6.0, 6.0, 3.0, 2.7, enlarge=True)


@dataclass(frozen=True)
class FaceView:
    """A face at the canonical scale. ``rgb`` float32 sRGB [0, 1]; ``pts`` the mesh."""

    rgb: np.ndarray
    pts: np.ndarray  # 478×2, view px
    native_ied: float  # eye distance in the photo (px): what detail the view can hold
    matrix: np.ndarray  # 2×3, photo px → view px
    ied: float  # eye distance in view px
    photo_size: tuple[int, int]  # (w, h) of the photo the view was taken from

    @property
    def unit(self) -> float:
        """View px per inter-eye distance (the unit of sizes in the view)."""
        return self.ied

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    @cached_property
    def lab(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2Lab)

    @cached_property
    def luma(self) -> np.ndarray:
        """sRGB luma of the encoded values."""
        return self.rgb @ LUMA_601

    @cached_property
    def linear(self) -> np.ndarray:
        """Linear-light RGB (the sRGB curve undone)."""
        from ..color import srgb_to_linear

        return srgb_to_linear(self.rgb)

    @cached_property
    def luminance(self) -> np.ndarray:
        """Linear-light luminance."""
        from ..color import luminance

        return luminance(self.linear)

    def poly(self, idx, *, hull: bool = False) -> np.ndarray:
        m = np.zeros(self.shape, np.uint8)
        p = np.round(self.pts[list(idx)] * 16).astype(np.int32)
        if hull:
            cv2.fillConvexPoly(m, cv2.convexHull(p), 1, shift=4)
        else:
            cv2.fillPoly(m, [p], 1, shift=4)
        return m > 0

    @cached_property
    def masks(self):
        """:class:`~likeness.faces.masks.SkinMasks` rasterised in view px."""
        from .masks import skin_masks

        return skin_masks(np.c_[self.pts, np.zeros(len(self.pts))], self.shape)

    @cached_property
    def valid(self) -> np.ndarray:
        """View pixels that come from inside the photo (a face cut by the photo's edge
        is filled with the edge's pixels in the view; they are no skin reading)."""
        inv = cv2.invertAffineTransform(self.matrix)
        h, w = self.shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        px = inv[0, 0] * xx + inv[0, 1] * yy + inv[0, 2]
        py = inv[1, 0] * xx + inv[1, 1] * yy + inv[1, 2]
        pw, ph = self.photo_size
        return (px >= -0.5) & (px <= pw - 0.5) & (py >= -0.5) & (py <= ph - 0.5)

    @cached_property
    def skin(self) -> np.ndarray:
        """Face skin inside the photo: the oval less eyes, brows, lips and the lower
        nose (bool)."""
        return (self.masks.skin > 0) & self.valid

    @cached_property
    def cheeks(self) -> np.ndarray:
        return (self.masks.cheeks > 0) & self.valid

    @cached_property
    def oval(self) -> np.ndarray:
        return self.poly(FACE_OVAL)

    @cached_property
    def eyes(self) -> np.ndarray:
        return self.poly(EYE_R) | self.poly(EYE_L)

    @cached_property
    def lips(self) -> np.ndarray:
        return self.poly(LIPS) & ~self.poly(LIPS_IN)

    @cached_property
    def brows(self) -> np.ndarray:
        return self.poly(BROW_R, hull=True) | self.poly(BROW_L, hull=True)

    def skin_lab(self, *, min_pixels: int = 20) -> tuple[float, float, float] | None:
        """Median L*a*b* of the cheeks: the skin colour (None: too few cheek pixels)."""
        m = self.cheeks
        if m.sum() < min_pixels:
            return None
        return tuple(float(x) for x in np.median(self.lab[m], axis=0))  # type: ignore[return-value]

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

    def disc(self, idx, radius: float) -> np.ndarray:
        """Skin within ``radius`` view px of the mean of the mesh points ``idx``."""
        m = np.zeros(self.shape, np.uint8)
        c = self.pts[list(idx)].mean(0)
        cv2.circle(m, (int(round(c[0])), int(round(c[1]))), max(2, int(round(radius))), 1, -1)
        return (m > 0) & self.skin


def face_view(image: np.ndarray, face: Face, *, framing: ViewFraming = HEAD, ied: float = CANON_IED) -> FaceView:
    """Warp ``face`` (with its mesh) of an RGB uint8 photo to the canonical view."""
    if face.mesh is None:
        raise ValueError("the face has no mesh")
    a, b = face.eye_centers()
    native = float(np.hypot(*(b - a)))
    if not framing.enlarge:
        # A small face is judged at its own resolution: enlarging adds no detail, and
        # inter_eye already says that it is small.
        ied = float(min(ied, max(native, 8.0)))
    k = ied / max(native, 1e-6)
    ang = np.arctan2(b[1] - a[1], b[0] - a[0])
    c, s = np.cos(-ang) * k, np.sin(-ang) * k
    W, H = int(round(framing.width * ied)), int(round(framing.height * ied))
    M = np.array([[c, -s, 0.0], [s, c, 0.0]], np.float64)
    M[:, 2] = np.array([framing.eyes_x * ied, framing.eyes_y * ied]) - M[:, :2] @ ((a + b) / 2)
    src, Mw = image, M
    if k < 0.95:
        src, Mw = preshrink(image, M, (W, H), k)
    crop = cv2.warpAffine(src, Mw, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    pts = face.mesh[:, :2] @ M[:, :2].T + M[:, 2]
    from ..color import to_float

    return FaceView(to_float(crop), pts.astype(np.float32), native, M, float(ied), (image.shape[1], image.shape[0]))


def halve(image: np.ndarray) -> np.ndarray:
    """``image`` at half size by area averaging (trimmed to an even size first: under
    a pixel of the result). OpenCV's area filter is fast only at a ratio of exactly 2:
    3 ms for 12 MP on 2 cores, against 30 ms for two levels of a Gaussian pyramid. In
    continuous pixel coordinates a point halves exactly (x → x / 2)."""
    hh, ww = image.shape[0] // 2, image.shape[1] // 2
    return cv2.resize(image[: 2 * hh, : 2 * ww], (ww, hh), interpolation=cv2.INTER_AREA)


def preshrink(image: np.ndarray, M: np.ndarray, size: tuple[int, int], k: float) -> tuple[np.ndarray, np.ndarray]:
    """Crop what the view needs and shrink it by ``k`` with area averaging, so the
    warp that follows only rotates. warpAffine interpolates bilinearly, which aliases
    when it shrinks."""
    W, H = size
    inv = cv2.invertAffineTransform(M)
    corners = np.array([[0, 0], [W, 0], [0, H], [W, H]], np.float64) @ inv[:, :2].T + inv[:, 2]
    h, w = image.shape[:2]
    x0, y0 = (int(max(0, np.floor(v) - 4)) for v in corners.min(0))
    x1, y1 = (int(min(lim, np.ceil(v) + 4)) for v, lim in zip(corners.max(0), (w, h)))
    if x1 <= x0 or y1 <= y0:  # the view lies outside the photo: nothing to shrink
        return image, M
    crop = image[y0:y1, x0:x1]
    # Halve by area while the ratio is ≥ 2 (OpenCV's area filter is fast only at
    # exactly 2: a 2400 px crop shrunk by 6× in one area step takes 150 ms), then one
    # area step for the rest, from an image at most twice the result's size.
    n = 0
    while k * 2**n <= 0.5 and min(crop.shape[:2]) >= 4:
        crop, n = halve(crop), n + 1
    used_w, used_h = crop.shape[1] * 2**n, crop.shape[0] * 2**n  # photo px the halved crop spans
    sw, sh = max(1, round(used_w * k)), max(1, round(used_h * k))
    small = cv2.resize(crop, (sw, sh), interpolation=cv2.INTER_AREA)
    fx, fy = sw / used_w, sh / used_h
    # small-image point = (p − (x0, y0)) · (fx, fy)  →  M' = M · S with S its inverse
    S = np.array([[1 / fx, 0, x0], [0, 1 / fy, y0], [0, 0, 1]], np.float64)
    return small, M @ S

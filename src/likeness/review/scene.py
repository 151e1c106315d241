"""The candidate as the defect checks (:mod:`.defects`) read it: the image, its matte
(given, or the candidate's own person segmentation), where it shows the photo, its
local backdrop colour and the subject's face, all at ``SIDE`` px; and the mask and
head-geometry helpers the checks share."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..color import rgb_to_lab
from ..types import Face

#: Long side (px) at which every defect is measured: enough for a 0.3 % island, and
#: the segmentation model sees 256 px anyway.
SIDE = 384
#: The backdrop's colour field is blurred this many times smaller (:func:`_blur`).
BLUR_STEP = 4


@dataclass(frozen=True)
class Scene:
    """The candidate prepared for the defect checks (all at ``SIDE``)."""

    image: np.ndarray  # uint8 h×w×3
    lab: np.ndarray  # float32 h×w×3
    alpha: np.ndarray  # float32 h×w: the matte given (or the segmentation)
    seg: np.ndarray  # float32 h×w: the candidate's own person segmentation
    valid: np.ndarray | None  # where the frame shows the photo (studio renders)
    face: Face  # subject, scaled to h×w
    backdrop: np.ndarray  # float32 h×w×3 Lab: local backdrop colour everywhere
    smooth: bool  # the backdrop is a smooth studio backdrop (not a scene)
    top_cut: bool | None  # the photo itself cuts the crown (None: unknown)
    k: float = 1.0  # scene px per candidate px
    source: np.ndarray | None = None  # the candidate itself (full size: the lips need its pixels)
    composite: bool = False  # made by compositing with the matte given (a studio render)


def scene(
    image: np.ndarray,
    face: Face,
    *,
    alpha: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    top_cut: bool | None = None,
) -> Scene:
    """Prepare ``image`` (RGB uint8) with its subject ``face`` (image px) once.

    ``alpha``/``valid``: float masks of any size (resized here); ``top_cut``: True when
    the photo the candidate was made from cuts the top of the head."""
    from ..matting import segment

    H, W = image.shape[:2]
    k = min(1.0, SIDE / max(H, W))
    w, h = max(16, round(W * k)), max(16, round(H * k))
    small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA) if (w, h) != (W, H) else image
    small = np.ascontiguousarray(small)
    f = face.scaled(w / W)
    seg = segment(small, face_box=f.box)
    a = seg if alpha is None else _fit(alpha, (w, h))
    v = None if valid is None else _fit(valid, (w, h))
    lab = rgb_to_lab(small)
    bd, smooth = _backdrop(lab, a, v)
    return Scene(small, lab, a, seg, v, f, bd, smooth, top_cut, w / W, image, composite=alpha is not None)


def _fit(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    m = np.clip(np.asarray(m, np.float32), 0, 1)
    return m if m.shape[::-1] == size else cv2.resize(m, size, interpolation=cv2.INTER_AREA)


def _backdrop(lab: np.ndarray, alpha: np.ndarray, valid: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """Local backdrop colour at every pixel (normalised convolution of the pixels the
    matte calls backdrop), and whether it is smooth (a studio backdrop; a generated
    office or street is not, and the checks that need a backdrop then stand aside)."""
    h, w = alpha.shape
    m = (alpha < 0.02).astype(np.float32)
    if m.sum() < 0.02 * h * w:
        return lab.copy(), False
    sig = 0.06 * max(h, w)
    num, den = _blur(lab * m[..., None], sig), _blur(m, sig)[..., None]
    far = den[..., 0] < 1e-3
    if far.any():  # deep inside the subject: the mean backdrop colour
        num[far] = (lab * m[..., None]).sum((0, 1)) / m.sum()
        den[far] = 1.0
    bd = (num / np.maximum(den, 1e-6)).astype(np.float32)
    core = cv2.erode(m, np.ones((5, 5), np.uint8)) > 0
    resid = np.linalg.norm(lab[core] - bd[core], axis=1) if core.any() else np.zeros(1)
    return bd, bool(np.median(resid) < 3.0)


def _blur(x: np.ndarray, sig: float) -> np.ndarray:
    """A Gaussian blur of ``sig`` px. From 8 px up (a scene of 134 px or more) it is
    worked out at a quarter of the size and enlarged again: at that width the result is
    smooth far below a pixel's scale, and it costs a tenth of the full-size filter's
    20 ms at ``SIDE``. A smaller blur is made at full size."""
    if sig < 2 * BLUR_STEP:
        return cv2.GaussianBlur(x, (0, 0), sig)
    h, w = x.shape[:2]
    small = cv2.resize(x, (max(1, w // BLUR_STEP), max(1, h // BLUR_STEP)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.GaussianBlur(small, (0, 0), sig / BLUR_STEP), (w, h), interpolation=cv2.INTER_LINEAR)


def _head(f: Face) -> tuple[float, float, float, float, float]:
    """(axis x, eye y, chin y, face half-width, head height) in scene px."""
    m = f.mesh
    if m is None:
        x0, y0, x1, y1 = f.box
        return (x0 + x1) / 2, y0 + 0.4 * (y1 - y0), y1, (x1 - x0) / 2, 1.6 * (y1 - y0)
    eye_y = float(m[[33, 133, 362, 263], 1].mean())
    chin = float(m[152, 1])
    hw = float(np.linalg.norm(m[234, :2] - m[454, :2])) / 2
    from ..faces.geometry import CROWN_K

    return float(m[[168, 152], 0].mean()), eye_y, chin, hw, CROWN_K * float(np.linalg.norm(m[10, :2] - m[152, :2]))


def _components(mask: np.ndarray):
    return cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)


def _overlap(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / area if area > 0 else 0.0


def _on_border(p, w: int, h: int, tol: int = 2) -> bool:
    return p[0] <= tol or p[1] <= tol or p[0] >= w - 1 - tol or p[1] >= h - 1 - tol


def _disk(r: float) -> np.ndarray:
    r = max(1, round(r))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _big(mask: np.ndarray, minpx: float) -> np.ndarray:
    n, labels, stats, _ = _components(mask)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= minpx
    return keep[labels]


def _enclosed(bg: np.ndarray) -> np.ndarray:
    """Background pieces that do not touch the frame's edge."""
    n, labels, _, _ = _components(bg)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    keep = np.ones(n, bool)
    keep[border] = False
    keep[0] = False
    return keep[labels]

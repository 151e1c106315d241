"""Small array helpers shared by the studio stages."""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..faces.view import halve


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones run on a reduced copy (same look, a fraction of the
    time: a σ of 60 px needs a 360-tap kernel at full size)."""
    if sigma <= 6:
        return cv2.GaussianBlur(x, (0, 0), max(sigma, 0.3))
    f = sigma / 3.0
    h, w = x.shape[:2]
    sw, sh = max(2, round(w / f)), max(2, round(h / f))
    small = cv2.resize(x, (sw, sh), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma * sw / w)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def shrink(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Reduce ``x`` to ``size`` (w, h) fast, for working copies.

    OpenCV's area filter is fast only at a ratio of exactly 2 (3 ms for 12 MP on 2
    cores); at 3.4 it takes 53 ms, and 23 ms for 1600×2000 → 614×768. So the image is
    halved by area while the ratio is ≥ 2 (trimmed to an even size first: under a
    pixel of the result), and bilinear does the rest (< 2×, on an image the halving
    has already low-passed). Within 1.6 levels of one area step on the astronaut
    (Laplacian energy 0.7–1.1× of it), it is for face analysis and the matte, not
    for output pixels.
    """
    w, h = size
    f = _halvings(x.shape, size)
    for _ in range(f):
        x = halve(x)
    if (x.shape[1], x.shape[0]) == (w, h):
        return x
    return cv2.resize(x, (w, h), interpolation=cv2.INTER_LINEAR)


def shrink_scale(shape: tuple[int, ...], size: tuple[int, int]) -> tuple[float, float]:
    """(x, y) result pixels per input pixel of :func:`shrink` (exact, with the trims)."""
    th, tw = shape[0], shape[1]
    for _ in range(_halvings(shape, size)):
        th, tw = th // 2, tw // 2
    f = 2 ** _halvings(shape, size)
    return size[0] / (tw * f), size[1] / (th * f)


def _halvings(shape: tuple[int, ...], size: tuple[int, int]) -> int:
    r = min(shape[1] / size[0], shape[0] / size[1])
    n = 0
    while r >= 2:
        r /= 2
        n += 1
    return n


def lab(rgb: np.ndarray) -> np.ndarray:
    """L*a*b* of float32 sRGB [0, 1] (H×W×3)."""
    return cv2.cvtColor(np.ascontiguousarray(rgb, np.float32), cv2.COLOR_RGB2Lab)


def box_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-like blur in O(1) per pixel (two box passes), fast at large sigma."""
    k = max(1, int(round(math.sqrt(6 * sigma * sigma + 1))) | 1)
    return cv2.blur(cv2.blur(img, (k, k)), (k, k))

"""Small array helpers shared by the studio stages."""

from __future__ import annotations

import cv2
import numpy as np


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
    """Area-averaged reduction to ``size`` (w, h), fast at any ratio.

    OpenCV's area filter has a fast path for whole-number ratios only; at a ratio
    such as 2.6 it is ~10× slower (36 ms for 1600×2000 → 614×768 on 2 cores). So the
    whole-number part runs first, on the image trimmed to a multiple of it (at most
    ratio − 1 px off the right and bottom edge: under a pixel of the result), and
    the area filter does the rest (< 2×) on the smaller image. The two steps blur a
    little more than one (Laplacian energy ~0.6–0.7× on the astronaut), so this is
    for working copies (face analysis, the matte), not for output pixels.
    """
    w, h = size
    f = _whole(x.shape, size)
    if f >= 2:
        hh, ww = x.shape[0] // f, x.shape[1] // f
        x = cv2.resize(x[: hh * f, : ww * f], (ww, hh), interpolation=cv2.INTER_AREA)
    if (x.shape[1], x.shape[0]) == (w, h):
        return x
    return cv2.resize(x, (w, h), interpolation=cv2.INTER_AREA)


def shrink_scale(shape: tuple[int, ...], size: tuple[int, int]) -> tuple[float, float]:
    """(x, y) result pixels per input pixel of :func:`shrink` (exact, with the trim)."""
    f = max(1, _whole(shape, size))
    return size[0] / (shape[1] // f * f), size[1] / (shape[0] // f * f)


def _whole(shape: tuple[int, ...], size: tuple[int, int]) -> int:
    return int(min(shape[1] / size[0], shape[0] / size[1]))


def srgb_to_linear_lut() -> np.ndarray:
    return (np.linspace(0, 1, 256, dtype=np.float32) ** 2.2).astype(np.float32)

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


def srgb_to_linear_lut() -> np.ndarray:
    return (np.linspace(0, 1, 256, dtype=np.float32) ** 2.2).astype(np.float32)

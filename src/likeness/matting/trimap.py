"""Trimaps and edge bands: where a matte is sure and where it is mixing.

A trimap is float32 H×W with 1 (surely person), 0 (surely background) and 0.5
(unknown), the input convention of pymatting and most matting tools.
"""

from __future__ import annotations

import cv2
import numpy as np


def trimap(alpha: np.ndarray, *, band: int, threshold: float = 0.5) -> np.ndarray:
    """Trimap with an unknown band ``band`` px each side of the ``threshold`` contour."""
    if band < 0:
        from ..errors import OptionError

        raise OptionError(f"A trimap band must be 0 px or wider, got {band}.", hint="Pass band >= 0.")
    fg = (alpha >= threshold).astype(np.uint8)
    out = np.full(alpha.shape, 0.5, np.float32)
    if band == 0:
        out[:] = fg
        return out
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    out[cv2.erode(fg, k) > 0] = 1.0
    out[cv2.erode(1 - fg, k) > 0] = 0.0
    return out


def edge_band(alpha: np.ndarray, *, lo: float = 0.02, hi: float = 0.98, grow: int = 1) -> np.ndarray:
    """Bool H×W: pixels where the matte mixes (lo < alpha < hi), grown by ``grow`` px."""
    band = ((alpha > lo) & (alpha < hi)).astype(np.uint8)
    if grow > 0:
        band = cv2.dilate(band, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return band > 0

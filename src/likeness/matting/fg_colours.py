"""Foreground colour estimation: the subject's colours without the old background.

Where alpha mixes (hair, soft edges) a pixel is ``alpha·F + (1−alpha)·B``; pasting it
on a new backdrop as it is keeps a fringe of the old background ``B``. We estimate
``F`` with blur fusion (Forte & Pitié, "Approximate fast foreground colour estimation",
ICIP 2021): local means of the sure foreground and background colours, then the
compositing equation solved for ``F`` about them; a large window first (colour far
from the edge), then a small one (local detail).

Speed: the local means are smooth, so both blur passes run at a reduced size
(``size``, long side); only the last step, which reads the full-size pixel and alpha,
runs at full size. Where alpha is 1 it returns the pixel itself.
"""

from __future__ import annotations

import cv2
import numpy as np

from .refine import as_float, fit_size, resize

_EPS = 1e-4


def estimate_foreground(
    image: np.ndarray,
    alpha: np.ndarray,
    *,
    radius: int,
    fine_radius: int = 3,
    size: int | None = 800,
) -> np.ndarray:
    """Foreground colours, float32 H×W×3 in [0, 1], for an RGB image (uint8 or float
    [0, 1]) and its alpha (float32 H×W). ``radius`` and ``fine_radius`` are the blur
    windows' half-sizes in pixels at ``size`` (long side; None: full size)."""
    img = as_float(image)
    H, W = alpha.shape
    w, h = fit_size(W, H, size)
    return blur_fusion(img, alpha, resize(img, w, h), resize(alpha, w, h), radius=radius, fine_radius=fine_radius)


def blur_fusion(
    img: np.ndarray, alpha: np.ndarray, img_small: np.ndarray, alpha_small: np.ndarray, *, radius: int, fine_radius: int
) -> np.ndarray:
    """The work of :func:`estimate_foreground` on float32 arrays the caller already has
    (full size and reduced size)."""
    # Pass 1 (large window) gives a foreground estimate; pass 2 (small window) takes
    # its local means. Both at the reduced size.
    f1 = _fuse(img_small, alpha_small, *_means(img_small, img_small, alpha_small, radius))
    f_hat, b_hat = _means(img_small, f1, alpha_small, fine_radius)
    H, W = alpha.shape
    # Dense upsampling and arithmetic: on 2 cores this beats gathering the edge's
    # scattered pixels. No mask is needed: where alpha is 1 the solve gives the pixel
    # itself; where it is 0 it gives the nearby subject colour (what a later feathering
    # of the alpha should blend in), fading to black far from the subject.
    fg = _fuse(img, alpha, resize(f_hat, W, H), resize(b_hat, W, H))
    np.clip(fg, 0.0, 1.0, out=fg)
    return fg


def _means(img: np.ndarray, fg: np.ndarray, alpha: np.ndarray, r: int):
    """Alpha-weighted local mean of the foreground and (1−alpha)-weighted of the image."""
    k = (2 * r + 1, 2 * r + 1)
    a = alpha[..., None]
    blur_a = cv2.blur(alpha, k)[..., None]
    f_hat = cv2.blur(fg * a, k) / (blur_a + _EPS)
    b_hat = cv2.blur(img * (1 - a), k) / (1 - blur_a + _EPS)
    return f_hat, b_hat


def _fuse(img, alpha, f_hat, b_hat):
    """Solve img = a·F + (1−a)·B for F about the local means (Forte & Pitié eq. 5):
    F = f + a·(img − a·f − (1−a)·b) = f + a·(img − b − a·(f − b))."""
    a = alpha[..., None]
    t = f_hat - b_hat
    t *= a
    t -= img
    t += b_hat  # t = a·(f − b) − img + b
    t *= a
    return f_hat - t

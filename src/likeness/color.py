"""Colour: the one place for sRGB ↔ linear light, Lab, ΔE2000 and the uint8 ↔ float
conversion at stage edges (STYLE.md: ``uint8`` at stage boundaries, ``float32`` in
[0, 1] inside a stage).

- :func:`srgb_to_linear` / :func:`linear_to_srgb`: the exact IEC 61966-2-1 curve, for
  measures (luminance, light gains, colour under another light).
- :func:`gamma_to_linear` / :func:`linear_to_gamma`: a pure power law with
  ``GAMMA = 2.2``, the studio's working approximation of that curve. A multiplicative
  gain in linear light stays a multiplicative gain (``g ** (1 / GAMMA)``) on the
  encoded values, which the light and grade stages rely on to apply gains once per
  pixel at output size. Read back through the power law, a value encoded with the
  exact curve moves by at most 0.034 (shadows near 0.03), 0.023 above 0.1 and 0.013
  above 0.2 (skin and mid tones: about 3 of 255).
- :func:`rgb_to_lab`: CIE L*a*b* (D65) of float sRGB, OpenCV's conversion.
- :func:`delta_e`: CIEDE2000, scikit-image's implementation.
- :func:`monochrome`: whether an image carries no colour of its own.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Exponent of the studio's power-law approximation of the sRGB curve.
GAMMA = 2.2
#: Rec. 709 / sRGB luminance weights of linear RGB.
LUMA_709 = np.array([0.2126, 0.7152, 0.0722], np.float32)
#: Rec. 601 luma weights of encoded (gamma) RGB, as JPEG's Y: a brightness of code values.
LUMA_601 = np.array([0.299, 0.587, 0.114], np.float32)


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 → float32 in [0, 1] (a float image is returned as float32 unchanged)."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) * np.float32(1 / 255)
    return image.astype(np.float32, copy=False)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float in [0, 1] → uint8, rounded and clipped."""
    return np.clip(np.asarray(image, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values (float [0, 1] or uint8) → linear light, float32."""
    x = np.clip(to_float(np.asarray(x)), 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, np.power((x + 0.055) / 1.055, np.float32(2.4))).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear light (float) → sRGB-encoded float32 in [0, 1] (clipped)."""
    x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, np.float32(1 / 2.4)) - 0.055).astype(np.float32)


def gamma_to_linear(x: np.ndarray) -> np.ndarray:
    """``x ** GAMMA`` on float32 [0, 1] (clipped); cv2.pow is 8× numpy's power."""
    x = np.asarray(x)
    return cv2.pow(np.clip(x, 0, 1).astype(np.float32, copy=False), GAMMA).reshape(x.shape)


def linear_to_gamma(x: np.ndarray) -> np.ndarray:
    """``x ** (1 / GAMMA)`` on float32 [0, 1] (clipped)."""
    x = np.asarray(x)
    return cv2.pow(np.clip(x, 0, 1).astype(np.float32, copy=False), 1.0 / GAMMA).reshape(x.shape)


def gamma_lut() -> np.ndarray:
    """256-entry table of :func:`gamma_to_linear` for uint8 values."""
    return gamma_to_linear(np.linspace(0, 1, 256, dtype=np.float32))


def luminance(linear_rgb: np.ndarray) -> np.ndarray:
    """Relative luminance of linear RGB (…×3 → …)."""
    return np.asarray(linear_rgb, np.float32) @ LUMA_709


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of sRGB: uint8 or float [0, 1], any shape ending in 3."""
    x = to_float(np.asarray(rgb))
    shape = x.shape
    lab = cv2.cvtColor(np.ascontiguousarray(x.reshape(1, -1, 3)), cv2.COLOR_RGB2Lab)
    return lab.reshape(shape)


def lab_to_rgb(lab) -> np.ndarray:
    """sRGB float32 [0, 1] (clipped) of L*a*b* colours (any shape ending in 3)."""
    x = np.asarray(lab, np.float32)
    shape = x.shape
    rgb = cv2.cvtColor(np.ascontiguousarray(x.reshape(1, -1, 3)), cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0, 1).reshape(shape)


def at_luminance_of(linear: np.ndarray, lab) -> np.ndarray:
    """Linear RGB ``linear`` (one colour) scaled, its chromaticity kept, to the
    luminance of the L*a*b* colour ``lab``: compared with ``lab`` afterwards, what is
    left is a change of colour, not of brightness (a fill light lifting a shaded cheek)."""
    target = float(LUMA_709 @ srgb_to_linear(lab_to_rgb(np.asarray(lab, np.float32)[None, None]))[0, 0])
    return linear * np.float32(target / max(float(LUMA_709 @ linear), 1e-6))


def delta_e(lab1, lab2, *, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0) -> np.ndarray | float:
    """CIEDE2000 between L*a*b* colours (…×3, broadcast against each other);
    scikit-image's implementation. A float for single colours."""
    from skimage.color import deltaE_ciede2000

    a, b = np.broadcast_arrays(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64))
    d = deltaE_ciede2000(a, b, kL=kL, kC=kC, kH=kH, channel_axis=-1)
    return float(d) if np.ndim(d) == 0 else d


def monochrome(lab: np.ndarray) -> bool:
    """True when the pixels ``lab`` (L*a*b*, any shape ending in 3) carry no colour of
    their own: black-and-white (chroma under 3 for 90 % of them), or toned
    black-and-white (a*, b* a function of L* alone, within 2 for 90 % of them)."""
    lab = np.asarray(lab, np.float32).reshape(-1, 3)[::7]
    if np.percentile(np.hypot(lab[:, 1], lab[:, 2]), 90) < 3.0:
        return True
    bins = np.clip((lab[:, 0] / 5).astype(int), 0, 20)
    # The pixels grouped by L* bin once (sorted), each bin's median read off its group.
    order = np.argsort(bins, kind="stable")
    ends = np.cumsum(np.bincount(bins, minlength=21))[:-1]
    res = []
    for c in (1, 2):
        med = np.array([np.median(g) if len(g) else 0.0 for g in np.split(lab[order, c], ends)])
        res.append(np.abs(lab[:, c] - med[bins]))
    return bool(np.percentile(np.maximum(*res), 90) < 2.0)

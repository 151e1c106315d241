"""CIEDE2000 colour difference, vectorised (Sharma, Wu & Dalal 2005).

The locks compare one colour with every enrolled photo's, for every candidate; a
vectorised formula costs microseconds where a general image routine costs a
quarter of a millisecond per call. Checked against ``skimage.color.deltaE_ciede2000``
in the tests (agreement to 1e-6).
"""

from __future__ import annotations

import numpy as np


def delta_e(lab1, lab2, *, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0) -> np.ndarray | float:
    """ΔE2000 between Lab colours (…×3 arrays broadcast against each other)."""
    a = np.asarray(lab1, np.float64)
    b = np.asarray(lab2, np.float64)
    L1, a1, b1 = a[..., 0], a[..., 1], a[..., 2]
    L2, a2, b2 = b[..., 0], b[..., 1], b[..., 2]
    Cbar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    c7 = Cbar**7
    G = 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(C1p * C2p == 0, 0.0, dh)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lbp = (L1 + L2) / 2
    Cbp = (C1p + C2p) / 2
    hsum = h1p + h2p
    hbp = np.where(np.abs(h1p - h2p) > 180, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hbp = np.where(C1p * C2p == 0, hsum, hbp)
    T = (1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp))
         + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63)))
    dtheta = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    cb7 = Cbp**7
    Rc = 2 * np.sqrt(cb7 / (cb7 + 25.0**7))
    Sl = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    Sc = 1 + 0.045 * Cbp
    Sh = 1 + 0.015 * Cbp * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    tl, tc, th = dLp / (kL * Sl), dCp / (kC * Sc), dHp / (kH * Sh)
    d = np.sqrt(tl**2 + tc**2 + th**2 + Rt * tc * th)
    return float(d) if d.ndim == 0 else d

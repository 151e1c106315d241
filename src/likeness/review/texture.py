"""Skin texture (anti-"plastic"): fine detail of the skin against the person's own.

Plastic skin, the most common complaint about AI headshots and heavy retouching, is
skin whose fine structure (pores, fine lines, the grain of real skin) is gone while
the face's outlines stay sharp. We measure it as the *high-frequency energy* of the
skin: the median absolute value of log-luminance minus its Gaussian blur (σ = 1 px),
over the cheeks (eroded, so feature edges do not count; the forehead is left out:
fringes and hairlines cover it), at a canonical
scale. Log-luminance makes it independent of exposure; the median ignores single
wrinkles or hairs; the canonical scale (``SCALES``: px between the eye centres) makes
a big and a small copy of a face comparable.

A face carries real detail only down to its own resolution: a scale is measured only
when the photo has at least ``scale`` px between the eyes (never upsampled: that
would read as lost texture), and
a candidate is compared with the person's photos at the finest scale both have.

Measured on the eval set (ratios of energies): a photo against the median of the
person's other photos p1 0.44, min 0.41 (``texture`` 0.42); the plastic edit against
its source p95 0.64 (median 0.38), harmless changes against theirs p1 0.78
(``texture_source`` 0.70); studio renders against their source p5 0.84, min 0.54.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..color import luminance, srgb_to_linear
from ..faces.view import CANON_IED, FaceView

#: Canonical scales (px between the eyes), finest first.
SCALES = (64, 48, 40, 32, 24)
SIGMA = 1.0
#: Pixels a blur of ``SIGMA`` reads on each side (OpenCV's float kernel spans 4 σ).
_REACH = 4 * int(np.ceil(SIGMA)) + 1


def energies(v: FaceView) -> dict[int, float]:
    """High-frequency energy of the skin at each scale the face can show."""
    skin = v.cheeks.astype(np.uint8)
    out: dict[int, float] = {}
    for s in SCALES:
        if v.native_ied < s:
            continue
        f = s / CANON_IED
        rgb = v.rgb if f == 1 else cv2.resize(v.rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        m = skin if f == 1 else cv2.resize(skin, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
        m = cv2.erode(m, np.ones((3, 3), np.uint8)) > 0
        if m.sum() < 30:
            continue
        # Only the cheeks' box and the blur's reach around it: at every cheek pixel the
        # blur reads the same pixels as over the whole view (the view's own edge, where
        # the box meets it, is reflected as before).
        ys, xs = np.nonzero(m.any(1))[0], np.nonzero(m.any(0))[0]
        r = _REACH
        y0, y1, x0, x1 = max(0, ys[0] - r), ys[-1] + 1 + r, max(0, xs[0] - r), xs[-1] + 1 + r
        y = np.log(luminance(srgb_to_linear(rgb[y0:y1, x0:x1])) + 0.01)
        hf = y - cv2.GaussianBlur(y, (0, 0), SIGMA)
        out[s] = float(np.median(np.abs(hf[m[y0:y1, x0:x1]])))
    return out


def common_scale(candidate: dict[int, float], reference: list[dict[int, float]]) -> int | None:
    """The finest scale the candidate and at least one reference photo both have."""
    for s in SCALES:
        if s in candidate and any(s in r for r in reference):
            return s
    return None


def ratio(candidate: dict[int, float], reference: list[dict[int, float]]) -> tuple[float | None, int | None]:
    """(candidate energy / median energy of the person's photos, scale used)."""
    s = common_scale(candidate, reference)
    if s is None:
        return None, None
    ref = float(np.median([r[s] for r in reference if s in r]))
    return candidate[s] / max(ref, 1e-6), s


def check(c, ref, s):
    """The texture gate (``c``: Candidate, ``ref``: Reference, ``s``: ReviewSettings)."""
    from .result import Check

    if c.source is not None:
        src = ref.photos[c.source].texture
        r, scale = ratio(c.stats.texture, [src])
        if r is not None:
            ok = r >= s.texture_source
            return Check(ok, round(r, 3), s.texture_source, "" if ok else _reason(r, "the photo it was made from"),
                         note=f"against the photo it was made from, at {scale} px between the eyes")
    r, scale = ratio(c.stats.texture, [p.texture for p in ref.photos])
    if r is None:
        return Check(True, None, None, note="face too small for a texture measure: not judged")
    ok = r >= s.texture
    return Check(ok, round(r, 3), s.texture, "" if ok else _reason(r, "your own photos"),
                 note=f"against your photos, at {scale} px between the eyes")


def _reason(r: float, what: str) -> str:
    return (f"The skin looks plastic: it keeps only {100 * r:.0f} % of the fine skin texture of {what}.")

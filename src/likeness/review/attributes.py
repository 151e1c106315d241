"""Attributes the person owns: skin tone, hair colour, glasses, iris colour.

Each ``*_lab`` function reads one attribute from a canonical :class:`~likeness.faces.view.FaceView` and
returns a CIELAB triple (D65, L* 0–100) or ``None`` when the view cannot show it
(eyes shut, hair outside the frame). The locks in :mod:`.locks` compare them with the
person's own photos.

- **Skin**: median Lab of both cheeks (mesh polygons; median so shine and blemishes
  do not move it).
- **Hair**: median Lab of person pixels (segmentation) in a band above the forehead
  and at the temples, outside the face oval, less those of the cheeks' colour (hands
  in the hair) unless that would leave fewer than half. On a bald head this is scalp, which is
  then the person's "hair colour" in every photo alike.
- **Iris**: median Lab of the ring between 40 % and 90 % of the iris radius (pupil and
  the dark limbus out), inside the visible eye opening (lids out), the brightest 15 %
  (specular highlights) and darkest 10 % (lashes, pupil edge) dropped.
- **Glasses**: a frame bridge is a horizontal bar across the nose bridge: vertical
  gradients there are strong *and coherent along a row*, where skin texture is not.
  The score is the strongest row-mean of the vertical gradient on the bridge over the
  skin's own gradient level. On the eval set: faces without glasses 0.4–5.3, heavy
  frames 4–13, thin metal frames 3–8; so ≥ 6 reads "glasses", ≤ 3 "none" and the
  middle is undecided (never fails a lock).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..color import luminance, srgb_to_linear, to_float
from ..faces.view import FaceView

Lab = tuple[float, float, float]


def skin_lab(v: FaceView) -> Lab | None:
    return v.skin_lab()


def iris_lab(v: FaceView) -> tuple[Lab | None, int]:
    """(iris colour, number of iris pixels it was read from)."""
    ring = v.iris_ring(0.4, 0.9)
    vals = v.lab[ring]
    if len(vals) < 12:
        return None, int(len(vals))
    lo, hi = np.percentile(vals[:, 0], [10, 85])
    keep = vals[(vals[:, 0] >= lo) & (vals[:, 0] <= hi)]
    if len(keep) < 8:
        return None, int(len(keep))
    return _median(keep), int(len(keep))


def hair_region(v: FaceView) -> np.ndarray:
    """Where hair is expected: above the forehead and at the temples, outside the face."""
    p, u = v.pts, v.unit
    h, w = v.shape
    m = np.zeros((h, w), np.uint8)
    top = p[10, 1]
    xl, xr = p[[54, 103, 67]][:, 0].min(), p[[284, 332, 297]][:, 0].max()
    y0, y1 = int(max(0, top - 0.75 * u)), int(max(0, top - 0.08 * u))
    m[y0:y1, int(max(0, xl)) : int(min(w, xr))] = 1
    for side, outward in ((127, -1), (356, 1)):  # temples: just outside the oval at brow height
        x, y = p[side]
        xa, xb = sorted((x + outward * 0.05 * u, x + outward * 0.4 * u))
        m[int(max(0, y - 0.45 * u)) : int(min(h, y + 0.1 * u)), int(max(0, xa)) : int(min(w, xb))] = 1
    grown = cv2.dilate(v.oval.astype(np.uint8), np.ones((5, 5), np.uint8))
    return (m > 0) & (grown == 0)


#: Hair pixels closer than this (Lab distance) to the cheeks' colour are skin: hands in
#: the hair, a forehead under a high hairline ...
HAIR_NOT_SKIN = 10.0
#: ... unless fewer than this share of the hair pixels would remain (hair of nearly the
#: skin's colour: then all of them are read).
HAIR_KEEP_MIN = 0.5


def hair_lab(v: FaceView, person: np.ndarray) -> tuple[Lab | None, float]:
    """(hair colour, share of the hair region that is person): ``None`` below 30 %.
    Skin-coloured pixels in the region (hands on the hair) are left out."""
    region = hair_region(v)
    n = int(region.sum())
    if n < 20:
        return None, 0.0
    sel = region & (person >= 0.5)
    share = float(sel.sum()) / n
    if share < 0.3 or sel.sum() < 15:
        return None, share
    px = v.lab[sel]
    skin = skin_lab(v)
    if skin is not None:
        hair = px[np.linalg.norm(px - np.float32(skin), axis=1) >= HAIR_NOT_SKIN]
        if len(hair) >= max(15, HAIR_KEEP_MIN * len(px)):
            px = hair
    return _median(px), share


def exposure(v: FaceView) -> float:
    """Median sRGB luma of the cheeks (0–1)."""
    m = v.cheeks
    luma = v.luma
    return float(np.median(luma[m])) if m.any() else float(luma.mean())


def _median(vals: np.ndarray) -> Lab:
    L, a, b = np.median(vals, axis=0)
    return (float(L), float(a), float(b))


def backdrop(thumb: np.ndarray, person: np.ndarray, pts: np.ndarray) -> tuple[Lab | None, float, float]:
    """(backdrop colour, its linear luminance, share of the band that is backdrop) in a
    band around the head (beside and above it, above the mouth), person pixels out."""
    h, w = person.shape
    u = w / 6.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = pts[[234, 454], 0].mean(), pts[[10, 152], 1].mean()
    r = np.hypot((xx - cx) / 1.0, (yy - cy) / 1.25)
    band = (r >= 1.35 * u) & (r <= 2.1 * u) & (yy <= pts[14, 1])
    n = int(band.sum())
    sel = band & ~person
    share = float(sel.sum()) / max(n, 1)
    if sel.sum() < 30:
        return None, 0.0, share
    x = to_float(thumb[sel])
    lab = cv2.cvtColor(x.reshape(1, -1, 3), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    y = float(np.median(luminance(srgb_to_linear(x))))
    return _median(lab), y, share

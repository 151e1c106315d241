"""A large logo on clothing: one bold mark on the chest that pulls the eye from the face.

The clothing is seen as :func:`~.lettering.cloth_view` gives it (the face
``NORM_FACE_PX`` tall). Stable regions (MSER) are found on the lightness and on both
colour channels (a red mark on a blue shirt of the same lightness has no grey edge).
A region is a logo when it is

- chest-sized: ``SIZE`` face heights across, and not a strip (``MAX_ELONGATION``);
- a closed shape wholly on the cloth: the ring around it is clothing all round
  (``ENCLOSED``). The frame's bottom edge may cut it (the chest goes on below);
  the neck opening may not. This is what tells a logo from the plain clothes'
  look-alikes: the shirt between a jacket's lapels and a tie run up to the collar
  and the neck, a pendant lies on the skin or touches it;
- of one colour unlike the one cloth around it: ΔE76 at least ``MIN_DE`` between the
  mark and its ring, the ring itself even (its spread under ``RING_EVEN`` of that
  difference: a mark on one garment, not a jacket's edge over a shirt), and a step at
  its outline (``STEP``: a print is cut sharp, a fold's shadow fades in);
- alone: more than ``PATTERN`` such marks on the cloth are a pattern (dots, flowers).

The limits were set on the calibration half of ``likeness eval coach`` (the originals
against logos drawn onto the same clothes).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..color import rgb_to_lab
from .lettering import _iou, cloth_view

NORM_FACE_PX = 100.0  # a logo is large: the face this tall is enough to see it
SIZE = (0.22, 1.0)  # across, face heights
MAX_ELONGATION = 3.0  # longer side over shorter: a tie, a strap, a zip is longer
RING = 0.05  # face heights of cloth read around a mark
ENCLOSED = 0.97  # share of that ring that must be clothing
MIN_DE = 28.0  # ΔE76 between the mark and the cloth around it
RING_EVEN = 0.6  # the ring's spread (p80 distance to its median) over the mark's difference
STEP = 0.5  # the outline's step (just inside against just outside) over the mark's difference
PATTERN = 3  # more separate marks than this: a pattern
SKIN_HUE = 20.0  # degrees: a mark this close to the skin's hue ...
SKIN_CHROMA = 2.0  # ... with its chroma for its lightness within this factor is skin lit differently


@dataclass(frozen=True)
class Logo:
    judged: bool  # the clothing was large and sharp enough to see a logo on
    size: float = 0.0  # across, face heights, of the largest mark found (0: none)
    contrast: float = 0.0  # ΔE76 between that mark and the cloth around it
    marks: int = 0  # marks passing every test but the pattern one
    box: tuple[int, int, int, int] | None = None  # that mark in the photo: x, y, w, h

    @property
    def found(self) -> bool:
        return 0 < self.marks <= PATTERN


def find_logo(image: np.ndarray, clothing: np.ndarray, face_height: float, *,
              skin: tuple[float, float, float] | None = None) -> Logo:
    """A large mark printed on the clothing (``clothing``: bool H×W); ``skin``: the
    face's skin colour (L*a*b*), to pass over skin the clothing mask let through."""
    view = cloth_view(image, clothing, face_height, norm=NORM_FACE_PX)
    if view is None:
        return Logo(judged=False)
    lab8 = cv2.cvtColor(view.rgb, cv2.COLOR_RGB2Lab)
    rr = max(3, int(RING * NORM_FACE_PX))
    # Around the view: the frame's bottom edge is open (the chest goes on below it); its
    # top (the neck opening) and sides are not cloth.
    pad = ((rr, rr), (rr, rr), (0, 0))
    lab8 = np.pad(lab8, pad, mode="edge")  # 8-bit channels for MSER
    lab = np.pad(rgb_to_lab(view.rgb), pad, mode="edge")  # L*a*b* for the colour tests
    cloth = np.pad(view.cloth, rr)
    cloth[-rr:] = True
    h, w = cloth.shape
    lo, hi = (v * NORM_FACE_PX for v in SIZE)
    mser = cv2.MSER_create(4, int(0.4 * lo * lo), int(hi * hi))
    k3, k5, k7 = (np.ones((n, n), np.uint8) for n in (3, 5, 7))
    found: list[tuple] = []
    for ch in range(3):  # lightness, a*, b*
        regions, boxes = mser.detectRegions(np.ascontiguousarray(lab8[..., ch]))
        for pts, (x, y, bw, bh) in zip(regions, boxes):
            size = max(bw, bh)
            if not lo <= size <= hi or size > MAX_ELONGATION * max(1, min(bw, bh)):
                continue
            if cloth[pts[:, 1], pts[:, 0]].mean() < 0.98 or any(_iou((x, y, bw, bh), q[:4]) > 0.5 for q in found):
                continue
            x0, y0 = max(0, x - rr), max(0, y - rr)
            x1, y1 = min(w, x + bw + rr), min(h, y + bh + rr)
            sub = np.zeros((y1 - y0, x1 - x0), np.uint8)
            sub[pts[:, 1] - y0, pts[:, 0] - x0] = 1
            near = cv2.dilate(sub, k3) > 0
            ring = (cv2.dilate(sub, np.ones((2 * rr + 1, 2 * rr + 1), np.uint8)) > 0) & ~near
            rc = cloth[y0:y1, x0:x1]
            if not ring.any() or rc[ring].mean() < ENCLOSED:  # not closed all round by cloth
                continue
            patch = lab[y0:y1, x0:x1]
            around_px = patch[ring & rc]
            if around_px.shape[0] < 10:
                continue
            inside, around = np.median(patch[sub > 0], axis=0), np.median(around_px, axis=0)
            de = float(np.linalg.norm(inside - around))
            if de < MIN_DE or (skin is not None and _skin_like(inside, skin)):
                continue
            if float(np.percentile(np.linalg.norm(around_px - around, axis=1), 80)) > RING_EVEN * de:  # not one cloth around
                continue
            rim_in = (cv2.erode(sub, k3) > 0) & ~(cv2.erode(sub, k7) > 0)
            rim_out = (cv2.dilate(sub, k5) > 0) & ~near & rc
            if rim_in.sum() < 4 or rim_out.sum() < 4:
                continue
            if float(np.linalg.norm(np.median(patch[rim_in], axis=0) - np.median(patch[rim_out], axis=0))) < STEP * de:
                continue  # the outline fades in: a shadow, not a print
            found.append((int(x), int(y), int(bw), int(bh), de, size / NORM_FACE_PX, ch))
    if not found:
        return Logo(judged=True)
    best = max(found, key=lambda q: q[5])
    k, (ox, oy) = view.scale, view.origin
    box = (ox + int((best[0] - rr) / k), oy + int((best[1] - rr) / k), int(best[2] / k), int(best[3] / k))
    return Logo(judged=True, size=round(float(best[5]), 3), contrast=round(float(best[4]), 1), marks=_distinct(found), box=box)


def _distinct(found: list[tuple]) -> int:
    """Marks not nested in one another (a ring and its hole, one mark on two channels)."""
    kept: list[tuple] = []
    for q in sorted(found, key=lambda q: -q[2] * q[3]):
        if not any(_inside(q, k) for k in kept):
            kept.append(q)
    return len(kept)


def _inside(a, b) -> bool:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy > 0.5 * a[2] * a[3]


def _skin_like(lab: np.ndarray, skin: tuple[float, float, float]) -> bool:
    """Skin lit differently: the skin's hue, and its chroma for the lightness (a
    shadowed neck is darker and greyer in step), within a factor of ``SKIN_CHROMA``."""
    c, cs = float(np.hypot(lab[1], lab[2])), float(np.hypot(skin[1], skin[2]))
    if c < 5.0 or cs < 5.0:
        return False
    dh = abs((np.degrees(np.arctan2(lab[2], lab[1]) - np.arctan2(skin[2], skin[1])) + 180) % 360 - 180)
    ratio = (c / max(float(lab[0]), 1.0)) / (cs / max(float(skin[0]), 1.0))
    return bool(dh < SKIN_HUE and 1 / SKIN_CHROMA < ratio < SKIN_CHROMA)

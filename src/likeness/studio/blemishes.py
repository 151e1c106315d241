"""Transient blemishes: found as local outliers of the skin, healed at full resolution.

A spot is a blemish only if it is small, round, darker or redder than skin on every
side, and coloured (pigment or inflammation, not a shading pocket); moles (larger, or
very dark), scars, wrinkles and hairs (elongated), freckles and stubble (many alike
spots close together) are kept. Healing takes the low frequencies from the spot's
border (inpainting) and clones the grain from a clean neighbouring patch, so the skin
keeps its pores. Orchestrated by :func:`likeness.studio.retouch.retouch_result`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..color import to_float, to_uint8
from .ops import box_blur as _blur
from .ops import lab as _lab

#: Largest blemish radius, in inter-eye units (≈ 2.9 mm at an eye distance of 63 mm):
#: spots, bites and blackheads are smaller; moles are larger and kept by this limit.
MAX_BLEMISH_R = 0.046
#: A dark spot with this many other small specks at least half as dark within this
#: radius (inter-eye units) reads as freckles or stubble, i.e. the person's skin: kept.
TEXTURE_RADIUS = 0.25
TEXTURE_COUNT = 4
ALIKE = 0.5
#: Least chroma/lightness ratio, spot over surroundings, of a pigmented or inflamed spot
#: (shadows on skin measure 1.0–1.2; brown and red spots 1.2 and more).
PIGMENT_MIN = 1.15
#: A spot this much darker (L*) than the skin around it, and not red, is a mole: kept.
MOLE_DARK = 24.0


def _fill_outside(img: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """``img`` inside ``mask``; outside, a smooth extension of the masked values, so
    filters at the skin's edge see skin instead of eyes, brows or hair."""
    h, w = mask.shape
    k = max(1.0, sigma / 3)  # the extension is smooth: compute it on a 1/k grid
    size = (max(4, round(w / k)), max(4, round(h / k)))
    m = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    v = cv2.resize(img * mask[..., None], size, interpolation=cv2.INTER_AREA)
    num = _blur(v, sigma / k)
    den = _blur(m, sigma / k)[..., None]
    ext = cv2.resize(num / np.maximum(den, 1e-4), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(mask[..., None] > 0, img, ext)


@dataclass(frozen=True)
class _Spots:
    labels: np.ndarray  # int32 component labels at work scale
    stats: np.ndarray  # cv2 component stats
    ids: np.ndarray  # labels of the spots to heal
    why: dict[str, np.ndarray]  # per-label reasons (for diagnostics): seen, small, mole, ...


def find_blemishes(work: np.ndarray, skin: np.ndarray, eye: float, strength: float) -> tuple[_Spots | None, int]:
    """Spots to heal (work scale), and the number of spots seen but kept."""
    r_max = max(1.5, MAX_BLEMISH_R * eye)
    # Outside the skin (eyes, brows, hair) a smooth extension of the skin, so nothing
    # dark across the border reads as a spot.
    filled = _fill_outside(work, skin, 0.15 * eye)
    lab_f = _lab(cv2.GaussianBlur(filled, (0, 0), 0.7))
    # Black-hat / top-hat with a disc just larger than a blemish: how far each pixel
    # lies below (L*) or above (a*) the local envelope of the skin. Smooth shading and
    # highlights give nothing; a mole larger than the disc gives nothing inside either.
    se_r = int(math.ceil(r_max)) + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * se_r + 1,) * 2)
    dark = cv2.morphologyEx(lab_f[..., 0], cv2.MORPH_BLACKHAT, disc)
    red = cv2.morphologyEx(lab_f[..., 1], cv2.MORPH_TOPHAT, disc)
    lab = _lab(cv2.GaussianBlur(work, (0, 0), 0.6))

    inside = cv2.erode(skin.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inside.sum() < 50:
        return None, 0
    inside &= _skin_colour(filled, inside, eye)
    if inside.sum() < 50:
        return None, 0

    # Thresholds follow the skin's own texture (grain, wrinkles, sensor noise) within
    # bounds: never below a just-visible step, never so high that a plain spot hides.
    k = 3.2 - 2.0 * strength  # stronger retouch → lower thresholds

    def level(x: np.ndarray, lo: float, hi: float) -> float:
        v = x[inside]
        mid = float(np.median(v))
        return float(np.clip(mid + k * 1.4826 * np.median(np.abs(v - mid)), lo, hi))

    t_dark = level(dark, 3.0, 7.0)
    t_red = level(red, 2.5, 5.0)
    weak = ((dark > t_dark) | ((red > t_red) & (dark > 1.0))) & inside
    strong = ((dark > 1.3 * t_dark) | ((red > 1.3 * t_red) & (dark > 1.5))) & inside

    n, labels, stats, cent = cv2.connectedComponentsWithStats(weak.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None, 0
    seen = np.bincount(labels[strong], minlength=n) > 0
    seen[0] = False
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    peak_dark, peak_red = np.zeros(n), np.zeros(n)
    np.maximum.at(peak_dark, labels[weak], dark[weak])
    np.maximum.at(peak_red, labels[weak], red[weak])
    reddish = peak_red >= 2 * t_red
    # Size from the spot's core (response ≥ half its peak, in the channel that found
    # it), so a strong soft spot does not look bigger than a faint one of the same size.
    by_red = peak_red / t_red > peak_dark / t_dark
    resp = np.where(by_red[labels], red, dark)
    core = weak & (resp >= 0.5 * np.where(by_red, peak_red, peak_dark)[labels])
    r_core = np.sqrt(np.bincount(labels[core], minlength=n) / np.pi)
    # A blemish is small and round; larger (moles) or elongated (scars, wrinkles, hairs,
    # stubble lines) marks are kept.
    compact = (np.maximum(bw, bh) <= 2.0 * np.minimum(bw, bh)) & (area >= 0.5 * bw * bh)
    small = (area >= 3) & (r_core <= 0.8 * r_max) & (area <= np.pi * r_max**2) & (np.maximum(bw, bh) <= 2.6 * r_max)
    # Very dark, not inflamed: a naevus (mole) however small, not a passing spot.
    mole = (peak_dark >= MOLE_DARK) & ~reddish
    ok = seen & compact & small & ~mole
    r_eq = np.sqrt(area / np.pi)
    isolated, pigment = _isolated(lab, labels, core, cent, r_core, r_eq, inside, ok, t_dark, t_red)
    # Colour, not shading: a spot is pigment or inflammation, so its chroma rises
    # against its lightness; a shading pocket (brow ridge, dimple) only gets darker.
    ok &= isolated & (pigment >= PIGMENT_MIN)
    texture = ~reddish & _in_texture(cent, area, peak_dark, ok, r_max, eye)
    ok &= ~texture
    why = dict(seen=seen, compact=compact, small=small, mole=mole, isolated=isolated, pigment=pigment, texture=texture)
    return _Spots(labels, stats, np.flatnonzero(ok), why), int(seen.sum() - ok.sum())


def _skin_colour(filled: np.ndarray, inside: np.ndarray, eye: float) -> np.ndarray:
    """Pixels whose neighbourhood (a median view) has the face's skin colour: hair,
    deep shadow and backdrop inside the face outline are not skin where the mesh says
    face."""
    h, w = inside.shape
    half = cv2.resize(to_uint8(filled), ((w + 1) // 2, (h + 1) // 2),
                      interpolation=cv2.INTER_AREA)  # the median is the slowest filter
    med = cv2.medianBlur(half, max(3, 2 * int(round(0.05 * eye)) + 1))
    lab = _lab(to_float(cv2.resize(med, (w, h), interpolation=cv2.INTER_LINEAR)))
    ref = np.median(lab[inside], axis=0)
    return (np.abs(lab[..., 1] - ref[1]) < 14) & (np.abs(lab[..., 2] - ref[2]) < 16) & (lab[..., 0] > ref[0] - 28)


def _in_texture(cent, area, peak, ok, r_max: float, eye: float) -> np.ndarray:
    """True for dark spots among several others *as dark* (freckles, stubble): there they
    are the person's skin. A passing spot stands out from its neighbours' pores."""
    res = np.zeros(len(area), bool)
    idx = np.flatnonzero(ok)
    specks = np.flatnonzero((area >= 2) & (area <= np.pi * r_max**2))
    if not len(idx) or len(specks) <= TEXTURE_COUNT:
        return res
    d = np.hypot(*(cent[idx, None, :] - cent[None, specks, :]).transpose(2, 0, 1))
    alike = peak[None, specks] >= ALIKE * peak[idx, None]
    res[idx] = ((d < TEXTURE_RADIUS * eye) & alike).sum(1) - 1 >= TEXTURE_COUNT  # minus itself
    return res


def _isolated(lab, labels, core, cent, r_core, r_eq, inside, ok, t_dark: float, t_red: float):
    """(isolated, pigment) per label. A blemish is darker (or redder) than skin on
    *every* side; a shadow at a mouth corner or beside the nose is darker than one side
    only. ``pigment`` is the spot's chroma/lightness ratio over its surroundings': a
    pigmented (brown) or inflamed spot raises it, a shading pocket barely does."""
    n = len(r_core)
    res, pigment = np.zeros(n, bool), np.zeros(n)
    idx = np.flatnonzero(ok)
    if not len(idx):
        return res, pigment
    cnt = np.maximum(np.bincount(labels[core], minlength=n).astype(np.float64), 1)
    mean = np.stack([np.bincount(labels[core], weights=lab[..., c][core], minlength=n) / cnt for c in range(3)], 1)
    smooth = cv2.blur(lab, (3, 3))
    h, w = inside.shape
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    for i in idx:
        d = max(2.0 * r_core[i], r_eq[i]) + 2.0  # past the spot's soft rim
        xs = np.round(cent[i, 0] + d * np.cos(ang)).astype(int)
        ys = np.round(cent[i, 1] + d * np.sin(ang)).astype(int)
        good = (xs >= 0) & (ys >= 0) & (xs < w) & (ys < h)
        xs, ys = xs[good], ys[good]
        good = inside[ys, xs] & ~core[ys, xs] & (labels[ys, xs] != i)
        if good.sum() < 6:
            continue
        ring = smooth[ys[good], xs[good]]
        darker = (ring[:, 0] - mean[i, 0] > 0.5 * t_dark).mean()
        redder = (mean[i, 1] - ring[:, 1] > 0.5 * t_red).mean()
        res[i] = max(darker, redder) >= 0.75
        c_in = math.hypot(mean[i, 1], mean[i, 2]) / max(mean[i, 0], 1.0)
        c_out = float(np.hypot(ring[:, 1], ring[:, 2]).mean()) / max(float(ring[:, 0].mean()), 1.0)
        pigment[i] = c_in / max(c_out, 1e-3)
    return res, pigment


def heal(crop: np.ndarray, spots: _Spots | None, skin_work: np.ndarray, strength: float) -> int:
    """Heal the spots in ``crop`` (uint8, in place) at full resolution: low frequencies
    interpolated from the spot's border (so a highlight beside it does not brighten
    it), grain (high frequencies) cloned from a clean neighbouring patch."""
    if spots is None or not len(spots.ids):
        return 0
    hh, ww = crop.shape[:2]
    hw, www = skin_work.shape
    f = ww / www  # full px per work px
    taken = np.isin(spots.labels, spots.ids).astype(np.uint8)
    free = (skin_work > 0) & (cv2.dilate(taken, np.ones((3, 3), np.uint8)) == 0)
    opacity = min(1.0, 0.4 + 1.8 * strength)
    dirs = [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
    for i in spots.ids:
        x, y, bw, bh, area = (int(v) for v in spots.stats[i])
        r = math.sqrt(area / math.pi) * f + 0.5 * f  # full px, over the rim
        sigma = max(1.0, 0.6 * r)
        g = max(1, int(round(0.35 * r)))
        dist = int(math.ceil(3.0 * r + 3))
        pad = int(math.ceil((3 * sigma + dist + 2 * g) / f)) + 2  # work px
        wx0, wy0, wx1, wy1 = max(0, x - pad), max(0, y - pad), min(www, x + bw + pad), min(hw, y + bh + pad)
        fx0, fy0 = int(wx0 * f), int(wy0 * f)
        fx1, fy1 = min(ww, int(round(wx1 * f))), min(hh, int(round(wy1 * f)))
        size = (fx1 - fx0, fy1 - fy0)
        comp = (spots.labels[wy0:wy1, wx0:wx1] == i).astype(np.float32)
        m = (cv2.resize(comp, size, interpolation=cv2.INTER_LINEAR) > 0.3).astype(np.uint8)
        skin = cv2.resize((skin_work[wy0:wy1, wx0:wx1] > 0).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        v = cv2.resize(free[wy0:wy1, wx0:wx1].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        roi8 = np.ascontiguousarray(crop[fy0:fy1, fx0:fx1])
        roi = roi8.astype(np.float32)
        # Grow the spot over its soft rim; a further ring is the feather zone.
        ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1,) * 2)
        m = cv2.dilate(m, ker)
        ring = cv2.dilate(m, ker)
        v = ((v > 0) & (ring == 0)).astype(np.float32)  # clean skin, for the grain source
        ext = ring > 0
        # Low frequencies: inpainted from skin only (an ear, hair or the backdrop next
        # to the spot must not bleed in), then smoothed.
        unknown = (m | (skin == 0)).astype(np.uint8)
        low = _blur(_inpaint_low(roi8, unknown, r, sigma), sigma)
        grain = roi - _blur(roi, sigma)
        # Typical grain of this skin; a source next to a mole or an edge has far more.
        typical = 1.4826 * float(np.median(np.abs(grain[v > 0]))) + 1e-3 if v.any() else 1.0
        ys, xs = np.nonzero(ext)
        best, best_score = None, 0.0
        for cx, cy in dirs:  # clone the grain from the cleanest neighbouring patch
            ox, oy = int(round(cx * dist)), int(round(cy * dist))
            sx, sy = xs + ox, ys + oy
            if sx.min() < 0 or sy.min() < 0 or sx.max() >= size[0] or sy.max() >= size[1]:
                continue
            cov = float(v[sy, sx].mean())  # the source must be clean skin...
            calm = float(np.abs(grain[sy, sx]).mean()) / (0.8 * typical)  # ...of ordinary grain
            score = cov / max(1.0, calm)
            if cov > 0.8 and score > best_score:
                best, best_score = (ox, oy), score
        patch = low[ys, xs]
        if best is not None:
            src = np.clip(grain[ys + best[1], xs + best[0]], -3 * typical, 3 * typical)
            patch = patch + (src - src.mean(0))  # grain only: its mean is the fill's job
        alpha = np.minimum(1.0, 2.0 * _blur(m.astype(np.float32), 0.5 + 0.3 * r))
        a = (np.maximum(alpha, m)[ys, xs] * opacity)[:, None]
        cur = roi[ys, xs]
        roi[ys, xs] = cur + a * (patch - cur)
        crop[fy0:fy1, fx0:fx1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)
    return len(spots.ids)


def _inpaint_low(roi8: np.ndarray, unknown: np.ndarray, r: float, sigma: float) -> np.ndarray:
    """float32 ``roi8`` with its ``unknown`` pixels filled from the known ones (Telea).

    Only the low frequencies of the fill are used (it is blurred by ``sigma`` next), so
    the fill runs on a copy reduced until ``sigma`` is ~2 px: Telea's cost grows with
    the unknown area times the radius², and the non-skin part of a large spot's window
    (hair, an ear) made one call cost 0.1–0.2 s at full size.
    """
    k = max(1, int(sigma // 2))
    if k == 1:
        return cv2.inpaint(roi8, unknown, max(2.0, 0.7 * r), cv2.INPAINT_TELEA).astype(np.float32)
    h, w = unknown.shape
    size = (max(1, -(-w // k)), max(1, -(-h // k)))
    small = cv2.resize(roi8, size, interpolation=cv2.INTER_AREA)
    # A reduced pixel is known only if every full pixel under it is.
    unk = (cv2.resize(unknown.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    fill = cv2.inpaint(small, unk, max(2.0, 0.7 * r / k), cv2.INPAINT_TELEA)
    up = cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    known = unknown == 0
    up[known] = roi8[known]  # the known pixels keep their own values
    return up

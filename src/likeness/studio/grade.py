"""Grade: the Look's tone curve and colour, then output sharpening at the output size.

Tone and colour balance fold into one 256-entry lookup table per channel (``cv2.LUT``
on uint8, a few milliseconds at 3 MP); saturation mixes with the luma; sharpening is an
unsharp mask on luma only (no coloured halos), its radius scaled to the output height.

The person's skin keeps its colour (``skin``, from :func:`likeness.studio.light.skin_map`):
there the grade acts as a retoucher's adjustment layer in *luminosity* blend mode, its
tone (contrast, highlights, blacks) kept and its colour (warmth, tint, saturation, and
the chroma a per-channel curve adds) held back, so a warm or cool Look warms or cools
the backdrop, the clothes and the mood but not the face. The contrast turns about the
face's own level on the person (``subject``, the matte), so a contrasty Look deepens
shadows without re-exposing the face, and about mid-grey on the backdrop, so one Look
gives every member of a team the same backdrop.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..color import GAMMA, LUMA_601, lab_to_rgb, rgb_to_lab, to_float
from ..looks.settings import GradeSettings, parse_hex

#: Fixed point of the skin's colour offsets (:func:`skin_offsets`): 1/16 code value.
OFFSET_SCALE = 16
#: The contrast's pivot stays within these code values (a face lit far too dark or
#: too bright does not bend the curve out of shape).
PIVOT_RANGE = (0.2, 0.8)
#: The skin map is 1 over the face (:func:`likeness.studio.light.skin_map`); where it
#: is above this the skin's level is read.
FACE_LEVEL = 0.995


def tone_curve(settings: GradeSettings, *, pivot: float = 0.5) -> np.ndarray:
    """The tone curve as 256 floats in [0, 1] (input code value → output). The contrast
    S-curve turns about ``pivot``, the code value it leaves where it is (mid-grey by
    default; the skin's level in a headshot, :func:`skin_level`), and the black lift
    fades out by it."""
    s = settings
    v = np.linspace(0.0, 1.0, 256, dtype=np.float64)
    p = min(max(pivot, PIVOT_RANGE[0]), PIVOT_RANGE[1])
    if s.contrast:
        # S-curve: blend toward a smoothstep (or away, for < 0), on a power of the
        # values that puts the pivot at mid-grey.
        k = math.log(0.5) / math.log(p)
        u = v**k
        u = u + 2 * s.contrast * (u * u * (3 - 2 * u) - u)
        v = np.clip(u, 0, 1) ** (1 / k)
    if s.highlights > 0:
        knee = 1.0 - 0.35 * s.highlights
        over = np.maximum(v - knee, 0)
        span = 1.0 - knee
        v = np.where(v > knee, knee + span * (1 - np.exp(-1.6 * over / span)) / (1 - np.exp(-1.6)), v)
    if s.black > 0:
        # Matte blacks: black lifted by ``black``, the lift fading out by the pivot, so
        # the shadows open and the face stays as lit (a lift of the whole scale moved
        # the skin by 0.3 ΔE more than the default Look).
        v = v + s.black * np.clip(1 - v / p, 0, 1) ** 2
    return np.clip(v, 0, 1)


def skin_level(image: np.ndarray, skin: np.ndarray) -> float:
    """The face skin's (about median) luma (sRGB code value / 255) in ``image`` (uint8 RGB, at
    the size of the ``skin`` map): where a Look's contrast turns, so the S-curve deepens
    the shadows and lifts the highlights but leaves the face exposed as it was lit."""
    # The face itself (the map is 1 on the face and below it on the neck, which a chin's
    # shadow darkens: a pivot read there lifted the face by 1 L* more in the mono Look).
    # The face also holds the eyes, brows, lips and nostrils (about a sixth of it, all
    # darker than skin): the skin's own median is near the face's 60th percentile.
    y = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[skin > FACE_LEVEL]
    return float(np.percentile(y, 60)) / 255.0 if y.size else 0.5


def channel_luts(settings: GradeSettings, *, pivot: float = 0.5) -> np.ndarray:
    """(256, 1, 3) uint8 LUT: white balance of the Look (warmth, tint) then the curve."""
    s = settings
    curve = tone_curve(s, pivot=pivot)
    x = np.linspace(0.0, 1.0, 256)
    # Warmth and tint as linear-light gains, normalised to keep luminance.
    g = np.array([1 + 0.07 * s.warmth + 0.03 * s.tint, 1 - 0.05 * s.tint, 1 - 0.07 * s.warmth + 0.03 * s.tint])
    g = g / (g @ np.array([0.2126, 0.7152, 0.0722]))
    out = np.empty((256, 1, 3), np.uint8)
    for c in range(3):
        lin = np.clip(x**GAMMA * g[c], 0, 1) ** (1 / GAMMA)
        out[:, 0, c] = np.clip(np.interp(lin, x, curve) * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def grade(image: np.ndarray, *, settings: GradeSettings = GradeSettings(), skin: np.ndarray | None = None,
          subject: np.ndarray | None = None) -> np.ndarray:
    """Apply the Look's grade to an RGB uint8 image at output size; returns uint8.

    ``skin`` (float32 map in [0, 1], any size, enlarged to the image): where the grade's
    colour is held off (the person's skin) and whose level (:func:`skin_level`) the
    contrast turns about (everywhere, when no matte is given). ``subject`` (the matte,
    any size, with ``skin``): where the person is; the curve turns about the skin's
    level there and about mid-grey on the backdrop whatever the person, so one Look
    gives every member of a team the same backdrop.

    The full-size image goes through one table, the backdrop's (about mid-grey), so a
    Look's backdrop is the same to the code value for every member of a team; what the
    person's own turn and the skin's colour change is smooth, worked out on a small grid
    (the ``skin`` map's size) and added once (:func:`offsets`)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"grade expects uint8 H×W×3 RGB, got {image.dtype} {image.shape}")
    s = settings
    small = person = None
    pivot = 0.5
    if skin is not None:
        # The image sampled at the map's size (sampled, not averaged: an area average
        # reads the whole image, 10 ms; skin colour and level are smooth).
        small = cv2.resize(image, (skin.shape[1], skin.shape[0]), interpolation=cv2.INTER_LINEAR)
        pivot = skin_level(small, skin)
        if subject is not None:
            person = cv2.resize(subject.astype(np.float32), (skin.shape[1], skin.shape[0]),
                                interpolation=cv2.INTER_LINEAR)
    if s.mono:
        turn = person is not None and abs(pivot - 0.5) >= 1e-3
        base = _mono_table(s) if turn else _mono_table(s, pivot=pivot)
        y = cv2.LUT(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), base)
        if turn:
            grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
            y = _add_offsets(y, _person_turn(cv2.LUT(grey, base), cv2.LUT(grey, _mono_table(s, pivot=pivot)), person))
        out = cv2.cvtColor(y, cv2.COLOR_GRAY2RGB)
        if s.toning:
            out = cv2.LUT(out, _toning_lut(s.toning))
        return sharpen(out, amount=s.sharpen, radius=s.radius)
    luts = channel_luts(s, pivot=pivot)
    turn = person is not None and abs(pivot - 0.5) >= 1e-3
    mid = channel_luts(s) if turn else None
    out = cv2.LUT(image, luts if mid is None else mid)
    held = None if small is None else offsets(small, skin, person, luts=luts, mid=mid, saturation=s.saturation)
    if abs(s.saturation - 1.0) <= 1e-3 and s.sharpen <= 0 and held is None:
        return out
    # Saturation (chroma scaled about neutral), the offsets and sharpening (luma only)
    # share one trip through YCrCb.
    ycc = _saturate_ycc(cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb), s.saturation)
    if held is not None:
        ycc = _add_offsets(ycc, held)
    _sharpen_luma(ycc, amount=s.sharpen, radius=s.radius)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def _mono_table(s: GradeSettings, *, pivot: float = 0.5) -> np.ndarray:
    return (tone_curve(s, pivot=pivot) * 255 + 0.5).astype(np.uint8)


def _toning_lut(toning: str) -> np.ndarray:
    """(256, 1, 3) uint8: grey → toned, strongest in the mid tones, none in black or white."""
    tone = np.array(parse_hex(toning), np.float32)
    v = np.linspace(0, 1, 256, dtype=np.float32)
    mid = 4 * v * (1 - v)
    # A tint that keeps the luma (the grey it is read as): about the channel mean, a
    # warm tone lifted every mid tone by 0.25 L*.
    tint = tone - float(tone @ LUMA_601)
    lut = np.empty((256, 1, 3), np.uint8)
    for c in range(3):
        lut[:, 0, c] = np.clip((v + 0.12 * mid * tint[c]) * 255 + 0.5, 0, 255).astype(np.uint8)
    return lut


def _person_turn(mid: np.ndarray, turned: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Offsets (float code values) taking the grade about mid-grey (``mid``) to the one
    that turns about the skin's level (``turned``) on the ``person``: both tables'
    outputs on the small grid. The two tables differ by a few code values, smoothly
    with the level (the Looks' contrasts are 0.04–0.12), so the person keeps the
    backdrop table's local slope and takes its own level: off by at most a code value
    or two where a cell holds both dark and light detail (an eyebrow on skin)."""
    d = turned.astype(np.float32) - mid.astype(np.float32)
    return d * (person[..., None] if d.ndim == 3 else person)


def _add_offsets(image: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``image`` (uint8, full size) + ``offsets`` (float code values, small grid),
    enlarged in 1/``OFFSET_SCALE`` fixed point (whole code values were too coarse: a Cr
    offset of −2.55 rounded to −3 moved the skin by 0.8 a*)."""
    h, w = image.shape[:2]
    fixed = np.round(offsets * OFFSET_SCALE).astype(np.int16)
    big = cv2.resize(fixed, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.addWeighted(image, 1.0, big, 1 / OFFSET_SCALE, 0.0, dtype=cv2.CV_8U)


def offsets(image: np.ndarray, skin: np.ndarray, person: np.ndarray | None, *, luts: np.ndarray, mid: np.ndarray | None,
            saturation: float) -> np.ndarray:
    """What, added to the full-size grade through ``mid`` (the backdrop's tables, about
    mid-grey; ``luts`` where they are None) then ``saturation``, gives the finished
    grade: (Y, Cr, Cb) float code values on the small grid of ``image`` (uint8 RGB
    sampled at the ``skin`` map's size).

    - On the ``person``, their own tables (``luts``, turning about the skin's level).
    - On the skin (weighted by the map), the skin's own colour put back: the target is
      the grade in luminosity blend mode, the graded lightness (CIE L*) with the
      photo's own a*b*; Y is left alone.

    Both change slowly across the image, so a small grid is enough and the finished
    image costs one enlargement and one addition (a full-size Lab round trip cost
    0.14 s at 3 MP, half of a set's time per extra image; a second full-size table
    blended by the matte, about 15 ms)."""

    def graded(tables: np.ndarray) -> np.ndarray:
        ycc = _saturate_ycc(cv2.cvtColor(cv2.LUT(image, tables), cv2.COLOR_RGB2YCrCb), saturation)
        return to_float(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB))

    person_rgb = graded(luts)
    lab = rgb_to_lab(person_rgb)
    lab[..., 1:] = rgb_to_lab(image)[..., 1:]
    # Both in float YCrCb: its chroma is centred on 0.5, the uint8 one's on 128 (not
    # 127.5), which would bias every offset by half a code value.
    person_ycc = cv2.cvtColor(person_rgb, cv2.COLOR_RGB2YCrCb)
    held = (cv2.cvtColor(lab_to_rgb(lab), cv2.COLOR_RGB2YCrCb) - person_ycc) * (255.0 * skin[..., None])
    held[..., 0] = 0.0
    if mid is not None:
        held += _person_turn(cv2.cvtColor(graded(mid), cv2.COLOR_RGB2YCrCb) * 255.0, person_ycc * 255.0, person)
    return held


def _saturate_ycc(ycc: np.ndarray, saturation: float) -> np.ndarray:
    """Chroma scaled about neutral (uint8 YCrCb), luma kept."""
    if abs(saturation - 1.0) <= 1e-3:
        return ycc
    # One single-table LUT over all three channels (twice as fast as a per-channel
    # table), then luma put back as it was.
    y = ycc[..., 0].copy()
    v = np.arange(256, dtype=np.float32)
    ycc = cv2.LUT(ycc, np.clip(128 + saturation * (v - 128) + 0.5, 0, 255).astype(np.uint8))
    ycc[..., 0] = y
    return ycc


def sharpen(image: np.ndarray, *, amount: float, radius: float) -> np.ndarray:
    """Unsharp mask on luma; ``radius`` is in px at 2000 px height and scales with it."""
    if amount <= 0:
        return image
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    _sharpen_luma(ycc, amount=amount, radius=radius)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def _sharpen_luma(ycc: np.ndarray, *, amount: float, radius: float) -> None:
    if amount <= 0:
        return
    r = max(0.4, radius * ycc.shape[0] / 2000)
    y = np.ascontiguousarray(ycc[..., 0])
    blur = cv2.GaussianBlur(y, (0, 0), r)
    ycc[..., 0] = cv2.addWeighted(y, 1 + amount, blur, -amount, 0)

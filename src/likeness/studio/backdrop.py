"""Backdrops: solid, gradients, a painted canvas, the photo's own background blurred as
by a wide aperture, or a picture; with an optional backdrop light, vignette and soft
shadow of the subject.

Everything smooth is made at a quarter of the output size and enlarged once (a
backdrop has no detail finer than that); only the grain is made at full size, from a
seeded tile, so smooth tones do not band in 8-bit. Same settings and seed, same pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..errors import InputError
from ..color import GAMMA, to_float
from .ops import blur
from ..looks.settings import BackdropSettings, parse_hex

SMALL = 4  # the smooth parts are made at 1/SMALL of the output size


@dataclass(frozen=True)
class Backdrop:
    image: np.ndarray  # float32 H×W×3 in [0, 1], output size
    small: np.ndarray  # the same at 1/SMALL (for measuring its light)


def make_backdrop(
    size: tuple[int, int],
    *,
    settings: BackdropSettings = BackdropSettings(),
    photo: np.ndarray | None = None,
    alpha: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    head: tuple[float, float] | None = None,
) -> Backdrop:
    """The backdrop for an output of ``size`` (width, height).

    ``photo`` (the framed crop, uint8) and ``alpha`` (the subject's matte, any size)
    are needed by the ``blur`` kind and by ``shadow``; ``valid`` marks where the framed
    crop shows the photo; ``head`` is the head centre as a share of (width, height),
    for the backdrop light.
    """
    s = settings
    w, h = size
    sw, sh = max(8, round(w / SMALL)), max(8, round(h / SMALL))
    a_small = None if alpha is None else cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_AREA)
    c1 = np.array(parse_hex(s.color), np.float32)
    c2 = np.array(parse_hex(s.color2), np.float32) if s.color2 else c1 * 0.72
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xn, yn = (xx + 0.5) / sw, (yy + 0.5) / sh
    hx, hy = head or (0.5, 0.35)

    if s.kind == "solid":
        bg = np.broadcast_to(c1, (sh, sw, 3)).copy()
    elif s.kind == "vertical":
        t = _smooth(yn)[..., None]
        bg = c1 * (1 - t) + c2 * t
    elif s.kind == "radial":
        r = np.sqrt(((xn - hx) / 0.75) ** 2 + ((yn - hy) / 0.95) ** 2)
        t = _smooth(np.clip(r, 0, 1))[..., None]
        bg = c1 * (1 - t) + c2 * t
    elif s.kind == "canvas":
        bg = _canvas((sw, sh), c1, c2, mottle=s.mottle, seed=s.seed, head=(hx, hy))
    elif s.kind == "blur":
        if photo is None or alpha is None:
            raise ValueError("the blur backdrop needs the framed photo and the subject's matte")
        bg = _blurred_background(photo, a_small, valid, (sw, sh), radius=s.blur)
    elif s.kind == "bokeh":
        bg = _bokeh((sw, sh), c1, c2, mottle=s.mottle, seed=s.seed, head=(hx, hy))
    else:  # image: a photo of a place, in the subject's light, out of focus
        bg = _picture(s.image, (sw, sh), radius=s.blur)
        if photo is not None and s.match > 0:
            bg = match_place(bg, photo, a_small, valid, strength=s.match)
        bg = lens_blur(bg, s.blur * sh)

    if s.spot > 0:
        r2 = ((xn - hx) / 0.45) ** 2 + ((yn - hy) / 0.55) ** 2
        bg = bg * (1 + 0.35 * s.spot * np.exp(-r2))[..., None]
    if s.vignette > 0:
        r = np.sqrt(((xn - 0.5) / 0.5) ** 2 + ((yn - 0.45) / 0.55) ** 2) / np.sqrt(2)
        bg = bg * (1 - 0.55 * s.vignette * _smooth(np.clip((r - 0.25) / 0.75, 0, 1)))[..., None]
    if s.shadow > 0 and a_small is not None:
        bg = bg * (1 - 0.45 * s.shadow * _shadow(a_small))[..., None]
    small = np.clip(bg, 0, 1).astype(np.float32)
    full = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if s.grain > 0:
        g = _grain_tile(s.seed)
        reps = (h // g.shape[0] + 1, w // g.shape[1] + 1)
        full += (s.grain * np.tile(g, reps)[:h, :w])[..., None]
    return Backdrop(image=np.clip(full, 0, 1, out=full), small=small)


def _smooth(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


def _noise(rng: np.random.Generator, size: tuple[int, int], sigma: float) -> np.ndarray:
    """Smooth gaussian noise of unit spread with features about ``sigma`` px wide.

    Drawn on a grid of sigma/3 cells and enlarged, so the pattern depends on the
    frame's proportions and the seed only, not on the pixel count."""
    w, h = size
    gw, gh = max(4, round(3 * w / sigma)), max(4, round(3 * h / sigma))
    n = cv2.GaussianBlur(rng.standard_normal((gh, gw)).astype(np.float32), (0, 0), 3.0)
    n = cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)
    return n / max(float(n.std()), 1e-6)


def _canvas(size, c1, c2, *, mottle: float, seed: int, head: tuple[float, float]) -> np.ndarray:
    """A hand-painted muslin: large soft clouds, smaller dabs and faint brush streaks,
    lighter behind the head and darker toward the edges, as canvas backdrops are painted."""
    w, h = size
    rng = np.random.default_rng(seed)
    clouds = _noise(rng, size, 0.09 * h)
    dabs = _noise(rng, size, 0.025 * h)
    # Brush streaks: noise smeared along a random slant.
    streak = rng.standard_normal((h, w)).astype(np.float32)
    ang = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0)  # criss-cross strokes
    k = np.zeros((21, 21), np.float32)
    c = 10
    for i in range(-c, c + 1):
        k[int(round(c + i * np.sin(ang))), int(round(c + i * np.cos(ang)))] = 1
    streak = cv2.filter2D(cv2.GaussianBlur(streak, (0, 0), 1.2), -1, k / k.sum())
    streak /= max(float(streak.std()), 1e-6)
    n = 0.8 * clouds + 0.4 * dabs + 0.05 * streak
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx + 0.5) / w - head[0]) ** 2 / 0.5 + ((yy + 0.5) / h - head[1]) ** 2 / 0.8)
    t = 0.18 + 0.9 * _smooth(np.clip(r, 0, 1)) + 0.22 * mottle * n
    # Soft shoulder instead of a clip: paint thins out, it never stops at a hard line.
    t = (1.0 / (1.0 + np.exp(-4.0 * (t - 0.5))))[..., None]
    # Mix in linear light so the mottles look like pigment, not like a grey overlay.
    l1, l2 = c1.astype(np.float32) ** GAMMA, c2.astype(np.float32) ** GAMMA
    return ((l1 * (1 - t) + l2 * t) ** (1 / GAMMA)).astype(np.float32)


def _blurred_background(photo, a_small, valid, size, *, radius: float) -> np.ndarray:
    """The photo's background with the subject taken out, blurred as by a wide aperture.

    Normalised convolution: blur(background·weight) / blur(weight), so the hole where
    the person was (and the area past the photo's edge) fills from the surroundings
    and no trace of the person bleeds into the backdrop.
    """
    w, h = size
    img = to_float(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)) ** GAMMA  # linear light
    keep = 1.0 - np.clip(a_small * 1.6, 0, 1)
    keep = cv2.erode(keep, np.ones((5, 5), np.uint8))  # keep the hair's fringe out too
    if valid is not None:
        keep *= cv2.resize(valid, (w, h), interpolation=cv2.INTER_AREA)
    sigma = max(1.0, radius * h)
    out = np.zeros_like(img)
    weight = np.zeros((h, w), np.float32)
    # Wider passes fill what the narrow one cannot reach (a large subject).
    # The first pass is the lens: a disc (the aperture) in linear light, so highlights
    # open into discs as they do wide open; the wider ones only fill.
    for mult in (1.0, 3.0, 9.0):
        spread = (lambda x: disc_blur(x, 1.5 * sigma)) if mult == 1.0 else (lambda x, m=mult: blur(x, sigma * m))
        den = spread(keep)
        num = spread(img * keep[..., None])
        est = num / np.maximum(den, 1e-4)[..., None]
        take = np.clip(den / 0.25, 0, 1) * (1 - weight)
        out += est * take[..., None]
        weight += take
    if weight.min() < 0.999:  # nothing around at all: the mean of what there is
        mean = (img * keep[..., None]).sum((0, 1)) / max(float(keep.sum()), 1.0)
        if keep.sum() < 1:
            mean = np.array([0.5, 0.5, 0.5], np.float32)
        out += mean[None, None, :] * (1 - weight)[..., None]
    return np.clip(out, 0, 1).astype(np.float32) ** (1 / GAMMA)


def lens_blur(img: np.ndarray, radius: float) -> np.ndarray:
    """Blur as by a lens wide open: the image (float, any channels) convolved with a
    disc of ``radius`` px (the aperture's shape; OpenCV's elliptic structuring element
    as the kernel), in linear light, so bright points open into discs, not grey haze."""
    if int(round(radius)) < 1:
        return img
    return np.clip(disc_blur(np.clip(img, 0, None) ** GAMMA, radius), 0, None) ** (1 / GAMMA)


def disc_blur(x: np.ndarray, radius: float) -> np.ndarray:
    """``x`` convolved with a disc of ``radius`` px (a linear filter: for masks and
    for light that is linear already)."""
    r = int(round(radius))
    if r < 1:
        return x
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)).astype(np.float32)
    return cv2.filter2D(x, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def match_place(place: np.ndarray, photo: np.ndarray, alpha: np.ndarray | None, valid: np.ndarray | None, *,
                strength: float) -> np.ndarray:
    """``place`` (float RGB in [0, 1]) in the light the subject was photographed in.

    The subject's own surroundings in ``photo`` (the framed crop, uint8; where the
    matte ``alpha`` is low and the frame shows the photo) carry the colour and level of
    that light. The place's mean a*/b* (CIE Lab, OpenCV) move ``strength`` of the way to
    theirs, and its lightness is scaled toward theirs; the place keeps its own detail
    and contrast."""
    h, w = place.shape[:2]
    src = to_float(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA))
    keep = np.ones((h, w), np.float32)
    if alpha is not None:
        keep *= 1.0 - np.clip(cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA) * 1.6, 0, 1)
    if valid is not None:
        keep *= cv2.resize(valid, (w, h), interpolation=cv2.INTER_AREA)
    if keep.sum() < 0.05 * keep.size:  # the person fills the frame: the photo's light as a whole
        keep = np.ones((h, w), np.float32)
    lab_p = cv2.cvtColor(np.ascontiguousarray(place, np.float32), cv2.COLOR_RGB2Lab)
    lab_s = cv2.cvtColor(src, cv2.COLOR_RGB2Lab)
    wsum = float(keep.sum())
    target = (lab_s * keep[..., None]).sum((0, 1)) / wsum
    mean = lab_p.reshape(-1, 3).mean(0)
    lab_p[..., 1:] += strength * (target[1:] - mean[1:])
    gain = float(np.clip(target[0] / max(mean[0], 1.0), 0.5, 1.6)) ** strength
    lab_p[..., 0] = np.clip(lab_p[..., 0] * gain, 0, 100)
    return np.clip(cv2.cvtColor(lab_p, cv2.COLOR_Lab2RGB), 0, 1)


def _bokeh(size, c1, c2, *, mottle: float, seed: int, head: tuple[float, float]) -> np.ndarray:
    """A light outdoor background out of focus: a wash from sky (``c1``, top) to
    foliage (``c2``), soft patches of each, and sun through leaves as highlight discs
    (drawn with OpenCV, then through the lens), lighter behind the head."""
    w, h = size
    rng = np.random.default_rng(seed)
    l1, l2 = c1.astype(np.float32) ** GAMMA, c2.astype(np.float32) ** GAMMA
    yy = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    t = np.clip(_smooth(np.clip(yy * 1.3 - 0.1, 0, 1)) + 0.25 * mottle * _noise(rng, size, 0.12 * h), 0, 1)[..., None]
    bg = l1 * (1 - t) + l2 * t
    spots = np.zeros((h, w), np.float32)
    for _ in range(int(18 + 20 * mottle)):
        x, y = rng.uniform(0, w), rng.uniform(0, 0.8 * h)
        r = rng.uniform(0.025, 0.07) * h
        cv2.circle(spots, (int(x * 16), int(y * 16)), int(r * 16), float(rng.uniform(0.25, 0.8)),
                   thickness=-1, lineType=cv2.LINE_AA, shift=4)
    bg = bg + (spots * (1 - 0.6 * t[..., 0]))[..., None] * (l1 * 0.6 + 0.4)
    r2 = ((np.arange(w, dtype=np.float32)[None, :] + 0.5) / w - head[0]) ** 2 / 0.3 + (yy - head[1]) ** 2 / 0.5
    bg = bg * (1 + 0.25 * np.exp(-r2))[..., None]
    return np.clip(lens_blur(np.clip(bg, 0, 1) ** (1 / GAMMA), 0.015 * h), 0, 1).astype(np.float32)


def _picture(path: str, size, *, radius: float) -> np.ndarray:
    """The place photo, scaled to cover the frame (the lens blur comes after the light
    match, so it is not blurred here)."""
    w, h = size
    stamp = os.stat(path).st_mtime_ns if os.path.isfile(path) else 0  # an edited file is read again
    pic = _place_photo(str(path), stamp, 4 * max(w, h))
    ph, pw = pic.shape[:2]
    s = max(w / pw, h / ph)  # cover: fill the frame, crop the rest
    cw, ch = round(w / s), round(h / s)
    x0, y0 = (pw - cw) // 2, (ph - ch) // 2
    crop = pic[y0 : y0 + ch, x0 : x0 + cw]
    return to_float(cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA))


@lru_cache(maxsize=4)
def _place_photo(path: str, _stamp: int, max_side: int) -> np.ndarray:
    """A place photo decoded once for every image of a set (read-only)."""
    from ..imageio import load_photo

    try:
        pic = load_photo(path, max_side=max_side).image
    except InputError as exc:
        raise InputError(f"The backdrop picture cannot be used: {exc.message}", hint=exc.hint) from None
    pic.setflags(write=False)
    return pic


def _shadow(a_small: np.ndarray) -> np.ndarray:
    """The subject's soft shadow, cast down and to the right as by a key light at left."""
    h, w = a_small.shape
    m = np.float32([[1, 0, 0.03 * w], [0, 1, 0.02 * h]])
    sh = cv2.warpAffine(a_small, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    return blur(sh, 0.05 * h) * (1 - a_small)


_GRAIN: dict[int, np.ndarray] = {}


def _grain_tile(seed: int) -> np.ndarray:
    if seed not in _GRAIN:
        rng = np.random.default_rng(10_000 + seed)
        g = cv2.GaussianBlur(rng.standard_normal((512, 512)).astype(np.float32), (0, 0), 0.7)
        _GRAIN[seed] = g / max(float(g.std()), 1e-6)
    return _GRAIN[seed]

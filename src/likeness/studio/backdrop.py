"""Backdrops: solid, gradients, a painted canvas, the photo's own background blurred as
by a wide aperture, or a picture; with an optional backdrop light, vignette and soft
shadow of the subject.

Everything smooth is made at a quarter of the output size and enlarged once (a
backdrop has no detail finer than that); only the grain is made at full size, from a
seeded tile, so smooth tones do not band in 8-bit. Same settings and seed, same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    else:  # image
        bg = _picture(s.image, (sw, sh), radius=s.blur)

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
    img = to_float(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA))
    keep = 1.0 - np.clip(a_small * 1.6, 0, 1)
    keep = cv2.erode(keep, np.ones((5, 5), np.uint8))  # keep the hair's fringe out too
    if valid is not None:
        keep *= cv2.resize(valid, (w, h), interpolation=cv2.INTER_AREA)
    sigma = max(1.0, radius * h)
    out = np.zeros_like(img)
    weight = np.zeros((h, w), np.float32)
    # Wider passes fill what the narrow one cannot reach (a large subject).
    for mult in (1.0, 3.0, 9.0):
        den = blur(keep, sigma * mult)
        num = blur(img * keep[..., None], sigma * mult)
        est = num / np.maximum(den, 1e-4)[..., None]
        take = np.clip(den / 0.25, 0, 1) * (1 - weight)
        out += est * take[..., None]
        weight += take
    if weight.min() < 0.999:  # nothing around at all: the mean of what there is
        mean = (img * keep[..., None]).sum((0, 1)) / max(float(keep.sum()), 1.0)
        if keep.sum() < 1:
            mean = np.array([0.5, 0.5, 0.5], np.float32)
        out += mean[None, None, :] * (1 - weight)[..., None]
    return out.astype(np.float32)


def _picture(path: str, size, *, radius: float) -> np.ndarray:
    from ..imageio import load_photo

    w, h = size
    try:
        pic = load_photo(path, max_side=4 * max(w, h)).image
    except InputError as exc:
        raise InputError(f"The backdrop picture cannot be used: {exc.message}", hint=exc.hint) from None
    ph, pw = pic.shape[:2]
    s = max(w / pw, h / ph)  # cover: fill the frame, crop the rest
    cw, ch = round(w / s), round(h / s)
    x0, y0 = (pw - cw) // 2, (ph - ch) // 2
    crop = pic[y0 : y0 + ch, x0 : x0 + cw]
    img = to_float(cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA))
    if radius > 0:
        img = blur(img, max(0.5, radius * h))
    return img


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

"""White balance: the light's colour, estimated from the photo, removed whole, held
back only where the corrected face would leave the natural skin locus.

How the light is read (:func:`estimate_light`), on a ~200 px copy, from the pixels
outside the face's box:

1. Two rounds. The first reads the photo as it is; the second reads it with the first
   light divided out and every channel clipped alike (:data:`SHARED_CLIP`), and what it
   finds is added to the first. Which pixels judge the light is decided so that a
   room's colour does not change it: in the first round, shares of each channel's own
   top (:data:`CEILING`), in the second, luminance (:data:`LOW_LUM`).
2. Each round: the grey edge (Minkowski p = 6 over the gradients: the estimator that
   moves most exactly with a room's light), averaged with a grey search of
   near-neutral pixels that are not skin, run from two starts and weighed by how
   much of the photo agrees with each (:data:`MASS_POWER`).
3. The scene's reading is weighed with the skin's (:func:`skin_weighed`, the light that
   would put the face's skin at the skin locus's centre), less their mean over
   portraits: real photos' pixels about a warm-skinned face read a warm light that
   was not there.
4. The correction removes that light whole (a Look's warmth is its grade's, the same
   for every person) and stops only where the corrected skin would leave the natural
   skin locus (:func:`within_skin_locus`), which a room's colour does not change.

Every step moves with a room's light by the room's colour, so one person photographed
in two rooms comes out the same. The measurements behind each choice, and what was
tried and not kept, are in ``docs/white-balance.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..color import LUMA_709, gamma_to_linear

#: Minkowski norm and pre-blur (px at the estimate's ~200 px) of the grey-edge estimate.
GREY_EDGE_P = 6
GREY_EDGE_SIGMA = 1.0
#: The subject's pixels (clothes, eyes, grey hair) weigh 1 + this in the grey search.
SUBJECT_WEIGHT = 2.0
#: The grey search's pixels weigh by a Gaussian of their distance to the estimate, of
#: this share of the round's tolerance.
KERNEL = 0.35
#: The natural skin locus in log-chromaticity (log r/g, log b/g of the face skin's mean
#: linear RGB, as :func:`likeness.studio.light.relight` reads it): an ellipse, its
#: centre, its axes (unit vectors) and their standard deviations, fitted to the plain
#: photos of half A of the eval team (21 people; robust centre: the median). Its long
#: axis runs warm ↔ cool, the way both skin tone (darker skin is redder and less blue)
#: and daylight ↔ tungsten run; its short axis is green ↔ magenta.
SKIN_LOCUS_CENTRE = (0.578, -0.442)
SKIN_LOCUS_AXES = ((-0.526, -0.85), (-0.85, 0.526))
SKIN_LOCUS_SD = (0.109, 0.24)
#: The light as the face's skin reads it (the light that would put the skin at the
#: locus centre) weighs this much against the grey-edge and grey-search estimate, and
#: the sum is taken less :data:`PORTRAIT_BIAS`, its mean over half a's portraits. A
#: larger share pulls every skin further towards the locus centre: 0.2 spreads the
#: skin's chroma change most evenly across lightness (docs/white-balance.md).
SKIN_SHARE = 0.2
PORTRAIT_BIAS = (0.06, -0.014)
#: How far (Mahalanobis units) the corrected skin may lie from the locus centre before
#: the correction is held back; half A's plain skins reach 2.5.
SKIN_LOCUS_RADIUS = 2.5
#: Grey tolerance (largest log-chroma distance to the current estimate) in each round of
#: the grey search: wide, then narrow and repeated so the grey set re-centres on it.
_CAST_TOLERANCES = (0.35, 0.18, 0.18, 0.18, 0.18)
#: Which pixels judge the light. First round: below these shares of each channel's own
#: top (its 99.9th percentile; a room's colour scales a channel and its top alike, and a
#: clipped channel's plateau is its top whether at 1.0 or scaled down), all of them and
#: the dimmer ones (the second start). Second round (the light divided out): the dimmer
#: pixels by luminance, which a light misread by the first round barely moves.
CEILING, LOW_CEILING, LOW_LUM = 0.9, 0.6, 0.5
#: The second round reads the photo with the first light divided out and every channel
#: clipped here (linear): a room's cast of up to about 18 % clips a highlight above it,
#: so clipped alike in every room it no longer changes the estimate (docs/white-balance.md).
#: Chosen on half A of the light test (0.82 / 0.85 / 0.95: team spread 1.36 / 1.38 /
#: 1.30, cast left p90 0.19 / 0.24 / 0.22), with the studio's skin unmoved (0.95 moved
#: its median skin change 2.86 → 3.13).
SHARED_CLIP = 0.85
#: The grey searches from the two starts are weighted by their grey weight to this power.
MASS_POWER = 4
#: Skin in log-chroma: from this share of the way from the light to the face's skin
#: colour, to this share beyond it, within this distance of that line.
SKIN_LINE = (0.25, 0.5, 0.12)
_Y = LUMA_709


@dataclass(frozen=True)
class LightEstimate:
    """The light's colour: ``chroma`` (log r/g, log b/g) as estimated (the
    ``scene``'s reading, from the pixels about the face, weighed with the skin's:
    :func:`skin_weighed`), and the ``applied`` chroma that the correction removes: the
    estimate, held back where it would put the face's skin outside the skin locus
    (``bounded``)."""

    chroma: tuple[float, float]
    applied: tuple[float, float]
    bounded: bool
    pixels: int
    scene: tuple[float, float] = (0.0, 0.0)  # the pixels' own reading, before the skin's

    @property
    def rgb(self) -> np.ndarray:
        """The applied light as linear RGB with mean 1."""
        return from_chroma(self.applied)


def from_chroma(uv) -> np.ndarray:
    rgb = np.exp([uv[0], 0.0, uv[1]])
    return (rgb / rgb.mean()).astype(np.float32)


def estimate_light(
    image: np.ndarray,
    *,
    face_box: tuple[int, int, int, int],
    alpha: np.ndarray,
    skin: np.ndarray,
    valid: np.ndarray | None = None,
    radius: float = SKIN_LOCUS_RADIUS,
) -> LightEstimate | None:
    """The light's colour in ``image`` (float32 sRGB [0, 1]) from the pixels outside
    the face's box (``face_box``: y0, y1, x0, x1), unclipped, inside the photo
    (``valid``); ``skin`` is the face skin's mean linear RGB. None when too few pixels
    are left to judge (then nothing is corrected).

    The estimate moves with the light (a room's cast shifts it by the cast), and so
    does the back-off, which looks at the skin *after* correction
    (:func:`within_skin_locus`), which the room does not change: a person looks the same
    whatever room they stood in. Two rounds (see the module): the first on the pixels
    as they are, the second on the photo with the first's light divided out and every
    channel clipped at :data:`SHARED_CLIP`; each searches from two starts
    (:func:`_estimate`)."""
    f = min(1.0, (40_000 / (image.shape[0] * image.shape[1])) ** 0.5)
    size = (max(8, round(image.shape[1] * f)), max(8, round(image.shape[0] * f)))
    x = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if f < 1 else image
    lin = gamma_to_linear(x)
    usable = np.ones((size[1], size[0]), bool)
    y0, y1, x0, x1 = (int(round(v * f)) for v in face_box)
    usable[y0:y1, x0:x1] = False  # the face: skin, brows, lips, eyes all out
    if valid is not None:
        usable &= cv2.resize(valid, size, interpolation=cv2.INTER_NEAREST) > 0.5
    am = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    grad = _gradient(lin)  # the grey edge's gradients, the same for every choice of pixels
    # First on the photo as it is.
    ok, low = _judged(lin, usable, tops=True)
    first = _estimate(lin, grad, ok, low, am, skin)
    if first is None:
        return None
    # Then on the photo with that light divided out and every channel clipped at
    # SHARED_CLIP (every pixel that is lit counts): a highlight that one room clips is
    # clipped alike in every room. What is left of the light there is added to the first.
    k = _divider(first)
    seen = np.minimum(lin * k, np.float32(SHARED_CLIP))
    ok, low = _judged(seen, usable, tops=False)
    rest = _estimate(seen, _gradient(seen), ok, low, am, np.minimum(skin * k, SHARED_CLIP))
    scene = first if rest is None else first + rest
    uv = skin_weighed(scene, skin)
    applied = within_skin_locus(uv, skin, radius=radius)
    return LightEstimate(
        chroma=(float(uv[0]), float(uv[1])), applied=(float(applied[0]), float(applied[1])),
        bounded=bool(np.abs(applied - uv).max() > 1e-6), pixels=int(ok.sum()),
        scene=(float(scene[0]), float(scene[1])),
    )


def skin_weighed(uv, skin: np.ndarray) -> np.ndarray:
    """The scene's reading of the light (``uv``, log-chroma) weighed with the skin's
    (:data:`SKIN_SHARE`; ``skin``: the face skin's mean linear RGB), less the two's mean
    over portraits (:data:`PORTRAIT_BIAS`). Both readings move with a room's light by
    its colour and the weights sum to one, so the sum does too."""
    sk = log_chroma(np.asarray(skin, np.float64)[None])[0] - np.array(SKIN_LOCUS_CENTRE)
    return (1 - SKIN_SHARE) * np.asarray(uv, np.float64) + SKIN_SHARE * sk - np.array(PORTRAIT_BIAS)


def _divider(light) -> np.ndarray:
    """Linear gains dividing out ``light`` (log-chroma) at a grey's luminance."""
    rgb = np.exp([light[0], 0.0, light[1]])
    return (float(_Y @ rgb) / rgb).astype(np.float32)


def _judged(lin: np.ndarray, usable: np.ndarray, *, tops: bool) -> tuple[np.ndarray, np.ndarray]:
    """The usable pixels of ``lin`` that judge the light, and the dimmer of them (the
    second start). First round (``tops``): lit and below :data:`CEILING` of every
    channel's own top, the dimmer below :data:`LOW_CEILING` of it. Second round (the
    light divided out and clipped): every lit pixel, the dimmer below :data:`LOW_LUM` in
    luminance. Either way the same pixels judge the light in every room."""
    y = lin @ _Y
    ok = usable & (y > 0.02)
    if not tops:
        return ok, ok & (y < LOW_LUM)
    top = np.percentile(lin[usable], 99.9, axis=0) if usable.any() else np.ones(3)
    share = lin / np.maximum(top, 1e-6).astype(np.float32)
    share = np.maximum(np.maximum(share[..., 0], share[..., 1]), share[..., 2])
    ok &= share < CEILING
    return ok, ok & (share < LOW_CEILING)


def _estimate(lin: np.ndarray, grad: np.ndarray, ok: np.ndarray, low: np.ndarray, am: np.ndarray,
              skin: np.ndarray) -> np.ndarray | None:
    """Grey edge over ``ok``, averaged with the grey search; the search runs from that
    grey edge and from the grey edge of the dimmer pixels (``low``: below
    :data:`LOW_CEILING`, a shirt's bright highlights out), and the two results are
    weighted by their grey weight (:func:`_grey_mass`) to the power :data:`MASS_POWER`.
    ``grad``: the gradient magnitude of ``lin`` (:func:`_gradient`)."""
    if ok.sum() < 200:
        return None
    seed = _grey_edge(grad, ok)
    if seed is None:
        return None
    px = _Greys.of(lin[ok], am[ok], skin)
    refined = _grey_search(px, start=seed)
    start = _grey_edge(grad, low) if low.sum() >= 200 else None
    other = None if start is None else _grey_search(px, start=start)
    if other is not None and refined is None:
        refined = other
    elif other is not None:
        # Each search's result weighted by its grey weight to the power MASS_POWER:
        # the clearly heavier cluster wins, and where the two are close the estimate
        # moves smoothly between them instead of jumping as a room tips the balance.
        m = np.array([_grey_mass(px, refined), _grey_mass(px, other)]) ** MASS_POWER
        refined = (m[0] * refined + m[1] * other) / max(float(m.sum()), 1e-300)
    return seed if refined is None else (seed + refined) / 2


@dataclass(frozen=True)
class _Greys:
    """The pixels a grey search reads, worked out once for both starts: their
    log-chroma, their weight (brighter and the subject's count more), the face skin's
    log-chroma."""

    u: np.ndarray  # log r/g
    v: np.ndarray  # log b/g
    weight: np.ndarray
    skin: np.ndarray

    @classmethod
    def of(cls, pix: np.ndarray, alpha: np.ndarray, skin: np.ndarray) -> _Greys:
        uv = log_chroma(pix)
        return cls(np.ascontiguousarray(uv[:, 0]), np.ascontiguousarray(uv[:, 1]),
                   np.sqrt(pix @ _Y) * (1 + SUBJECT_WEIGHT * alpha), log_chroma(skin[None])[0])


def within_skin_locus(uv, skin: np.ndarray, *, radius: float = SKIN_LOCUS_RADIUS) -> np.ndarray:
    """The light to remove: ``uv``, or, where removing it would put the face's skin
    (``skin``, mean linear RGB) more than ``radius`` from the skin locus's centre, the
    light that puts the skin on that edge instead (the nearest along the line to the
    centre, in the locus's own units). A coloured backdrop or shirt read as the light
    would turn the face green or orange; this stops it there. It depends only on the
    corrected skin, which a room's cast does not change: a cast photo is held back
    exactly as its plain photo is."""
    uv = np.asarray(uv, np.float64)
    sk = log_chroma(np.asarray(skin, np.float64)[None])[0]
    c, axes, sd = np.array(SKIN_LOCUS_CENTRE), np.array(SKIN_LOCUS_AXES), np.array(SKIN_LOCUS_SD)
    z = axes @ (sk - uv - c) / sd  # the corrected skin in the locus's units
    m = float(np.linalg.norm(z))
    if m <= radius:
        return uv
    edge = c + np.linalg.solve(axes, z * (radius / m) * sd)
    return sk - edge


def correction(estimate: LightEstimate, *, strength: float = 1.0) -> np.ndarray:
    """Linear-light gains (r, g, b) removing ``strength`` of the light to remove
    (``estimate.applied``), keeping a grey's luminance. At 1 (every Look) a room's cast
    is removed whole: a Look's warmth is its grade's, the same for every person."""
    g = (1.0 / estimate.rgb.astype(np.float64)) ** strength
    g = g / float(_Y @ g)
    return g.astype(np.float32)


def card_correction(gains) -> np.ndarray:
    """A card's gains (white balance and exposure) as they are: a card is measured,
    not guessed, so neither the bound nor the skin locus applies (the locus held back
    a correct card on a face whose skin already read bluish: 84 % of a warm cast left
    on one eval photo). A misread card is refused earlier (``card.GAIN_RANGE``)."""
    return np.asarray(gains, np.float32)


def _gradient(lin: np.ndarray) -> np.ndarray:
    """Gradient magnitude per channel of ``lin`` pre-blurred by ``GREY_EDGE_SIGMA``."""
    s = cv2.GaussianBlur(lin, (0, 0), GREY_EDGE_SIGMA)
    gx, gy = cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1)
    return np.sqrt(gx**2 + gy**2)


def _grey_edge(grad: np.ndarray, ok: np.ndarray) -> np.ndarray | None:
    """Grey edge (the mean colour of the image's gradients, ``grad`` from
    :func:`_gradient`, is the light's), Minkowski ``GREY_EDGE_P``, in log-chroma;
    gradients only where both sides are usable."""
    inner = cv2.erode(ok.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if inner.sum() < 200:
        return None
    m = grad[inner].astype(np.float64)
    light = (m**GREY_EDGE_P).mean(0) ** (1 / GREY_EDGE_P)
    if light.min() <= 0:
        return None
    return np.log([light[0] / light[1], light[2] / light[1]])


def _grey_search(px: _Greys, *, start: np.ndarray) -> np.ndarray | None:
    """The weighted mean log-chroma of near-neutral pixels that are not skin, searched
    from ``start`` in narrowing rounds (``_CAST_TOLERANCES``). Pixels of the subject
    (clothes, eyes, grey hair) weigh three times the background's. "Skin" is near the
    line from the estimate to the face's own skin colour (lit skin is its colour plus
    some of the light's), so the choice moves with the light."""
    u, v, wy = px.u, px.v, px.weight
    est, last = np.asarray(start, np.float64), None
    for k, tol in enumerate(_CAST_TOLERANCES):
        grey = _greys_near(px, est, tol)
        if len(grey) < max(100, 0.01 * len(u)):
            return None if k == 0 else est
        if last is not None and np.array_equal(grey, last):
            break  # the same pixels again: the estimate has settled
        # Weighted by nearness too (a Gaussian of ``KERNEL``·tol), so a pixel drifting
        # across the window's edge moves the estimate a little, not by a jump.
        gu, gv = u[grey], v[grey]
        wk = wy[grey] * np.exp(-0.5 * (np.hypot(gu - est[0], gv - est[1]) / (KERNEL * tol)) ** 2)
        total = max(float(wk.sum()), 1e-12)
        est, last = np.array([float(gu @ wk), float(gv @ wk)]) / total, grey
    return est


def _grey_mass(px: _Greys, light: np.ndarray) -> float:
    """The grey search's weight of the pixels around ``light`` (its last round's window
    and kernel, skin left out): how much of the photo agrees with that light."""
    tol = _CAST_TOLERANCES[-1]
    grey = _greys_near(px, light, tol)
    d = np.hypot(px.u[grey] - light[0], px.v[grey] - light[1]) / (KERNEL * tol)
    return float((px.weight[grey] * np.exp(-0.5 * d**2)).sum())


def _greys_near(px: _Greys, light: np.ndarray, tol: float) -> np.ndarray:
    """Indices of the pixels within ``tol`` of ``light`` in both log-chroma axes and off
    the skin's line (:func:`_on_skin_line`)."""
    near = np.flatnonzero((np.abs(px.u - light[0]) < tol) & (np.abs(px.v - light[1]) < tol))
    return near[~_on_skin_line((px.u[near], px.v[near]), light, px.skin)]


def log_chroma(lin: np.ndarray) -> np.ndarray:
    """(log r/g, log b/g) of rows of linear RGB: a light's colour only shifts it."""
    lin = np.maximum(lin, 1e-6)
    return np.log(lin[:, [0, 2]] / lin[:, 1:2])


def _on_skin_line(uv: tuple[np.ndarray, np.ndarray], light: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Log-chroma points (``uv``: their u and v) near the line from the light to the
    skin colour (from a quarter of the way there to half as far again beyond the
    skin). Worked per axis: the grey search asks 24 times per estimate."""
    p0 = light + SKIN_LINE[0] * (skin - light)
    d = (skin + SKIN_LINE[1] * (skin - light)) - p0
    ru, rv = uv[0] - p0[0], uv[1] - p0[1]
    t = np.clip((ru * d[0] + rv * d[1]) / max(float(d @ d), 1e-9), 0, 1)
    ru -= t * d[0]
    rv -= t * d[1]
    return ru * ru + rv * rv < SKIN_LINE[2] ** 2

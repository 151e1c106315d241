"""White balance: the light's colour, estimated from the photo, removed whole, held
back only where the corrected face would leave the natural skin locus.

**The first round's pixels judged against each channel's own top, the second's dimmer
pixels by luminance** (this version). The first round kept pixels whose largest channel
was below 0.9 (0.6 for the dimmer start), a ceiling a room's colour moves pixels
across: on the red-carpet photo (``deepface__target``: red clipped on a third of her
face, shoulders and chest, a bright blue-grey backdrop) a warm or magenta room clipped
more of her skin's red and dropped the backdrop's blue, the grey edge missed the room by
0.13–0.28 and the grey search slid onto the backdrop; the second round's dimmer start
(largest channel below 0.6 with the first light divided out) inherited that error
(missed 0.24 / 0.21 in log-chroma; 4.0 ΔE left on her skin under the warm room, more
than the room put there: the one case made worse, and a team spread of 2.20). Now the
first round's ceilings are shares (0.9, 0.6) of each channel's own top (its 99.9th
percentile): a room scales a channel and its top alike, and a clipped channel's plateau
is its top whether at 1.0 or scaled down by a cool room; the second round's dimmer
pixels are those below :data:`LOW_LUM` (0.5) in luminance, which a first light misread
in colour barely moves. Replayed on the studio's own inputs (10 members × 5 photos),
the estimate's miss of a room, median / p90 / max: 0.024 / 0.060 / 0.240 → 0.017 /
0.047 / 0.098 (half A 0.020 / 0.055 / 0.098). ``likeness eval team`` light test (half a
/ half b / all), before → this version: cast left median 0.185 / 0.150 / 0.170 →
0.141 / 0.135 / 0.135, p90 0.432 / 0.238 / 0.283 → 0.315 / 0.241 / 0.266, made worse 1
/ 0 / 1 → 0, team spread 3.12 / 1.40 / 2.20 → 1.57 / 1.36 / 1.43, real photos' skin
change p90 7.92 → 7.79. ``eval studio --looks corporate-grey``: identity p95 0.3049 →
0.2998; skin ΔE p50 / p95 2.849 / 8.124 → 2.96 / 8.317 (target's photo 2.83 → 6.24,
whose estimate had sat 0.2 from the team test's on a crop two pixels different;
stock_emotions_a 3.48 → 5.34, Dorsey 7.33 → 7.85, both searches still sliding at their
last round). Tried: a luminance ceiling (0.7) with pixels near any channel's top out
(team-case misses 0.016 / 0.052 / 0.095, but studio skin p50 3.42: Zuckerberg 2.2 →
4.4); the dimmer pixels below 0.45 / 0.55 / 0.7 in luminance (0.7: target's warm room
missed 0.19 again); skin-coloured pixels of the subject left out, or cells with any
clipped pixel (target's plain photo jumped 0.2 to the backdrop, the cool rooms did not).

**The second round on the photo with the first light divided out, clipped alike in
every room** (the version before): every channel clipped at :data:`SHARED_CLIP` (0.85,
below what an 18 % cast clips) instead of clipped pixels left out, so a highlight one
room clips (Lacamoire's light blue shirt in the cool and magenta rooms) is clipped alike
in every room. Team spread 2.12 → 1.51 on the 9 members before target joined
(Lacamoire's cool room 3.14 → 1.03 ΔE left); studio skin 2.862 / 8.25 → 2.865 / 8.288,
identity p95 0.3018 → 0.3063 (Rose Leslie's 3×-enlarged photo moves 0.302–0.322 when
the gains shift by ±0.005 in log-chroma). Tried then: the pixels at the clip left out
(single photos moved up to 0.10); a third round (studio skin 2.93 / 8.47); a lower
ceiling or less weight on the grey edge (Dorsey, Rose Leslie, stock_emotions_a paler).

**Pixels judged with the light divided out, the grey search from two starts** (the
version before that): the estimate made twice, the second time on pixels judged with
the first light divided out, each round's grey search from the grey edge and from the
dimmer pixels' grey edge, weighted by their grey weight to the fourth power. Light test
all: cast left median 0.215 → 0.180, p90 0.547 → 0.306, team spread 3.75 → 2.12; studio
2.84 / 8.45 → 2.86 / 8.25. Not kept then (figures in this file's history): one start
from a first light divided out, a grid of starts (plain photos moved 1 ΔE), either
start alone (warm portraits 2–3 ΔE paler), a hard choice between the starts.

Chosen by measurement (``likeness eval team``'s light test; each eval-team photo under
four casts: warm tungsten, cool shade, green fluorescent, magenta; the share of the
cast left on the skin against the cast-free headshot; 41 people). Compared side by side
on the lighting stage alone (full correction, no bound, share of the cast left, median
/ p90; skin change of the cast-free photos p90, ΔE2000):

- the earlier log-chromaticity grey search from a neutral start: 0.31 / 1.49, 8.2
  (as shipped, bounded to 0.85–1.18: 0.49 / 1.25, 22 of 164 cases made worse, 4.8);
- grey world 0.28 / 0.60, 14.1; shades of grey p=4 0.30 / 0.60, 11.6; p=8 0.33 / 0.72;
- grey edge (1st order, p=1) 0.21 / 0.49, 9.7; **p=6: 0.17 / 0.47, 8.8**;
- OpenCV's ``createLearningBasedWB`` (whole photo): 0.85 / 2.39, 70 made worse (its
  model expects raw linear camera data, not finished JPEGs);
- the median of grey edge, shades of grey and the log-chroma search, backed off by
  their disagreement: their spread on the plain photos is itself a median 0.19 (log
  units), as large as the casts: backing off by it left 50–96 % of the cast.

A check of the estimate against known lights (run again on the photo under four probe
lights; trust falls where it does not follow them) was tried as the back-off: a quarter
of the eval photos miss a probe by half or more, and scaling those back left the whole
cast on them (p90 left 1.00 on the calibration half, against 0.89) without fewer cases
made worse (7 either way); not used. A soft bound (B·tanh(n/B)) at the same change
to plain photos (B = 0.25, p90 4.3 ΔE on the lighting stage) left less at p90 (0.84
against 0.89) and made 5 worse instead of 7, but left more at the median (0.51 against
0.43); the hard bound was kept.

Grey edge p=6 is the most equivariant (a cast shifts its estimate by the cast), which
is what removes a room's cast; the grey search is then run from its estimate (not from
neutral), and the two averaged. What it gets wrong is real photos dominated by one
coloured surface (a blue backdrop, a blue shirt, a pink wall).

**Removed whole, held back by the skin locus** (this version). The earlier back-off
bounded the estimate's size (0.25 in log-chroma) and every Look removed only 60–85 %
of it: both leave a share of any room's cast by construction, and a bound on the
estimate's size clips a cast that sits on top of a strong scene, so two photos of one
person in two rooms came out different (light test through the studio, 41 people ×
four rooms: cast left median 0.41, p90 0.84, 10 of 160 cases made worse, team spread
6.5 ΔE). Now every Look removes the estimate whole (a Look's warmth is its grade's,
the same for every person), and the only back-off reads the face's skin *after*
correction: where it would leave the natural skin locus (an ellipse fitted to half A's
plain photos, :data:`SKIN_LOCUS_CENTRE`), the correction stops at the ellipse's edge.
The corrected skin does not depend on the room, so the back-off does not either.
Measured side by side on half A (light stage replayed on the studio's own inputs):
locus radius 3 / 2.5 / 2 Mahalanobis units left 0.151 / 0.150 / 0.140 of a cast (p90
0.46 each; team spread 3.5 / 3.5 / 3.2 ΔE; plain photos' skin change p90 10.5 / 8.6 /
7.6 ΔE); 2.5 is the smallest that moves no half-A plain photo's skin (their raw skins
reach 2.49), so no natural skin tone is pulled towards the average. With a
perfect (fully equivariant) estimate the same replay leaves 0.06 / p90 0.20 and a team
spread of 1.3 ΔE: what is left above that is the estimator's own inconsistency
between rooms, mostly the grey search settling on a different cluster (Jolie's grey
search swings from (−0.10, 0.04) to (0.07, −0.32) as the clip level goes from 0.9 to
0.8). Weighing the grey search's pixels by a Gaussian of their distance to the
estimate (``KERNEL``, a share of the window) makes that settling smoother: half A
0.150 / p90 0.42, 1 made worse, team spread 2.8 ΔE, against 0.150 / 0.46, 2, 3.5
with the hard window (share 0.25: 0.16 / 0.51 / 3.1; 0.5: 0.15 / 0.43 / 3.0; 0.7:
0.15 / 0.42 / 3.3); half B, unseen, 0.15 / 0.53 / 4.3 against 0.14 / 0.55 / 4.7 at
0.5. Tried and not used then: a second pass judging the pixels with the first estimate
divided out (more consistent between rooms, but alone it moved real photos' estimates a
long way: Jolie's warm portrait grey-pink, Lacamoire's face orange; used now with the
second search start, see the top of this module); averaging over clip levels (0.7–0.95: same trade);
grey edge p=2, p=1 and the mean of p=1, 2, 6 without the grey search (more change to
plain photos, larger team spread through the composite); a size bound on top of the
locus (0.35: 6 of 84 made worse); the subject's pixels weighted 1× or 0.5× in the grey
search (no clear gain); the whites of the eyes and the teeth as a check (read on the
plain photos they are dominated by eyelid skin and lips: log r/g up to 1.1 and 3.4).
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
#: so clipped alike in every room it no longer changes the estimate (see the module).
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
    """The light's colour: ``chroma`` (log r/g, log b/g) as estimated, and the
    ``applied`` chroma that the correction removes: the estimate, held back where it
    would put the face's skin outside the skin locus (``bounded``)."""

    chroma: tuple[float, float]
    applied: tuple[float, float]
    bounded: bool
    pixels: int

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
    uv = first if rest is None else first + rest
    applied = within_skin_locus(uv, skin, radius=radius)
    return LightEstimate(
        chroma=(float(uv[0]), float(uv[1])), applied=(float(applied[0]), float(applied[1])),
        bounded=bool(np.abs(applied - uv).max() > 1e-6), pixels=int(ok.sum()),
    )


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

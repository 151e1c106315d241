"""Light: sit the subject in the backdrop's light.

Worked out at working resolution as smooth maps that the pipeline applies once at
output size (``apply``):

1. **White balance** (:mod:`.white_balance`): from a grey card or chart when the
   person held one (``LightSettings.card``), else estimated outside the face (skin is
   never assumed grey) and removed, held back only where the corrected face would
   leave the natural skin locus.
2. **Exposure**, bounded: only a clearly under- or over-exposed face is moved (a card
   sets it instead).
3. **Fill.** The face's left/right luminance is measured on the mesh; the darker side
   gets a soft, smooth lift (a fill light), ``fill`` = share of the imbalance evened out.
   With ``fill_keeps_level`` the same share is evened out by lifting the darker side
   and lowering the lighter one, so the face keeps its mean lightness.
4. **Match.** A slight pull of the subject's colour toward the backdrop's light, and a
   light wrap: backdrop light spilling around the subject's edges. The pull is held
   back on the person's skin (:func:`skin_map`): a green or navy backdrop must not dye
   the face; the same map holds the grade's colour off the skin
   (:func:`likeness.studio.grade.grade`).

All gains are multiplicative in linear light (applied to sRGB values as g^(1/2.2)).
"""

from __future__ import annotations

import math
from concurrent.futures import Future
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..types import Face
from ..color import GAMMA, LUMA_709, gamma_to_linear, rgb_to_lab
from . import white_balance as wb
from .. import beside
from .ops import blur
from ..looks.settings import LightSettings

MAP_DIV = 4  # smooth maps are made at 1/MAP_DIV of the working size
_EYES_BROWS_LIPS = frozenset(
    [249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466]
    + [7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246]
    + [0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181, 185, 191]
    + [267, 269, 270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375, 402, 405, 409, 415]
    + [276, 282, 283, 285, 293, 295, 296, 300, 334, 336, 46, 52, 53, 55, 63, 65, 66, 70, 105, 107]
    + list(range(468, 478))
)
_SKIN_POINTS = np.array([i for i in range(468) if i not in _EYES_BROWS_LIPS])
#: Spread (CIE a*b* units, one standard deviation) of the colours still counted as the
#: face's skin in :func:`skin_map`: a face's own skin spreads over 3–5 units (shadow
#: side, cheeks, neck); a white shirt or a grey backdrop lies 20 or more away.
SKIN_SPREAD = 8.0


@dataclass(frozen=True)
class Relight:
    """The relighting as maps; :func:`composite` applies them at output size."""

    gain: np.ndarray  # float32 (h/MAP_DIV)×(w/MAP_DIV)×3, multiplies sRGB values
    wrap: np.ndarray  # float32 h×w (working size), light-wrap weight
    wrap_color: np.ndarray  # float32 small×3, the backdrop light near the subject
    measures: dict[str, float] = field(default_factory=dict)
    #: float32 (h/MAP_DIV)×(w/MAP_DIV): where the person's skin is (:func:`skin_map`),
    #: the weight with which the grade's colour is held off it. None: nothing protected.
    skin: np.ndarray | None = None


def skin_map(image: np.ndarray, alpha: np.ndarray, face: Face, *, spread: float = SKIN_SPREAD,
             div: int = MAP_DIV) -> np.ndarray | None:
    """Where the person's own skin is (face, neck, ears, hands), float32 in [0, 1] at
    1/``div`` of the size of ``image`` (float32 sRGB, working size; ``face`` in its
    pixels): the subject's pixels (``alpha``) weighted by how near their colour (CIE
    a*b*) is to the face skin's median, a Gaussian of ``spread``, and the whole face.

    A retoucher's "skin tone" selection: the Look may warm or cool the backdrop, the
    clothes and the mood, but not the person's skin. Hair of a colour near the skin's
    is held a little too (its colour is the person's as well). Smooth, so a small map
    serves (it is enlarged where it is used). None without a mesh.
    """
    if face.mesh is None:
        return None
    from ..faces.masks import skin_masks

    h, w = alpha.shape
    size = (max(8, w // div), max(8, h // div))
    f = size[0] / w
    face_skin = skin_masks(face.mesh, size[::-1], scale=f).skin > 0.5
    if face_skin.sum() < 10:
        return None
    lab = rgb_to_lab(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    ref = np.median(lab[face_skin][:, 1:], axis=0)
    d2 = ((lab[..., 1:] - ref) ** 2).sum(-1)
    m = np.exp(-0.5 * d2 / spread**2) * cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    oval = np.zeros(size[::-1], np.float32)
    cv2.fillConvexPoly(oval, cv2.convexHull((face.mesh[:, :2] * f).astype(np.float32)).astype(np.int32), 1.0)
    # Soft edges: the held-back colour fades in over a few pixels, never a seam.
    return np.clip(blur(np.maximum(m, oval).astype(np.float32), 0.004 * size[1]), 0, 1)


def luminance(image: np.ndarray) -> np.ndarray:
    """Linear-light luminance (Rec. 709) of an RGB image, uint8 or float [0, 1]."""
    x = image.astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    return _linear(x) @ LUMA_709


_linear = gamma_to_linear


def face_sides(image: np.ndarray, face: Face) -> tuple[float, float]:
    """Median linear luminance of the face skin on the image-left and image-right side.

    Sampled at the mesh's skin points (eyes, brows, lips left out) on a lightly blurred
    view, ignoring a strip along the nose where both sides meet.
    """
    if face.mesh is None:
        raise ValueError("face_sides needs the face mesh")
    h, w = image.shape[:2]
    lo = np.floor(face.mesh[:, :2].min(0) - 8).astype(int).clip(0, [w - 1, h - 1])
    hi = np.ceil(face.mesh[:, :2].max(0) + 8).astype(int).clip(1, [w, h])
    lum = luminance(image[lo[1] : hi[1], lo[0] : hi[0]])
    if lum.size == 0:
        return float("nan"), float("nan")
    sigma = max(1.0, face.inter_eye / 14)
    lum = cv2.GaussianBlur(lum, (0, 0), sigma)
    pts = face.mesh[_SKIN_POINTS, :2] - lo
    a, b = face.eye_centers()
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    axis = (face.mesh[168, :2] + face.mesh[152, :2]) / 2 - lo
    xh = (pts[:, 0] - axis[0]) * math.cos(ang) + (pts[:, 1] - axis[1]) * math.sin(ang)
    half = max(1.0, float(np.abs(xh).max()))
    h, w = lum.shape
    xi = np.clip(np.round(pts[:, 0] - 0.5).astype(int), 0, w - 1)
    yi = np.clip(np.round(pts[:, 1] - 0.5).astype(int), 0, h - 1)
    vals = lum[yi, xi]
    left, right = vals[xh < -0.15 * half], vals[xh > 0.15 * half]
    if len(left) < 10 or len(right) < 10:
        return float("nan"), float("nan")
    return float(np.median(left)), float(np.median(right))


def face_uniformity(image: np.ndarray, face: Face) -> float:
    """Left/right illumination uniformity of the face: darker side / brighter side in
    linear light (1 = even, 0.5 = one side half as bright)."""
    lft, rgt = face_sides(image, face)
    if not (lft > 0 and rgt > 0):
        return float("nan")
    return min(lft, rgt) / max(lft, rgt)


def _face_skin(image: np.ndarray, face: Face):
    """The face region as a crop (all face measures run on it, not the whole frame):
    (its box y0, y1, x0, x1; the crop; its skin mask; the skin's mean linear colour, or
    None where too little skin shows)."""
    h, w = image.shape[:2]
    box = _mesh_box(face, (w, h))
    y0, y1, x0, x1 = box
    face_crop = image[y0:y1, x0:x1]
    fm = _face_mask(face, (x1 - x0, y1 - y0), origin=(x0, y0)) > 0.5
    skin = _linear(face_crop[fm][::5]).mean(0) if fm.sum() > 50 else None
    return box, face_crop, fm, skin


def start_estimate(
    image: np.ndarray, alpha: np.ndarray, face: Face, *, settings: LightSettings = LightSettings(),
    valid: np.ndarray | None = None,
) -> Future | None:
    """Begin the light's estimate of :func:`relight` (step 1) on the worker thread
    (:mod:`likeness.beside`); None where the Look sets no white balance, a card sets it,
    or too little skin shows. It needs the photo alone, so the studio begins it before
    the backdrop is made."""
    s = settings
    if s.card or s.white_balance <= 0:
        return None
    box, _crop, _fm, skin = _face_skin(image, face)
    if skin is None:
        return None
    return beside.submit(wb.estimate_light, image, face_box=box, alpha=alpha, skin=skin, valid=valid)


def relight(
    image: np.ndarray,
    alpha: np.ndarray,
    backdrop: np.ndarray,
    face: Face,
    *,
    settings: LightSettings = LightSettings(),
    valid: np.ndarray | None = None,
    estimating: Future | None = None,
) -> Relight:
    """Work out the relighting of the subject in ``image`` (float32 [0,1], working
    size) against ``backdrop`` (float32, same size). ``face`` is in ``image`` pixels.
    ``estimating``: the light's estimate begun by :func:`start_estimate` on the same
    ``image``, ``alpha``, ``face``, ``settings`` and ``valid`` (else begun here)."""
    s = settings
    h, w = alpha.shape
    measures: dict[str, float] = {}
    box, face_crop, fm, skin = _face_skin(image, face)
    y0, y1, x0, x1 = box
    gains = np.ones(3, np.float32)
    # The smooth maps are made at a quarter size; composite() enlarges them.
    lw, lh = max(8, w // MAP_DIV), max(8, h // MAP_DIV)
    small = (lambda x: cv2.resize(x, (lw, lh), interpolation=cv2.INTER_AREA))  # noqa: E731
    a_small, bd_small = small(alpha), small(backdrop)

    # 1. white balance: from a card when the person held one, else estimated
    # (white_balance.py: grey edge refined by a grey search, held inside the skin locus);
    # the estimate runs beside the maps of steps 3–4, which do not depend on it.
    if s.card and skin is not None:
        gains *= wb.card_correction(s.card)
        measures["card"] = 1.0
    elif estimating is None:
        estimating = start_estimate(image, alpha, face, settings=s, valid=valid)
    # 3. (maps) the match's ring about the subject, the skin; 4. the fill's map.
    skin_m = skin_map(image, alpha, face)
    ring = blur(a_small, 0.06 * lh) * (1 - a_small)
    bd_light = (bd_small * ring[..., None]).sum((0, 1)) / max(float(ring.sum()), 1e-3)
    before = face_uniformity(image, face) if face.mesh is not None else float("nan")
    lift = s.fill > 0 and face.mesh is not None and before == before and before < 0.97
    fill = _fill_map(image, face, (w, h), fill=s.fill, div=MAP_DIV, keep_level=s.fill_keeps_level) if lift else None
    if estimating is not None:
        est = estimating.result()
        if est is not None:
            gains *= wb.correction(est, strength=s.white_balance)
            measures["cast_r"], measures["cast_b"] = (float(math.exp(v)) for v in est.chroma)
            measures["cast_bounded"] = float(est.bounded)
    # 2. exposure, bounded, and only outside a comfortable range for the lit skin
    # (a card has set the exposure already).
    if s.exposure > 0 and fm.sum() > 50 and not s.card:
        lum = luminance(face_crop)[fm] * float(gains @ LUMA_709)
        hi = float(np.percentile(lum, 90))
        target = min(max(hi, 0.16), 0.62)  # sRGB ≈ 0.44 … 0.80
        ex = float(np.clip((target / max(hi, 1e-4)) ** s.exposure, 0.8, 1.25))
        gains *= ex
        measures["exposure_gain"] = ex
    # 3. match: a slight pull toward the backdrop's light colour near the subject,
    # held back on the skin (the skin's colour is the person's, whatever the backdrop).
    skin = skin_m
    tint = np.ones(3, np.float32)
    if s.match > 0 and bd_light.max() > 0.02:
        lin = np.power(np.maximum(bd_light, 1e-3), GAMMA)
        tint = np.clip((lin / lin.mean()) ** (0.12 * s.match), 0.92, 1.08)
        tint = (tint / (tint @ LUMA_709)).astype(np.float32)
    srgb_gain = np.power(gains, 1 / GAMMA).astype(np.float32)  # on the face: no match
    gain = np.empty((lh, lw, 3), np.float32)
    gain[:] = srgb_gain
    if np.abs(tint - 1).max() > 1e-6:
        off_skin = 1.0 if skin is None else 1.0 - cv2.resize(skin, (lw, lh), interpolation=cv2.INTER_AREA)[..., None]
        gain *= np.power(tint, off_skin / GAMMA)

    # 4. fill: lift the darker side of the face smoothly.
    measures["uniformity_before"] = before
    if fill is not None:
        gain *= fill[..., None]
        full = cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1, None] * srgb_gain
        lifted = image.copy()
        lifted[y0:y1, x0:x1] = np.clip(face_crop * full, 0, 1)
        measures["uniformity_after"] = face_uniformity(lifted, face)
    else:
        measures["uniformity_after"] = before

    # 5. light wrap: the backdrop's light near the subject's edge.
    wrap = (alpha * (1 - blur(alpha, 0.012 * h)) * (0.9 * s.wrap)).astype(np.float32)
    wrap_color = _spill(bd_small, a_small, sigma=0.02 * lh)
    measures["gain_r"], measures["gain_g"], measures["gain_b"] = (float(v) for v in gains)
    return Relight(gain=gain, wrap=wrap, wrap_color=wrap_color, measures=measures, skin=skin)


def composite(
    image: np.ndarray,
    *,
    alpha: np.ndarray,
    correction: np.ndarray,
    relit: Relight,
    backdrop: np.ndarray,
) -> np.ndarray:
    """The finished composite at the size of ``image`` (uint8, full size).

    Everything but the photo's own pixels is smooth, so it is folded at working size
    into two maps, out = P·I + Q, and only those are enlarged:
    fg = (I + C)·G, fg' = fg·(1−W) + W·K, out = A·fg' + (1−A)·B.
    """
    wh = (alpha.shape[1], alpha.shape[0])
    gain = cv2.resize(relit.gain, wh, interpolation=cv2.INTER_LINEAR)
    wrap_color = cv2.resize(relit.wrap_color, wh, interpolation=cv2.INTER_LINEAR)
    a = alpha[..., None]
    aw = a * relit.wrap[..., None]
    p = (a - aw) * gain
    q = p * correction
    q += aw * wrap_color
    q += (1 - a) * backdrop
    h, w = image.shape[:2]
    # 16-bit fixed point at output size (half the memory traffic of float32, which is
    # what this costs): P·8192, Q·255·32; out·32 = I·P·8192/256 + Q·255·32. The
    # full-size steps write into P's buffer: fresh 19 MB arrays cost page faults.
    p16 = cv2.resize(_fixed(p, 8192), (w, h), interpolation=cv2.INTER_LINEAR)
    q16 = cv2.resize(_fixed(q, 255 * 32), (w, h), interpolation=cv2.INTER_LINEAR)
    cv2.multiply(image, p16, dst=p16, scale=1 / 256, dtype=cv2.CV_16U)
    cv2.add(p16, q16, dst=p16)
    return cv2.convertScaleAbs(p16, alpha=1 / 32)


def _fixed(x: np.ndarray, scale: float) -> np.ndarray:
    """``x``·scale rounded to uint16 (saturating)."""
    x = x * np.float32(scale)
    x += 0.5
    return np.clip(x, 0, 65535, out=x).astype(np.uint16)


def _face_mask(face: Face, size: tuple[int, int], *, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    w, h = size
    m = np.zeros((h, w), np.float32)
    if face.mesh is not None:
        hull = cv2.convexHull((face.mesh[:, :2] - np.float32(origin)).astype(np.float32)).astype(np.int32)
        cv2.fillConvexPoly(m, hull, 1.0)
    else:
        ox, oy = origin
        x0, y0, x1, y1 = (int(round(v)) for v in (face.box[0] - ox, face.box[1] - oy, face.box[2] - ox, face.box[3] - oy))
        m[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = 1.0
    return m


def _mesh_box(face: Face, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the face (mesh, or box) inside an image of ``size``."""
    w, h = size
    pts = face.mesh[:, :2] if face.mesh is not None else np.array(face.box, np.float32).reshape(2, 2)
    x0, y0 = np.floor(pts.min(0)).astype(int)
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
    x0, x1 = int(np.clip(x0, 0, w - 1)), int(np.clip(x1, 1, w))
    y0, y1 = int(np.clip(y0, 0, h - 1)), int(np.clip(y1, 1, h))
    return y0, max(y1, y0 + 1), x0, max(x1, x0 + 1)


def _fill_map(image: np.ndarray, face: Face, size: tuple[int, int], *, fill: float, div: int = 1,
              keep_level: bool = False) -> np.ndarray:
    """A smooth gain (sRGB) lifting the darker side of the face by ``fill`` of the gap,
    at 1/``div`` of ``size``. ``keep_level``: the same gap closed, but part of it by
    lowering the lighter side, so the face's mean linear luminance is kept
    (:func:`_level_shift`)."""
    w, h = max(8, size[0] // div), max(8, size[1] // div)
    fx, fy = w / size[0], h / size[1]
    lft, rgt = face_sides(image, face)
    if not (lft > 0 and rgt > 0):
        return np.ones((h, w), np.float32)
    ratio = max(lft, rgt) / min(lft, rgt)
    lift = min(ratio**fill, 1.8)  # linear light; a fill never more than ~0.85 stop
    a, b = face.eye_centers()
    ang = math.atan2(b[1] - a[1], b[0] - a[0])
    axis = (face.mesh[168, :2] + face.mesh[152, :2]) / 2
    pts = face.mesh[:, :2]
    half = float(np.abs((pts[:, 0] - axis[0]) * math.cos(ang) + (pts[:, 1] - axis[1]) * math.sin(ang)).max())
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = (xx + 0.5) / fx - 0.5, (yy + 0.5) / fy - 0.5
    xh = (xx + 0.5 - axis[0]) * math.cos(ang) + (yy + 0.5 - axis[1]) * math.sin(ang)
    yh = -(xx + 0.5 - axis[0]) * math.sin(ang) + (yy + 0.5 - axis[1]) * math.cos(ang)
    sign = 1.0 if lft < rgt else -1.0  # lift the image-left side when it is darker
    side = 1.0 / (1.0 + np.exp(np.clip(sign * xh / (0.22 * half), -30, 30)))
    # The fill falls off away from the face (a light aimed at the face), fully on it.
    face_h = float(np.ptp(pts[:, 1])) or 1.0
    vert = np.exp(-np.maximum(np.abs(yh) - 0.5 * face_h, 0) ** 2 / (2 * (0.9 * face_h) ** 2))
    log_gain = math.log(lift) / GAMMA
    if not keep_level:  # the plain fill, computed exactly as it always was (same output)
        return np.exp(log_gain * side * vert).astype(np.float32)
    shape = side * vert
    return np.exp(log_gain * (shape - _level_shift(image, face, shape, vert, lift=lift))).astype(np.float32)


def _level_shift(image: np.ndarray, face: Face, shape: np.ndarray, vert: np.ndarray, *, lift: float) -> np.ndarray:
    """The part of the fill's shape (``side``·``vert``, the map's grid) to take away
    so the face keeps its mean linear luminance: k·``vert``, with k solved (Newton) so
    that Σ L·lift^(shape − k·vert) = Σ L over the face (mesh hull).

    Why: a fill that only lifts brightens the whole face too (a Look that needs more
    fill than the default to look as even then moves the skin's lightness further from
    the photo's). Shifting by k·``vert``, the shift fades with the fill away from the
    face, so the rest of the subject is as a plain fill leaves it.
    """
    h, w = shape.shape
    f = np.float32([w / image.shape[1], h / image.shape[0]])
    hull = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull((face.mesh[:, :2] * f).astype(np.float32)).astype(np.int32), 1)
    m = hull > 0
    if m.sum() < 4 or lift <= 1.0:
        return np.zeros_like(shape)
    lum = luminance(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA))[m].astype(np.float64)
    g, v, s = math.log(lift), vert[m].astype(np.float64), shape[m].astype(np.float64)
    total, k = float(lum.sum()), 0.0
    for _ in range(4):  # converges in 2–3 steps: the function is smooth and convex in k
        e = lum * np.exp(g * (s - k * v))
        k -= (total - e.sum()) / float((e * g * v).sum())
    return (k * vert).astype(np.float32)


def _spill(backdrop: np.ndarray, alpha: np.ndarray, *, sigma: float) -> np.ndarray:
    """The backdrop's light as seen just outside the subject (normalised blur)."""
    keep = np.clip(1 - alpha, 0, 1)
    den = blur(keep, sigma)
    num = blur(backdrop * keep[..., None], sigma)
    return (num / np.maximum(den, 1e-3)[..., None]).astype(np.float32)

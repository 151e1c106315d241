"""Wardrobe advice, as a photographer gives it: what the clothing will do on camera.

The clothing region is the person (the selfie segmentation) below the chin, from
0.35 to 1.3 face heights under it and within 1.4 face widths of the face's centre,
less skin-coloured pixels (neck, chest). Each check gives a plain sentence with what
to do:

- ``blend``: the clothing at the silhouette's edge against the Look's backdrop beside
  it (ΔE2000, the Look's backdrop rendered at the frame's size; a mono Look compares
  lightness only): below ``BLEND_DE`` the person melts into the backdrop. The advice
  names the built-in Look with the most contrast.
- ``stripes``: a sharp peak in the clothing's spectrum whose period, at web size (the
  face ``WEB_FACE_PX`` tall), is under ``STRIPE_WEB_PX``: fine stripes and checks
  shimmer (moiré) when the headshot is shown small.
- ``neckline``: the Look's framing would cut within ``NECK_CUT`` face heights of the
  neckline (a line across the bottom edge), or shows only skin down to its edge
  (bare shoulders read as no top in a headshot).
- ``lettering``: a word printed on the clothing (:mod:`.lettering`);
- ``logo``: else one large mark on the chest, closed all round by the cloth
  (:mod:`.logo`; the shirt between lapels and a tie run up to the neck).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..color import delta_e, rgb_to_lab
from ..types import Face

if TYPE_CHECKING:
    from .lettering import Print
    from .logo import Logo

BLEND_DE = 12.0
WEB_FACE_PX = 220.0  # chin to upper forehead in a 640 px tall web headshot (head half the height)
STRIPE_WEB_PX = 6.0
STRIPE_PEAK = 28.0  # averaged spectral peak over the band median (128 px windows): set on the calibration half of `eval coach`, striped vs as-is
NECK_CUT = 0.12
SKIN_D = 10.0  # farther than this from the skin colour (see skin_distance): clothing
MIN_CLOTHING = 0.12  # share of the clothing box that must be clothing to judge it


@dataclass(frozen=True)
class Advice:
    key: str  # "blend", "stripes", "neckline", "lettering", "logo"
    text: str


@dataclass(frozen=True)
class Wardrobe:
    visible: bool  # enough clothing in the frame to judge
    advice: tuple[Advice, ...] = ()
    clothing_lab: tuple[float, float, float] | None = None
    contrast: dict[str, float] = field(default_factory=dict)  # Look name → ΔE2000 clothing vs backdrop
    recommend: str | None = None  # the built-in Look with the most contrast
    stripe_period_web: float | None = None  # px at web size of the strongest fine peak
    stripe_peak: float = 0.0
    letters: int = 0  # characters on the longest printed line found on the clothing
    logo: float = 0.0  # across, face heights, of the large logo told (0: none)


@dataclass(frozen=True)
class Regions:
    clothing: np.ndarray  # bool H×W
    edge: np.ndarray  # clothing near the silhouette (beside the backdrop)
    beside: np.ndarray  # background just outside the silhouette, same rows
    person: np.ndarray  # float32 H×W alpha
    face_height: float  # chin to upper forehead, px
    chin_y: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the clothing search box
    chest: np.ndarray | None = None  # bool H×W: the clothing and, above it, the person's non-skin up to the chin
    skin: tuple[float, float, float] | None = None  # the face's skin colour, L*a*b*


def skin_colour(image: np.ndarray, face: Face) -> np.ndarray:
    """The face's skin colour, L*a*b* float32 (3,)."""
    from ..faces import view as views
    from ..intake.quality import skin_lab

    return np.array(skin_lab(views.face_view(image, face, framing=views.FACE)), np.float32)


def skin_distance(image: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Each pixel's distance from the skin colour ``skin`` (L*a*b*, lightness weighted
    a quarter: skin in shadow or light is still skin), float32 H×W."""
    return np.sqrt(((rgb_to_lab(image) - skin) ** 2 * np.array([0.25, 1.0, 1.0], np.float32)).sum(-1))


def regions(image: np.ndarray, face: Face, *, person: np.ndarray | None = None) -> Regions:
    """The clothing, its silhouette band and the background beside it."""
    from ..matting.segmentation import segment

    h, w = image.shape[:2]
    m = face.mesh[:, :2]
    chin, top = m[152], m[10]
    fh = float(np.hypot(*(chin - top)))
    fw = float(face.width)
    cx = float(m[[152, 168], 0].mean())
    y0, y1 = int(chin[1] + 0.35 * fh), int(min(h, chin[1] + 1.3 * fh))
    x0, x1 = int(max(0, cx - 1.4 * fw)), int(min(w, cx + 1.4 * fw))
    alpha = segment(image, face_box=face.box) if person is None else person
    fg = alpha > 0.5
    box = np.zeros((h, w), bool)
    if y1 > y0 and x1 > x0:
        box[y0:y1, x0:x1] = True
    skin = skin_colour(image, face)
    d = skin_distance(image, skin)
    clothing = box & fg & (d > SKIN_D)
    # The chest seen up to the chin: a logo is told from the shirt between lapels or a
    # tie by being closed all round by cloth, and these run up to the neck.
    chest = np.zeros((h, w), bool)
    yc = int(max(0, chin[1]))
    if y1 > yc and x1 > x0:
        chest[yc:y1, x0:x1] = fg[yc:y1, x0:x1] & (d[yc:y1, x0:x1] > SKIN_D)
    # The silhouette's edge: clothing within a quarter face width of the background, and
    # the background within 0.4 face widths of the clothing (beside the shoulders or
    # above them), leaving out a gap where the matte's edge mixes the two.
    bg = (~fg).astype(np.uint8)
    k = max(3, int(0.25 * fw) | 1)
    near_bg = cv2.dilate(bg, np.ones((k, k), np.uint8)) > 0
    kb = max(5, int(0.4 * fw) | 1)
    near_cloth = cv2.dilate(clothing.astype(np.uint8), np.ones((kb, kb), np.uint8)) > 0
    gap = max(3, int(0.06 * fw) | 1)
    off = cv2.dilate(fg.astype(np.uint8), np.ones((gap, gap), np.uint8)) == 0
    return Regions(clothing=clothing, edge=clothing & near_bg, beside=off & near_cloth, person=alpha.astype(np.float32),
                   face_height=fh, chin_y=float(chin[1]), box=(x0, y0, x1, y1), chest=chest,
                   skin=tuple(float(v) for v in skin))


# --- colour against each Look's backdrop ------------------------------------------------------


@lru_cache(maxsize=64)
def _backdrop(look_name: str, size: tuple[int, int], head: tuple[float, float]) -> np.ndarray:
    from ..looks import load_look
    from ..studio.backdrop import make_backdrop

    look = load_look(look_name)
    if look.backdrop.kind in ("blur", "image"):
        raise ValueError("photo backdrops have no fixed colour")
    bd = make_backdrop(size, settings=look.backdrop, head=head)
    return (np.clip(bd.image, 0, 1) * 255).astype(np.uint8)


def _mono(look_name: str) -> bool:
    from ..looks import load_look

    g = load_look(look_name).grade
    return g.mono or g.saturation < 0.2


def composite(image: np.ndarray, person: np.ndarray, look_name: str, head: tuple[float, float]) -> np.ndarray:
    """The person over the Look's backdrop (a quick render: no relight, no grade)."""
    h, w = image.shape[:2]
    bg = _backdrop(look_name, (w, h), (float(head[0]), float(head[1])))
    a = person[..., None]
    return (image * a + bg * (1 - a)).astype(np.uint8)


CONTRAST_SIDE = 320  # px: medians of colour regions need no more (and the backdrop renders in ms)


def contrast(image: np.ndarray, r: Regions, look_name: str, head: tuple[float, float]) -> float | None:
    """ΔE2000 between the clothing at the silhouette and the Look's backdrop beside it
    (None when either is too small to read). Measured on a copy at most
    ``CONTRAST_SIDE`` px long, the head's place rounded to 5 % (the backdrop is cached)."""
    if r.edge.sum() < 30 or r.beside.sum() < 30:
        return None
    h, w = image.shape[:2]
    k = min(1.0, CONTRAST_SIDE / max(h, w))
    if k < 1.0:
        size = (max(8, round(w * k)), max(8, round(h * k)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        near = {n: cv2.resize(getattr(r, n).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for n in ("edge", "beside")}
        r = Regions(clothing=r.clothing, edge=near["edge"], beside=near["beside"],
                    person=cv2.resize(r.person, size, interpolation=cv2.INTER_AREA), face_height=r.face_height * k,
                    chin_y=r.chin_y * k, box=r.box)
        if r.edge.sum() < 8 or r.beside.sum() < 8:
            return None
    head = (round(head[0] * 20) / 20, round(head[1] * 20) / 20)
    comp = composite(image, r.person, look_name, head)
    lab = rgb_to_lab(comp)
    a, b = np.median(lab[r.edge], axis=0), np.median(lab[r.beside], axis=0)
    if _mono(look_name):
        a, b = np.array([a[0], 0, 0]), np.array([b[0], 0, 0])
    return float(delta_e(a, b))


def colour_name(lab) -> str:
    """A plain name for a clothing colour (L*a*b*)."""
    L, a, b = (float(v) for v in lab)
    c = float(np.hypot(a, b))
    shade = "dark " if L < 35 else "light " if L > 75 else ""
    if c < 10:
        return "black" if L < 22 else "white" if L > 88 else f"{shade}grey"
    hue = float(np.degrees(np.arctan2(b, a))) % 360
    names = ((20, "pink"), (45, "red"), (70, "orange"), (100, "beige" if c < 25 else "yellow"), (160, "green"),
             (220, "teal"), (290, "blue"), (330, "purple"), (360, "pink"))
    name = next(n for lim, n in names if hue < lim)
    if name == "blue" and L < 40:
        return "navy"
    if name in ("orange", "beige", "red") and L < 45 and c < 35:
        return "brown"
    return f"{shade}{name}"


# --- pattern and neckline -----------------------------------------------------------------------


def stripes(image: np.ndarray, r: Regions) -> tuple[float, float | None]:
    """(peak ratio, period at web size in px) of the strongest periodic pattern in the
    clothing that is fine enough to alias at web size (0, None when none can be read:
    too little clothing, or a frame too small to resolve such a pattern).

    Square windows wholly inside the clothing are high-passed and windowed, and their
    power spectra, each scaled to unit power in the band, are averaged (Welch): a
    weave or a print repeats at the same frequency in every window and adds up, where
    a fold, a seam or a necklace peaks in one window only and averages out. In the
    band of periods finer than ``STRIPE_WEB_PX`` at web size, the averaged spectrum's
    peak over its median (amplitudes) is the pattern's strength. The JPEG block
    lattice (periods 8/k px along the axes) is left out: it is the file, not the cloth.
    """
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    p_max = STRIPE_WEB_PX * r.face_height / WEB_FACE_PX  # finer than this aliases at web size
    if p_max < 2.2:
        return 0.0, None  # the frame is too small to resolve such a pattern
    ys, xs = np.nonzero(r.clothing)
    if ys.size < 400:
        return 0.0, None
    for n in (128, 64, 32):  # the largest windows that fit (finer frequency steps)
        step, acc = n // 2, None
        band, f = _band(n, p_max)
        for oy in range(int(ys.min()), int(ys.max()) - n + 2, step):
            for ox in range(int(xs.min()), int(xs.max()) - n + 2, step):
                cover = r.clothing[oy : oy + n, ox : ox + n]
                if cover.mean() < (0.9 if n > 32 else 0.75):
                    continue
                win = g[oy : oy + n, ox : ox + n]
                win = np.where(cover, win, float(win[cover].mean()))  # a small garment: the rest at its mean
                hp = win - cv2.GaussianBlur(win, (0, 0), 3.0)
                power = np.abs(np.fft.fftshift(np.fft.fft2(hp * _hann(n)))) ** 2
                power /= max(float(power[band].sum()), 1e-9)
                acc = power if acc is None else acc + power
        if acc is not None:
            mags = np.sqrt(acc[band])
            peak = float(mags.max() / max(float(np.median(mags)), 1e-9))
            return peak, float(1.0 / f[band][mags.argmax()]) * WEB_FACE_PX / r.face_height
    return 0.0, None


@lru_cache(maxsize=8)
def _hann(n: int) -> np.ndarray:
    return np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)


@lru_cache(maxsize=32)
def _band(n: int, p_max: float) -> tuple[np.ndarray, np.ndarray]:
    fy, fx = np.mgrid[-n // 2 : n // 2, -n // 2 : n // 2] / n
    f = np.hypot(fx, fy)
    band = (f >= 1.0 / p_max) & (f <= 0.5)
    lattice = np.zeros_like(band)
    for k in range(1, 5):  # 1/8, 2/8, 3/8, 4/8 cycles per px, along either axis
        lattice |= (np.abs(np.abs(fx) - k / 8) <= 1.01 / n) & (np.abs(fy) <= 1.01 / n)
        lattice |= (np.abs(np.abs(fy) - k / 8) <= 1.01 / n) & (np.abs(fx) <= 1.01 / n)
    return band & ~lattice, f


def frame_bottom(face: Face, *, frame: str) -> float:
    """The row (px) where the framing preset ``frame`` would put the headshot's bottom edge."""
    from ..faces.geometry import head_geometry
    from ..looks.settings import get_preset

    p = get_preset(frame)
    head = head_geometry(face)
    return float(head.center[1] + (1.0 - p.eye_line) * head.height / p.head)


def neckline(image: np.ndarray, face: Face, r: Regions, *, frame: str) -> str | None:
    """'cut' when the framing's bottom edge runs along the neckline, 'bare' when it
    shows only skin down to its edge; None otherwise."""
    bottom = frame_bottom(face, frame=frame)
    h = image.shape[0]
    if bottom > h:  # the frame reaches past the photo: the neckline cannot be judged against it
        return None
    cx = float(face.center[0])
    half = 0.35 * face.width
    x0, x1 = int(max(0, cx - half)), int(cx + half)
    fg = r.person > 0.5
    y_start = int(r.chin_y + 0.15 * r.face_height)
    rows = range(max(0, y_start), min(h, int(bottom) + 1))
    neck = None
    for y in rows:
        band = fg[y, x0:x1]
        if band.sum() < 0.5 * band.size:
            continue
        if (r.clothing[y, x0:x1] & band).sum() > 0.5 * band.sum():
            neck = y
            break
    if neck is None:
        return "bare"
    return "cut" if abs(bottom - neck) < NECK_CUT * r.face_height else None


# --- the advice ------------------------------------------------------------------------------


def advise(image: np.ndarray, face: Face, *, look: str, frame: str | None = None, looks: tuple[str, ...] | None = None,
           person: np.ndarray | None = None) -> Wardrobe:
    """Wardrobe advice for ``image`` with the Look ``look`` (and its framing unless
    ``frame`` is given); ``looks``: the Looks to compare (default: the built-in ones
    with a fixed backdrop colour)."""
    from ..looks import load_look

    r = regions(image, face, person=person)
    x0, y0, x1, y1 = r.box
    if (x1 - x0) * (y1 - y0) <= 0 or r.clothing.sum() < MIN_CLOTHING * (x1 - x0) * (y1 - y0):
        return Wardrobe(visible=False)
    names = looks if looks is not None else builtin_looks()
    h, w = image.shape[:2]
    head = (float(face.center[0] / w), float(face.center[1] / h))
    contrasts = {n: c for n in names if (c := contrast(image, r, n, head)) is not None}
    # the colour named is the one beside the backdrop (a jacket over a light shirt: the jacket)
    seen = r.edge if r.edge.sum() >= 30 else r.clothing
    cloth = tuple(float(v) for v in np.median(rgb_to_lab(image)[seen], axis=0))
    name = colour_name(cloth)
    pretty = look.replace("-", " ").capitalize()
    out: list[Advice] = []
    others = {n: c for n, c in contrasts.items() if n != look}
    recommend = max(others, key=others.get) if others else None
    mine = contrasts.get(look)
    if look not in contrasts and look not in names:
        mine = contrast(image, r, look, head)
    if mine is not None and mine < BLEND_DE:
        alt = recommend.replace("-", " ").capitalize() if recommend else "another"
        out.append(Advice("blend", f"Your {name} top is close to the {pretty} backdrop, so you would blend into it: "
                                   f"choose the {alt} Look, or wear a top that is clearly lighter or darker."))
    peak, period = stripes(image, r)
    if period is not None and peak >= STRIPE_PEAK and period < STRIPE_WEB_PX:
        out.append(Advice("stripes", "Fine stripes or checks shimmer when a headshot is shown small: "
                                     "wear a plain top, or one with a broad pattern."))
    printed, logo = prints(image, r)
    if printed.lettering:
        out.append(Advice("lettering", "Large lettering on your top pulls the eye away from your face: wear a plain top, "
                                       "or close a jacket over it."))
    elif logo.found:
        out.append(Advice("logo", "A large logo on your top pulls the eye away from your face: wear a plain top, "
                                  "or close a jacket over it."))
    neck = neckline(image, face, r, frame=frame or load_look(look).frame)
    if neck == "cut":
        out.append(Advice("neckline", "The frame would cut right along your neckline: choose the Chest up framing, "
                                      "or wear a top whose neckline sits higher or lower."))
    elif neck == "bare":
        out.append(Advice("neckline", "Only skin shows down to the frame's edge, which reads as bare shoulders: "
                                      "wear a top with sleeves or a collar, or choose the Chest up framing."))
    clash = mine is not None and mine < BLEND_DE
    return Wardrobe(visible=True, advice=tuple(out), clothing_lab=cloth, contrast={k: round(v, 2) for k, v in contrasts.items()},
                    recommend=recommend if clash else None,
                    stripe_period_web=None if period is None else round(period, 2), stripe_peak=round(peak, 2),
                    letters=printed.letters if printed.lettering else 0,
                    logo=logo.size if logo.found and not printed.lettering else 0.0)


def prints(image: np.ndarray, r: Regions) -> tuple[Print, Logo]:
    """(:class:`~.lettering.Print`, :class:`~.logo.Logo`) on the clothing; the logo is
    not looked for once lettering is found (one sentence says it)."""
    from .lettering import find_print
    from .logo import Logo, find_logo

    printed = find_print(image, r.clothing, r.face_height)
    if printed.lettering:
        return printed, Logo(judged=printed.judged)
    return printed, find_logo(image, r.chest if r.chest is not None else r.clothing, r.face_height, skin=r.skin)


def builtin_looks() -> tuple[str, ...]:
    """The built-in Looks whose backdrop has a fixed colour (not the photo's own)."""
    from ..looks import list_looks

    return tuple(lk.name for lk in list_looks() if lk.source.startswith("built-in") and lk.backdrop.kind not in ("blur", "image"))

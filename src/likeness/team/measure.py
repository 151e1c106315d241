"""Team consistency measures on one image, and the spreads across a team.

Per image: eye-line position and head height as fractions of the frame height, face
exposure (L* of the cheeks), skin colour (Lab of the cheeks), backdrop colour (Lab of
the two top corners), and white balance on a neutral area every face has: the whites of
the eyes (:func:`sclera`). Clothing is not used: a beige shirt is not a white-balance
error.

How far the whites of the eyes can be trusted as a grey card (measured on the eval set,
ΔE2000 on a*b* only): a warmer or cooler light moves the reading as it moves a grey card
(within 1 unit); the two eyes of one face, in one light, read a median 3.1 apart on the
photos and 4.6 apart on the team's headshots; six photos of one model from one session
read 5.9 apart at most (a first reading of the whole eye opening: 12.1). A team spread of
2 ΔE is below this neutral's own noise: it cannot be measured on the eyes.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, fields

import cv2
import numpy as np

from .. import color
from ..faces import analyze
from ..faces.regions import CORNERS_L, CORNERS_R, EYE_L, EYE_R, IRIS_L, IRIS_R, LIDS_L, LIDS_R
from ..types import Face



@dataclass(frozen=True)
class LookMeasures:
    eye_line: float | None = None
    head_ratio: float | None = None
    face_exposure: float | None = None  # L*
    skin_lab: tuple[float, float, float] | None = None
    backdrop_lab: tuple[float, float, float] | None = None
    neutral_ab: tuple[float, float] | None = None  # whites of the eyes, see :func:`sclera`
    neutral_eyes_delta_e: float | None = None  # left against right eye
    neutral_note: str = ""  # why there is no neutral reading

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> LookMeasures:
        names = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names})


def _lab(rgb: np.ndarray) -> np.ndarray:
    return color.rgb_to_lab(rgb)


def _skin(image: np.ndarray, face: Face) -> tuple[np.ndarray, float] | None:
    """(the face's skin colour L*a*b*, read as the review and intake read it: the
    canonical view's cheeks; the L* of their lit part, the upper quartile), or None
    when no cheek lies inside the photo (a face cut by the photo's edge)."""
    from ..faces.regions import CHEEK_L, CHEEK_R
    from ..faces.view import face_view

    h, w = image.shape[:2]
    centres = [face.mesh[idx, :2].mean(0) for idx in (CHEEK_R, CHEEK_L)]
    if not any(0 <= x < w and 0 <= y < h for x, y in centres):
        return None
    v = face_view(image, face)
    lab = v.skin_lab()
    if lab is None:
        return None
    return np.array(lab, np.float64), float(np.percentile(v.lab[v.cheeks][:, 0], 75))


def measure_image(image: np.ndarray, face: Face | None = None, *, enlarged: float = 1.0) -> LookMeasures:
    """The team measures of one image; ``enlarged``: image px per px of the original
    photo (a headshot made from a small photo has few real pixels in its eyes). Colour
    is converted to Lab only where it is read (corners, cheeks, eyes)."""
    h, w = image.shape[:2]
    if face is None:
        faces = analyze(image, embed=False, subject_only=True)
        face = faces[0] if faces else None
    corner = max(4, int(0.06 * w))
    top0, top1 = int(0.02 * h), int(0.02 * h) + corner
    corners = np.concatenate(
        [_lab(image[top0:top1, :corner]).reshape(-1, 3), _lab(image[top0:top1, w - corner :]).reshape(-1, 3)]
    )
    backdrop = tuple(float(v) for v in np.median(corners, axis=0))
    if face is None or face.mesh is None:
        return LookMeasures(backdrop_lab=backdrop)
    from ..faces.geometry import head_geometry  # the same head model the framing uses

    m = face.mesh
    g = head_geometry(face)
    eye_y = g.center[1]
    chin = eye_y + g.chin
    crown = eye_y + g.crown
    read = _skin(image, face)
    if read is None:  # both cheeks outside the photo
        return LookMeasures(backdrop_lab=backdrop)
    skin, lit = read
    # Whites of the eyes darker than the lit cheek by more than max_shade are in shade.
    sc = sclera(image, m, skin_lightness=lit, enlarged=enlarged)
    return LookMeasures(
        eye_line=eye_y / h,
        head_ratio=(chin - crown) / h,
        face_exposure=float(skin[0]),
        skin_lab=tuple(float(v) for v in skin),
        backdrop_lab=backdrop,
        neutral_ab=sc.ab,
        neutral_eyes_delta_e=sc.eyes_delta_e,
        neutral_note=sc.note,
    )


# Per eye: contour (upper and lower lid), iris centre, iris ring, inner and outer corner,
# upper and lower lid at the middle.
_EYES = (
    (EYE_R, IRIS_R[0], IRIS_R[1], CORNERS_R[1], CORNERS_R[0], *LIDS_R[1]),
    (EYE_L, IRIS_L[0], IRIS_L[1], CORNERS_L[0], CORNERS_L[1], *LIDS_L[1]),
)


@dataclass(frozen=True)
class ScleraSettings:
    """Where the whites of the eyes are read, and when a reading is trusted."""

    lid_margin: float = 0.15  # share of the eye opening cut off along both lids (lashes, lid shadow)
    iris_margin: float = 1.15  # iris disc radius × this is left out (limbus)
    inner_corner: float = 0.15  # share of the corner-to-corner length left out at the nose (caruncle)
    outer_corner: float = 0.05
    min_pixels: int = 30  # per eye, counted in the pixels of the photo itself (not an enlargement)
    max_shade: float = 10.0  # L* the white may read below the cheeks (the sclera reflects more than skin)


@dataclass(frozen=True)
class Sclera:
    """The whites of the eyes as a neutral: (a*, b*) of the eyes that pass, or why not."""

    ab: tuple[float, float] | None = None
    lightness: float | None = None
    eyes: int = 0  # eyes read
    eyes_delta_e: float | None = None  # left against right eye (same face, same light): the reading's own noise
    note: str = ""


def sclera(
    rgb: np.ndarray,
    mesh: np.ndarray,
    *,
    skin_lightness: float | None = None,
    enlarged: float = 1.0,
    settings: ScleraSettings = ScleraSettings(),
) -> Sclera:
    """The white of each eye read the way a photographer samples it: the lit sclera
    between iris and corners, away from the lids, the caruncle and clipped catchlights,
    the brighter half of it (veins and shade out), median a*, b*. An eye counts only if
    it has ``min_pixels`` in the original photo (``enlarged``: output px per photo px)
    and reads no darker than the cheeks by ``max_shade`` (a white in shade, or lid and
    lashes, is not the light's colour).
    """
    s = settings
    reads, why = [], "eyes closed or too small in the photo"
    for eye in _EYES:
        px = _sclera_pixels(rgb, mesh, eye, s)
        if len(px) / max(enlarged, 1.0) ** 2 < s.min_pixels:
            continue
        lit = px[px[:, 0] >= np.median(px[:, 0])]
        lightness, a, b = (float(v) for v in np.median(lit, axis=0))
        if skin_lightness is not None and lightness < skin_lightness - s.max_shade:
            why = f"whites of the eyes in shade (L* {lightness:.0f} against {skin_lightness:.0f} on the cheeks)"
            continue
        reads.append((lightness, a, b))
    if not reads:
        return Sclera(note=why)
    r = np.array(reads)
    eyes_de = _wb_delta_e(r[0, 1:], r[1, 1:]) if len(r) == 2 else None
    a, b = r[:, 1:].mean(0)
    return Sclera(ab=(float(a), float(b)), lightness=float(r[:, 0].mean()), eyes=len(r), eyes_delta_e=eyes_de)


def _sclera_pixels(rgb: np.ndarray, mesh: np.ndarray, eye, s: ScleraSettings) -> np.ndarray:
    """Lab of the sclera pixels of one eye."""
    contour, centre, ring, inner, outer, upper, lower = eye
    h, w = rgb.shape[:2]
    pts = mesh[list(contour), :2]
    x0, y0 = (max(0, int(v) - 2) for v in np.floor(pts.min(0)))
    x1, y1 = min(w, int(np.ceil(pts[:, 0].max())) + 3), min(h, int(np.ceil(pts[:, 1].max())) + 3)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return np.empty((0, 3), np.float32)
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(m, [(pts - (x0, y0)).round().astype(np.int32)], 1)
    k = int(round(s.lid_margin * float(np.linalg.norm(mesh[upper, :2] - mesh[lower, :2]))))
    if k > 0:
        m = cv2.erode(m, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
    r = float(np.linalg.norm(mesh[list(ring), :2] - mesh[centre, :2], axis=1).mean()) * s.iris_margin
    cv2.circle(m, tuple(int(v) for v in (mesh[centre, :2] - (x0, y0)).round()), int(np.ceil(r)), 0, -1)
    a, d = mesh[inner, :2], mesh[outer, :2] - mesh[inner, :2]
    yy, xx = np.mgrid[y0:y1, x0:x1]
    t = ((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-6)
    keep = (m > 0) & (t >= s.inner_corner) & (t <= 1 - s.outer_corner)
    crop = rgb[y0:y1, x0:x1]
    keep &= crop.max(2) < 250  # clipped catchlights carry no colour
    return _lab(crop)[keep]


def _wb_delta_e(a, b) -> float:
    """White balance difference: chroma only, as two grey cards at L* = 60."""
    return delta_e((60.0, *a), (60.0, *b))


def delta_e(a, b) -> float:
    return float(color.delta_e(a, b))


def _max_pair(values: list, fn) -> float | None:
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return None
    return max(fn(a, b) for a, b in itertools.combinations(vals, 2))


def spreads(measures: list[LookMeasures]) -> dict[str, float | None]:
    """Team spreads: standard deviations of positions, largest pairwise colour differences."""

    def std(name: str) -> float | None:
        v = [getattr(m, name) for m in measures if getattr(m, name) is not None]
        return float(np.std(v)) if len(v) >= 2 else None

    eyes = [m.neutral_eyes_delta_e for m in measures if m.neutral_eyes_delta_e is not None]
    return {
        "eye_line_std": std("eye_line"),
        "head_ratio_std": std("head_ratio"),
        "face_exposure_std": std("face_exposure"),
        "backdrop_delta_e_max": _max_pair([m.backdrop_lab for m in measures], delta_e),
        "white_balance_delta_e_max": _max_pair([m.neutral_ab for m in measures], _wb_delta_e),
        "white_balance_read": sum(m.neutral_ab is not None for m in measures),
        # The reading's own noise: the two eyes of one face are in one light.
        "white_balance_eyes_delta_e_median": float(np.median(eyes)) if eyes else None,
        "n": len(measures),
    }


#: Beyond these a person "breaks the team look". White balance: beyond the reading's own
#: noise (the two eyes of one face read a median 3.1–4.6 ΔE apart), so a flag is a real cast.
TOLERANCE = {"eye_line": 0.02, "head_ratio": 0.04, "face_exposure": 8.0, "backdrop": 1.0, "white_balance": 5.0}


def outliers(names: list[str], measures: list[LookMeasures]) -> dict[str, list[str]]:
    """Who breaks the team look, and why (one sentence per reason)."""
    out: dict[str, list[str]] = {}

    def median(name: str):
        v = [getattr(m, name) for m in measures if getattr(m, name) is not None]
        return float(np.median(v)) if v else None

    med = {k: median(k) for k in ("eye_line", "head_ratio", "face_exposure")}
    bd = [m.backdrop_lab for m in measures if m.backdrop_lab]
    bd_med = tuple(np.median(np.array(bd), axis=0)) if bd else None
    wb = [m.neutral_ab for m in measures if m.neutral_ab]
    wb_med = tuple(np.median(np.array(wb), axis=0)) if len(wb) >= 2 else None
    for name, m in zip(names, measures):
        why = []
        for k, label in (("eye_line", "eye line"), ("head_ratio", "head size"), ("face_exposure", "face brightness")):
            v = getattr(m, k)
            if v is not None and med[k] is not None and abs(v - med[k]) > TOLERANCE[k]:
                why.append(f"{label} differs from the team by {abs(v - med[k]):.3g}")
        if bd_med is not None and m.backdrop_lab and delta_e(m.backdrop_lab, bd_med) > TOLERANCE["backdrop"]:
            why.append(f"backdrop colour differs by ΔE {delta_e(m.backdrop_lab, bd_med):.1f}")
        if wb_med is not None and m.neutral_ab and _wb_delta_e(m.neutral_ab, wb_med) > TOLERANCE["white_balance"]:
            why.append(f"the light's colour differs (whites of the eyes {_cast_words(m.neutral_ab, wb_med)}"
                       f" than the team's by ΔE {_wb_delta_e(m.neutral_ab, wb_med):.1f})")
        if why:
            out[name] = why
    return out


def _cast_words(ab, ref) -> str:
    """'warmer', 'cooler and greener', ...: b* is warm/cool, a* magenta/green."""
    da, db = ab[0] - ref[0], ab[1] - ref[1]
    words = [w for d, w in sorted(((abs(db), ("warmer" if db > 0 else "cooler")), (abs(da), ("more magenta" if da > 0 else "greener"))), reverse=True) if d >= 2.0]
    return " and ".join(words) or "off"

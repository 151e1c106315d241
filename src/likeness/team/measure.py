"""Team consistency measures on one image, and the spreads across a team.

Per image: eye-line position and head height as fractions of the frame height, face
exposure (L* of the cheeks), skin colour (Lab of the cheeks) and backdrop colour (Lab of
the two top corners).

No white-balance spread is read off the headshots: with one backdrop for everyone the
only neutral left is the whites of the eyes, and that reading disagreed with itself (the
two eyes of one face read a median 3.1–4.6 ΔE apart, above the 2 ΔE a team's spread is
held to). Whether a team looks lit by one light is measured where the light is known:
``likeness eval team``'s light test (:mod:`likeness.eval.team`).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import color
from ..faces import analyze
from ..types import Face



@dataclass(frozen=True)
class LookMeasures:
    eye_line: float | None = None
    head_ratio: float | None = None
    face_exposure: float | None = None  # L*
    skin_lab: tuple[float, float, float] | None = None
    backdrop_lab: tuple[float, float, float] | None = None

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> LookMeasures:
        names = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in names})


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
    """The team measures of one image. ``enlarged`` (image px per px of the original
    photo) is kept for callers; no measure depends on it since the whites of the eyes
    are no longer read. Colour is converted to Lab only where it is read (corners,
    cheeks)."""
    h, w = image.shape[:2]
    if face is None:
        faces = analyze(image, embed=False, subject_only=True)
        face = faces[0] if faces else None
    corner = max(4, int(0.06 * w))
    top0, top1 = int(0.02 * h), int(0.02 * h) + corner
    corners = np.concatenate([color.rgb_to_lab(image[top0:top1, :corner]).reshape(-1, 3),
                              color.rgb_to_lab(image[top0:top1, w - corner :]).reshape(-1, 3)])
    backdrop = tuple(float(v) for v in np.median(corners, axis=0))
    if face is None or face.mesh is None:
        return LookMeasures(backdrop_lab=backdrop)
    from ..faces.geometry import head_geometry  # the same head model the framing uses

    g = head_geometry(face)
    eye_y = g.center[1]
    chin = eye_y + g.chin
    crown = eye_y + g.crown
    read = _skin(image, face)
    if read is None:  # both cheeks outside the photo
        return LookMeasures(backdrop_lab=backdrop)
    skin, _lit = read
    return LookMeasures(
        eye_line=eye_y / h,
        head_ratio=(chin - crown) / h,
        face_exposure=float(skin[0]),
        skin_lab=tuple(float(v) for v in skin),
        backdrop_lab=backdrop,
    )


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

    return {
        "eye_line_std": std("eye_line"),
        "head_ratio_std": std("head_ratio"),
        "face_exposure_std": std("face_exposure"),
        "backdrop_delta_e_max": _max_pair([m.backdrop_lab for m in measures], delta_e),
        "n": len(measures),
    }


#: Beyond these a person "breaks the team look".
TOLERANCE = {"eye_line": 0.02, "head_ratio": 0.04, "face_exposure": 8.0, "backdrop": 1.0}


def outliers(names: list[str], measures: list[LookMeasures]) -> dict[str, list[str]]:
    """Who breaks the team look, and why (one sentence per reason)."""
    out: dict[str, list[str]] = {}

    def median(name: str):
        v = [getattr(m, name) for m in measures if getattr(m, name) is not None]
        return float(np.median(v)) if v else None

    med = {k: median(k) for k in ("eye_line", "head_ratio", "face_exposure")}
    bd = [m.backdrop_lab for m in measures if m.backdrop_lab]
    bd_med = tuple(np.median(np.array(bd), axis=0)) if bd else None
    for name, m in zip(names, measures):
        why = []
        for k, label in (("eye_line", "eye line"), ("head_ratio", "head size"), ("face_exposure", "face brightness")):
            v = getattr(m, k)
            if v is not None and med[k] is not None and abs(v - med[k]) > TOLERANCE[k]:
                why.append(f"{label} differs from the team by {abs(v - med[k]):.3g}")
        if bd_med is not None and m.backdrop_lab and delta_e(m.backdrop_lab, bd_med) > TOLERANCE["backdrop"]:
            why.append(f"backdrop colour differs by ΔE {delta_e(m.backdrop_lab, bd_med):.1f}")
        if why:
            out[name] = why
    return out

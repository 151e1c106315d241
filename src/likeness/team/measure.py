"""Team consistency measures on one image, and the spreads across a team.

Per image: eye-line position and head height as fractions of the frame height, face
exposure (L* of the cheeks), skin colour (Lab of the cheeks), backdrop colour (Lab of
the two top corners), and white balance on a neutral area every face has: the whites of
the eyes (mean a*, b* of the bright sclera pixels inside the eye contour, iris excluded).
Clothing is not used: a beige shirt is not a white-balance error.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from ..faces import analyze
from ..types import Face

# Mesh points at the centre of each cheek (image-left, image-right).
_CHEEKS = (205, 425)


@dataclass(frozen=True)
class LookMeasures:
    eye_line: float | None = None
    head_ratio: float | None = None
    face_exposure: float | None = None  # L*
    skin_lab: tuple[float, float, float] | None = None
    backdrop_lab: tuple[float, float, float] | None = None
    neutral_ab: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def _disc_mean(lab: np.ndarray, c: np.ndarray, r: float) -> np.ndarray:
    h, w = lab.shape[:2]
    x, y, r = int(c[0]), int(c[1]), max(2, int(r))
    patch = lab[max(0, y - r) : min(h, y + r), max(0, x - r) : min(w, x + r)]
    return np.median(patch.reshape(-1, 3), axis=0)


def measure_image(image: np.ndarray, face: Face | None = None) -> LookMeasures:
    h, w = image.shape[:2]
    if face is None:
        faces = analyze(image, embed=False, subject_only=True)
        face = faces[0] if faces else None
    lab = _lab(image)
    corner = max(4, int(0.06 * w))
    top0, top1 = int(0.02 * h), int(0.02 * h) + corner
    corners = np.concatenate(
        [lab[top0:top1, :corner].reshape(-1, 3), lab[top0:top1, w - corner :].reshape(-1, 3)]
    )
    backdrop = tuple(float(v) for v in np.median(corners, axis=0))
    if face is None or face.mesh is None:
        return LookMeasures(backdrop_lab=backdrop)
    from ..studio.frame import head_geometry  # the same head model the framing uses

    m = face.mesh
    g = head_geometry(face)
    eye_y = g.center[1]
    chin = eye_y + g.chin
    crown = eye_y + g.crown
    r = 0.12 * face.inter_eye
    cheeks = np.array([_disc_mean(lab, m[i, :2], r) for i in _CHEEKS])
    skin = cheeks.mean(0)
    nab = sclera_ab(lab, m)
    return LookMeasures(
        eye_line=eye_y / h,
        head_ratio=(chin - crown) / h,
        face_exposure=float(skin[0]),
        skin_lab=tuple(float(v) for v in skin),
        backdrop_lab=backdrop,
        neutral_ab=nab,
    )


_EYES = (
    ((33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246), 468, (469, 470, 471, 472)),
    ((263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466), 473, (474, 475, 476, 477)),
)


def sclera_ab(lab: np.ndarray, mesh: np.ndarray, *, min_pixels: int = 30) -> tuple[float, float] | None:
    """Mean (a*, b*) of the whites of both eyes; None when the eyes are too small."""
    h, w = lab.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for contour, centre, ring in _EYES:
        cv2.fillPoly(mask, [mesh[list(contour), :2].round().astype(np.int32)], 1)
        r = float(np.linalg.norm(mesh[list(ring), :2] - mesh[centre, :2], axis=1).mean()) * 1.15
        cv2.circle(mask, tuple(int(v) for v in mesh[centre, :2].round()), int(np.ceil(r)), 0, -1)
    px = lab[mask > 0]
    if len(px) < min_pixels:
        return None
    bright = px[px[:, 0] >= np.percentile(px[:, 0], 60)]  # no lashes, lid shadow or veins
    return (float(bright[:, 1].mean()), float(bright[:, 2].mean()))


def delta_e(a, b) -> float:
    from skimage.color import deltaE_ciede2000

    return float(deltaE_ciede2000(np.array(a, np.float64), np.array(b, np.float64)))


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

    def wb(a, b):  # compare chroma only: the same grey card at L*=60
        return delta_e((60.0, *a), (60.0, *b))

    return {
        "eye_line_std": std("eye_line"),
        "head_ratio_std": std("head_ratio"),
        "face_exposure_std": std("face_exposure"),
        "backdrop_delta_e_max": _max_pair([m.backdrop_lab for m in measures], delta_e),
        "white_balance_delta_e_max": _max_pair([m.neutral_ab for m in measures], wb),
        "n": len(measures),
    }


#: Beyond these a person "breaks the team look".
TOLERANCE = {"eye_line": 0.02, "head_ratio": 0.04, "face_exposure": 8.0, "backdrop": 1.0, "white_balance": 3.0}


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

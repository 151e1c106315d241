"""Honest retouching: transient blemishes, shine and under-eye darkness; nothing else.

- *Transient blemishes* (small red or dark spots) are local outliers inside a skin mask
  built from the face mesh: black-hat of L* and top-hat of a* with a disc just larger
  than a blemish. A spot is healed only if it is small, round, darker or redder than
  skin on every side, and coloured (pigment or inflammation, not a shading pocket).
  Healing takes the low frequencies from the spot's border (inpainting) and clones
  the grain from a clean neighbouring patch, so the skin keeps its pores.
- *Stable features stay*: moles (larger than a blemish, or very dark), scars, wrinkles
  and hairs (elongated), freckles and stubble (many alike spots close together).
- *Shine*: highlights are compressed in L* and take the colour of the skin around
  them, in the low-frequency layer only, so texture is untouched.
- *Under-eye darkness* is lifted part of the way towards the same side's cheek.
- Never any geometry: no warps, no slimming, no reshaping.

Everything runs on a crop around the face; detection and the smooth corrections run on
a reduced view (inter-eye distance ``WORK_EYE`` px), the healing at full resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..color import to_float
from ..errors import FaceError, InputError, OptionError
from ..faces.masks import skin_masks
from ..types import Face
from .blemishes import find_blemishes, heal
from .ops import box_blur as _blur
from .ops import lab as _lab

#: Inter-eye distance (px) of the reduced view used for detection and smooth layers.
WORK_EYE = 110.0


@dataclass(frozen=True)
class RetouchSettings:
    """How much to retouch. ``strength`` 0 returns the input unchanged."""

    strength: float = 0.35  # 0–1; gentle by default
    blemishes: bool = True  # heal small transient spots
    shine: bool = True  # compress specular highlights
    under_eye: bool = True  # lift under-eye darkness part of the way

    def __post_init__(self) -> None:
        _check_strength(self.strength)


@dataclass(frozen=True)
class RetouchResult:
    image: np.ndarray  # uint8 H×W×3, same shape as the input
    blemishes: int  # spots healed
    kept: int  # candidate spots left alone (moles, scars, freckles, shading)
    shine_area: float  # share of skin whose highlights were compressed
    settings: RetouchSettings


def _check_strength(strength: float) -> None:
    try:
        ok = 0.0 <= float(strength) <= 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise OptionError(
            f"Retouch strength must be between 0 and 1, got {strength!r}.",
            hint="Use 0 for no retouching, 0.35 for the gentle default, 1 for the most.",
            strength=str(strength),
        )


def retouch(
    image: np.ndarray, face: Face, *, strength: float | None = None, settings: RetouchSettings | None = None
) -> np.ndarray:
    """Retouched copy of ``image`` (uint8 H×W×3 RGB); see :func:`retouch_result`."""
    return retouch_result(image, face, strength=strength, settings=settings).image


def retouch_result(
    image: np.ndarray, face: Face, *, strength: float | None = None, settings: RetouchSettings | None = None
) -> RetouchResult:
    """Retouch the skin of ``face`` (from ``likeness.faces.analyze(image)``).

    Give either ``strength`` (the other settings at their defaults) or ``settings``;
    neither: the gentle default. Both are refused rather than one silently ignored.
    """
    if settings is None:
        settings = RetouchSettings() if strength is None else RetouchSettings(strength=strength)
    elif strength is not None:
        raise OptionError(
            f"Two retouch strengths given ({strength!r} and settings.strength={settings.strength}).",
            hint="Pass the strength in RetouchSettings only.",
        )
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        raise InputError(
            "retouch needs an RGB uint8 H×W×3 image.",
            hint="Decode photos with likeness.imageio.load_photo().",
        )
    if face.mesh is None or len(face.mesh) < 478:
        raise FaceError(
            "retouch needs the face's 478-point mesh.",
            hint="Get the face from likeness.faces.analyze(image) on this same image.",
            faces=1,
        )
    s = settings.strength
    if s == 0 or not (settings.blemishes or settings.shine or settings.under_eye):
        return RetouchResult(image.copy(), 0, 0, 0.0, settings)

    h, w = image.shape[:2]
    mesh = np.asarray(face.mesh[:, :2], np.float64)
    lo, hi = mesh.min(0), mesh.max(0)
    pad = 0.08 * (hi - lo)
    x0, y0 = (int(max(0, math.floor(v))) for v in lo - pad)
    x1, y1 = int(min(w, math.ceil(hi[0] + pad[0]))), int(min(h, math.ceil(hi[1] + pad[1])))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return RetouchResult(image.copy(), 0, 0, 0.0, settings)
    eye = max(face.inter_eye, 1.0)
    ws = min(1.0, WORK_EYE / eye)
    wsize = (max(8, round((x1 - x0) * ws)), max(8, round((y1 - y0) * ws)))
    masks = skin_masks(face.mesh, (wsize[1], wsize[0]), origin=(x0, y0), scale=ws)
    out = image.copy()
    crop = out[y0:y1, x0:x1]  # a view: the heal and the corrections write through it

    healed, kept = 0, 0
    if settings.blemishes:
        # Tear troughs are shading (shape), handled by the under-eye lift, not healed.
        where = masks.skin * (1 - masks.under_eye)
        spots, kept = find_blemishes(_work(crop, wsize), where, eye * ws, s)
        healed = heal(crop, spots, masks.skin, s)
    shine_area = 0.0
    if settings.shine or settings.under_eye:
        delta, shine_area = _smooth_corrections(_work(crop, wsize), masks, eye * ws, settings)
        # The delta is smooth: upsampling it loses nothing, and adding it leaves the
        # grain of the skin exactly as it was.
        up = cv2.resize(delta * 255, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        crop[...] = np.clip(crop + up + 0.5, 0, 255).astype(np.uint8)
    return RetouchResult(out, healed, kept, shine_area, settings)


def _work(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The reduced float32 view of a uint8 crop."""
    small = crop if (crop.shape[1], crop.shape[0]) == size else cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return to_float(small)


def _smooth_corrections(work: np.ndarray, masks, eye: float, settings: RetouchSettings) -> tuple[np.ndarray, float]:
    """Low-frequency RGB delta (work scale) for shine and under-eye darkness."""
    s = settings.strength
    base = _blur(work, max(1.0, 0.02 * eye))
    lab = _lab(base)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    skin = masks.skin > 0
    if skin.sum() < 50:
        return np.zeros_like(work), 0.0
    soft = _blur(masks.shine, max(1.0, 0.03 * eye))
    chroma = np.hypot(a, b)
    c_ref = float(np.median(chroma[skin]))
    new = lab.copy()
    shine_area = 0.0
    if settings.shine:
        knee = float(np.percentile(L[skin], 80)) + 2.0
        excess = np.maximum(0.0, L - knee)
        # Speculars are whiter than skin: weight by how much chroma the highlight lost.
        pale = np.clip(1.5 - chroma / max(c_ref, 1e-3), 0.0, 1.0)
        amt = min(1.0, 1.0 * s) * pale * soft
        # Darkening a white highlight alone leaves a grey patch: its colour moves
        # towards the skin around it (a wide average that leaves the highlights out).
        hl = np.clip(excess / 8.0, 0.0, 1.0) * pale * soft
        w = (masks.shine * (1.0 - hl)).astype(np.float32)
        den = np.maximum(_blur(w, 0.12 * eye), 1e-4)
        for c in (1, 2):
            around = _blur(lab[..., c] * w, 0.12 * eye) / den
            new[..., c] += amt * hl * (around - lab[..., c])
        new[..., 0] -= amt * excess
        shine_area = float(((amt * excess) > 1.0)[skin].mean())
    if settings.under_eye and masks.under_eye.any():
        # Each eye against the cheek on its own side: light falling from one side is
        # not under-eye darkness. Lift part of the way, never more than a few L*.
        lift = np.zeros_like(L)
        for sd in (1, -1):
            half = masks.side == sd
            cheek = (masks.cheeks > 0) & half
            under = masks.under_eye * half
            if cheek.sum() < 10 or not under.any():
                continue
            ref = float(np.median(L[cheek]))
            lift += under * np.minimum(0.6 * s * np.maximum(0.0, ref - L), 12.0 * s)
        new[..., 0] += _blur(lift, max(1.0, 0.05 * eye))
    rgb_old = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    rgb_new = cv2.cvtColor(new, cv2.COLOR_Lab2RGB)
    return rgb_new - rgb_old, shine_area

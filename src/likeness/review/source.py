"""Which of the person's photos a candidate was made from, and what changed since.

Studio headshots and face-locked generations start from one of the person's own
photos. Against *that* photo the review can be strict: the light may have been
changed on purpose (white balance, exposure, grade), but the skin must have changed
*with* everything else, not on its own.

- **Match.** Each photo keeps a small canonical thumbnail (``THUMB`` px, 24 px between
  the eyes). A candidate made from a photo has the same fine structure (hair strands,
  wrinkles, collar) at the same place; two different photos of the same person do
  not. The score is the normalised cross-correlation of band-passed log-luminance
  over the head, after a Euclidean ECC alignment (absorbs mesh jitter). Measured on
  the eval set: different photos of one person ≤ 0.71, edits/crops/relights of the
  same photo ≥ 0.89 (``MATCH``).
- **Relative colour.** With both thumbnails aligned pixel for pixel, the global light
  change is read from *non-skin* person pixels near the skin's tone (hair, ears, neck,
  clothes, eyes): a per-channel gain in linear light (robust weighted median of the
  ratios, weighted to tones near the skin's). The source's cheek (iris) colour under
  that gain predicts the candidate's; what is left over (ΔE2000) is a change of the
  skin (iris) itself, not of the light.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..color import (
    LUMA_601,
    LUMA_709,
    lab_to_rgb,
    linear_to_srgb,
    rgb_to_lab,
    srgb_to_linear,
)

THUMB = 144
MATCH = 0.82
#: Unaligned correlation below which the (costly) alignment is not tried: on the eval
#: set no candidate below it was ever matched after alignment; 90 % of pairs of
#: different photos of one person lie below it.
PREFILTER = 0.3


def thumb_mask() -> np.ndarray:
    """The head ellipse of a thumbnail: where structure is compared."""
    yy, xx = np.mgrid[0:THUMB, 0:THUMB].astype(np.float32)
    cx, cy = 3.0 * THUMB / 6, 2.9 * THUMB / 6
    return (((xx - cx) / (1.7 * THUMB / 6)) ** 2 + ((yy - cy) / (2.1 * THUMB / 6)) ** 2) <= 1


_MASK = thumb_mask()


def structure(thumb: np.ndarray) -> np.ndarray:
    """Band-passed log-luminance of a uint8 thumbnail (float32)."""
    y = np.log(thumb.astype(np.float32) @ LUMA_601 / 255.0 + 0.02)
    return (cv2.GaussianBlur(y, (0, 0), 1.0) - cv2.GaussianBlur(y, (0, 0), 2.5)).astype(np.float32)


def align(src: np.ndarray, cand: np.ndarray) -> tuple[float, np.ndarray]:
    """(NCC after alignment, 2×3 warp with cand(W·x) ≈ src(x)) of two structure maps."""
    W = np.eye(2, 3, dtype=np.float32)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
    try:
        _, W = cv2.findTransformECC(src, cand, W, cv2.MOTION_EUCLIDEAN, crit, _MASK.astype(np.uint8), 1)
    except cv2.error:  # no convergence: structures unrelated; keep identity warp
        W = np.eye(2, 3, dtype=np.float32)
    warped = cv2.warpAffine(cand, W, (THUMB, THUMB), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    a, b = src[_MASK], warped[_MASK]
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-12)), W


def find_source(cand_structure: np.ndarray, ref_structures: list[np.ndarray | None]) -> tuple[int | None, float, np.ndarray | None]:
    """(index of the photo the candidate was made from or None, best score, warp)."""
    best, best_i, best_w = -1.0, None, None
    c = cand_structure[_MASK] - cand_structure[_MASK].mean()
    cn = float(np.sqrt((c * c).sum())) + 1e-12
    for i, s in enumerate(ref_structures):
        if s is None:
            continue
        r = s[_MASK] - s[_MASK].mean()
        raw = float((r * c).sum()) / (float(np.sqrt((r * r).sum())) * cn + 1e-12)
        if raw < PREFILTER:
            best = max(best, raw)
            continue
        score, W = align(s, cand_structure)
        if score > best:
            best, best_i, best_w = score, i, W
    if best < MATCH:
        return None, best, None
    return best_i, best, best_w


def _linear(rgb_u8: np.ndarray) -> np.ndarray:
    return srgb_to_linear(rgb_u8)


def _lab_of_linear(lin: np.ndarray) -> np.ndarray:
    return rgb_to_lab(linear_to_srgb(lin)).reshape(-1, 3)


def light_gain(
    src_thumb: np.ndarray,
    cand_thumb: np.ndarray,
    warp: np.ndarray,
    *,
    anchors: np.ndarray,
    skin_lab: tuple[float, float, float],
) -> np.ndarray | None:
    """Per-channel linear-light gain that takes the source's light to the candidate's,
    read from ``anchors`` (bool, source thumbnail px): None with too few of them."""
    cand = cv2.warpAffine(cand_thumb, warp, (THUMB, THUMB), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
    s, c = _linear(src_thumb)[anchors], _linear(cand)[anchors]
    ok = (s.min(1) > 0.004) & (c.min(1) > 0.004) & (s.max(1) < 0.97) & (c.max(1) < 0.97)  # not clipped
    s, c = s[ok], c[ok]
    if len(s) < 40:
        return None
    # Tone curves bend dark and bright tones differently: trust anchors near skin tone.
    skin_y = float(lab_to_linear(skin_lab) @ LUMA_709)
    w = np.exp(-0.5 * (np.log(np.maximum(s @ LUMA_709, 1e-4) / max(skin_y, 1e-4)) / 0.7) ** 2)
    return np.array([np.exp(_wmedian(np.log(c[:, k] / s[:, k]), w)) for k in range(3)], np.float32)


def lab_to_linear(lab) -> np.ndarray:
    return srgb_to_linear(lab_to_rgb(np.asarray(lab, np.float32).reshape(3)))


def relit(lab, gain: np.ndarray) -> tuple[float, float, float]:
    """A Lab colour under the source's light, moved to the candidate's light."""
    out = _lab_of_linear((lab_to_linear(lab) * gain)[None])[0]
    return (float(out[0]), float(out[1]), float(out[2]))


def _wmedian(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x)
    cw = np.cumsum(w[o])
    return float(x[o][np.searchsorted(cw, 0.5 * cw[-1])])

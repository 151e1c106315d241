"""The skin lock without a source photo: a lightness step along the face's skin outline.

Without the photo a candidate was made from, its skin can only be compared with the
person's other photos, and light alone moves their skin more than a 5–8 ΔE2000 edit
(pooled within-person sd of the cheeks' L* on the eval set 7.9). Everything a
picture's light does to the skin it also does to the skin *beside* the edited area,
so this compares the face skin with its untouched neighbours in the same picture:

- the **edge step**: for each 4×4 px block of the review's thumbnail (24 px between
  the eyes) that the face mesh's skin outline (:func:`likeness.faces.masks.skin_masks`:
  the oval less eyes, brows, lips, nostrils and nose tip) crosses, the median L* of
  skin-coloured pixels just inside the outline (≤ 1.5 px) minus that of skin-coloured
  person pixels just outside it (lids, nose tip, the ring around the lips, forehead
  above the mesh, neck, ears); "skin-coloured": within ``TOLERANCE`` a*b* of the
  cheeks. The picture's step is the median over the blocks (at least three). Light
  varies smoothly across one pixel; a skin-only edit does not.
- **judged against the person**: the step's centre is the median of the person's
  photos' steps plus one pseudo-photo at the pooled ``CENTRE`` (a lone enrolled photo
  does not set the centre alone); the candidate fails when its step lies further than
  ``LIMIT`` L* from it, either way (lighter or darker).

Calibrated on half a of the eval people (split by a crc32 of the name, as
``likeness.eval.defects``): ``CENTRE`` the median step of their whole photos (1.83);
``LIMIT`` 1.1 × the largest genuine deviation there (2.12: framed candidates against
their other photos). Tried and measured on the same protocol and not used (catch rate at
+8 ΔE with the genuine pass rate at half a's 97th percentile, all people):

- cheek L*, chroma, hue angle, ITA, each under the studio's white-balance estimate
  (:func:`likeness.studio.white_balance.estimate_light` read on the thumbnail) against
  the person's median: 0.14 / 0.08 / 0.09 / 0.03 (a white balance keeps a grey's
  luminance, and lightness is what the edit changes and what exposure changes most);
  cheek luminance over the picture's white level: 0.00;
- chroma over lightness (the skin locus): within-person sd 0.15 against a shift of
  0.07 at +8;
- cheek L* against the band 0.04–0.2 inter-eye distances outside the face oval
  (forehead, neck, ears), per sector: 0.20; blocks at 1–4 px from the outline: 0.31.

**What it catches, and what not.** The step is sharp only where the edit's edge lies
on the mesh's own skin outline: the eval's edit (:func:`likeness.eval.edits.
lighten_skin`) raises L* on exactly that mask. The same +8 ΔE lightening on the mask
grown by 0.1 inter-eye distances, or on the whole face oval with a soft edge, is
caught 0.018 and 0.047 of the time (``eval review``'s ``skin_curve_other_edges``): a
generator that lightens a face consistently, edge anywhere else, is not caught here.
Measured by ``likeness eval review`` (169 edited candidates, 177 genuine): +8 ΔE
caught 0.024 → 1.0 (half b 0.010 → 1.0), +5 0.006 → 0.781, −8 0.018 → 0.982, the
lock's genuine pass 1.0 → 1.0; the review's genuine pass rate unchanged (0.955).
Studio renders (default Look, two photos per person, 54) judged as if made without a
source: 1 over the limit (2.40; its photo reads 1.44), render minus photo median 0.0.
"""

from __future__ import annotations

import weakref

import cv2
import numpy as np

from ..faces.masks import skin_masks
from ..faces.regions import EYE_L, EYE_R, LIPS
from .source import THUMB

#: Pooled median step (L*) of half a's photos: one pseudo-photo in every person's centre.
CENTRE = 1.83
#: Largest distance (L*) of a candidate's step from the person's centre that passes.
LIMIT = 2.33
#: a*b* distance from the cheeks within which a pixel counts as skin-coloured.
TOLERANCE = 12.0
#: Thumbnail px on either side of the outline that are read (distance transform units).
BAND = 1.5
#: Block size (thumbnail px) and the pixels a block needs on each side of the outline.
BLOCK = 4
MIN_PX = 3
#: Blocks a picture needs to have a step at all.
MIN_BLOCKS = 3

# A person's photos are judged against every candidate (and, in ``eval review``, every
# impostor): their steps are kept for as long as their descriptors live.
_MEMO: dict[int, tuple[weakref.ref, float | None]] = {}


def edge_step(stats) -> float | None:
    """The edge step (L*, median over blocks) of a :class:`~.stats.PhotoStats`; None
    where the cheeks or fewer than ``MIN_BLOCKS`` blocks are visible."""
    key = id(stats)
    hit = _MEMO.get(key)
    if hit is not None and hit[0]() is stats:
        return hit[1]
    value = _step(stats.thumb, stats.pts, stats.person)
    _MEMO[key] = (weakref.ref(stats, lambda _, k=key: _MEMO.pop(k, None)), value)
    return value


def _step(thumb: np.ndarray, pts: np.ndarray, person: np.ndarray) -> float | None:
    lab = cv2.cvtColor(thumb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    m = skin_masks(np.c_[pts, np.zeros(len(pts))], (THUMB, THUMB))
    skin, cheeks = (m.skin > 0).astype(np.uint8), m.cheeks > 0
    if cheeks.sum() < 10:
        return None
    ab = np.median(lab[cheeks][:, 1:], axis=0)
    like = np.hypot(lab[..., 1] - ab[0], lab[..., 2] - ab[1]) < TOLERANCE
    # The eye openings and the lips are no skin even where their colour is close.
    feat = np.zeros((THUMB, THUMB), np.uint8)
    for idx in (EYE_R, EYE_L, LIPS):
        cv2.fillPoly(feat, [np.round(pts[idx] * 16).astype(np.int32)], 1, shift=4)
    inner = (skin > 0) & (cv2.distanceTransform(skin, cv2.DIST_L2, 3) <= BAND) & like
    outer = (skin == 0) & (cv2.distanceTransform(1 - skin, cv2.DIST_L2, 3) <= BAND) & like & person & (feat == 0)
    n = THUMB // BLOCK

    def per_block(mask):
        return mask[: n * BLOCK, : n * BLOCK].reshape(n, BLOCK, n, BLOCK).sum((1, 3))

    ok = (per_block(inner) >= MIN_PX) & (per_block(outer) >= MIN_PX)
    if ok.sum() < MIN_BLOCKS:
        return None

    def block_median(mask):  # per block, the median L* of the pixels in ``mask``
        L = np.where(mask, lab[..., 0], np.nan)[: n * BLOCK, : n * BLOCK]
        return np.nanmedian(L.reshape(n, BLOCK, n, BLOCK).transpose(0, 2, 1, 3)[ok].reshape(-1, BLOCK * BLOCK), axis=1)

    return float(np.median(block_median(inner) - block_median(outer)))


def edge_deviation(stats, photos) -> float | None:
    """The candidate's step minus the person's centre (their photos' steps and one
    pseudo-photo at ``CENTRE``); None where the candidate has no step."""
    own = edge_step(stats)
    if own is None:
        return None
    theirs = [v for v in (edge_step(p) for p in photos if not p.mono) if v is not None]
    return own - float(np.median(theirs + [CENTRE]))

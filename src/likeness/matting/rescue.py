"""Colour rescue: person the model missed next to its edge, found by its colour.

Where the segmentation model is unsure near its own edge, the photo's colours often
are not: a curl of hair the model gave 0.3 has the colour of the hair beside it, not
of the wall beside it. For each pixel near the model's edge we compare its colour
with the mean colour of the nearby sure person (model ≥ 0.9) and of the nearby sure
background (≤ 0.1), at two window sizes, and combine that with the model's own
answer, the distance to its edge and the height in the frame (hair is at the top; the
rescue should not reach into a bed cover beside a shoulder) in one logistic score.
The score can only raise the model's answer, never lower it: lowering was measured
too, and it moved the edge into the hair where the hair labels lie outside it.

The six weights were fitted (logistic regression) on half ``a`` of the eval portraits
(people split by ``likeness.eval.defects.half`` of the photo's name) and checked on
half ``b`` (``likeness eval matting``; mean IoU / p10 / hair recall, whole photos):

==========  =========================  =========================
half        without                    with
==========  =========================  =========================
a (fitted)  0.9730 / 0.9466 / 0.9706   0.9733 / 0.9499 / 0.9709
b (held)    0.9743 / 0.9505 / 0.9587   0.9742 / 0.9505 / 0.9610
all         0.9737 / 0.9467 / 0.9639   0.9738 / 0.9493 / 0.9654
==========  =========================  =========================

In the studio's frame (``framed.studio``) a: 0.9709 / 0.9453 / 0.9778 → 0.9710 /
0.9443 / 0.9779, b: 0.9703 / 0.9555 / 0.9540 → 0.9704 / 0.9554 / 0.9545, all:
0.9706 / 0.9480 / 0.9644 → 0.9707 / 0.9460 / 0.9648 (the p10 falls: portrait 00433
loses 0.003 in its frame). The score is computed at a quarter of the feed size:
1–3 ms (full size: the same figures to ±0.0002 at 10–25 ms).

Fitted on ``b`` instead the weights come out alike (height −0.9 instead of −1.8) and
half ``a`` gains the same way (0.9732 / 0.9490 / 0.9709). Letting the score also
lower the answer gave half ``b`` the same mean and a better p10 (0.9563) but hair
recall 0.9547; a small neural net in place of the logistic fitted half ``a`` better
(0.9784) and half ``b`` not at all.
"""

from __future__ import annotations

import cv2
import numpy as np

#: the model's answer counts as sure person / sure background above / below these.
SURE_PERSON, SURE_BACKGROUND = 0.9, 0.1
#: window half-sizes (px at the model's feed size, 512) of the local colour means.
RADII = (6, 16)
#: half-width (px at the feed size) of the ring about the model's edge that is looked at,
#: besides everything the model is unsure of (between ``UNSURE`` and 1 − ``UNSURE``).
RING = 6
UNSURE = 0.02
#: the score is computed at 1/SCALE of the feed size (its inputs are smooth).
SCALE = 4
#: logistic weights (fitted on half a): the model's logit, log colour-distance ratio
#: (person / background) at each radius, signed distance to the model's edge (/10 px,
#: clipped at ±2), height in the frame (0 top, 1 bottom); then the bias.
W_LOGIT, W_RATIO, W_EDGE, W_HEIGHT, BIAS = 0.304, (-0.087, -0.166), 0.316, -1.787, 0.281


def colour_rescue(small: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``prob`` (float32 h×w, the model's person probability for the RGB uint8 image
    ``small`` of the same size) raised where the colour says person near the edge."""
    if not (prob > SURE_PERSON).any() or not (prob < SURE_BACKGROUND).any():
        return prob  # nothing to compare a colour with
    decided = (prob >= 0.5).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    zone = ((prob > UNSURE) & (prob < 1 - UNSURE)) | ((cv2.dilate(decided, k) > 0) & (cv2.erode(decided, k) == 0))
    ys, xs = np.nonzero(zone)
    if len(ys) == 0:
        return prob
    h, w = prob.shape
    # Work on the zone's box and the windows about it (the colour means reach that far).
    m = max(RADII) + 1
    y0, y1, x0, x1 = max(0, ys.min() - m), min(h, ys.max() + 1 + m), max(0, xs.min() - m), min(w, xs.max() + 1 + m)
    q = _score(small[y0:y1, x0:x1], prob[y0:y1, x0:x1], top=y0, height=h)
    out = prob.copy()
    region = out[y0:y1, x0:x1]
    z = zone[y0:y1, x0:x1]
    region[z] = np.maximum(region[z], q[z])
    return out


def _score(small: np.ndarray, prob: np.ndarray, *, top: int, height: int) -> np.ndarray:
    """The logistic score's probability over a box (rows from ``top`` of a frame
    ``height`` high). It is computed at half size and brought back: the colour means
    are smooth anyway, and a quarter of the pixels keeps the step at a few ms."""
    bh, bw = prob.shape
    hw, hh = max(1, bw // SCALE), max(1, bh // SCALE)
    lab = cv2.cvtColor(cv2.resize(small, (hw, hh), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB).astype(np.float32)
    lab *= 1.0 / 255.0
    p = np.clip(cv2.resize(prob, (hw, hh), interpolation=cv2.INTER_AREA), 1e-4, 1 - 1e-4)
    d = (p >= 0.5).astype(np.uint8)
    signed = (cv2.distanceTransform(d, cv2.DIST_L2, 3) - cv2.distanceTransform(1 - d, cv2.DIST_L2, 3)) * (bh / hh)
    score = W_LOGIT * np.log(p / (1 - p)) + BIAS
    score += W_EDGE * np.clip(signed, -20, 20) / 10
    score += W_HEIGHT * ((np.arange(hh, dtype=np.float32) + 0.5) * (bh / hh) + top)[:, None] / height
    for weight, sign in ((p > SURE_PERSON, 1.0), (p < SURE_BACKGROUND, -1.0)):
        wgt = weight.astype(np.float32)
        stack = np.empty((hh, hw, 4), np.float32)  # colour·weight and weight: one filter
        np.multiply(lab, wgt[..., None], out=stack[..., :3])
        stack[..., 3] = wgt
        for r, wr in zip(RADII, W_RATIO):
            r_half = max(1, round(r * hh / bh))
            sums = cv2.boxFilter(stack, -1, (2 * r_half + 1, 2 * r_half + 1), borderType=cv2.BORDER_REFLECT)
            diff = lab - sums[..., :3] / (sums[..., 3:] + 1e-4)
            # log distance to the person's colour minus the one to the background's
            score += (sign * wr) * np.log(np.einsum("ijk,ijk->ij", diff, diff) + 1e-4)
    q = 1.0 / (1.0 + np.exp(-score))
    return cv2.resize(q.astype(np.float32), (bw, bh), interpolation=cv2.INTER_LINEAR)

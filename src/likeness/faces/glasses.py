"""Spectacles: the one glasses measure, read by intake (a note) and by the review's
glasses lock.

A spectacle frame crosses the nose bridge (mesh 168 → 6) and runs under each eye as a
thin line; averaging the luma *along* the line keeps it while skin texture, pores and
noise average away. The value is the largest deviation of such a row profile from its
smoothed self, over the skin luma (0 = no line).

Measured against labels on ../shared/eval/identities (177 faces, 26 with glasses, 4
people; :data:`ON` / :data:`OFF` fitted on one half of the people, tested on the
other, in the review's ``HEAD`` view): AUC 0.966; with ON 0.21 and OFF 0.12, on the
unseen half one false "worn" of 77 and one false "none" of 100 faces, 15 % undecided.
The review's former bridge-edge score had AUC 0.91 and four false "none" on one
person; the two measures disagreed on 25 faces.
"""

from __future__ import annotations

import cv2
import numpy as np

from .regions import EYE_L, EYE_R
from .view import FaceView

#: Scores at or above: glasses worn; at or below OFF: none; between: undecided.
ON = 0.21
OFF = 0.12


def glasses(v: FaceView) -> float:
    """Strength of a straight horizontal line (a frame) on the nose bridge or under
    the eyes, over the skin luma (see the module)."""
    skin = float(np.median(v.luma[v.skin])) if v.skin.any() else 0.5
    ied = v.ied
    h, w = v.luma.shape
    regions = []
    c = v.pts[168]
    top = v.pts[[9, 107, 336], 1].mean()
    regions.append((c[0] - 0.12 * ied, c[0] + 0.12 * ied, top - 0.05 * ied, v.pts[6, 1] + 0.05 * ied))
    for eye in (EYE_R, EYE_L):
        e = v.pts[eye]
        x0, x1 = e[:, 0].min() + 0.1 * ied, e[:, 0].max() - 0.1 * ied
        y0 = e[:, 1].max() + 0.12 * ied
        regions.append((x0, x1, y0, y0 + 0.55 * ied))
    best = 0.0
    sigma = max(1.0, 0.06 * ied)
    for x0, x1, y0, y1 in regions:
        x0, x1 = int(max(0, round(x0))), int(min(w, round(x1)))
        y0, y1 = int(max(0, round(y0))), int(min(h, round(y1)))
        if x1 - x0 < 3 or y1 - y0 < 5:
            continue
        prof = v.luma[y0:y1, x0:x1].mean(1)
        smooth = cv2.GaussianBlur(prof.reshape(-1, 1).astype(np.float32), (1, 0), sigma, borderType=cv2.BORDER_REPLICATE).ravel()
        dev = np.abs(prof - smooth)[1:-1]
        if dev.size:
            best = max(best, float(dev.max()) / max(skin, 0.1))
    return best

"""The review's ``occlusion`` check (one of :data:`likeness.review.defects.DEFECTS`): the
lips must show as lips. ΔE2000 of the lips to the cheeks, and their redness against
the cheeks' (a hand, a microphone over the mouth has neither); where they do not, the
mouth must also be smooth (:func:`mouth_detail`): pale lips, a moustache or a broad
smile still show the lips' lines."""

from __future__ import annotations

import cv2
import numpy as np

from ..color import delta_e, rgb_to_lab
from ..faces import regions as R
from .result import Check, ReviewSettings
from .scene import Scene

#: Chroma (C*ab) below which the mouth and cheeks are read as black and white.
MONO_CHROMA = 4.0


def occlusion(sc: Scene, s: ReviewSettings) -> Check:
    img = sc.source if sc.source is not None else sc.image
    k = 1.0 / sc.k if sc.source is not None else 1.0
    m = None if sc.face.mesh is None else sc.face.mesh[:, :2] * k
    if m is None or sc.face.inter_eye * k < 12:
        return Check(True, None, s.occlusion, note="not measured: no face mesh")
    # The mouth and cheeks' crop of the full-size candidate: lips need their pixels.
    pts = m[R.LIPS + R.CHEEK_R + R.CHEEK_L]
    x0, y0 = np.floor(pts.min(0)).astype(int) - 2
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 3
    x0, y0 = max(0, x0), max(0, y0)
    crop = img[y0:y1, x0:x1]
    if crop.size == 0:
        return Check(True, None, s.occlusion, note="not measured: the mouth is outside the picture")
    lab = rgb_to_lab(crop)
    h, w = crop.shape[:2]
    mm = m - np.array([x0, y0])

    def mask(idx):
        out = np.zeros((h, w), np.uint8)
        cv2.fillPoly(out, [np.round(mm[idx]).astype(np.int32)], 1)
        return out > 0

    lips = mask(R.LIPS) & ~mask(R.LIPS_IN)
    cheeks = mask(R.CHEEK_R) | mask(R.CHEEK_L)
    if lips.sum() < 8 or cheeks.sum() < 8:
        return Check(True, None, s.occlusion, note="not measured: too few pixels")
    ck = np.median(lab[cheeks], axis=0)
    # The lips as a whole (one side alone is too few pixels on a small face).
    lp = np.median(lab[lips], axis=0)
    if max(float(np.hypot(*ck[1:])), float(np.hypot(*lp[1:]))) < MONO_CHROMA:
        # Black and white: lips and cheeks differ in lightness alone, which a hand
        # does too (the astronaut's classic-mono square read "covered").
        return Check(True, None, s.occlusion, note="not measured: black and white")
    de = float(delta_e(lp, ck))
    # Redder than the cheeks by at least a little: lips; else judged on ΔE alone.
    worst = de if float(lp[1] - ck[1]) > -s.occlusion_red else 0.0
    if not np.isfinite(worst):
        return Check(True, None, s.occlusion, note="not measured: too few pixels")
    if worst >= s.occlusion:
        return Check(True, round(worst, 2), s.occlusion)
    # Lips close to the cheeks' colour (pale lips, a moustache): covered only where the
    # mouth is smooth too, without the lips' lines, teeth and shading.
    detail = mouth_detail(lab[..., 0], mm, cheeks)
    if detail >= s.occlusion_detail:
        return Check(True, round(worst, 2), s.occlusion,
                     note=f"lips close to the cheeks' colour, but the mouth shows its lines ({detail:.2f} of the "
                          f"cheeks' detail, covered below {s.occlusion_detail})")
    return Check(False, round(worst, 2), s.occlusion, "Something covers the mouth (a hand or an object).",
                 note=f"the mouth as smooth as a cover ({detail:.2f} of the cheeks' detail)")


def mouth_detail(L: np.ndarray, mesh: np.ndarray, cheeks: np.ndarray) -> float:
    """Mean L* gradient over the mouth (the lips' outline grown by 8 % of the mouth's
    width) over the cheeks' mean: a lip line, teeth and the lips' shading give a
    mouth 0.80-10.4 times the cheeks' detail (79 renders: 24 of the eval's photos, 55
    matting portraits); a hand-coloured cover is smooth (0.01-0.08 over 24 injected)."""
    h, w = L.shape
    outer = np.zeros((h, w), np.uint8)
    cv2.fillPoly(outer, [np.round(mesh[R.LIPS]).astype(np.int32)], 1)
    k = max(1, round(0.08 * float(np.linalg.norm(mesh[61] - mesh[291]))))
    mouth = cv2.dilate(outer, np.ones((2 * k + 1, 2 * k + 1), np.uint8)) > 0
    g = cv2.magnitude(cv2.Sobel(L, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(L, cv2.CV_32F, 0, 1, ksize=3))
    return float(np.mean(g[mouth])) / max(float(np.mean(g[cheeks])), 1e-3)

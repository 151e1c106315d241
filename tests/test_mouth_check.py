"""The review's occlusion check (:mod:`likeness.review.mouth_check`) on the astronaut.
Its catches and clean passes on rendered headshots are in ``test_defects.py``."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from likeness.review import ReviewSettings
from likeness.review.mouth_check import mouth_detail, occlusion
from likeness.review.scene import scene


def test_a_black_and_white_mouth_is_not_read_as_covered():
    """Lips and cheeks differ in lightness alone in black and white, which a hand over
    the mouth does too: the occlusion check does not judge it (it refused the
    astronaut's classic-mono square)."""
    from likeness.faces.subject import find_faces, pick_subject

    img = data.astronaut()
    grey = np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    colour = occlusion(scene(img, face), ReviewSettings())
    mono = occlusion(scene(grey, face), ReviewSettings())
    assert colour.passed and colour.value is not None  # measured on the colour photo
    assert mono.passed and mono.value is None  # not measured in black and white


def test_a_smooth_cover_reads_far_less_detail_than_the_lips():
    """A hand-coloured patch over the mouth has none of the lips' lines: its detail over
    the cheeks' is a small fraction of the uncovered mouth's."""
    from likeness.faces import regions as R
    from likeness.faces.subject import find_faces, pick_subject

    img = data.astronaut()
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    m = face.mesh[:, :2]
    L = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)[..., 0].astype(np.float32)
    cheeks = np.zeros(L.shape, np.uint8)
    for idx in (R.CHEEK_R, R.CHEEK_L):
        cv2.fillPoly(cheeks, [np.round(m[idx]).astype(np.int32)], 1)
    cheeks = cheeks > 0
    bare = mouth_detail(L, m, cheeks)
    covered = L.copy()
    x0, y0 = np.floor(m[R.LIPS].min(0)).astype(int) - 8
    x1, y1 = np.ceil(m[R.LIPS].max(0)).astype(int) + 8
    covered[y0:y1, x0:x1] = float(np.median(L[cheeks]))
    assert bare > 0.8 and mouth_detail(covered, m, cheeks) < 0.1 * bare

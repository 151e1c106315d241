"""The review's ``hand`` check (``likeness.review.hand_check.hand``) and the hand models
behind it (``likeness.faces.hands``), on real photos of the shared eval set framed as
the studio frames them: a hand at the chin fails, a wrinkled chin the palm detector
alone takes for a palm passes."""

from __future__ import annotations

import numpy as np
import pytest
from shared_eval import need

from likeness.review import CHECKS, ReviewSettings
from likeness.review import defects as D


def _framed(path):
    """The photo cut to the studio's headshot framing, prepared as the review reads it."""
    from likeness.eval.review_data import headshot_crop
    from likeness.faces.analysis import analyze
    from likeness.imageio import load_photo
    from likeness.review.scene import scene
    from likeness.types import Face

    im = load_photo(path).image
    f = analyze(im, embed=False, subject_only=True)[0]
    x0, y0, x1, y1 = headshot_crop(f, (im.shape[1], im.shape[0])).box
    b = f.box
    face = Face(box=(b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0), score=f.score,
                mesh=f.mesh - np.array([x0, y0, 0], np.float32))
    return scene(np.ascontiguousarray(im[y0:y1, x0:x1]), face)


@pytest.mark.parametrize("photo", [
    ("photos", "single", "face_recognition__lin-manuel-miranda.png"),  # fist and microphone at the chin
    ("portraits", "images", "01148.jpg"),  # hand on the chin, fingers up the cheek
])
def test_a_hand_at_the_chin_fails_the_hand_check(photo):
    c = D.hand(_framed(need(*photo)), ReviewSettings())
    assert not c.passed and c.reason
    assert isinstance(c.value, float) and c.value >= ReviewSettings().hand == c.threshold


def test_a_chin_the_palm_detector_takes_for_a_palm_passes():
    from likeness.faces import hands

    sc = _framed(need("identities", "lfw__ariel_sharon", "07.jpg"))
    # The palm detector alone finds a "palm" in his mouth and chin...
    assert max(s for _, s, _ in hands.palms(sc.image)) >= hands.MIN_PALM
    # ...which the landmark models do not hold as a hand.
    c = D.hand(sc, ReviewSettings())
    assert c.passed and c.value is not None and c.value < ReviewSettings().hand


def test_hand_presence_is_high_on_a_hand_and_low_on_a_face():
    from likeness.faces import hands

    sc = _framed(need("portraits", "images", "01148.jpg"))
    found = hands.palms(sc.image)
    assert found, "no palm found on a hand at the chin"
    box, palm, kps = found[0]
    real = hands.hand(sc.image, box, kps, palm=palm)
    assert real.score > 0.9 and real.points.shape[1:] == (21, 2) and len(real.scores) == 2
    # The same palm rectangle moved onto the eyes and nose: no hand there.
    x0, y0, x1, y1 = sc.face.box
    shift = np.array([(x0 + x1) / 2, y0 + 0.45 * (y1 - y0)], np.float32) - (box[:2] + box[2:]) / 2
    fake = hands.hand(sc.image, box + np.tile(shift, 2), kps + shift, palm=palm)
    assert fake.score < 0.3


def test_the_hand_check_is_a_review_check_and_can_be_skipped():
    assert "hand" in CHECKS and "hand" in D.DEFECTS
    assert ReviewSettings(skip=("hand",)).skip == ("hand",)

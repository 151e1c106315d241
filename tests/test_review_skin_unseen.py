"""The skin-tone lock without a source photo: skin compared under a common light."""

from __future__ import annotations

import numpy as np
import pytest

from likeness.review import ReviewSettings
from likeness.review.locks import (
    UNSEEN_FEATURES,
    skin_features,
    skin_tone,
    unseen_score,
)
from likeness.review.result import Candidate


@pytest.fixture(scope="module")
def astro():
    from skimage import data

    from likeness.review import describe, subject_face

    img = np.ascontiguousarray(data.astronaut())
    face = subject_face(img, None)
    return img, face, describe(img, face)


def _described(img, face):
    from likeness.review import describe

    return describe(img, face)


def test_features_move_the_way_a_lightening_moves_them(astro):
    from likeness.eval.edits import lighten_skin

    img, face, st = astro
    f0 = skin_features(st)
    assert f0.shape == (len(UNSEEN_FEATURES),) and np.isfinite(f0).all()
    up = skin_features(_described(lighten_skin(img, face, delta_e=8.0)[0], face))
    down = skin_features(_described(lighten_skin(img, face, delta_e=8.0, darker=True)[0], face))
    assert up[0] < f0[0] < down[0]  # paler toward grey when lightened at the same a*b*
    assert down[2] < f0[2] < up[2] and down[3] < f0[3] < up[3]  # brighter than lips and eye whites


def test_exposure_leaves_the_features_nearly_alone(astro):
    from likeness.eval.edits import lighten_skin, relight

    img, face, st = astro
    f0 = skin_features(st)
    brighter = skin_features(_described(relight(img, "exposure", face=face), face))
    lighter = skin_features(_described(lighten_skin(img, face, delta_e=5.0)[0], face))
    assert np.abs(brighter - f0).max() < 0.5 * np.abs(lighter - f0).max()


def test_darker_edit_reaches_the_asked_delta_e(astro):
    from likeness.eval.edits import lighten_skin

    img, face, _ = astro
    out, de = lighten_skin(img, face, delta_e=8.0, darker=True)
    assert abs(de - 8.0) < 0.1
    assert out.mean() < img.mean()


def test_score_sign_and_the_lock_without_a_source(astro):
    """Against photos of one light (the astronaut and five harmless changes of it), a
    16 ΔE lightening or darkening fails the lock without a source photo (the nearest
    ΔE alone passed both: it cannot tell them from a change of light); each of the
    photos passes against the others."""
    from likeness.eval.edits import BENIGN, lighten_skin, relight
    from likeness.review import enroll_stats

    img, face, st = astro
    photos = [st] + [_described(relight(img, k, face=face), face) for k in BENIGN]
    s = ReviewSettings()
    for p in photos:
        rest = [q for q in photos if q is not p]
        assert abs(unseen_score(p, rest)) < 1.0
        assert skin_tone(Candidate(face, [face], p, (512, 512)), enroll_stats(rest), s).passed
    ref = enroll_stats(photos)
    for darker in (False, True):
        x = _described(lighten_skin(img, face, delta_e=16.0, darker=darker)[0], face)
        ch = skin_tone(Candidate(face, [face], x, (512, 512)), ref, s)
        assert not ch.passed and ch.reason, darker
        assert (ch.value < -s.skin_unseen) if darker else (ch.value > s.skin_unseen)
        loose = skin_tone(Candidate(face, [face], x, (512, 512)), ref, ReviewSettings(skin_unseen=1e9))
        assert loose.passed  # the nearest-ΔE test alone (the old lock) lets it through
    assert unseen_score(photos[1], photos[:2]) is None  # two photos: too few to judge the spread by


def test_setting_is_validated():
    from likeness.errors import OptionError

    with pytest.raises(OptionError):
        ReviewSettings(skin_unseen=0)

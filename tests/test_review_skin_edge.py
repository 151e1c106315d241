"""The skin lock without a source photo (review.skin_edge): a skin-only lightening is
caught against the person's other photos; light and the untouched photo are not."""

from __future__ import annotations

import numpy as np
import pytest

from shared_eval import need


@pytest.fixture(scope="module")
def astro():
    from skimage import data

    from likeness.review import describe, subject_face

    img = np.ascontiguousarray(data.astronaut())
    face = subject_face(img, None)
    assert face is not None
    return img, face, describe(img, face)


def _lock(stats, face, size, ref):
    """The skin lock as it judges an image made without a source photo."""
    from likeness.review import ReviewSettings
    from likeness.review.locks import skin_tone
    from likeness.review.result import Candidate

    return skin_tone(Candidate(face, [face], stats, size), ref, ReviewSettings())


def test_light_moves_the_edge_step_little_and_a_skin_edit_a_lot(astro):
    from likeness.eval.edits import lighten_skin, relight
    from likeness.review import describe
    from likeness.review.skin_edge import LIMIT, edge_step

    img, face, stats = astro
    base = edge_step(stats)
    assert isinstance(base, float)
    for kind in ("exposure", "white_balance"):  # the whole picture's light: the step stays
        assert abs(edge_step(describe(relight(img, kind), face)) - base) < LIMIT / 2, kind
    light, _ = lighten_skin(img, face, delta_e=8.0)
    dark, _ = lighten_skin(img, face, delta_e=8.0, darker=True)
    assert edge_step(describe(light, face)) - base > LIMIT
    assert base - edge_step(describe(dark, face)) > LIMIT


def test_a_lightened_astronaut_fails_without_its_source(astro):
    """One enrolled photo, the candidate judged as if made without a source photo: the
    colour distance alone (ΔE ~5 at kL=2, limit 12) let an 8 ΔE lightening through."""
    from likeness.eval.edits import lighten_skin
    from likeness.review import describe, enroll_stats

    img, face, stats = astro
    ref = enroll_stats([stats])
    size = (img.shape[1], img.shape[0])
    same = _lock(describe(img, face), face, size, ref)
    assert same.passed, same.reason
    out, de = lighten_skin(img, face, delta_e=8.0)
    assert abs(de - 8.0) < 0.2
    lit = _lock(describe(out, face), face, size, ref)
    assert not lit.passed and lit.value > lit.threshold
    dark = _lock(describe(lighten_skin(img, face, delta_e=8.0, darker=True)[0], face), face, size, ref)
    assert not dark.passed and dark.value < -dark.threshold


def test_an_eval_photo_lightened_by_8_is_refused_against_the_persons_other_photos():
    """The whole review, faces found again on the edited picture: no source photo among
    the enrolled ones, the skin lock fails; the untouched photo passes."""
    need("identities", "deepface__matt_damon")
    from likeness.eval.edits import lighten_skin
    from likeness.imageio import load_photo
    from likeness.review import enroll, review, subject_face

    ids = need("identities")

    def load(i):
        return load_photo(ids / "deepface__matt_damon" / f"0{i}.jpg", max_side=1024).image

    ref = enroll([load(i) for i in (2, 3, 4, 5)])
    img = load(1)
    same = review(img, ref)
    assert same.passed, same.reasons
    assert same.source is None and same.checks["skin_tone"].passed
    out, _ = lighten_skin(img, subject_face(img, None), delta_e=8.0)
    r = review(out, ref)
    assert r.source is None
    assert not r.checks["skin_tone"].passed and r.checks["skin_tone"].value > r.checks["skin_tone"].threshold
    assert r.checks["likeness"].passed  # the same person: only the skin lock fails

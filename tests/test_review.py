"""Review gates on real photos: the person passes, other people and known failures do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likeness.errors import InputError, OptionError
from likeness.faces.identity import THRESHOLD_FAR_1E3

from shared_eval import EVAL  # noqa: E402
IDS = EVAL / "identities"


@pytest.fixture(scope="module")
def astro():
    """The astronaut photo, its subject face and its enrolment."""
    from skimage import data

    from likeness.review import enroll, subject_face

    img = np.ascontiguousarray(data.astronaut())
    face = subject_face(img, None)
    assert face is not None and face.inter_eye > 40
    return img, face, enroll([img])


def _load(rel: str) -> np.ndarray:
    from likeness.imageio import load_photo

    p = IDS / rel
    if not p.exists():
        pytest.skip(f"eval photo {rel} not present")
    return load_photo(p, max_side=1024).image


def test_genuine_passes_and_impostor_fails():
    from likeness.review import enroll, review

    ref = enroll([_load(f"deepface__matt_damon/0{i}.jpg") for i in (2, 3, 4, 5)])
    same = review(_load("deepface__matt_damon/01.jpg"), ref)
    assert same.passed, same.reasons
    # Bounds in units of the identity model's FAR-1e-3 distance (the scale is the model's).
    assert same.identity_distance < 0.8 * THRESHOLD_FAR_1E3 and same.likeness >= 70  # 70 = the gate
    other = review(_load("deepface__jack_dorsey/01.jpg"), ref)
    assert not other.passed
    assert not other.checks["likeness"].passed and other.identity_distance > 1.05 * THRESHOLD_FAR_1E3
    assert other.likeness < 40


def test_the_photo_itself_and_its_mirror_image_pass(astro):
    from likeness.review import review

    img, _, ref = astro
    r = review(img, ref)
    assert r.passed, r.reasons
    assert r.source == 0 and r.checks["skin_tone"].value < 1.0  # judged against its own source
    m = review(np.ascontiguousarray(img[:, ::-1]), ref)
    assert m.passed, m.reasons
    assert m.identity_distance < 0.4 * THRESHOLD_FAR_1E3


def test_lightened_skin_fails_the_skin_lock(astro):
    from likeness.review import review
    from likeness.eval.edits import lighten_skin

    img, face, ref = astro
    out, de = lighten_skin(img, face, delta_e=5.0)
    assert abs(de - 5.0) < 0.1
    r = review(out, ref)
    assert not r.passed
    assert not r.checks["skin_tone"].passed and r.checks["skin_tone"].value > 3.0
    assert r.checks["likeness"].passed  # still the same person: only the skin lock fails


def test_plastic_skin_fails_the_texture_check(astro):
    from likeness.review import review
    from likeness.eval.edits import plastic_skin

    img, face, ref = astro
    r = review(plastic_skin(img, face), ref)
    assert not r.checks["texture"].passed
    assert r.checks["texture"].value < 0.5
    assert any("plastic" in s for s in r.reasons)


def test_a_second_face_fails_the_artifact_check(astro):
    from likeness.review import review
    from likeness.eval.edits import add_face

    img, face, ref = astro
    r = review(add_face(img, face, img, face, seed=1), ref)
    assert not r.checks["one_face"].passed
    assert r.checks["one_face"].value >= 0.5
    assert "second face" in " ".join(r.reasons)


@pytest.mark.parametrize("threads", [2, 1])
def test_a_face_only_the_tiled_search_finds_reaches_the_checks(astro, monkeypatch, threads):
    """The tiled search for more faces runs beside the scene where the process allows
    two threads (taken back if the worker has not begun it), inline where it allows
    one: either way it runs once and its faces reach the checks."""
    import threading

    import cv2

    from likeness.review import artifacts, review
    from likeness.types import Face

    img, face, ref = astro
    ran: list[str] = []

    def tiled(image, faces, **_kw):
        ran.append(threading.current_thread().name)
        assert faces[0] is not None and faces[0].mesh is not None  # the subject, first
        return [Face(box=(4.0, 4.0, 4.0 + 0.8 * face.width, 4.0 + 0.8 * face.height), score=0.9)]

    monkeypatch.setattr(artifacts, "more_faces", tiled)
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        r = review(img, ref)
    finally:
        cv2.setNumThreads(before)
    assert len(ran) == 1
    if threads == 1:
        assert ran[0] == threading.current_thread().name
    assert not r.checks["one_face"].passed and r.checks["one_face"].value == pytest.approx(0.8, abs=0.01)
    assert r.checks["likeness"].passed


def test_reasons_are_plain_sentences(astro):
    from likeness.review import ReviewSettings, review
    from likeness.eval.edits import plastic_skin

    img, face, ref = astro
    # Unreachable settings make several gates fail at once, each with its sentence.
    strict = ReviewSettings(identity_threshold=0.01, texture_source=0.99, skin_source=0.01)
    r = review(plastic_skin(img, face), ref, settings=strict, glasses=True)
    assert not r.passed and len(r.reasons) >= 3
    for s in r.reasons:
        assert s[0].isupper() and s.endswith("."), s
        assert "_" not in s and "None" not in s and "nan" not in s, s
    assert r.to_dict()["checks"]["likeness"]["passed"] is False


def test_framing_is_judged_against_the_look(astro):
    from likeness.review import review

    img, _, ref = astro
    r = review(img, ref, look="headshot")
    assert not r.checks["framing"].passed  # a 1:1 snapshot is not a 4:5 headshot
    assert "framing" in r.checks["framing"].reason


def test_framing_is_judged_against_the_studios_plan_when_it_framed_tighter():
    """A photo with too little body: the studio frames it tighter than the Look and
    records the plan; its headshot passes against that plan, not against the ideal."""
    from dataclasses import replace

    from likeness.looks import load_look
    from likeness.review import enroll, review, subject_face
    from likeness.studio.pipeline import render
    from likeness.types import Headshot

    img = _load("deepface__matt_damon/02.jpg")
    ref = enroll([img, *(_load(f"deepface__matt_damon/0{i}.jpg") for i in (3, 4, 5))])
    look = load_look("corporate-grey")
    r = render(img, subject_face(img, None), look=look)
    assert r.plan.head_share > 0.5 * 1.2 + 0.05  # tighter than the Look's tolerance allows
    assert any("tighter" in n for n in r.notes)
    ideal = review(r.image, ref, look=look)
    assert not ideal.checks["framing"].passed and "too large" in ideal.checks["framing"].reason
    planned = review(r.image, ref, look=look, plan=r.plan)
    assert planned.passed, planned.reasons
    assert planned.checks["framing"].threshold == round(r.plan.eye_share, 3)
    assert "planned by the studio" in planned.checks["framing"].note
    # The plan as the studio records it with the headshot judges the same.
    hs = Headshot(path=Path("x.jpg"), source="02.jpg", look="corporate-grey", frame=r.settings["frame"],
                  width=r.image.shape[1], height=r.image.shape[0], measures=dict(r.measures))
    assert review(r.image, ref, plan=hs).checks["framing"].passed
    # A plan the image does not follow fails: it is a real check.
    wider = replace(r.plan, height=r.plan.height * 1.6)
    off = review(r.image, ref, plan=wider)
    assert not off.checks["framing"].passed and "too large" in off.checks["framing"].reason
    with pytest.raises(InputError):  # a plan for another framing than the Look's
        review(r.image, ref, look="actor-8x10", plan=r.plan)
    with pytest.raises(InputError):  # a headshot that recorded no plan
        review(r.image, ref, plan=replace(hs, measures={}))


def test_bad_inputs_raise_clear_errors(astro):
    from likeness.review import ReviewSettings, enroll, review

    img, _, ref = astro
    with pytest.raises(InputError):
        review(img.astype(np.float32), ref)
    with pytest.raises(InputError):
        enroll([])
    with pytest.raises(OptionError):
        ReviewSettings(skip=("nonsense",))
    with pytest.raises(InputError):
        review(img, "not a reference")
    with pytest.raises(InputError):
        review(img, ref, source=ref.n)  # one past the enrolled photos


def test_a_source_the_caller_knows_is_used_without_a_search(astro):
    """The studio knows the photo it rendered from: the review judges against it even
    where the search among the photos does not find it (here a softened copy, whose
    structure still matches), but not where the two cannot be compared pixel for pixel
    (her mirror image)."""
    import cv2

    from likeness.review import review

    img, _, ref = astro
    soft = cv2.GaussianBlur(img, (0, 0), 3.0)
    assert review(soft, ref).source is None
    told = review(soft, ref, source=0)
    assert told.source == 0 and told.checks["skin_tone"].note == "against the photo it was made from"
    assert told.checks["skin_tone"].passed
    assert review(np.ascontiguousarray(img[:, ::-1]), ref, source=0).source is None


def test_eval_review_on_a_tiny_subset_returns_the_keys():
    if not IDS.is_dir():
        pytest.skip("eval set not present")
    from likeness.eval.review import TARGETS, run

    res = run(EVAL, people=2, per_person=2)
    for key in (*TARGETS, "genuine_pass_rate_reviewable", "per_check_false_reject", "per_source",
                "too_small", "benign_pass_rate", "identity", "skin_shift_caught_unseen",
                "genuine_pass_rate_uncropped", "impostor_pass_rate_uncropped", "other_faces_cut_by_the_frame"):
        assert key in res, key
    assert res["photos"] == 4 and res["impostor_comparisons"] == 4
    assert 0.0 <= res["genuine_pass_rate"] <= 1.0
    assert res["impostor_pass_rate"] == 0.0 and res["impostor_pass_rate_uncropped"] == 0.0
    assert res["framing"]["framed"] == 4 and 0.0 < res["framing"]["area_share_median"] <= 1.0


def test_a_change_of_light_alone_passes(astro):
    from likeness.review import review
    from likeness.eval.edits import relight

    img, face, ref = astro
    for kind in ("exposure", "white_balance"):
        r = review(relight(img, kind, face=face), ref)
        assert r.passed, (kind, r.reasons)
        assert r.source == 0 and r.checks["skin_tone"].value < 2.0


def test_hands_in_the_hair_do_not_change_the_hair_colour(astro):
    """Skin-coloured pixels over 40 % of the hair region (hands on the head) are left
    out of the hair reading; before, the median moved with them."""
    from likeness.review import attributes
    from likeness.color import delta_e
    from likeness.faces.view import face_view

    img, face, _ = astro
    v = face_view(img, face)
    person = np.ones(v.shape, np.float32)
    clean, _ = attributes.hair_lab(v, person)
    region = np.argwhere(attributes.hair_region(v))
    covered = region[np.random.default_rng(0).random(len(region)) < 0.4]
    skin_rgb = np.median(v.rgb[v.cheeks], axis=0)
    hands = face_view(img, face)
    hands.rgb[covered[:, 0], covered[:, 1]] = skin_rgb
    read, _ = attributes.hair_lab(hands, person)
    everything = attributes._median(hands.lab[attributes.hair_region(hands)])
    assert delta_e(everything, clean) > 6, "the painted hands should move a plain median"
    assert delta_e(read, clean) < 2.5, (read, clean)

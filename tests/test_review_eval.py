"""The review eval's candidates: real photos cut to the studio's headshot framing."""

from __future__ import annotations


import numpy as np
import pytest

from shared_eval import EVAL  # noqa: E402


def _load(rel: str) -> np.ndarray:
    from likeness.imageio import load_photo

    p = EVAL / rel
    if not p.exists():
        pytest.skip(f"eval photo {rel} not present")
    return load_photo(p, max_side=1024).image


def test_the_headshot_crop_leaves_the_bystanders_of_a_group_photo_out():
    from likeness.eval.review_data import headshot_crop
    from likeness.looks import load_look
    from likeness.review import ReviewSettings
    from likeness.review.gate import candidate_faces
    from likeness.studio import frame as framing

    img = _load("photos/group/ulfd__16.jpg")
    s = ReviewSettings()
    face, faces = candidate_faces(img)
    others = [f for f in faces[1:] if f.score >= s.other_face_score and f.width >= s.other_face * face.width]
    assert len(others) >= 3  # the whole photo fails the one-face check many times over
    crop = headshot_crop(face, (img.shape[1], img.shape[0]))
    x0, y0, x1, y1 = crop.box
    assert not crop.clipped and abs((x1 - x0) / (y1 - y0) - 0.8) < 0.02  # the Look's 4:5 frame
    fx0, fy0, fx1, fy1 = face.box
    assert x0 <= fx0 and y0 <= fy0 and fx1 <= x1 and fy1 <= y1  # the subject is inside
    for f in others:  # every bystander is outside, not just cut by the edge
        bx0, by0, bx1, by1 = f.box
        assert bx1 <= x0 or bx0 >= x1 or by1 <= y0 or by0 >= y1, f.box
    # The crop follows the studio's plan: its eye line where the plan puts it.
    fp = framing.plan(face, (img.shape[1], img.shape[0]), preset=load_look("corporate-grey").frame)
    eye_y = np.mean([p[1] for p in face.eye_centers()])
    assert abs((eye_y - y0) / (y1 - y0) - fp.eye_share) < 0.02
    sub, rest = candidate_faces(np.ascontiguousarray(img[y0:y1, x0:x1]))
    assert sub is not None and len(rest) == 1


def test_a_face_filling_the_frame_is_found_and_reviewed():
    """A tight portrait the whole-image detector misses (its model is made for small
    faces): the review finds it on a padded copy and judges it. The photo cuts the top
    of the head, which a delivered headshot must not show (issue 13): every check
    passes but that one."""
    from likeness.review import enroll, review
    from likeness.review.artifacts import filling_faces

    img = _load("identities/deepface__jack_dorsey/04.jpg")
    found = filling_faces(img)
    assert len(found) == 1 and found[0].width > 0.3 * img.shape[1]
    ref = enroll([_load(f"identities/deepface__jack_dorsey/0{i}.jpg") for i in (1, 2, 3, 5)])
    r = review(img, ref)
    failed = [k for k, c in r.checks.items() if not c.passed]
    assert failed == ["cut_subject"], r.reasons
    assert r.checks["likeness"].passed and r.checks["one_face"].passed
    from likeness.faces.identity import THRESHOLD_FAR_1E3

    assert r.identity_distance < 0.8 * THRESHOLD_FAR_1E3  # in units of the model's FAR-1e-3 distance
    other = review(img, enroll([_load(f"identities/deepface__matt_damon/0{i}.jpg") for i in (1, 2, 3)]))
    assert not other.checks["likeness"].passed


def test_the_skin_curve_covers_lightening_and_darkening():
    from shared_eval import need

    need("identities")
    from likeness.eval.review import run
    from likeness.eval.review_data import SHIFTS

    res = run(EVAL, people=2, per_person=2)
    curve = res["skin_curve"]
    names = {f"{sign}{de:g}" for de in SHIFTS for sign in "+-"}
    assert names <= set(curve) and set(res["skin_curve_unseen"]) == names
    for n in names:
        v = curve[n]
        assert v["caught_unseen"] is None or 0.0 <= v["caught_unseen"] <= 1.0
        assert v["n_unseen"] <= curve["genuine"]["n"]
        # mean over the candidates; 8-bit rounding of a small face can overshoot a small shift
        assert v["delta_e_reached"] == pytest.approx(float(n[1:]), rel=0.35)
    for sign in "+-":
        reached = [curve[f"{sign}{de:g}"]["delta_e_reached"] for de in SHIFTS]
        assert reached == sorted(reached)
    assert 0.0 <= curve["genuine"]["skin_lock_pass_unseen"] <= 1.0
    # The unseen half and the same lightening on other regions than the review's skin mask.
    assert names <= set(res["skin_curve_unseen_half_b"]) and "genuine" in res["skin_curve_unseen_half_b"]
    assert set(res["skin_curve_other_edges"]) == {"skin_grown:+8", "face:+8"}
    for v in res["skin_curve_other_edges"].values():
        assert v["delta_e_reached"] == pytest.approx(8.0, rel=0.35)

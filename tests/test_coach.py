"""Live coaching: the coach's timing (pure), the directions on real camera-like frames,
the next variation, the wardrobe advice, and the eval's person split."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from shared_eval import need

from likeness.coach import (
    CoachState,
    Direction,
    Shot,
    next_variation,
    problems,
    read_frame,
    step,
)
from likeness.color import linear_to_srgb, srgb_to_linear, to_uint8

BAD = [Direction("roll", "level")]


def _run(frames):
    state, out = CoachState(), []
    for found in frames:
        state, ans = step(state, found)
        out.append(ans)
    return out


def test_one_odd_frame_is_not_said_and_capture_needs_three_good_frames():
    answers = _run([[], BAD, [], [], [], []])
    assert all(a.direction is None for a in answers)
    assert [a.capture for a in answers] == [False, False, False, False, True, False]
    assert answers[1].light == "amber" and answers[4].light == "green"


def test_a_lasting_problem_is_said_and_blocks_capture():
    answers = _run([BAD, BAD, BAD, [], [], []])
    assert answers[0].direction is None and answers[1].direction.key == "roll" and answers[2].direction.key == "roll"
    assert not any(a.capture for a in answers[:5]) and answers[5].capture


def test_a_more_important_steady_problem_takes_over():
    dark = Direction("dark", "light", severe=True)
    answers = _run([BAD, BAD, [dark, BAD[0]], [dark, BAD[0]]])
    assert answers[2].direction.key == "roll" and answers[3].direction.key == "dark" and answers[3].light == "red"


def test_cooldown_after_capture():
    answers = _run([[]] * 14)
    assert [i for i, a in enumerate(answers) if a.capture] == [2, 11]  # 8 frames of cooldown after the first


def test_next_variation_walks_the_set():
    assert next_variation([]) != next_variation([Shot(0.0, "smile")])
    smile_only = next_variation([Shot(0.0, "smile")])
    neutral_only = next_variation([Shot(0.0, "neutral")])
    both = next_variation([Shot(0.0, "neutral"), Shot(0.0, "smile")])
    full = next_variation([Shot(0.0, "neutral"), Shot(1.0, "smile"), Shot(-12.0, "neutral"), Shot(12.0, "smile"), Shot(3.0, "neutral")])
    assert len({smile_only, neutral_only, both, full}) == 4 and all(isinstance(s, str) and s for s in (smile_only, full))


@pytest.fixture(scope="module")
def preview() -> np.ndarray:
    """A good camera preview: a frontal, evenly lit face, 640 px wide."""
    p = need("photos", "single", "face_recognition__obama-720p.jpg")
    img = np.asarray(Image.open(p).convert("RGB"))
    return cv2.resize(img, (640, 360), interpolation=cv2.INTER_AREA)


def _keys(img, camera_side=None):
    return [d.key for d in problems(read_frame(img).at_capture(camera_side))]


def test_good_frame_has_no_direction(preview):
    r = read_frame(preview)
    assert r.found and r.faces == 1 and 0.2 < r.head_share < 0.8 and r.detail > 0.5
    assert _keys(preview) == [] and _keys(preview, camera_side=1280) == []


@pytest.mark.parametrize("problem", ["roll", "dark", "too_far", "small_capture", "cut_off", "blur"])
def test_each_problem_is_said_first(preview, problem):
    img, side = preview, None
    h, w = img.shape[:2]
    if problem == "roll":
        img = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 3), -28, 1.0), (w, h), borderMode=cv2.BORDER_REPLICATE)
    elif problem == "dark":
        img = to_uint8(linear_to_srgb(srgb_to_linear(img) * 2.0**-3))
    elif problem == "too_far":
        small = cv2.resize(img, (w // 3, h // 3), interpolation=cv2.INTER_AREA)
        img = cv2.copyMakeBorder(small, h // 3, h - h // 3 - small.shape[0], w // 3, w - w // 3 - small.shape[1], cv2.BORDER_REPLICATE)
    elif problem == "small_capture":  # the preview is fine but the camera's own picture is too small
        side = 640
    elif problem == "cut_off":  # the frame's top edge through the forehead
        m = read_frame(img).face.mesh
        img = img[int((m[10, 1] + m[[105, 334], 1].mean()) / 2) :]
    elif problem == "blur":
        k = np.zeros((21, 21), np.float32)
        k[10, :] = 1 / 21
        img = cv2.filter2D(img, -1, k)
    expected = {"small_capture": "too_far"}.get(problem, problem)
    keys = _keys(img, side)
    assert keys and keys[0] == expected, keys


def test_roll_direction_names_the_shoulder(preview):
    h, w = preview.shape[:2]
    out = {}
    for ang in (-28, 28):
        img = cv2.warpAffine(preview, cv2.getRotationMatrix2D((w / 2, h / 3), ang, 1.0), (w, h), borderMode=cv2.BORDER_REPLICATE)
        out[ang] = problems(read_frame(img))[0].text
    assert out[-28] != out[28]


# --- wardrobe ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portrait():
    from likeness.faces.subject import find_faces, pick_subject

    p = need("portraits", "images", "00212.jpg")  # shoulders against the background
    img = np.asarray(Image.open(p).convert("RGB"))
    m = np.asarray(Image.open(need("portraits", "masks", "00212.png")).convert("L").resize((img.shape[1], img.shape[0])))
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    return img, face, (m > 127).astype(np.float32)


def test_clothing_matching_the_backdrop_is_flagged_with_another_look(portrait):
    from likeness.coach.wardrobe import _backdrop, advise, regions

    img, face, person = portrait
    r = regions(img, face, person=person)
    h, w = img.shape[:2]
    head = (round(face.center[0] / w, 2), round(face.center[1] / h, 2))
    bd = _backdrop("executive-navy", (w, h), head)
    navy = np.median(bd[r.beside], axis=0)
    dressed = img.copy()
    dressed[r.clothing] = navy.astype(np.uint8)  # a top the colour of the backdrop beside it
    wd = advise(dressed, face, look="executive-navy", person=person)
    assert wd.visible and [a.key for a in wd.advice][:1] == ["blend"], wd
    assert wd.contrast["executive-navy"] < 12 and wd.recommend not in (None, "executive-navy")
    assert wd.contrast[wd.recommend] == max(v for k, v in wd.contrast.items() if k != "executive-navy")
    light = advise(dressed, face, look="bright-white", person=person)
    assert "blend" not in [a.key for a in light.advice] and light.contrast["bright-white"] > 20


def test_fine_stripes_are_flagged_and_plain_cloth_is_not(portrait):
    from likeness.coach.wardrobe import advise, regions
    from likeness.eval.coach_wardrobe import add_stripes

    img, face, person = portrait
    r = regions(img, face, person=person)
    plain = img.copy()
    plain[r.clothing] = (90, 60, 50)
    striped, web = add_stripes(plain, r.clothing, r.face_height, np.random.default_rng(1))
    keys = [a.key for a in advise(striped, face, look="corporate-grey", person=person).advice]
    assert "stripes" in keys and 2.5 <= web <= 5.0
    assert "stripes" not in [a.key for a in advise(plain, face, look="corporate-grey", person=person).advice]


def test_eval_split_keeps_a_person_in_one_half():
    from likeness.eval.coach import half_of, person_of

    a = person_of(Path("eval/identities/face_recognition__barack_obama/01.jpg"))
    b = person_of(Path("eval/photos/single/face_recognition__obama-720p.jpg"))
    assert a == b == "obama" and half_of(a) == half_of(b) and half_of(a) in ("calibration", "report")


def test_capture_waits_for_the_capture_margin():
    state, answers = CoachState(), []
    for ok in (True, True, False, True, True, True):
        state, ans = step(state, [], ready=ok)
        answers.append(ans)
    assert [a.capture for a in answers] == [False] * 5 + [True]
    assert answers[2].light == "amber" and answers[2].direction is None


def test_ready_needs_the_margin_on_a_turned_face(preview):
    from dataclasses import replace

    from likeness.coach import CAPTURE, LIVE, ready

    r = read_frame(preview)
    turned = replace(r, raw=replace(r.raw, yaw=(LIVE.yaw_max + CAPTURE.yaw_max) / 2))
    assert ready(r) and not problems(turned) and not ready(turned)

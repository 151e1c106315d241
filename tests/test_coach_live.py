"""Live coaching on real frames: the face tracked between frames, the eyes left out of
the motion-blur measure, faint lids read as closed, capture held for a moving face,
the eval's turned head and closed eyes read as such."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image
from shared_eval import need

from likeness.coach import CAPTURE, LIVE, problems, read_frame, ready
from likeness.coach.analyse import REDETECT


@pytest.fixture(scope="module")
def preview() -> np.ndarray:
    p = need("photos", "single", "face_recognition__obama-720p.jpg")
    img = np.asarray(Image.open(p).convert("RGB"))
    return cv2.resize(img, (640, 360), interpolation=cv2.INTER_AREA)


def test_the_next_frame_is_tracked_and_reads_like_a_detection(preview):
    first = read_frame(preview)
    noisy = np.clip(preview + np.random.default_rng(0).normal(0, 1.5, preview.shape), 0, 255).astype(np.uint8)
    tracked = read_frame(noisy, prior=first)
    fresh = read_frame(noisy)
    assert first.tracked == 0 and tracked.tracked == 1 and fresh.tracked == 0
    assert tracked.faces == first.faces and tracked.motion is not None and tracked.motion < 0.1
    assert abs(tracked.raw.yaw - fresh.raw.yaw) < 3 and abs(tracked.raw.roll - fresh.raw.roll) < 2
    assert abs(tracked.head_share - fresh.head_share) < 0.05 and problems(tracked) == []
    b0, b1 = np.array(tracked.face.box), np.array(fresh.face.box)
    assert np.abs(b0 - b1).max() < 0.15 * fresh.face.width


def test_a_jump_or_the_redetect_period_runs_the_detectors_again(preview):
    first = read_frame(preview)
    h, w = preview.shape[:2]
    moved = cv2.warpAffine(preview, np.float32([[1, 0, 0.3 * w], [0, 1, 0]]), (w, h), borderMode=cv2.BORDER_REPLICATE)
    r = read_frame(moved, prior=first)
    assert r.tracked == 0 and r.found  # the mesh left its square: found afresh
    assert r.motion is not None and r.motion > 1.0 and not ready(r)
    late = replace(first, tracked=REDETECT - 1)
    assert read_frame(preview, prior=late).tracked == 0


def test_capture_waits_for_a_still_face(preview):
    r = read_frame(preview)
    assert ready(replace(r, motion=0.05)) and not ready(replace(r, motion=CAPTURE.motion_max + 0.1))
    assert problems(replace(r, motion=CAPTURE.motion_max + 0.1)) == []  # a direction is not said for it


def test_faint_skin_coloured_eyes_read_as_closed(preview):
    r = read_frame(preview)
    lids = replace(r, raw=replace(r.raw, eyes_open=0.22, eyes_visible=0.25), eye_tone=0.5)
    glasses = replace(r, raw=replace(r.raw, eyes_open=0.22, eyes_visible=0.10), eye_tone=0.2)
    assert [d.key for d in problems(lids)] == ["eyes_closed"] and not ready(lids)
    assert [d.key for d in problems(glasses)] == ["eyes_hidden"]
    margin = replace(r, raw=replace(r.raw, eyes_visible=(LIVE.faint_visible + CAPTURE.faint_visible) / 2), eye_tone=0.5)
    assert problems(margin) == [] and not ready(margin)
    # Lids as bright as the skin: closed for the capture wherever the tone is read.
    bright = replace(r, raw=replace(r.raw, eyes_open=0.22, eyes_visible=0.55), eye_tone=LIVE.closed_tone + 0.05)
    assert problems(bright) == [] and not ready(bright)
    assert ready(replace(bright, eye_tone=LIVE.closed_tone - 0.05))  # skin-dark eyes: open


def _face(img):
    from likeness.faces.subject import find_faces, pick_subject

    return pick_subject(find_faces(img), (img.shape[1], img.shape[0]))


def _camera_view(*parts: str) -> np.ndarray:
    """The photo framed as the eval's camera frames it (head 0.42 of a 480×640 preview)."""
    from likeness.eval.coach_frames import view
    from likeness.imageio import load_photo

    img = load_photo(need(*parts), max_side=2400).image
    return view(img, _face(img), head_share=0.42, portrait=True)[0]


@pytest.mark.parametrize("photo", [("photos", "single", "face_recognition__lin-manuel-miranda.png"),
                                   ("identities", "deepface__jack_dorsey", "05.jpg")])
def test_closed_eyes_are_said_and_not_read_as_a_shaken_camera(photo):
    from likeness.eval.coach_frames import eyes_closed

    v = _camera_view(*photo)
    shut = eyes_closed(v, _face(v), np.random.default_rng(0), lids="")
    a, b = read_frame(v), read_frame(shut)
    assert abs(a.detail - b.detail) < 0.03  # the eyes are not part of the blur measure
    assert [d.key for d in problems(b)][:1] == ["eyes_closed"]


@pytest.mark.parametrize("person", ["deepface__angelina_jolie", "deepface__matt_damon"])
def test_the_eval_turn_reads_as_a_turn_and_is_said_first(person):
    from likeness.eval.coach_frames import on_view

    v = _camera_view("identities", person, "02.jpg")
    turned = on_view("yaw", v, _face(v), np.random.default_rng(0))
    r = read_frame(turned)
    assert r.faces == 1 and abs(r.raw.yaw) > LIVE.yaw_max + 2
    assert problems(r)[0].key == "yaw"

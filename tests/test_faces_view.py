"""The one canonical face view (``likeness.faces.view``), its framings and masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from likeness.faces import analyze
from likeness.faces.view import CANON_IED, FACE, HEAD, face_view


@pytest.fixture(scope="module")
def astro(astronaut_rgb):
    face = analyze(astronaut_rgb, embed=False, subject_only=True)[0]
    return astronaut_rgb, face


def test_head_framing_puts_the_eyes_level_at_the_canonical_distance(astro):
    img, face = astro
    v = face_view(img, face, framing=HEAD)
    a, b = v.pts[468], v.pts[473]
    assert abs(a[1] - b[1]) < 0.5 and float(np.hypot(*(b - a))) == pytest.approx(CANON_IED, rel=0.01)
    assert v.shape == (round(HEAD.height * CANON_IED), round(HEAD.width * CANON_IED))
    assert v.rgb.dtype == np.float32 and 0 <= v.rgb.min() and v.rgb.max() <= 1


def test_face_framing_never_enlarges_a_small_face(astro):
    img, face = astro
    small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    v = face_view(small, face.scaled(0.5), framing=FACE)
    assert v.ied == pytest.approx(face.inter_eye * 0.5, rel=1e-3) and v.ied < CANON_IED
    assert face_view(small, face.scaled(0.5), framing=HEAD).ied == CANON_IED


def test_a_resized_photo_gives_the_same_view_and_one_skin_reading(astro):
    img, face = astro
    big = cv2.resize(img, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    v1, v2 = face_view(img, face), face_view(big, face.scaled(2.0))
    assert v1.shape == v2.shape
    assert np.abs(v1.rgb - v2.rgb)[v1.skin].mean() < 0.02
    lab1, lab2 = v1.skin_lab(), v2.skin_lab()
    assert lab1 is not None and np.abs(np.subtract(lab1, lab2)).max() < 2.0
    # the skin excludes eyes and lips; cheeks lie inside it
    assert not (v1.skin & v1.eyes).any() and not (v1.cheeks & ~v1.skin).any()


def test_pixels_from_beyond_the_photo_are_no_skin(astro):
    img, face = astro
    cut = int(face.mesh[[234, 454], 0].mean())  # the photo ends at the nose
    v = face_view(np.ascontiguousarray(img[:, :cut]), face)
    assert v.valid.any() and not v.valid.all()
    assert v.skin.any() and not (v.skin & ~v.valid).any() and not (v.cheeks & ~v.valid).any()


def test_a_phone_size_photo_finds_the_face_where_the_small_one_does(astro):
    """A 4096 px photo is halved twice before detection (by area, then a pyramid
    step): the face and its mesh land where they do on the photo itself, scaled."""
    from likeness.faces.subject import find_faces

    img, face = astro
    big = cv2.resize(img, (4096, 4096), interpolation=cv2.INTER_CUBIC)
    found = find_faces(big)
    assert len(found) == 1 and found[0].mesh is not None
    k = 4096 / img.shape[1]
    assert np.allclose(found[0].box, np.asarray(face.box) * k, atol=0.04 * face.width * k)
    eyes = found[0].mesh[[468, 473], :2] / k
    assert np.abs(eyes - face.mesh[[468, 473], :2]).max() < 0.05 * face.inter_eye

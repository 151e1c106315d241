"""Issue 15: a Look's grade and the light's backdrop match change the backdrop, the
clothes and the mood, not the person's skin colour; its contrast turns about the
skin's level. On the astronaut's real face, with numbers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import color, data

from likeness.faces import analyze
from likeness.looks.settings import GradeSettings as GS
from likeness.looks.settings import LightSettings as LS
from likeness.studio import light as L
from likeness.studio.grade import grade, skin_level, tone_curve


@pytest.fixture(scope="module")
def astro():
    img = np.ascontiguousarray(data.astronaut())
    face = analyze(img, embed=False, subject_only=True)[0]
    skin = L.skin_map(img.astype(np.float32) / 255, np.ones(img.shape[:2], np.float32), face)
    return img, face, skin


def _lab(img, face):
    mask = np.zeros(img.shape[:2], np.uint8)
    for x, y in face.mesh[[50, 280, 101, 330, 205, 425], :2].astype(int):
        cv2.circle(mask, (int(x), int(y)), 6, 1, -1)
    return color.rgb2lab(img[mask > 0][None].astype(np.float64) / 255)[0].mean(0)


def test_skin_map_covers_the_face_and_not_the_grey_background(astro):
    img, face, skin = astro
    assert skin.dtype == np.float32 and skin.min() >= 0 and skin.max() <= 1
    small = cv2.resize(img, skin.shape[::-1], interpolation=cv2.INTER_AREA)
    f = skin.shape[1] / img.shape[1]
    cx, cy = (face.mesh[1, :2] * f).astype(int)  # nose tip
    assert skin[cy, cx] > 0.99
    # the white suit and the grey wall behind her are not skin
    lab = color.rgb2lab(small)
    assert skin[(lab[..., 1] ** 2 + lab[..., 2] ** 2) < 4].mean() < 0.1


def test_a_warm_grade_warms_the_scene_but_not_the_skin(astro):
    img, face, skin = astro
    s = GS(warmth=0.8, saturation=1.3, sharpen=0)
    held, free = grade(img, settings=s, skin=skin), grade(img, settings=s)
    ref = _lab(img, face)
    de_free = np.linalg.norm(_lab(free, face)[1:] - ref[1:])
    de_held = np.linalg.norm(_lab(held, face)[1:] - ref[1:])
    assert de_free > 4 and de_held < 1.0, (de_free, de_held)
    # off the skin the grade is the same as without the map (her white suit, lower left)
    m = cv2.resize(skin, img.shape[1::-1]) < 0.01
    assert m.mean() > 0.15 and np.abs(held[m].astype(int) - free[m]).max() <= 1


def test_contrast_turns_about_the_skin_level(astro):
    img, face, skin = astro
    for p in (0.3, 0.5, 0.7):
        curve = tone_curve(GS(contrast=0.3), pivot=p)
        assert curve[round(p * 255)] == pytest.approx(p, abs=0.01)
        assert curve[10] < 10 / 255 and curve[245] > 245 / 255  # still an S
    s = GS(contrast=0.3, sharpen=0)
    small = cv2.resize(img, skin.shape[::-1], interpolation=cv2.INTER_LINEAR)
    level = skin_level(small, skin)
    assert 0.3 < level < 0.9
    dl_held = abs(_lab(grade(img, settings=s, skin=skin), face)[0] - _lab(img, face)[0])
    dl_free = abs(_lab(grade(img, settings=s), face)[0] - _lab(img, face)[0])
    assert dl_held < 1.5 and dl_free > dl_held + 1.5, (dl_held, dl_free)


@pytest.mark.parametrize("mono", [False, True])
def test_off_the_skin_the_contrast_is_the_same_for_everyone(astro, mono):
    """A team page: one Look gives every member the same backdrop, whatever their
    face's level; the person (the matte) turns about the face's level."""
    img, face, skin = astro
    s = GS(contrast=0.3, black=0.04, sharpen=0, mono=mono)
    # A composite as the studio grades it: her half of the picture on a smooth backdrop
    # (a dark-to-light gradient, where the two curves differ most), a soft matte edge.
    h, w = img.shape[:2]
    subject = np.zeros((h, w), np.float32)
    subject[:, : w // 2] = 1.0
    subject = cv2.GaussianBlur(subject, (0, 0), 3)
    ramp = np.linspace(20, 235, h, dtype=np.float32)[:, None, None] * np.array([1.0, 0.97, 0.92], np.float32)
    comp = (img * subject[..., None] + np.broadcast_to(ramp, img.shape) * (1 - subject[..., None]) + 0.5).astype(np.uint8)
    skin = skin * cv2.resize(subject, skin.shape[::-1], interpolation=cv2.INTER_AREA)  # the skin is hers
    small = cv2.resize(comp, skin.shape[::-1], interpolation=cv2.INTER_LINEAR)
    assert abs(skin_level(small, skin) - 0.5) > 0.05  # her face is not mid-grey
    plain = grade(comp, settings=s)  # about mid-grey everywhere
    person = grade(comp, settings=s, skin=skin, subject=subject)
    off = cv2.resize(skin, (w, h)) < 0.01
    back = (cv2.erode(subject, np.ones((9, 9), np.uint8)) == 0) & (np.arange(w)[None] > w // 2 + 16)
    # The backdrop goes through the same table (turning it about her face's level
    # instead moved it by −9 code values).
    assert back.mean() > 0.3 and np.abs(person[back].astype(int) - plain[back]).max() <= 1
    her = (subject > 0.99) & off
    assert her.mean() > 0.1 and np.abs(person[her].astype(int) - plain[her]).mean() > 1.0
    on = cv2.resize(skin, (w, h)) > 0.99
    assert np.abs(person[on].astype(int) - plain[on]).mean() > 1.0  # the face does turn about its level


def test_black_lift_opens_the_shadows_not_the_face():
    curve = tone_curve(GS(black=0.05), pivot=0.6)
    assert curve[0] == pytest.approx(0.05, abs=1e-6)
    assert curve[round(0.6 * 255)] == pytest.approx(0.6, abs=0.005)


def test_backdrop_match_tints_the_edges_not_the_face(astro):
    img, face, _ = astro
    work = img.astype(np.float32) / 255
    alpha = np.ones(img.shape[:2], np.float32)
    alpha[:, 400:] = 0  # a strip of backdrop, whose light the match reads
    green = np.zeros_like(work)
    green[:] = (0.35, 0.65, 0.3)
    s = LS(white_balance=0, fill=0, wrap=0, exposure=0)
    none = L.relight(work, alpha, green, face, settings=LS(**{**s.to_dict(), "match": 0.0}))
    full = L.relight(work, alpha, green, face, settings=LS(**{**s.to_dict(), "match": 1.0}))
    f = none.gain.shape[1] / img.shape[1]
    cx, cy = (face.mesh[1, :2] * f).astype(int)
    assert np.abs(full.gain[cy, cx] - none.gain[cy, cx]).max() < 0.005  # the face: untinted
    # where the map says "not skin" (her white suit), the green pull is there
    off = cv2.resize(full.skin, none.gain.shape[1::-1], interpolation=cv2.INTER_AREA) < 0.01
    assert off.mean() > 0.2
    assert (full.gain[off][:, 1] / none.gain[off][:, 1]).mean() > 1.01


def test_mono_toning_tints_without_changing_the_grey():
    img = np.ascontiguousarray(data.astronaut())
    plain = grade(img, settings=GS(mono=True, sharpen=0))
    toned = grade(img, settings=GS(mono=True, toning="#b89a7a", sharpen=0))
    assert (toned[..., 0].astype(int) - toned[..., 2]).mean() > 3  # warm
    g = lambda x: cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(float)  # noqa: E731
    assert abs((g(toned) - g(plain)).mean()) < 0.2  # was 0.54: the tint lifted the grey

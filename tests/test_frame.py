"""Framing geometry on the astronaut: eye line, head size, levelled roll, preset sizes,
and never inventing a body the photo does not show."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import OptionError
from likeness.faces import analyze
from likeness.studio import frame as F


@pytest.fixture(scope="module")
def astronaut():
    img = np.ascontiguousarray(data.astronaut())
    return img, analyze(img, embed=False, subject_only=True)[0]


def _measure(img: np.ndarray):
    face = analyze(img, embed=False, subject_only=True)[0]
    g = F.head_geometry(face)
    return face, g


def test_headshot_eye_line_head_height_and_size(astronaut):
    img, face = astronaut
    fr = F.frame(img, face, preset="headshot")
    assert fr.image.shape == (2000, 1600, 3) and fr.image.dtype == np.uint8
    out_face, g = _measure(fr.image)
    assert abs(g.center[1] / 2000 - 0.40) <= 0.02  # eye line re-measured on the output
    assert abs(g.height / 2000 - 0.50) <= 0.04  # chin to estimated crown ≈ half the height
    assert abs(g.roll) < 1.0
    assert abs(g.center[0] + g.axis_x - 800) < 0.05 * 1600  # head centred
    # The transformed landmarks agree with a fresh detection on the output.
    a, _ = fr.face.eye_centers()
    b, _ = out_face.eye_centers()
    assert np.hypot(*(a - b)) < 8


def test_roll_is_levelled(astronaut):
    img, _ = astronaut
    m = cv2.getRotationMatrix2D((256, 256), 12, 1.0)
    tilted = cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT)
    face = analyze(tilted, embed=False, subject_only=True)[0]
    assert abs(F.head_geometry(face).roll) > 6  # the input really is tilted
    fr = F.frame(tilted, face, preset="headshot")
    _, g = _measure(fr.image)
    assert abs(g.roll) < 1.5
    assert abs(g.center[1] / 2000 - 0.40) <= 0.02


@pytest.mark.parametrize(
    "name, size, dpi",
    [("headshot", (1600, 2000), None), ("square", (1600, 1600), None), ("chest-up", (1600, 2400), None),
     ("actor-8x10", (2400, 3000), 300), ("id-35x45", (827, 1063), 600), ("us-2x2", (1200, 1200), 600)],
)
def test_each_preset_size_and_dpi(astronaut, name, size, dpi):
    img, face = astronaut
    p = F.get_preset(name)
    assert p.size == size and p.dpi == dpi
    fr = F.frame(img, face, preset=name)
    assert (fr.image.shape[1], fr.image.shape[0]) == size
    if p.head_range:  # ID specs: chin-to-crown inside the allowed range
        assert p.head_range[0] <= fr.plan.head_share <= p.head_range[1]


def test_id_sizes_follow_print_size():
    p = F.get_preset("id-35x45")
    assert round(p.size[0] / p.dpi * 25.4) == 35 and round(p.size[1] / p.dpi * 25.4) == 45
    assert F.get_preset("us-2x2").size == (2 * 600, 2 * 600)


def test_valid_mask_marks_the_photo_edge(astronaut):
    img, face = astronaut
    fr = F.frame(img, face, preset="headshot")
    # The astronaut photo ends above her head in this framing? Whatever it does, the
    # mask is 1 at the eyes and matches where the photo is.
    ex, ey = (int(v) for v in fr.face.eye_centers()[0])
    assert fr.valid[ey, ex] == 1.0
    assert fr.valid.min() >= 0 and fr.valid.max() <= 1


def test_tight_photo_never_gets_an_invented_body(astronaut):
    img, face = astronaut
    # A tight crop: the photo ends just below the chin.
    chin_y = int(face.mesh[152, 1]) + 25
    tight = np.ascontiguousarray(img[:chin_y, 100:400])
    f2 = analyze(tight, embed=False, subject_only=True)[0]
    fr = F.frame(tight, f2, preset="chest-up")
    assert fr.plan.notes, "a framing that needs more body must say so"
    assert "chest-up" in " ".join(fr.plan.notes)
    assert fr.plan.head_share > F.get_preset("chest-up").head * 1.5  # closest valid: tighter
    # The bottom rows show the photo, never backdrop under a cut-off neck.
    assert fr.valid[-3:].mean() > 0.99


def test_unknown_preset_lists_valid_names(astronaut):
    img, face = astronaut
    with pytest.raises(OptionError) as exc:
        F.frame(img, face, preset="passport")
    assert "headshot" in exc.value.hint and "us-2x2" in exc.value.hint


def test_plan_scaled_matches_full_resolution(astronaut):
    img, face = astronaut
    p = F.plan(face, (512, 512), preset="headshot")
    big = cv2.resize(img, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    a = F.frame(img, face, framing=p)

    b = F.frame(big, face.scaled(2.0), framing=p.scaled(2.0))
    diff = np.abs(cv2.GaussianBlur(a.image, (0, 0), 4).astype(int) - cv2.GaussianBlur(b.image, (0, 0), 4)).mean()
    assert diff < 4
    assert math.isclose(b.scale, a.scale / 2, rel_tol=1e-6)


def test_square_keeps_the_head_inside_a_circular_crop(astronaut):
    img, face = astronaut
    fr = F.frame(img, face, preset="square")
    g = F.head_geometry(fr.face)
    side = fr.image.shape[0]
    cx, cy = g.center
    # Top of hair, chin and both sides of the face (at eye level) inside the circle.
    pts = [(cx + g.axis_x, cy + g.crown), (cx, cy + g.chin), (cx - 1.1 * g.half_width, cy), (cx + 1.1 * g.half_width, cy)]
    for x, y in pts:
        assert np.hypot(x - side / 2, y - side / 2) < 0.48 * side

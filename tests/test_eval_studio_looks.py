"""`eval studio --looks` (issue 15): the studio's figures per Look beside the default,
with the skin colour change photo → headshot."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))


def test_eval_per_look_beside_the_default(tmp_path):
    from likeness.eval import studio as ev

    single = tmp_path / "eval" / "photos" / "single"
    single.mkdir(parents=True)
    Image.fromarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)).save(single / "a.jpg")
    out = ev.run(tmp_path / "eval", looks="classic-mono,outdoor-bokeh")
    assert out["default"] == "corporate-grey"
    assert list(out["looks"]) == ["corporate-grey", "classic-mono", "outdoor-bokeh"]
    for name, s in out["looks"].items():
        assert s["completed"] == 1.0 and isinstance(s["worse_than_default"], list), name
        assert s["identity_distance_p95"] is not None and s["skin_delta_e_p95"] is not None
    assert out["looks"]["classic-mono"]["mono"] is True
    # a mono Look removes the colour: its skin ΔE is large, and not held against it
    assert out["looks"]["classic-mono"]["skin_delta_e_p50"] > out["looks"]["corporate-grey"]["skin_delta_e_p50"]
    assert "skin_delta_e_p95" not in out["looks"]["classic-mono"]["worse_than_default"]
    # ... and it is measured in grey, beside the default read the same way
    for name in ("classic-mono", "corporate-grey"):
        s = out["looks"][name]
        assert isinstance(s["identity_distance_grey_p95"], float) and isinstance(s["skin_delta_e_grey_p50"], float)
    assert "identity_distance_grey_p95" not in out["looks"]["outdoor-bokeh"]
    # the typical skin change is judged paired: the default against itself is 0
    assert out["looks"]["corporate-grey"]["skin_delta_e_paired_p50"] == 0.0
    assert isinstance(out["looks"]["outdoor-bokeh"]["skin_delta_e_paired_p50"], float)
    assert isinstance(out["looks"]["classic-mono"]["pass_colour"], bool)


def test_worse_than_default_reads_a_mono_look_in_grey():
    from likeness.eval.studio_looks import MONO_KEYS, SLACK

    assert set(MONO_KEYS) <= set(SLACK)
    assert all(v.endswith(("grey_p95", "grey_paired_p50")) for v in MONO_KEYS.values())


def test_a_plain_grey_conversion_moves_the_skin_colour_not_its_lightness():
    """Why a mono Look is read in grey: the conversion alone is a large colour ΔE."""
    from likeness.eval.studio_looks import _subject, grey, grey_figures, skin_delta_e

    img = np.ascontiguousarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC))
    face = _subject(img)[0]
    g = grey(img)
    assert g.shape == img.shape and np.array_equal(g[..., 0], g[..., 2])
    assert skin_delta_e(img, face, g, face) > 8.0
    assert skin_delta_e(img, face, g, face, lightness=True) < skin_delta_e(img, face, g, face) / 3
    brighter = np.clip(g.astype(np.int16) + 20, 0, 255).astype(np.uint8)
    assert skin_delta_e(g, face, brighter, face, lightness=True) > 3.0
    figs = grey_figures(g, _subject(g), g)
    assert figs["identity_distance_grey"] == pytest.approx(0.0, abs=1e-4) and figs["skin_delta_e_grey"] == 0.0


def test_skin_delta_e_is_zero_for_the_same_image_and_grows_with_a_cast():
    from likeness.eval.studio_looks import _subject, skin_delta_e

    img = np.ascontiguousarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC))
    face = _subject(img)[0]
    assert skin_delta_e(img, face, img, face) == pytest.approx(0.0, abs=1e-6)
    warm = np.clip(img.astype(np.int16) + np.array([18, 0, -18]), 0, 255).astype(np.uint8)
    assert skin_delta_e(img, face, warm, face) > 3.0


def test_the_skin_colour_at_equal_brightness_ignores_a_lift_not_a_cast():
    """A Look's brightness is its own (high-key, low-key); its skin tone is not: a
    neutral lift of the light moves the raw ΔE, not the colour at equal brightness."""
    from likeness.color import linear_to_srgb, srgb_to_linear
    from likeness.eval.studio_looks import _subject, skin_delta_e

    img = np.ascontiguousarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC))
    face = _subject(img)[0]
    for k in (0.7, 1.3):  # a third less light, a third more (few skin pixels clip)
        lifted = np.round(255 * linear_to_srgb(np.clip(srgb_to_linear(img / 255.0) * k, 0, 1))).astype(np.uint8)
        raw, colour = skin_delta_e(img, face, lifted, face), skin_delta_e(img, face, lifted, face, colour=True)
        assert raw > 5.0 and colour < 1.0 and colour < raw / 6, k
    warm = np.clip(img.astype(np.int16) + np.array([18, 0, -18]), 0, 255).astype(np.uint8)
    assert skin_delta_e(img, face, warm, face, colour=True) > 3.0

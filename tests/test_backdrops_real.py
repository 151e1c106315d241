"""Backdrops that read as real (issue 15): a lens blur (discs, not haze), a place photo
in the subject's light, the person's own background, a light outdoor-bokeh Look and a
dark dramatic Look."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from likeness.errors import ImageReadError
from likeness.looks import load_look
from likeness.studio import backdrop as bd
from likeness.studio.options import StudioSettings, with_backdrop


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def prepared():
    from likeness.faces.subject import find_subject
    from likeness.studio import pipeline
    from likeness.types import Photo

    img = np.ascontiguousarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC))
    photo = Photo(image=img, source="astronaut", format="PNG", original_size=(1024, 1024))
    preset = StudioSettings.resolve().preset
    return pipeline.prepare(img, find_subject(photo), preset=preset)


def test_lens_blur_opens_a_bright_point_into_a_flat_disc():
    img = np.zeros((81, 81, 3), np.float32)
    img[40, 40] = 1.0
    out = bd.lens_blur(img, 10)
    lit = out[..., 0] > 0.5 * out[..., 0].max()
    assert abs(int(lit.sum()) - np.pi * 10**2) < 0.15 * np.pi * 10**2  # a disc of radius 10
    inner = out[35:46, 35:46, 0]
    assert inner.max() - inner.min() < 1e-4  # flat-topped (a gaussian peaks)


def test_place_photo_moves_toward_the_subjects_light():
    place = np.zeros((60, 80, 3), np.float32)
    place[...] = (0.2, 0.35, 0.8)  # a blue place
    photo = np.full((60, 80, 3), (150, 120, 90), np.uint8)  # warm surroundings
    lab = lambda x: cv2.cvtColor(np.ascontiguousarray(x, np.float32), cv2.COLOR_RGB2Lab).reshape(-1, 3).mean(0)  # noqa: E731
    before, target = lab(place), lab(photo.astype(np.float32) / 255)
    half = lab(bd.match_place(place, photo, None, None, strength=0.5))
    assert np.allclose(half[1:], before[1:] + 0.5 * (target[1:] - before[1:]), atol=2.0)
    assert np.allclose(lab(bd.match_place(place, photo, None, None, strength=0.0)), before, atol=0.5)


def test_bokeh_backdrop_is_light_seeded_and_deterministic():
    s = load_look("outdoor-bokeh").backdrop
    a = bd.make_backdrop((320, 400), settings=s).image
    assert np.array_equal(a, bd.make_backdrop((320, 400), settings=s).image)
    assert float(a.mean()) > 0.55
    from dataclasses import replace

    assert not np.array_equal(a, bd.make_backdrop((320, 400), settings=replace(s, seed=6)).image)


def test_new_looks_render_light_and_dark(prepared):
    from likeness.studio import pipeline

    means = {}
    for name in ("outdoor-bokeh", "dark-dramatic", "corporate-grey"):
        r = pipeline.finish(prepared, settings=StudioSettings.resolve(look=name))
        bg = r.alpha < 0.05
        means[name] = float(r.framed.mean()) if not bg.any() else float(r.backdrop[bg].mean())
    assert means["outdoor-bokeh"] > means["corporate-grey"] > means["dark-dramatic"]
    assert means["dark-dramatic"] < 0.2


def test_backdrop_own_and_place(prepared, tmp_path):
    from likeness.studio import pipeline

    look = load_look("corporate-grey")
    own = with_backdrop(look, "own")
    assert own.backdrop.kind == "blur" and own.backdrop.shadow == 0
    p = tmp_path / "place.jpg"
    Image.fromarray(data.rocket()).save(p)
    placed = with_backdrop(look, p)
    assert placed.backdrop.kind == "image" and placed.backdrop.image == str(p)
    for lk in (own, placed):
        r = pipeline.finish(prepared, settings=StudioSettings.resolve(look=lk))
        assert r.image.dtype == np.uint8 and r.image.shape[:2] == (2000, 1600)
    with pytest.raises(ImageReadError):
        with_backdrop(look, tmp_path / "missing.jpg")


def test_cli_missing_backdrop_photo_is_an_input_error(tmp_path):
    from likeness.cli import EXIT_INPUT

    p = tmp_path / "a.jpg"
    Image.fromarray(data.astronaut()).save(p)
    res = subprocess.run([sys.executable, "-m", "likeness.cli", "studio", str(p), "--backdrop", str(tmp_path / "no.jpg"),
                          "-o", str(tmp_path / "o")], capture_output=True, text=True, check=False)
    assert res.returncode == EXIT_INPUT
    assert not (tmp_path / "o").exists()

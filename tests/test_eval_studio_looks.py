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


def test_skin_delta_e_is_zero_for_the_same_image_and_grows_with_a_cast():
    from likeness.eval.studio_looks import _subject, skin_delta_e

    img = np.ascontiguousarray(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC))
    face = _subject(img)[0]
    assert skin_delta_e(img, face, img, face) == pytest.approx(0.0, abs=1e-6)
    warm = np.clip(img.astype(np.int16) + np.array([18, 0, -18]), 0, 255).astype(np.uint8)
    assert skin_delta_e(img, face, warm, face) > 3.0

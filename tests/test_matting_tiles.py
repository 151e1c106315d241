"""The whole photo's segmentation revised by four corner tiles (``segment.with_tiles``):
real labelled portraits from ../shared/eval (skipped where absent)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from likeness.eval.matting import iou
from likeness.matting import MatteSettings, matte
from likeness.matting.segmentation import segment_small, with_tiles

from shared_eval import need


def _portrait(stem: str) -> tuple[np.ndarray, np.ndarray]:
    folder = need("portraits")
    image = cv2.cvtColor(cv2.imread(str(folder / "images" / f"{stem}.jpg")), cv2.COLOR_BGR2RGB)
    truth = cv2.imread(str(folder / "masks" / f"{stem}.png"), cv2.IMREAD_GRAYSCALE) > 127
    return image, truth


@pytest.mark.parametrize(
    ("stem", "before", "after"),
    [
        ("00254", 0.9067, 0.915),  # a warm wall beside the shoulder the whole view half believes
        ("00312", 0.9749, 0.980),
    ],
)
def test_tiles_raise_the_whole_photo_iou(stem, before, after):
    image, truth = _portrait(stem)
    got = iou(matte(image).alpha >= 0.5, truth)
    assert got > after
    without = iou(matte(image, settings=MatteSettings(tiles=False)).alpha >= 0.5, truth)
    assert without == pytest.approx(before, abs=0.002)


def test_tiles_change_only_the_unsure_edge():
    image, _ = _portrait("00254")
    seg = segment_small(image)
    revised = with_tiles(image, seg.prob)
    assert revised.shape == seg.prob.shape and revised.dtype == np.float32
    assert 0.0 <= revised.min() and revised.max() <= 1.0
    sure = (seg.prob <= 0.15) | (seg.prob >= 0.85)  # outside the band grown 2 px may move
    far = cv2.erode(sure.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert np.array_equal(revised[far], seg.prob[far])
    assert not np.array_equal(revised, seg.prob)


def test_a_prior_skips_the_tiles():
    """The studio passes the whole photo's segmentation as a prior: no tiles then (in
    the studio's frame they cost p10 0.948 -> 0.9456)."""
    image, _ = _portrait("00254")
    prior = segment_small(image).prob
    a = matte(image, prior=prior).alpha
    b = matte(image, prior=prior, settings=MatteSettings(tiles=False)).alpha
    assert np.array_equal(a, b)


def test_small_photos_skip_the_tiles():
    """A tile smaller than the model's 256 px input adds no detail, only less context."""
    image, _ = _portrait("00254")
    small = cv2.resize(image, (240, 320), interpolation=cv2.INTER_AREA)
    prob = segment_small(small).prob
    assert np.array_equal(with_tiles(small, prob), prob)

"""Colour rescue (matting/rescue.py): real mediapipe model on real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage import data

from likeness.matting import MatteSettings, matte
from likeness.matting.rescue import colour_rescue
from likeness.matting.segment import segment_small

from shared_eval import need

# Hair photos of ../shared/eval where the model was unsure of hair beside its edge
# (dark hair on a dark background; curls against a grey wall).
UNSURE_HAIR = ("28427", "28459", "28466")


def _read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _mask(path: Path, shape) -> np.ndarray:
    m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return cv2.resize(m, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 127


def test_rescue_only_raises_and_only_near_the_edge():
    """On the astronaut: the rescued probability is never below the model's, and far
    from the model's edge (where it is sure) nothing changes."""
    image = np.ascontiguousarray(data.astronaut())
    seg = segment_small(image)
    out = colour_rescue(seg.small, seg.prob)
    assert out.shape == seg.prob.shape and out.dtype == np.float32
    assert (out >= seg.prob).all() and out.max() <= 1.0
    decided = (seg.prob >= 0.5).astype(np.uint8)
    k = np.ones((21, 21), np.uint8)
    sure = ((seg.prob <= 0.02) | (seg.prob >= 0.98)) & ((cv2.erode(decided, k) > 0) | (cv2.dilate(decided, k) == 0))
    assert sure.mean() > 0.5
    assert (out[sure] == seg.prob[sure]).all()
    # No sure background (a person filling the frame): nothing to compare with.
    full = np.ones_like(seg.prob)
    assert colour_rescue(seg.small, full) is full


def test_rescue_is_a_setting():
    assert MatteSettings().rescue is True
    assert MatteSettings(rescue=False).to_dict()["rescue"] is False


def test_rescue_finds_hair_the_model_was_unsure_of():
    """Whole photos of the hair set where the model was unsure beside the hair: the
    matte covers more of the labelled hair with the rescue than without, on each."""
    folder = need("hair")
    got = []
    for stem in UNSURE_HAIR:
        image = _read(folder / "images" / f"{stem}.jpg")
        hair = _mask(folder / "masks" / f"{stem}.png", image.shape)
        with_, without = (float((matte(image, settings=MatteSettings(rescue=r)).alpha >= 0.5)[hair].mean())
                          for r in (True, False))
        got.append((stem, without, with_))
    assert all(w > wo for _, wo, w in got), got
    assert np.mean([w - wo for _, wo, w in got]) > 0.004, got


def test_rescue_keeps_the_portraits():
    """The portraits it was not fitted on (half b, people split by name) keep their
    mean IoU (the rescue only raises, so it could swallow background)."""
    folder = need("portraits")
    from likeness.eval.defects import half
    from likeness.eval.matting import iou

    stems = [p.stem for p in sorted((folder / "images").glob("*.jpg")) if half(p.stem) == "b"][:12]
    diffs = []
    for stem in stems:
        image = _read(folder / "images" / f"{stem}.jpg")
        truth = _mask(folder / "masks" / f"{stem}.png", image.shape)
        a, b = (iou(matte(image, settings=MatteSettings(rescue=r)).alpha >= 0.5, truth) for r in (True, False))
        diffs.append(a - b)
    assert np.mean(diffs) > -0.0005, diffs
    assert min(diffs) > -0.005, diffs

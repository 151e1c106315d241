"""Fixtures shared by the tests: the shared eval set and scikit-image's astronaut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from shared_eval import EVAL, need


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """``../shared/eval`` (the test skips where it is absent)."""
    return need()


@pytest.fixture(scope="session")
def astronaut_rgb() -> np.ndarray:
    """scikit-image's astronaut: a 512×512 RGB uint8 portrait."""
    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def astronaut_jpeg(tmp_path_factory, astronaut_rgb) -> Path:
    """The astronaut as a JPEG file."""
    p = tmp_path_factory.mktemp("astronaut") / "astronaut.jpg"
    Image.fromarray(astronaut_rgb).save(p, quality=95)
    return p


__all__ = ["EVAL"]

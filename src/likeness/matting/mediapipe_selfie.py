"""mediapipe 0.10.14 selfie segmentation (legacy solution; Apache-2.0, ships in the wheel).

Two models: ``general`` (256×256 input) and ``landscape`` (256×144). Both stretch
the whole input to their size (no letterbox), so the caller decides the framing. The
graph objects are not thread-safe: each thread gets its own, created on first use and
kept for the life of the thread (never at import).
"""

from __future__ import annotations

import os
import threading
import warnings

import cv2
import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # quieten C++ INFO lines on stderr
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = {"general": 0, "landscape": 1}
#: mediapipe resizes its input with a plain bilinear warp (no low-pass filter), so a
#: big photo aliases; we hand it an area-downscaled copy of about this long side. The
#: model still sees 256 px, but the mask comes back at this size, which is also cheap.
FEED_SIZE = 512

from ..faces.mediapipe_backend import quiet_stderr  # noqa: E402  (one place for it)

_local = threading.local()


def _graph(model: str):
    graphs = getattr(_local, "graphs", None)
    if graphs is None:
        graphs = _local.graphs = {}
    g = graphs.get(model)
    if g is None:
        # mediapipe's protobuf use warns on every call with protobuf 4.x; not ours to fix.
        warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")
        with quiet_stderr():
            import mediapipe as mp  # heavy: first use only

            g = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=MODELS[model])
            g.process(np.zeros((64, 64, 3), np.uint8))  # the first call logs too
        graphs[model] = g
    return g


def feed_size(shape: tuple[int, ...], *, size: int = FEED_SIZE) -> tuple[int, int]:
    """(width, height) of the copy handed to the model: long side ``size`` at most."""
    h, w = shape[:2]
    s = min(1.0, size / max(h, w))
    return max(1, round(w * s)), max(1, round(h * s))


def predict(image: np.ndarray, *, model: str = "general", flip: bool = False) -> np.ndarray:
    """Person probability (float32, same H×W as ``image``) for one RGB uint8 image.

    ``flip`` runs the model on the mirrored image and mirrors the answer back, for
    test-time augmentation: the model's errors are not mirror-symmetric, so the mean
    of both views is steadier than either.
    """
    if model not in MODELS:
        from ..errors import OptionError

        raise OptionError(f"Unknown selfie segmentation model {model!r}.", hint=f"Use one of: {', '.join(MODELS)}.")
    view = image[:, ::-1] if flip else image
    out = _graph(model).process(np.ascontiguousarray(view)).segmentation_mask
    if out is None:  # mediapipe answers None only for empty input; keep the contract
        return np.zeros(image.shape[:2], np.float32)
    out = np.asarray(out, np.float32)
    if flip:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def downscale(image: np.ndarray, *, size: int = FEED_SIZE) -> np.ndarray:
    """Area-filtered copy with long side ``size`` at most (the image itself if smaller)."""
    w, h = feed_size(image.shape, size=size)
    if (h, w) == image.shape[:2]:
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)

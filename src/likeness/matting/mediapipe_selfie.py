"""mediapipe 0.10.14's selfie segmentation (Apache-2.0, ships in the wheel), run by
LiteRT without importing mediapipe (see ``likeness.faces.tflite``).

Two models: ``general`` (256×256 input) and ``landscape`` (256×144). Both stretch
the whole input to their size (no letterbox), so the caller decides the framing. The
networks are not thread-safe: each thread gets its own, loaded on first use and kept
for the life of the thread (never at import).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..faces import tflite

#: model name → (file inside mediapipe/modules, input width, input height)
MODELS = {
    "general": ("selfie_segmentation/selfie_segmentation.tflite", 256, 256),
    "landscape": ("selfie_segmentation/selfie_segmentation_landscape.tflite", 256, 144),
}
#: mediapipe resizes its input with a plain bilinear warp (no low-pass filter), so a
#: big photo aliases; we hand it an area-downscaled copy of about this long side. The
#: model still sees 256 px, but the mask comes back at this size, which is also cheap.
FEED_SIZE = 512


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
    if image.size == 0:  # mediapipe answered None for empty input; keep the contract
        return np.zeros(image.shape[:2], np.float32)
    view = image[:, ::-1] if flip else image
    out = _run(np.ascontiguousarray(view), model)
    if flip:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def _run(image: np.ndarray, model: str) -> np.ndarray:
    """The model's mask for ``image``, brought back to its size as mediapipe does
    (the input is the whole image stretched by a bilinear warp; the mask is resized
    bilinearly)."""
    name, mw, mh = MODELS[model]
    h, w = image.shape[:2]
    view = tflite.warp(image, center=(w / 2, h / 2), side=(w, h), angle=0.0, size=(mw, mh), border=cv2.BORDER_CONSTANT)
    net = tflite.net(name)
    (mask,) = net.run(tflite.blob(view, low=0.0, high=1.0), net.outputs)
    mask = mask.reshape(mh, mw)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)


def downscale(image: np.ndarray, *, size: int = FEED_SIZE) -> np.ndarray:
    """Area-filtered copy with long side ``size`` at most (the image itself if smaller)."""
    w, h = feed_size(image.shape, size=size)
    if (h, w) == image.shape[:2]:
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)

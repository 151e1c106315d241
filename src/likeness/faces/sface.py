"""SFace (OpenCV Zoo, Apache-2.0): the 128-D identity embedding, run by LiteRT.

The wheel's block-quantised ONNX file is converted once to TFLite
(:mod:`.sface_tflite`, cached by :func:`.opencv_zoo.runtime_model`): 12 ms of CPU per
face on one core against 31–35 ms in OpenCV's ``FaceRecognizerSF``, with features
within 2e-5 of OpenCV's (5 Dec, stop 37).

A face is aligned from its five YuNet landmarks onto SFace's 112×112 template as
OpenCV's ``FaceRecognizerSF.alignCrop`` does it, so the alignment is the one the
model was evaluated with: the least-squares similarity transform (Umeyama's, which
OpenCV computes in ``getSimilarityTransformMatrix``, with its template and template
mean) and a bilinear ``warpAffine`` with black borders. On 25 eval faces the chips
equal OpenCV's but for at most two pixels a chip, off by one level.
Networks are not shared between threads.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .opencv_zoo import SFACE, runtime_model

_local = threading.local()
CHIP = 112
#: SFace's template: eye centres, nose tip, mouth corners on the 112×112 chip, and
#: their mean as OpenCV writes it.
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]], np.float32)
TEMPLATE_MEAN = np.array([56.0262, 71.9008], np.float32)


def _net():
    from .tflite import Net

    net = getattr(_local, "net", None)
    if net is None:
        net = _local.net = Net(runtime_model(SFACE))
    return net


def similarity(landmarks5: np.ndarray) -> np.ndarray:
    """The 2×3 similarity transform (rotation, uniform scale, shift) that takes the five
    landmarks (px) closest, in least squares, to SFace's template."""
    src = np.asarray(landmarks5, np.float32).reshape(5, 2)
    mean = src.mean(0)
    s, d = (src - mean).astype(np.float64), (TEMPLATE - TEMPLATE_MEAN).astype(np.float64)
    a = d.T @ s / 5
    u, sv, vt = np.linalg.svd(a)
    sign = np.array([1.0, -1.0 if np.linalg.det(a) < 0 else 1.0])
    rot = u @ np.diag(sign) @ vt
    scale = float(sv @ sign) / max(float((s**2).sum() / 5), 1e-12)
    m = np.empty((2, 3))
    m[:, :2] = rot * scale
    m[:, 2] = TEMPLATE_MEAN - scale * (rot @ mean.astype(np.float64))
    return m


def align(image: np.ndarray, landmarks5: np.ndarray) -> np.ndarray:
    """The 112×112 chip (same channel order as ``image``) of the face whose five
    landmarks (YuNet order, px) are given."""
    return cv2.warpAffine(np.ascontiguousarray(image), similarity(landmarks5), (CHIP, CHIP), flags=cv2.INTER_LINEAR)


def embed_chips(chips: list[np.ndarray]) -> np.ndarray:
    """Raw (not normalised) 128-D features of aligned RGB chips, N×128 float32."""
    net = _net()
    return np.stack([net.run(c.astype(np.float32)[None], ("features",))[0].reshape(-1) for c in chips])

"""YuNet (OpenCV Zoo, MIT): face boxes with five landmarks, run by ``cv2.FaceDetectorYN``.

The five points come in YuNet's order, which is the order of :attr:`Face.landmarks5`
everywhere in the project: subject's right eye centre (image-left on a frontal face),
left eye centre, nose tip, right mouth corner, left mouth corner. OpenCV detector
objects keep per-call state (the input size), so each thread gets its own.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .opencv_zoo import YUNET, model_path

_local = threading.local()

#: YuNet was trained on faces of about 10–300 px: callers give it views where the
#: faces they look for fall in that range.
NMS = 0.3
TOP_K = 50


def _detector() -> cv2.FaceDetectorYN:
    det = getattr(_local, "detector", None)
    if det is None:
        det = cv2.FaceDetectorYN.create(model_path(YUNET), "", (320, 320), 0.5, NMS, TOP_K)
        _local.detector = det
    return det


def detect(image: np.ndarray, *, min_score: float = 0.6) -> list[tuple[tuple[float, float, float, float], float, np.ndarray]]:
    """Faces in an RGB uint8 image: (box x0,y0,x1,y1 px, score, 5×2 landmarks px), best first."""
    h, w = image.shape[:2]
    if h < 16 or w < 16:
        return []
    det = _detector()
    det.setInputSize((w, h))
    det.setScoreThreshold(float(min_score))
    _, rows = det.detect(np.ascontiguousarray(image[:, :, ::-1]))  # the model reads BGR
    out = []
    for r in [] if rows is None else rows:
        x, y, bw, bh = (float(v) for v in r[:4])
        out.append(((x, y, x + bw, y + bh), float(r[14]), np.asarray(r[4:14], np.float32).reshape(5, 2)))
    out.sort(key=lambda f: -f[1])
    return out

"""mediapipe 0.10.14 legacy solutions: face detection and the 478-point face mesh.

The models ship inside the wheel (Apache-2.0). Graph objects are not thread-safe, so
each thread gets its own (created lazily, on first use, never at import).
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # quieten C++ INFO lines on stderr
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_local = threading.local()


def _mp():
    # mediapipe's protobuf use warns on every call with protobuf 4.x; not ours to fix.
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")
    import mediapipe as mp  # heavy: imported on first use only

    return mp


@contextlib.contextmanager
def quiet_stderr():
    """Silence the C++ INFO/WARNING lines TFLite prints when a graph starts (they go
    straight to file descriptor 2, before absl's logging is configured)."""
    if os.environ.get("LIKENESS_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _detector():
    det = getattr(_local, "detector", None)
    if det is None:
        with quiet_stderr():
            det = _mp().solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
            det.process(np.zeros((64, 64, 3), np.uint8))  # the first call logs too
        _local.detector = det
    return det


def _mesh():
    mesh = getattr(_local, "mesh", None)
    if mesh is None:
        with quiet_stderr():
            mesh = _mp().solutions.face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=3, refine_landmarks=True, min_detection_confidence=0.3
            )
            mesh.process(np.zeros((64, 64, 3), np.uint8))
        _local.mesh = mesh
    return mesh


def detect(image: np.ndarray, *, min_score: float = 0.5) -> list[tuple[tuple[float, float, float, float], float, np.ndarray]]:
    """Faces in an RGB uint8 image: (box x0,y0,x1,y1 px, score, 6 keypoints px).

    The full-range model sees a 192×192 view of the whole image, so the caller passes
    a moderately sized image (≈1024 px); boxes come back in that image's pixels.
    """
    h, w = image.shape[:2]
    res = _detector().process(np.ascontiguousarray(image))
    out = []
    for d in res.detections or []:
        score = float(d.score[0])
        if score < min_score:
            continue
        b = d.location_data.relative_bounding_box
        box = (b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h)
        kps = np.array([[k.x * w, k.y * h] for k in d.location_data.relative_keypoints], np.float32)
        out.append((box, score, kps))
    return out


def mesh(crop: np.ndarray) -> np.ndarray | None:
    """478×3 landmarks (x, y in crop pixels, z in the same scale) of the face at the
    centre of the crop. A crop around one face can hold a neighbour's face too: the
    mesh model returns faces in no particular order, so the central one is picked."""
    h, w = crop.shape[:2]
    res = _mesh().process(np.ascontiguousarray(crop))
    if not res.multi_face_landmarks:
        return None
    meshes = [np.array([[p.x * w, p.y * h, p.z * w] for p in f.landmark], np.float32) for f in res.multi_face_landmarks]
    centre = np.array([w / 2, h / 2], np.float32)
    return min(meshes, key=lambda m: float(np.linalg.norm(m[:, :2].mean(0) - centre)))

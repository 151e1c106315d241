"""The models that ship inside installed wheels (nothing to download): what
`likeness models list` and the README's licence table show about each.

SFace and YuNet files are pinned by sha256 (:mod:`.opencv_zoo`) and refused when they
differ. The mediapipe files come with the pinned mediapipe==0.10.14 wheel; their
digests are read from the installed files so the listing shows what is really there.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .opencv_zoo import MODELS as ZOO
from .opencv_zoo import file_sha256, package_dir

_MP_LICENCE = "Apache-2.0 (mediapipe 0.10.14 wheel)"
#: what runs them (:mod:`.tflite`)
_RUNTIME_LICENCE = "Apache-2.0 (LiteRT, ai-edge-litert 2.3.0)"
#: (name, need, file inside the mediapipe package, training data as Google states it)
_MEDIAPIPE = (
    ("mediapipe-face-detection-full-range", "face detection (first pass)",
     "modules/face_detection/face_detection_full_range_sparse.tflite",
     "not stated in the wheel; Google's model card for BlazeFace full range describes it"),
    ("mediapipe-face-mesh-attention", "478-point face mesh, iris",
     "modules/face_landmark/face_landmark_with_attention.tflite",
     "not stated in the wheel; Google's model card for Face Mesh with attention describes it"),
    ("mediapipe-face-detection-short", "face detection in the mesh's crop",
     "modules/face_detection/face_detection_short_range.tflite",
     "not stated in the wheel; Google's model card for BlazeFace short range describes it"),
    ("mediapipe-selfie-segmentation", "person segmentation",
     "modules/selfie_segmentation/selfie_segmentation.tflite",
     "not stated in the wheel; Google's model card for Selfie Segmentation describes it"),
    ("mediapipe-selfie-landscape", "person segmentation (landscape view)",
     "modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
     "not stated in the wheel; Google's model card for Selfie Segmentation describes it"),
    ("mediapipe-palm-detection", "hand over the face (review): palms",
     "modules/palm_detection/palm_detection_lite.tflite",
     "not stated in the wheel; Google's model card for MediaPipe Hands describes it"),
    ("mediapipe-hand-landmarks", "hand over the face (review): 21 points",
     "modules/hand_landmark/hand_landmark_full.tflite",
     "not stated in the wheel; Google's model card for MediaPipe Hands describes it"),
    ("mediapipe-hand-landmarks-lite", "hand over the face (review): 21 points",
     "modules/hand_landmark/hand_landmark_lite.tflite",
     "not stated in the wheel; Google's model card for MediaPipe Hands describes it"),
)


@dataclass(frozen=True)
class EmbeddedStatus:
    name: str
    need: str
    file: str  # absolute path where installed, else the path inside its package
    sha256: str  # pinned (SFace, YuNet) or read from the installed file ("" when absent)
    licence: str  # of the weights
    code_licence: str
    training_data: str
    installed: bool  # present (and, where pinned, unchanged)


def list_embedded() -> list[EmbeddedStatus]:
    out = []
    root = package_dir()
    for m in ZOO:
        path = root / m.file if root is not None else None
        ok = path is not None and path.is_file() and file_sha256(path) == m.sha256
        out.append(EmbeddedStatus(m.name, m.need, str(path or m.file), m.sha256, m.licence, m.code_licence,
                                  m.training_data, bool(ok)))
    spec = importlib.util.find_spec("mediapipe")
    mp_root = Path(spec.origin).parent if spec is not None and spec.origin else None
    for name, need, rel, data in _MEDIAPIPE:
        path = mp_root / rel if mp_root is not None else None
        ok = path is not None and path.is_file()
        out.append(EmbeddedStatus(name, need, str(path if ok else rel), file_sha256(path) if ok else "",
                                  _MP_LICENCE, _RUNTIME_LICENCE, data, bool(ok)))
    return out

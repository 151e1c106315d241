"""Face analysis: detection → 478-point mesh → head pose → identity embedding.

One entry point, :func:`analyze`, used by intake, studio, review and team. Detection
runs on a ≤1024 px view of the photo (the detector sees 192×192 anyway); the mesh runs
on a crop around each face; the identity embedding is computed from the full-resolution
pixels of the face.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from ..types import Face, Pose
from . import mediapipe_backend as mpb
from . import yunet
from .identity import MODEL, embed_face

DETECT_SIDE = 1024
MESH_SIDE = 320  # the mesh model sees 192×192: more pixels only cost time


def analyze(
    image: np.ndarray,
    *,
    embed: bool = True,
    max_faces: int = 6,
    min_score: float = 0.5,
    subject_only: bool = False,
) -> list[Face]:
    """All faces in an RGB uint8 image, largest first.

    With ``subject_only`` only the largest face gets a mesh and an embedding (the
    others keep their box and score), which is what single-person work needs.
    """
    h, w = image.shape[:2]
    s = min(1.0, DETECT_SIDE / max(h, w))
    small = image if s == 1.0 else cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    found = mpb.detect(small, min_score=min_score)
    if not found and s < 1.0 and max(h, w) > 2 * DETECT_SIDE:
        # A small face in a big photo: look again at the centre at higher resolution.
        found = _detect_center(image, min_score=min_score)
        if found:
            s = 1.0
    faces = [Face(box=tuple(float(v) / s for v in box), score=score) for box, score, _ in found]
    if not faces:
        # mediapipe missed every face (masks, a head turned or tilted far, a partial
        # face): YuNet on the same view finds these (see `yunet_faces`).
        faces = yunet_faces(small, scale=s)
    faces.sort(key=lambda f: f.width * f.height, reverse=True)
    faces = faces[:max_faces]
    out = []
    for i, f in enumerate(faces):
        if subject_only and i > 0:
            out.append(f)
            continue
        out.append(_describe(image, f, embed=embed))
    return out


#: YuNet's score at which a face is taken when mediapipe found none: no-face photos
#: (scikit-image's coffee, rocket, Hubble field) peak at 0.59; masked faces and a
#: head turned in profile on the eval set score 0.77–0.95.
YUNET_MIN_SCORE = 0.7


def yunet_faces(image: np.ndarray, *, scale: float = 1.0) -> list[Face]:
    """YuNet's faces in ``image`` as mediapipe-like boxes (in px of ``image`` / ``scale``).

    The rest of the library is tuned on mediapipe's square brow-to-mouth boxes; YuNet's
    are taller (forehead to chin). On the 232 faces both found in the eval photos
    mediapipe's box is a square 1.19 × YuNet's width, centred 0.053 × its height
    lower (medians), so YuNet's box is mapped onto that. Its five landmarks are kept.
    """
    out = []
    for (x0, y0, x1, y1), score, lm in yunet.detect(image, min_score=YUNET_MIN_SCORE):
        half = 0.5 * 1.19 * (x1 - x0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.053 * (y1 - y0)
        box = tuple(float(v) / scale for v in (cx - half, cy - half, cx + half, cy + half))
        out.append(Face(box=box, score=score, landmarks5=(lm / np.float32(scale)).astype(np.float32)))
    return out


def _detect_center(image: np.ndarray, *, min_score: float):
    h, w = image.shape[:2]
    cw, ch = w // 2, h // 2
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = image[y0 : y0 + ch, x0 : x0 + cw]
    s = min(1.0, DETECT_SIDE / max(cw, ch))
    small = cv2.resize(crop, (round(cw * s), round(ch * s)), interpolation=cv2.INTER_AREA)
    res = []
    for box, score, kps in mpb.detect(small, min_score=min_score):
        b = (box[0] / s + x0, box[1] / s + y0, box[2] / s + x0, box[3] / s + y0)
        res.append(((b[0], b[1], b[2], b[3]), score, kps))
    return res


def _describe(image: np.ndarray, face: Face, *, embed: bool) -> Face:
    mesh = mesh_for(image, face.box)
    pose = pose_from_mesh(mesh) if mesh is not None else None
    if not embed:
        return replace(face, mesh=mesh, pose=pose)
    lm5, emb = embed_face(image, face.box, mesh=mesh, landmarks5=face.landmarks5)
    return replace(face, mesh=mesh, pose=pose, landmarks5=lm5, embedding=emb, embedding_model=MODEL)


def mesh_for(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    """478×3 mesh of the face in ``box``, in image pixels (z scaled like x)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side = 2.0 * max(x1 - x0, y1 - y0)
    ax0, ay0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    ax1, ay1 = int(round(cx + side / 2)), int(round(cy + side / 2))
    # Pad with edge pixels where the square reaches past the photo (head cut by frame).
    px0, py0 = max(0, -ax0), max(0, -ay0)
    px1, py1 = max(0, ax1 - w), max(0, ay1 - h)
    crop = image[max(0, ay0) : min(h, ay1), max(0, ax0) : min(w, ax1)]
    if crop.size == 0:
        return None
    if px0 or py0 or px1 or py1:
        crop = cv2.copyMakeBorder(crop, py0, py1, px0, px1, cv2.BORDER_REPLICATE)
    k = MESH_SIDE / crop.shape[0]
    small = cv2.resize(crop, (MESH_SIDE, MESH_SIDE), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    m = mpb.mesh(small)
    if m is None:
        return None
    m = m / k
    m[:, 0] += ax0
    m[:, 1] += ay0
    return m


def meshed(image: np.ndarray, face: Face, box: tuple[float, float, float, float] | None = None) -> Face | None:
    """``face`` with the mesh found in ``box`` (its own box by default) and the head
    pose read from it; None where the mesh model finds no face there."""
    mesh = mesh_for(image, face.box if box is None else box)
    return None if mesh is None else replace(face, mesh=mesh, pose=pose_from_mesh(mesh))


def pose_from_mesh(mesh: np.ndarray) -> Pose:
    """Yaw, pitch, roll in degrees from the 3-D mesh (weak perspective)."""
    r_eye, l_eye = mesh[33], mesh[263]  # outer eye corners: image-left, image-right
    v = l_eye - r_eye
    roll = math.degrees(math.atan2(v[1], v[0]))
    # Undo roll before reading yaw and pitch.
    c, s_ = math.cos(-math.radians(roll)), math.sin(-math.radians(roll))
    rot = np.array([[c, -s_, 0], [s_, c, 0], [0, 0, 1]], np.float32)
    m = mesh @ rot.T
    v = m[263] - m[33]
    # mediapipe z grows away from the camera: a face turned to the image's right takes
    # its image-right eye corner back (+z), a raised chin comes forward (−z).
    yaw = math.degrees(math.atan2(v[2], v[0]))
    down = m[152] - m[10]  # forehead → chin
    pitch = PITCH_NEUTRAL - math.degrees(math.atan2(down[2], down[1]))
    return Pose(yaw=float(yaw), pitch=float(pitch), roll=float(roll))


#: The mesh's chin lies this much behind its forehead line on a level frontal face
#: (median over the frontal photos of ../shared/eval/identities: 6.7°; all: 5.4°).
PITCH_NEUTRAL = 6.0

"""mediapipe 0.10.14's face models, run without mediapipe: face detection and the
478-point face mesh.

The models ship inside the mediapipe wheel (Apache-2.0); :mod:`.tflite` runs them
with OpenCV's DNN module, which starts in milliseconds where ``import mediapipe`` and
its graphs take about 2 s on one core. The pre- and post-processing follows the
legacy solutions' graphs (ImageToTensor views, SSD anchors, weighted NMS, ROI
projection), so outputs agree with ``mp.solutions`` (numbers in ``tests/test_tflite*``):

- :func:`detect`: ``FaceDetection(model_selection=1)``, the full-range detector;
- :func:`mesh`: ``FaceMesh(static_image_mode=True, refine_landmarks=True)``. Its
  attention model uses custom operators OpenCV cannot run, so the 478 points come
  from the plain mesh model (468 points) refined by the iris model (eye contours and
  irises), the pair mediapipe itself used before the attention model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from . import tflite


@dataclass(frozen=True)
class _Ssd:
    """A BlazeFace-style detector: input side, anchor strides and anchors per cell."""

    file: str
    side: int
    strides: tuple[int, ...]
    per_cell: tuple[int, ...]
    min_score: float  # candidates below this are dropped before NMS
    cut_before: int | None = None


#: FaceMesh settings the callers relied on: up to 3 faces, detection score ≥ 0.3,
#: face presence ≥ 0.5 (min_tracking_confidence's default).
MESH_FACES, MESH_MIN_SCORE, MESH_MIN_PRESENCE = 3, 0.3, 0.5
#: the full-range detector (FaceDetection model_selection=1): 48×48 cells, one anchor
#: each; it ends in depth-to-space, done here (see ``tflite.rewrite``).
FULL_RANGE = _Ssd("face_detection/face_detection_full_range_sparse.tflite", 192, (4,), (1,), 0.6, tflite.DEPTH_TO_SPACE)
#: the short-range detector FaceMesh runs on its input before the mesh.
SHORT_RANGE = _Ssd("face_detection/face_detection_short_range.tflite", 128, (8, 16), (2, 6), MESH_MIN_SCORE)
#: boxes overlapping the best one by more than this IoU are merged into it.
NMS_IOU = 0.3

#: mesh vertices of the eyelids, lower lid then upper, as the iris model's first 16
#: eye-contour points stand for them: image-left eye (corners 33 → 133), then the
#: image-right eye (362 → 263), which the model sees mirrored. Of its 71 contour
#: points only the lids are taken: on 60 faces they land nearer the attention model's
#: than the plain mesh's do (2.3 % against 2.5 % of the inter-pupil distance), its
#: outer rings and brows farther (4.6 % against 2.7 %).
EYE_LIDS = (
    (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173),
    (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398),
)
EYE_CORNERS = ((33, 133), (362, 263))


def detect(image: np.ndarray, *, min_score: float = 0.5) -> list[tuple[tuple[float, float, float, float], float, np.ndarray]]:
    """Faces in an RGB uint8 image: (box x0,y0,x1,y1 px, score, 6 keypoints px).

    The full-range model sees a 192×192 view of the whole image, so the caller passes
    a moderately sized image (≈1024 px); boxes come back in that image's pixels.
    """
    return [((float(b[0]), float(b[1]), float(b[2]), float(b[3])), s, k) for b, s, k in _ssd(image, FULL_RANGE) if s >= min_score]


def mesh(crop: np.ndarray) -> np.ndarray | None:
    """478×3 landmarks (x, y in crop pixels, z in the same scale) of the face at the
    centre of the crop. A crop around one face can hold a neighbour's face too, so of
    the faces found there the one whose mesh centre is nearest the crop's is kept."""
    h, w = crop.shape[:2]
    centre = np.array([w / 2, h / 2], np.float32)
    meshes = []
    for box, _, kps in _ssd(crop, SHORT_RANGE)[:MESH_FACES]:
        m = _landmarks(crop, box, kps)
        if m is not None:
            meshes.append(m)
    if not meshes:
        return None
    best = min(meshes, key=lambda m: float(np.linalg.norm(m[:, :2].mean(0) - centre)))
    return _refine_eyes(crop, best)


# --- detection ---------------------------------------------------------------------


def _anchors(spec: _Ssd) -> np.ndarray:
    """Anchor centres (N×2, normalised), row by row, as SsdAnchorsCalculator lays them."""
    out = []
    for stride, k in zip(spec.strides, spec.per_cell):
        n = math.ceil(spec.side / stride)
        c = (np.arange(n, dtype=np.float32) + 0.5) / n
        xy = np.stack(np.meshgrid(c, c), -1).reshape(-1, 1, 2)
        out.append(np.repeat(xy, k, axis=1).reshape(-1, 2))
    return np.concatenate(out)


_ANCHORS: dict[str, np.ndarray] = {}


def _ssd(image: np.ndarray, spec: _Ssd) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Boxes (x0, y0, x1, y1 px), scores and 6 keypoints (px), best first."""
    h, w = image.shape[:2]
    side = max(h, w)  # the whole image, letterboxed into the square input
    view = tflite.warp(image, center=(w / 2, h / 2), side=(side, side), angle=0.0,
                       size=(spec.side, spec.side), border=cv2.BORDER_CONSTANT)
    net = tflite.net(spec.file, cut_before=spec.cut_before)
    outs = tflite.forward(net, tflite.blob(view, low=-1.0, high=1.0), tuple(net.getUnconnectedOutLayersNames()))
    raw, logits = _heads(outs, spec)
    anchors = _ANCHORS.get(spec.file)
    if anchors is None:
        anchors = _ANCHORS[spec.file] = _anchors(spec)
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100.0, 100.0)))
    keep = np.flatnonzero(scores >= spec.min_score)
    if keep.size == 0:
        return []
    raw, scores, anchors = raw[keep] / spec.side, scores[keep], anchors[keep]
    c = raw[:, :2] + anchors
    boxes = np.concatenate([c - raw[:, 2:4] / 2, c + raw[:, 2:4] / 2], 1)
    kps = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None]
    # From the letterboxed square back to image pixels.
    offset = np.array([(w - side) / 2, (h - side) / 2], np.float32)
    out = []
    for box, score, kp in _weighted_nms(boxes, scores, kps):
        out.append((box * side + np.tile(offset, 2), score, (kp * side + offset).astype(np.float32)))
    return out


def _heads(outs: list[np.ndarray], spec: _Ssd) -> tuple[np.ndarray, np.ndarray]:
    """(N×16 box regressors, N class logits) from the network's outputs."""
    if spec.cut_before is None:
        by_width = {o.shape[-1]: o.reshape(-1, o.shape[-1]) for o in outs}
        return by_width[16], by_width[1][:, 0]
    # Cut before depth-to-space: N×(4·C)×24×24 (NCHW) → 48×48×C, channel (i·2 + j)·C + c
    # going to row 2y + i, column 2x + j.
    flat = {}
    for o in outs:
        c4, n = o.shape[1], o.shape[2]
        c = c4 // 4
        t = o[0].reshape(2, 2, c, n, n).transpose(3, 0, 4, 1, 2).reshape(2 * n * 2 * n, c)
        flat[c] = t
    return flat[16], flat[1][:, 0]


def _weighted_nms(boxes: np.ndarray, scores: np.ndarray, kps: np.ndarray):
    """mediapipe's weighted non-maximum suppression: the best remaining box absorbs
    every box overlapping it by more than NMS_IOU; box and keypoints become their
    score-weighted mean, the score stays the best one's."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores, kps = boxes[order], scores[order], kps[order]
    area = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    left = np.arange(len(scores))
    while left.size:
        top = left[0]
        ix = np.clip(np.minimum(boxes[left, 2], boxes[top, 2]) - np.maximum(boxes[left, 0], boxes[top, 0]), 0, None)
        iy = np.clip(np.minimum(boxes[left, 3], boxes[top, 3]) - np.maximum(boxes[left, 1], boxes[top, 1]), 0, None)
        inter = ix * iy
        iou = inter / np.maximum(area[left] + area[top] - inter, 1e-12)
        group, left = left[iou > NMS_IOU], left[iou <= NMS_IOU]
        if group.size == 0:  # a degenerate top box overlaps nothing, not even itself
            group, left = np.array([top]), left[left != top]
        wgt = scores[group][:, None]
        total = float(wgt.sum())
        yield (boxes[group] * wgt).sum(0) / total, float(scores[top]), (kps[group] * wgt[:, :, None]).sum(0) / total


# --- mesh --------------------------------------------------------------------------


def _rect_angle(p0: np.ndarray, p1: np.ndarray) -> float:
    """Rotation that makes p0 → p1 point right (mediapipe's rect rotation), radians."""
    a = -math.atan2(-(float(p1[1]) - float(p0[1])), float(p1[0]) - float(p0[0]))
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def _project(points: np.ndarray, *, size: int, center: tuple[float, float], side: float, angle: float) -> np.ndarray:
    """Model-input pixels (size×size) of a rotated square ROI → image pixels."""
    p = points.astype(np.float32) / size
    dx, dy = p[:, 0] - 0.5, p[:, 1] - 0.5
    c, s = math.cos(angle), math.sin(angle)
    out = np.empty_like(p)
    out[:, 0] = (c * dx - s * dy) * side + center[0]
    out[:, 1] = (s * dx + c * dy) * side + center[1]
    out[:, 2] = p[:, 2] * side
    return out


def _landmarks(crop: np.ndarray, box: np.ndarray, kps: np.ndarray) -> np.ndarray | None:
    """468×3 mesh of the face detected at ``box`` (kps: eyes first), or None when the
    model says no face is there. The ROI is the box 1.5× as a square, turned upright."""
    center = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
    side = 1.5 * float(max(box[2] - box[0], box[3] - box[1]))
    angle = _rect_angle(kps[0], kps[1])
    view = tflite.warp(crop, center=center, side=(side, side), angle=angle, size=(192, 192), border=cv2.BORDER_REPLICATE)
    net = tflite.net("face_landmark/face_landmark.tflite")
    presence, pts = tflite.forward(net, tflite.blob(view, low=0.0, high=1.0), ("conv2d_31", "conv2d_21"))
    if 1.0 / (1.0 + math.exp(-float(presence.ravel()[0]))) < MESH_MIN_PRESENCE:
        return None
    return _project(pts.reshape(468, 3), size=192, center=center, side=side, angle=angle)


def _refine_eyes(crop: np.ndarray, m: np.ndarray) -> np.ndarray:
    """478 points: eyelids (x, y) from the iris model, plus 5 points per iris (centre
    first) whose depth is the mean of the eye's 16 lid points (as the attention model
    does). Both eyes go through the model in one batch."""
    out = np.empty((478, 3), np.float32)
    out[:468] = m
    rois, views = [], []
    for eye, (i0, i1) in enumerate(EYE_CORNERS):
        p0, p1 = m[i0, :2], m[i1, :2]
        center = (float(p0[0] + p1[0]) / 2, float(p0[1] + p1[1]) / 2)
        side = 2.3 * float(max(abs(p1[0] - p0[0]), abs(p1[1] - p0[1])))
        angle = _rect_angle(p0, p1)
        rois.append((center, side, angle))
        # The model knows one eye; the other is shown to it mirrored.
        views.append(tflite.warp(crop, center=center, side=(side, side), angle=angle, size=(64, 64),
                                 border=cv2.BORDER_REPLICATE, flip=eye == 1))
    net = tflite.net("iris_landmark/iris_landmark.tflite")
    contours, irises = tflite.forward(net, np.concatenate([tflite.blob(v, low=0.0, high=1.0) for v in views]),
                                      ("output_eyes_contours_and_brows", "output_iris"))
    contours, irises = contours.reshape(2, 71, 3), irises.reshape(2, 5, 3)  # OpenCV joins the batch
    for eye, ((center, side, angle), lids) in enumerate(zip(rois, EYE_LIDS)):
        pts = np.concatenate([contours[eye, :16], irises[eye]])
        if eye == 1:  # back from the mirror; the rim points' order then runs the other way
            pts[:, 0] = 64.0 - pts[:, 0]
            pts[[17, 19]] = pts[[19, 17]]
        pts = _project(pts, size=64, center=center, side=side, angle=angle)
        idx = np.array(lids)
        out[idx, :2] = pts[:16, :2]
        at = 468 + 5 * eye
        out[at : at + 5, :2] = pts[16:, :2]
        out[at : at + 5, 2] = m[idx, 2].mean()
    return out

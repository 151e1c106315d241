"""mediapipe 0.10.14's face models, run without mediapipe: face detection and the
478-point face mesh.

The models ship inside the mediapipe wheel (Apache-2.0); :mod:`.tflite` runs them in
LiteRT's interpreter, which loads the four it needs in about 10 ms where ``import
mediapipe`` and its graphs took about 0.75 s on one core. The pre- and post-processing
follows the legacy solutions' graphs (ImageToTensor views, SSD anchors, weighted NMS,
ROI projection), so the outputs are mediapipe's (checked in ``tests/test_tflite.py``):

- :func:`detect`: ``FaceDetection(model_selection=1)``, the full-range detector.
- :func:`mesh`: ``FaceMesh(static_image_mode=True, refine_landmarks=True)``. Its
  attention model holds three custom operators LiteRT lacks (they place 16×16 crops
  of a feature map on the lips and eyes, and map the refined points back); the model
  runs in two pieces around them, with the three done here in numpy.

Against OpenCV's DNN module, which ran them before (stop 36, 38 eval photos): the same
faces, box IoU ≥ 0.999998, scores within 7e-7, mesh points within 1.1e-4 of the
inter-pupil distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

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


#: FaceMesh settings the callers relied on: up to 3 faces, detection score ≥ 0.3,
#: face presence ≥ 0.5 (min_tracking_confidence's default).
MESH_FACES, MESH_MIN_SCORE, MESH_MIN_PRESENCE = 3, 0.3, 0.5
#: the full-range detector (FaceDetection model_selection=1): 48×48 cells, one anchor each.
FULL_RANGE = _Ssd("face_detection/face_detection_full_range_sparse.tflite", 192, (4,), (1,), 0.6)
#: the short-range detector FaceMesh runs on its input before the mesh.
SHORT_RANGE = _Ssd("face_detection/face_detection_short_range.tflite", 128, (8, 16), (2, 6), MESH_MIN_SCORE)
#: boxes overlapping the best one by more than this IoU are merged into it.
NMS_IOU = 0.3

#: the attention mesh model and the tensors it is cut at (see ``_attention``).
ATTENTION = "face_landmark/face_landmark_with_attention.tflite"
_HEAD = ("output_mesh", "conv_faceflag", "p_re_lu_3", "multiply_by_constant", "multiply_by_constant_2", "multiply_by_constant_4")
_CROPS = ("transform_tensor_bilinear_v2", "transform_tensor_bilinear_v2_1", "transform_tensor_bilinear_v2_2")
#: refined points (lips, left eye, left iris, right eye, right iris), each with the
#: region whose crop it was found in and the tensor that scales that crop's matrix.
_REFINED = (
    ("reshape_1", 0, "multiply_by_constant_1"),
    ("reshape_3", 1, "multiply_by_constant_3"),
    ("reshape_4", 1, "multiply_by_constant_3"),
    ("reshape_6", 2, "multiply_by_constant_5"),
    ("reshape_7", 2, "multiply_by_constant_5"),
)


def detect(image: np.ndarray, *, min_score: float = 0.5) -> list[tuple[tuple[float, float, float, float], float, np.ndarray]]:
    """Faces in an RGB uint8 image: (box x0,y0,x1,y1 px, score, 6 keypoints px).

    The full-range model sees a 192×192 view of the whole image, so the caller passes
    a moderately sized image (≈1024 px); boxes come back in that image's pixels.
    Scores below 0.6 never come back, whatever ``min_score``: mediapipe 0.10.14's
    full-range graph keeps (and merges) only candidates from 0.6 up and ignores its
    min_detection_confidence; the same floor keeps the boxes identical.
    """
    return [((float(b[0]), float(b[1]), float(b[2]), float(b[3])), s, k) for b, s, k in _ssd(image, FULL_RANGE) if s >= min_score]


def mesh(crop: np.ndarray) -> np.ndarray | None:
    """478×3 landmarks (x, y in crop pixels, z in the same scale) of the face at the
    centre of the crop. A crop around one face can hold a neighbour's face too, so of
    the faces found there the one whose mesh centre is nearest the crop's is kept."""
    crop = np.ascontiguousarray(crop)
    h, w = crop.shape[:2]
    centre = np.array([w / 2, h / 2], np.float32)
    meshes = [m for box, _, kps in _ssd(crop, SHORT_RANGE)[:MESH_FACES] if (m := _landmarks(crop, box, kps)) is not None]
    if not meshes:
        return None
    return min(meshes, key=lambda m: float(np.linalg.norm(m[:, :2].mean(0) - centre)))


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
    image = np.ascontiguousarray(image)  # one layout for OpenCV, as mediapipe was given
    h, w = image.shape[:2]
    side = max(h, w)  # the whole image, letterboxed into the square input
    view = tflite.warp(image, center=(w / 2, h / 2), side=(side, side), angle=0.0,
                       size=(spec.side, spec.side), border=cv2.BORDER_CONSTANT)
    net = tflite.net(spec.file)
    raw, logits = _heads(net.run(tflite.blob(view, low=-1.0, high=1.0), net.outputs))
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


def _heads(outs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(N×16 box regressors, N class logits) from the network's outputs."""
    by_width = {o.shape[-1]: o.reshape(-1, o.shape[-1]) for o in outs}
    return by_width[16], by_width[1][:, 0]


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
    """478×3 mesh of the face detected at ``box`` (kps: eyes first), or None when the
    model says no face is there. The ROI is the box 1.5× as a square, turned upright."""
    center = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
    side = 1.5 * float(max(box[2] - box[0], box[3] - box[1]))
    angle = _rect_angle(kps[0], kps[1])
    view = tflite.warp(crop, center=center, side=(side, side), angle=angle, size=(192, 192), border=cv2.BORDER_REPLICATE)
    pts = _attention(tflite.blob(view, low=0.0, high=1.0))
    return None if pts is None else _project(pts, size=192, center=center, side=side, angle=angle)


@lru_cache(maxsize=1)
def _attention_params() -> tuple[list[dict], list[np.ndarray]]:
    """The custom operators' settings (lips, left eye, right eye) and the constants
    that scale their matrices for the refined points, read from the model file."""
    data = tflite.model_file(ATTENTION).read_bytes()
    regions = tflite.custom_options(data)["Landmarks2TransformMatrix"]
    scales = [c[0] for c in tflite.constants(data, tuple(f"{name}/Constant_dequantize" for _, _, name in _REFINED))]
    return regions, scales


def _attention(blob: np.ndarray) -> np.ndarray | None:
    """The attention model on a 1×3×192×192 view: 478×3 points in view pixels, or None
    below the face-presence threshold. Refined lips and eyes replace the mesh's x, y;
    an iris takes the mean depth of its eye's 16 lid points (as mediapipe does)."""
    head = tflite.net(ATTENTION, outputs=_HEAD)
    mesh_, flag, feature, *marks = head.run(blob, _HEAD)
    if 1.0 / (1.0 + math.exp(-float(flag.ravel()[0]))) < MESH_MIN_PRESENCE:
        return None
    regions, scales = _attention_params()
    feature = feature[0]  # H×W×C
    mats = [_region_matrix(m.reshape(468, 3), r) for m, r in zip(marks, regions)]
    tail = tflite.net(ATTENTION, inputs=_CROPS, outputs=tuple(n for n, _, _ in _REFINED))
    crops = {name: _sample(feature, m, (r["output_width"], r["output_height"]))[None]
             for name, m, r in zip(_CROPS, mats, regions)}
    refined = tail.run(crops, tuple(n for n, _, _ in _REFINED))
    out = np.zeros((478, 3), np.float32)
    out[:468] = mesh_.reshape(468, 3)
    lips, left, right = (np.array(r["subset_idxs"]) for r in regions)
    for pts, (_, k, _), scale, idx in zip(refined, _REFINED, scales, (lips, left, np.arange(468, 473), right, np.arange(473, 478))):
        m = mats[k] * scale
        p = pts.reshape(-1, 2)
        out[idx, 0] = p[:, 0] * m[0, 0] + p[:, 1] * m[0, 1] + m[0, 3]
        out[idx, 1] = p[:, 0] * m[1, 0] + p[:, 1] * m[1, 1] + m[1, 3]
    out[468:473, 2] = out[left[:16], 2].mean()
    out[473:478, 2] = out[right[:16], 2].mean()
    return out


def _region_matrix(marks: np.ndarray, opt: dict) -> np.ndarray:
    """mediapipe's Landmarks2TransformMatrix (v2): the 4×4 matrix taking a crop's
    pixels to the feature map, for a box around the region's points turned so that
    its two reference points lie level, scaled by scale_x/scale_y."""
    left, right = marks[opt["left_rotation_idx"], :2], marks[opt["right_rotation_idx"], :2]
    r = opt["target_rotation_radians"] - math.atan2(right[1] - left[1], right[0] - left[0])
    c, s = math.cos(r), math.sin(r)
    pts = marks[np.array(opt["subset_idxs"]), :2].astype(np.float64) @ np.array([[c, s], [-s, c]])  # turned by r
    lo, hi = pts.min(0), pts.max(0)
    mid = (lo + hi) / 2 @ np.array([[c, -s], [s, c]])  # turned back
    w, h = opt["output_width"], opt["output_height"]
    shift = np.eye(4)
    shift[:2, 3] = mid
    turn = np.eye(4)
    turn[:2, :2] = [[c, s], [-s, c]]
    scale = np.diag([opt["scale_x"] * (hi[0] - lo[0]) / w, opt["scale_y"] * (hi[1] - lo[1]) / h, 1.0, 1.0])
    centre = np.eye(4)
    centre[:2, 3] = (-w / 2, -h / 2)
    return shift @ turn @ scale @ centre


def _sample(feature: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """mediapipe's TransformTensorBilinear (v2): a size[1]×size[0] crop of an H×W×C
    map, pixel centres mapped through ``m``; zero where a sample falls off the map."""
    hh, ww = feature.shape[:2]
    v, u = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float64) + 0.5
    x = m[0, 0] * u + m[0, 1] * v + m[0, 3] - 0.5
    y = m[1, 0] * u + m[1, 1] * v + m[1, 3] - 0.5
    inside = (x >= 0) & (x <= ww - 1) & (y >= 0) & (y <= hh - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    pad = np.pad(feature, ((0, 1), (0, 1), (0, 0)))  # the +1 neighbour of the last row/column reads zero
    x0, y0 = np.clip(x0, 0, ww - 1), np.clip(y0, 0, hh - 1)
    top = (1 - fx) * pad[y0, x0] + fx * pad[y0, x0 + 1]
    bottom = (1 - fx) * pad[y0 + 1, x0] + fx * pad[y0 + 1, x0 + 1]
    out = (1 - fy) * top + fy * bottom
    return np.where(inside[..., None], out, 0.0).astype(np.float32)

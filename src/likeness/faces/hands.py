"""Hands near a face: mediapipe's two-stage hand models (inside the mediapipe wheel),
run by LiteRT (:mod:`.tflite`), with mediapipe's own conventions
(``palm_detection_cpu.pbtxt``, ``palm_detection_detection_to_roi.pbtxt``,
``hand_landmark_cpu.pbtxt``, ``HandLandmarksToRectCalculator``):

1. the *palm detector* (lite, 192×192 letterboxed, values in [0, 1]; 2016 SSD anchors on
   strides 8, 16, 16, 16; 18 regressors: box centre and size, then 7 keypoints) finds
   palm candidates;
2. each candidate's rectangle is turned so that the wrist (keypoint 0) → middle-finger
   knuckle (keypoint 2) points up, shifted half its height towards the fingers and
   grown 2.6× as a square: the *hand landmark* model (224×224, [0, 1]) gives 21
   points and a hand-presence score (already a probability);
3. as mediapipe's tracking does on its next frame, the rectangle is taken again from
   those points (wrist → the knuckles' mean, the palm's points grown 2×, shifted 0.1
   towards the fingers) and the landmark model runs on it again (``REFINE`` times).

Why the second stage, with both landmark models: the palm detector alone fires on
chins and mouths (Hans Blix 0.76, Ariel Sharon 0.79, two stock portraits; stop 25). On
the rectangle cut from the palm the landmark models score a chin 0.3–0.55 but also
Lin-Manuel Miranda's fist around a microphone (0.45–0.88: that rectangle sits badly on
a fist seen from below); on the rectangle taken from their own points a real hand holds
0.75–1.0, and the two models rarely both hold a chin (Sharon's: full 0.79, lite 0.02).
:attr:`Hand.score` is the mean of the two models'. (These scores were read with OpenCV's
DNN module, whose landmark points were 3 px off; :func:`likeness.review.hand_check.hand`
has the check's figures under LiteRT.) On the eval set's faces framed as the
studio frames them (259 faces), every palm candidate at the face that is a real hand
scores 0.675–0.99 and no other one above 0.367 (``review.hand_check.hand`` has the limit
and the face-geometry rule).

Cost on one core (LiteRT, stop 36): the palm detector 10 ms of CPU, each landmark pass
4 (lite) or 8 ms (full), four passes per palm candidate at the face (a quarter of the
faces); OpenCV's DNN module, which ran them before, took 34, 15 and 27 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from . import mediapipe_backend as mpb
from . import tflite

PALM = "palm_detection/palm_detection_lite.tflite"
LANDMARKS = ("hand_landmark/hand_landmark_full.tflite", "hand_landmark/hand_landmark_lite.tflite")
PALM_SIDE, HAND_SIDE = 192, 224
#: palm candidates below this are dropped (mediapipe's min_detection_confidence default)
MIN_PALM = 0.5
#: passes of each landmark model on rectangles taken from its own points (2 passes:
#: the same five hands flagged, the highest face without one 0.47 against 0.37 with 1,
#: and Rose Leslie's studio render, her neck and necklace, 0.47 against 0.34)
REFINE = 1
#: the landmark points that outline the palm (wrist, knuckles, first joints)
_PALM_POINTS = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]


@dataclass(frozen=True)
class Hand:
    """One hand candidate (pixels of the image given)."""

    score: float  # hand presence: the mean of the two landmark models' (each its best refined pass)
    palm: float  # the palm detector's score
    points: np.ndarray  # n×21×2 landmarks: each refined pass of each model that ran
    scores: tuple[float, ...] = ()  # (full, lite) presence, each its best refined pass


@lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    return mpb._anchors(mpb._Ssd(PALM, PALM_SIDE, (8, 16), (2, 6), MIN_PALM))


def palms(image: np.ndarray, *, min_score: float = MIN_PALM) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Palm candidates in an RGB uint8 image (letterboxed into the model's square):
    (box x0, y0, x1, y1 px, score, 7 keypoints px), best first."""
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    side = max(h, w)
    view = tflite.warp(image, center=(w / 2, h / 2), side=(side, side), angle=0.0,
                       size=(PALM_SIDE, PALM_SIDE), border=cv2.BORDER_CONSTANT)
    logits, raw = tflite.net(PALM).run(tflite.blob(view, low=0.0, high=1.0), ("Identity_1", "Identity"))
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return []
    raw, scores, anchors = raw.reshape(-1, 18)[keep] / PALM_SIDE, scores[keep], _anchors()[keep]
    c = raw[:, :2] + anchors
    boxes = np.concatenate([c - raw[:, 2:4] / 2, c + raw[:, 2:4] / 2], 1)
    kps = raw[:, 4:18].reshape(-1, 7, 2) + anchors[:, None]
    offset = np.array([(w - side) / 2, (h - side) / 2], np.float32)
    return [(b * side + np.tile(offset, 2), s, (k * side + offset).astype(np.float32))
            for b, s, k in mpb._weighted_nms(boxes, scores, kps)]


def _upright(p0, p1) -> float:
    """Rotation that makes p0 → p1 point up (mediapipe's target angle of 90°)."""
    a = math.pi / 2 + mpb._rect_angle(np.asarray(p0), np.asarray(p1))
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def palm_rect(box: np.ndarray, kps: np.ndarray) -> tuple[tuple[float, float], float, float]:
    a = _upright(kps[0], kps[2])
    bw, bh = float(box[2] - box[0]), float(box[3] - box[1])
    cx = (box[0] + box[2]) / 2 + 0.5 * bh * math.sin(a)
    cy = (box[1] + box[3]) / 2 - 0.5 * bh * math.cos(a)
    return (float(cx), float(cy)), 2.6 * max(bw, bh), a


def _points_rect(pts: np.ndarray) -> tuple[tuple[float, float], float, float]:
    knuckles = ((pts[6, :2] + pts[14, :2]) / 2 + pts[10, :2]) / 2
    a = _upright(pts[0, :2], knuckles)
    c, s = math.cos(a), math.sin(a)
    rot = np.array([[c, s], [-s, c]])
    q = pts[_PALM_POINTS, :2] @ rot.T  # into the rectangle's own axes
    lo, hi = q.min(0), q.max(0)
    cx, cy = ((lo + hi) / 2) @ rot
    h = float(hi[1] - lo[1])
    return (float(cx + 0.1 * h * s), float(cy - 0.1 * h * c)), 2.0 * float(max(hi - lo)), a


def _landmarks(image: np.ndarray, rect, model: str) -> tuple[float, np.ndarray]:
    center, side, a = rect
    view = tflite.warp(image, center=center, side=(side, side), angle=a, size=(HAND_SIDE, HAND_SIDE),
                       border=cv2.BORDER_REPLICATE)
    flag, pts = tflite.net(model).run(tflite.blob(view, low=0.0, high=1.0), ("Identity_1", "Identity"))
    return float(flag.reshape(-1)[0]), mpb._project(pts.reshape(21, 3), size=HAND_SIDE, center=center, side=side, angle=a)


def hand(image: np.ndarray, box: np.ndarray, kps: np.ndarray, *, palm: float = 1.0) -> Hand:
    """The hand at one palm candidate of ``image`` (see the module's steps 2–3).

    Each model's presence is the best of its ``REFINE`` passes on rectangles taken
    from its own points (a real hand holds it as the rectangle settles); the score is
    the mean of the two models'."""
    scores, points = [], []
    for model in LANDMARKS:
        _, pts = _landmarks(image, palm_rect(box, kps), model)
        best = 0.0
        for _ in range(REFINE):
            score, pts = _landmarks(image, _points_rect(pts), model)
            best = max(best, score)
            points.append(pts[:, :2])
        scores.append(best)
    return Hand(float(np.mean(scores)), float(palm), np.stack(points).astype(np.float32),
                tuple(round(s, 4) for s in scores))

"""Identity embedding: five landmarks → SFace chip → 128-D unit vector; compare and enrol.

The model is OpenCV Zoo's SFace (:mod:`.sface`), aligned as OpenCV's ``alignCrop``
aligns it, from YuNet's five landmarks (:mod:`.yunet`), which are the only 5-point landmarks
in the project. The face is cut from the photo around its box and scaled so the
face is about as large as SFace's chip needs (``CROP_SIDE``): one resize with area
averaging feeds both the landmark pass and the alignment, so a large face is not
aliased by the alignment's bilinear warp and a small one is not re-detected at a
size YuNet was not trained on.

Measured by ``likeness eval identity ../shared/eval`` (27 people, 177 faces, 554
genuine / 15 022 impostor pairs), "fast" (one pass): TAR 1.000 at FAR 1e-3, 0.998 at
1e-4 and at FAR 0, EER 0.0001, enrolled TAR 1.000 at 1e-3 and 1e-4; 23 ms CPU per
face including the landmark pass (42 ms while OpenCV ran SFace: every figure the
same; 5 Dec, stop 37). "best" adds the mirrored chip: the same figures at 1.4× the
cost (it helped with a 224 px view: 0.991 → 0.996 at 1e-4). The dlib
ResNet it replaces: 0.960 / 0.876 / 0.789, EER 0.0077, 91 ms CPU.

dlib was dropped after a fusion test (224 px view; z-normalised distances, weighted
sum): on all people the best weight lifts TAR at FAR 1e-4 from 0.991 to 0.998, but
that weight is chosen on the same pairs; chosen on one half of the people and
applied to the other it gains nothing (1.000 → 1.000 and 0.994 → 0.994), and the
288 px view alone reaches 0.998.

Thresholds are distances between unit embeddings (0 = same, 2 = opposite); how they
were calibrated is written beside them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import OptionError
from . import sface, yunet
from .opencv_zoo import SFACE
from .view import preshrink

QUALITIES = ("fast", "best")

#: Stored beside every embedding and record: embeddings of different models (or
#: versions) are never compared.
MODEL = SFACE.name

# Thresholds are distances between unit embeddings, read off `likeness eval identity`
# (27 people, 177 faces, 554 genuine / 15 022 impostor pairs, "fast") and set
# stricter than the fit on all people: fitted on half of the people and tested on the
# other half (`calibration` in that eval), the FAR-1e-3 point lands at 1.154 / 1.136
# and lets 0.26 % / 0.02 % of the held-out impostors through, so a fit on few people
# drifts loose. The lowest impostor pairs lie at 1.079, 1.081, 1.088, 1.097, 1.101;
# the highest genuine pairs at 1.056, 1.061, 1.095.

#: Pair distance (one photo vs one photo) at which 0.1 % of different-person pairs
#: are accepted: "same person" means ``distance < this``. All-people fit 1.130
#: (OpenCV's own SFace cosine threshold 0.363 is distance 1.129). At 1.11: TAR 1.000,
#: 8 of 15 022 impostor pairs (FAR 5.3e-4).
THRESHOLD_FAR_1E3 = 1.11
#: The same at 0.01 % false accepts (the strict point). All-people fit 1.081; at
#: 1.07: TAR 0.998, no impostor pair.
THRESHOLD_FAR_1E4 = 1.07
#: The same at 1 % false accepts (a looser "probably the same person"); fit 1.185,
#: at 1.18 FAR 0.83 %.
THRESHOLD_FAR_1E2 = 1.18
#: Probe vs an enrolled identity (unit mean of several photos, e.g. Sitting.identity):
#: the mean is less noisy than one photo, so both kinds of distance are smaller. Of
#: 4 576 photo → other-person enrolments the closest lie at 1.083, 1.113, 1.119; the
#: farthest photo → own enrolment (leave-one-out) at 0.886. Fit at FAR 1e-3: 1.123.
THRESHOLD_ENROLLED_FAR_1E3 = 1.10
THRESHOLD_ENROLLED_FAR_1E4 = 1.07

#: Set consistency (``intake.identity.consistency``): a photo farther than this from
#: the mean of the set's other subject photos is taken as someone else (the enrolled
#: FAR-1e-3 point) ...
SET_SAME_PERSON = THRESHOLD_ENROLLED_FAR_1E3
#: ... and two groups of photos whose average pair distance is below this are one
#: person: looser than the pair FAR-1e-3 point, tighter than FAR 1e-2. Swept 1.15–1.30
#: on eval identity: 1.15 flags every intruder, no genuine photo, and splits every
#: two-person set, on each half of the people; 1.25 misses 7 % of two-person sets.
SET_LINK = 1.15

#: Side of the square view the face is cut to (the box spans about half of it).
#: Swept 160–288 px × 2–2.5 box sizes on eval identity: 288 × 2 gave the smallest
#: genuine distances (median 0.777) and TAR 0.998 at FAR 1e-4 and at FAR 0; the
#: others 0.991–1.000 at 1e-4 (within two genuine pairs of each other).
CROP_SIDE = 288
#: The view around the box: this many box sizes wide, so YuNet sees the whole head.
CROP_SCALE = 2.0


def embed_face(
    image: np.ndarray,
    box: tuple[float, float, float, float],
    *,
    mesh: np.ndarray | None = None,
    landmarks5: np.ndarray | None = None,
    quality: str = "fast",
) -> tuple[np.ndarray, np.ndarray]:
    """(5×2 landmarks in YuNet order, 128-D unit float32 embedding) of the face in ``box``.

    ``landmarks5`` (image px) are used when the caller already has YuNet's; otherwise
    YuNet looks again in a view around the box. When it finds nothing there (a face
    turned far away), the 478-point ``mesh`` gives the five points; without a mesh, a
    template placed in the box does.
    """
    if quality not in QUALITIES:
        raise OptionError(f"Unknown identity quality {quality!r}.", hint="Use 'fast' or 'best'.")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise OptionError(
            "embed_face needs an RGB uint8 H×W×3 image.", hint="Decode it with likeness.imageio.load_photo."
        )
    view, k, (ox, oy) = _view(image, box)
    if landmarks5 is not None:
        lm = (np.asarray(landmarks5, np.float32) - (ox, oy)) * k
    else:
        lm = _landmarks_in_view(view)
        if lm is None:
            lm = (mesh_landmarks5(mesh) - (ox, oy)) * k if mesh is not None else _template(box, ox, oy, k)
    chip = sface.align(view, lm)
    views = [chip] if quality == "fast" else [chip, np.ascontiguousarray(chip[:, ::-1])]
    e = _unit(sface.embed_chips(views)).mean(0)
    return (lm / k + (ox, oy)).astype(np.float32), _unit(e).astype(np.float32)


def _view(image: np.ndarray, box) -> tuple[np.ndarray, float, tuple[float, float]]:
    """A CROP_SIDE square around ``box`` (black past the photo's edge), its scale and origin.

    The shrink goes through the face view's pyramid pre-shrink (area averaging by
    halves), so a big face in a 12 MP photo costs a few ms, not 50.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    s = int(round(max(8.0, CROP_SCALE * max(x1 - x0, y1 - y0))))
    ax0, ay0 = int(round((x0 + x1) / 2 - s / 2)), int(round((y0 + y1) / 2 - s / 2))
    k = CROP_SIDE / s
    c = 0.5 * (k - 1)  # pixel centres map to pixel centres, as in cv2.resize
    M = np.array([[k, 0.0, c - ax0 * k], [0.0, k, c - ay0 * k]], np.float64)
    src, Mw = preshrink(image, M, (CROP_SIDE, CROP_SIDE), k) if k < 1 else (image, M)
    view = cv2.warpAffine(src, Mw, (CROP_SIDE, CROP_SIDE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return view, k, (float(ax0), float(ay0))


def _landmarks_in_view(view: np.ndarray) -> np.ndarray | None:
    """YuNet's five points of the face nearest the view's centre (the one in the box)."""
    found = yunet.detect(view, min_score=0.5)
    c = CROP_SIDE / 2
    near = [(np.hypot((b[0] + b[2]) / 2 - c, (b[1] + b[3]) / 2 - c), lm) for b, _, lm in found
            if b[0] < c < b[2] and b[1] < c < b[3]]
    return min(near, key=lambda t: t[0])[1] if near else None


def mesh_landmarks5(mesh: np.ndarray) -> np.ndarray:
    """YuNet-order five points from the 478-point mesh: iris centres, nose tip, mouth corners."""
    return np.asarray(mesh, np.float32)[[468, 473, 1, 61, 291], :2].copy()


#: Five points in a mediapipe box (brows to mouth), as fractions of its size: the
#: medians of YuNet's points over the 176 eval identity faces mediapipe found.
_BOX_TEMPLATE = np.array([[0.30, 0.31], [0.70, 0.29], [0.50, 0.54], [0.34, 0.71], [0.68, 0.70]], np.float32)


def _template(box, ox: float, oy: float, k: float) -> np.ndarray:
    x0, y0, x1, y1 = box
    pts = _BOX_TEMPLATE * (x1 - x0, y1 - y0) + (x0, y0)
    return (pts - (ox, oy)) * k


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between unit embeddings (0 = same, 2 = opposite)."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def enroll(
    embeddings: Sequence[np.ndarray] | np.ndarray, weights: Sequence[float] | np.ndarray | None = None
) -> np.ndarray:
    """Unit, weighted mean of several unit embeddings of one person (the enrolled identity)."""
    E = np.asarray(embeddings, np.float64).reshape(len(embeddings), -1)
    if len(E) == 0:
        raise OptionError("enroll needs at least one embedding.", hint="Pass the embeddings of the person's photos.")
    w = np.ones(len(E)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (len(E),) or (w <= 0).any():
        raise OptionError("enroll needs one positive weight per embedding.", hint="Pass weights > 0, or none.")
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    m = (E * w[:, None]).sum(0)
    return (m / np.linalg.norm(m)).astype(np.float32)


#: (distance, score) anchors of :func:`likeness_score`: a typical same-person pair
#: scores about 85, the FAR-1e-4 threshold 80, the FAR-1e-3 threshold 70, the FAR-1e-2
#: threshold 40, and the median different-person pair 0.
GENUINE_MEDIAN = 0.78
IMPOSTOR_MEDIAN = 1.34
_SCORE_ANCHORS = (
    (0.0, 100.0),
    (GENUINE_MEDIAN, 85.0),
    (THRESHOLD_FAR_1E4, 80.0),
    (THRESHOLD_FAR_1E3, 70.0),
    (THRESHOLD_FAR_1E2, 40.0),
    (IMPOSTOR_MEDIAN, 0.0),
)


def likeness_score(d: float, *, enrolled: bool = False) -> float:
    """Distance → 0..100 for people; ≥ 70 means "same person" at FAR 0.1 %.

    ``enrolled``: ``d`` is to an enrolled identity (a mean), not to one photo; it is
    rescaled by the ratio of the two FAR-1e-3 thresholds so both read alike.
    """
    if enrolled:
        d = float(d) * THRESHOLD_FAR_1E3 / THRESHOLD_ENROLLED_FAR_1E3
    xs, ys = zip(*_SCORE_ANCHORS)
    return float(np.interp(float(d), xs, ys))

"""Identity embedding: align the face, embed with dlib's ResNet, compare and enrol.

Measured on the eval set (`likeness eval identity`, 176 faces, all pairs):

- alignment: dlib's 5-point predictor inside the mediapipe box is kept. Landmarks
  taken from the 478-point mesh (eye corners 263/362/33/133, nose 2) put through the
  same chip template score the same (TAR@FAR1e-3 0.955 vs 0.960) where the mesh is on
  the right face, but the mesh can land on a neighbouring face in a crowded photo;
  the predictor costs 2–3 ms and sees the box itself. Chip padding other than the
  0.25 the ResNet was trained with, pre-shrinking large faces (dlib already uses an
  image pyramid), colour/histogram normalisation and centring on a population mean
  did not help or hurt.
- views: the mirrored chip is the only extra view worth its cost (0.960 → 0.976);
  shifts, zooms, rotations and dlib's own jitter give no more than the mirror at
  2–9× the cost. ``quality="best"`` adds the mirror; ``"fast"`` (default) is one
  pass, which already meets the targets and keeps intake within its time budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import OptionError
from . import dlib_backend as dlb

QUALITIES = ("fast", "best")

#: Pair distance (unit embeddings, one photo vs one photo) at which 0.1 % of
#: different-person pairs are accepted: "same person" means ``distance < this``.
#: Measured by `likeness eval identity` (27 people, 176 faces, 15 400 impostor pairs).
THRESHOLD_FAR_1E3 = 0.366
#: The same at 1 % false accepts (a looser "probably the same person").
THRESHOLD_FAR_1E2 = 0.424
#: Probe vs an enrolled identity (unit mean of several photos, e.g. Sitting.identity):
#: the mean is less noisy than one photo, so both kinds of distance are smaller.
THRESHOLD_ENROLLED_FAR_1E3 = 0.354


def embed_face(
    image: np.ndarray,
    box: tuple[float, float, float, float],
    *,
    mesh: np.ndarray | None = None,
    quality: str = "fast",
) -> tuple[np.ndarray, np.ndarray]:
    """(5×2 landmarks, 128-D unit float32 embedding) of the face in ``box`` (x0, y0, x1, y1).

    ``mesh`` is accepted for callers that have one but not used for alignment (see
    the module notes: it measured no better and fails on crowded photos).
    """
    if quality not in QUALITIES:
        raise OptionError(f"Unknown identity quality {quality!r}.", hint="Use 'fast' or 'best'.")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise OptionError(
            "embed_face needs an RGB uint8 H×W×3 image.", hint="Decode it with likeness.imageio.load_photo."
        )
    shape = dlb.shape5(image, _dlib_box(box))
    chip = dlb.chip(image, shape)
    views = [chip] if quality == "fast" else [chip, np.ascontiguousarray(chip[:, ::-1])]
    d = dlb.embed_chips(views)
    e = (d / np.linalg.norm(d, axis=1, keepdims=True)).mean(0)
    return dlb.shape_points(shape), (e / np.linalg.norm(e)).astype(np.float32)


def _dlib_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    # mediapipe boxes run from the brows to the mouth; dlib's detector boxes (what the
    # 5-point predictor was trained on) are a little lower and larger.
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (x0 - 0.05 * w, y0 + 0.05 * h, x1 + 0.05 * w, y1 + 0.12 * h)


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
#: (median ≈0.28) scores about 85, the FAR-1e-3 threshold 70, the FAR-1e-2 threshold
#: 40, and the median different-person pair (≈0.60) 0.
_SCORE_ANCHORS = ((0.15, 100.0), (THRESHOLD_FAR_1E3, 70.0), (THRESHOLD_FAR_1E2, 40.0), (0.60, 0.0))


def likeness_score(d: float, *, enrolled: bool = False) -> float:
    """Distance → 0..100 for people; ≥ 70 means "same person" at FAR 0.1 %.

    ``enrolled``: ``d`` is to an enrolled identity (a mean), not to one photo; it is
    rescaled by the ratio of the two FAR-1e-3 thresholds so both read alike.
    """
    if enrolled:
        d = float(d) * THRESHOLD_FAR_1E3 / THRESHOLD_ENROLLED_FAR_1E3
    xs, ys = zip(*_SCORE_ANCHORS)
    return float(np.interp(float(d), xs, ys))

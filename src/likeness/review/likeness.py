"""The likeness gate: is the candidate's face the enrolled person?

The candidate's identity embedding is compared with the person's *enrolled* identity
(the mean of the unit embeddings of their own photos). The threshold is the distance
at which 0.1 % of other people would pass (FAR 1e-3), calibrated on single photo →
enrolment comparisons, which is what the gate does (a mean of several photos is less
noisy than one photo, so pair thresholds would be too loose here).

The threshold is ``OWN_THRESHOLD`` unless :mod:`likeness.faces.identity` (where the
embedding is tuned) defines a stricter enrolled threshold (``THRESHOLD_ENROLLED_FAR_1E3``,
else its pair threshold ``THRESHOLD_FAR_1E3``). With SFace the gate takes the strict
enrolled point, FAR 1e-4 (``faces.identity.THRESHOLD_ENROLLED_FAR_1E4``, 1.07): a
delivered headshot must be the person, and on the eval set (`likeness eval review`,
27 people, 177 framed candidates, 4 602 photo → other-person enrolments) it costs no
genuine pass: genuine distances reach 0.892 (median 0.611), the closest impostor lies
at 1.078, which the FAR-1e-3 point (1.10) let through. (dlib, before: genuine up to
0.345, impostors from 0.340, 4 passes at 0.35.) Calibrated and measured on the same
small set: ``identity.threshold_far_1e3_measured`` in the eval output tracks it.

The 0–100 likeness score is the project's ``faces.identity.likeness_score`` scale
(70 at the FAR-1e-3 point), re-anchored so the gate's own threshold reads 70;
without it, a logistic of the distance, 50 at the threshold.
"""

from __future__ import annotations

import math

import numpy as np

#: The strict enrolled point of the identity model (see above).
OWN_THRESHOLD = 1.07
#: Logistic slope of the 0–100 score (distance units).
SCORE_SLOPE = 0.04


def threshold() -> float:
    from ..faces import identity

    theirs = getattr(identity, "THRESHOLD_ENROLLED_FAR_1E3", getattr(identity, "THRESHOLD_FAR_1E3", OWN_THRESHOLD))
    return float(min(theirs, OWN_THRESHOLD))


def enrolled_identity(embeddings: list[np.ndarray]) -> np.ndarray | None:
    """The person's identity: intake's consensus (photos of someone else left out)."""
    embs = [np.asarray(e, np.float32) for e in embeddings if e is not None]
    if not embs:
        return None
    try:
        from ..intake.identity import consistency
    except ImportError:  # intake and faces.identity are edited in step; fall back to the mean
        consistency = None
    ident = consistency(embs).identity if consistency is not None else None
    if ident is None:
        m = np.mean(embs, axis=0)
        ident = m / max(float(np.linalg.norm(m)), 1e-9)
    return np.asarray(ident, np.float32)


def distance(embedding: np.ndarray, identity: np.ndarray) -> float:
    from ..faces import distance as dist

    return dist(embedding, identity)


def score(d: float, *, thr: float) -> float:
    """0–100, higher = more alike (the project's scale when faces.identity has one)."""
    if not math.isfinite(d):
        return 0.0
    from ..faces import identity

    if hasattr(identity, "likeness_score") and hasattr(identity, "THRESHOLD_FAR_1E3"):
        return float(identity.likeness_score(d * identity.THRESHOLD_FAR_1E3 / thr))
    z = (d - thr) / SCORE_SLOPE
    return float(100.0 / (1.0 + math.exp(min(60.0, z))))

"""The likeness gate: is the candidate's face the enrolled person?

The candidate's identity embedding is compared with the person's *enrolled* identity
(the mean of the unit embeddings of their own photos). The threshold is the distance
at which 0.1 % of other people would pass (FAR 1e-3), calibrated on single photo →
enrolment comparisons, which is what the gate does (a mean of several photos is less
noisy than one photo, so pair thresholds would be too loose here).

``THRESHOLD_FAR_1E3`` from :mod:`likeness.faces.identity` wins when that module
defines it (the identity embedding is tuned there and it re-measures on change);
otherwise ``OWN_THRESHOLD``, measured by ``likeness eval review`` on the eval set
(177 photos, 27 people; 4 576 impostor comparisons, 176 genuine leave-one-out ones):
impostor distances start at 0.334, genuine ones end at 0.36 (one photo whose mesh
landed on a bystander), p99 0.30.

The 0–100 likeness score is a logistic of the distance: 50 at the threshold, ~97 at
a typical same-person distance (0.2), ~5 at 0.45.
"""

from __future__ import annotations

import math

import numpy as np

#: Distance at FAR 1e-3 measured on photo → leave-one-out enrolment comparisons.
OWN_THRESHOLD = 0.33
#: Logistic slope of the 0–100 score (distance units).
SCORE_SLOPE = 0.04


def threshold() -> float:
    from ..faces import identity

    return float(getattr(identity, "THRESHOLD_FAR_1E3", OWN_THRESHOLD))


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
    """0–100: 50 at the threshold, higher = more alike."""
    if not math.isfinite(d):
        return 0.0
    z = (d - thr) / SCORE_SLOPE
    return float(100.0 / (1.0 + math.exp(min(60.0, z))))

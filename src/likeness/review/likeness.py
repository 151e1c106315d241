"""The likeness gate: is the candidate's face the enrolled person?

The candidate's identity embedding is compared with the person's *enrolled* identity
(the mean of the unit embeddings of their own photos). The threshold is the distance
at which 0.1 % of other people would pass (FAR 1e-3), calibrated on single photo →
enrolment comparisons, which is what the gate does (a mean of several photos is less
noisy than one photo, so pair thresholds would be too loose here).

The gate takes the identity model's strict enrolled point, FAR 1e-4
(``faces.identity.THRESHOLD_ENROLLED_FAR_1E4``, 1.07, stored beside the model): a
delivered headshot must be the person, and on the eval set (`likeness eval review`,
27 people, 177 framed candidates, 4 602 photo → other-person enrolments) it costs no
genuine pass: genuine distances reach 0.892 (median 0.611), the closest impostor lies
at 1.078, which the FAR-1e-3 point (1.10) let through. (dlib, before: genuine up to
0.345, impostors from 0.340, 4 passes at 0.35.) Calibrated and measured on the same
small set: ``identity.threshold_far_1e3_measured`` in the eval output tracks it.

The 0–100 likeness score is the project's one scale, ``faces.identity.likeness_score``
(70 at the FAR-1e-3 point, 80 at FAR 1e-4), the same for the studio, generate, team
and the web page.
"""

from __future__ import annotations

import math

import numpy as np

def threshold() -> float:
    """The gate's distance: the identity model's enrolled FAR-1e-4 point."""
    from ..faces import identity

    return float(identity.THRESHOLD_ENROLLED_FAR_1E4)


def enrolled_identity(embeddings: list[np.ndarray]) -> np.ndarray | None:
    """The person's identity: intake's consensus (photos of someone else left out)."""
    embs = [np.asarray(e, np.float32) for e in embeddings if e is not None]
    if not embs:
        return None
    from ..intake.identity import consistency

    ident = consistency(embs).identity
    if ident is None:
        m = np.mean(embs, axis=0)
        ident = m / max(float(np.linalg.norm(m)), 1e-9)
    return np.asarray(ident, np.float32)


def distance(embedding: np.ndarray, identity: np.ndarray) -> float:
    from ..faces import distance as dist

    return dist(embedding, identity)


def score(d: float) -> float:
    """0–100 of a distance to the enrolled identity: the project's one scale,
    :func:`likeness.faces.identity.likeness_score` (≥ 70: the same person at FAR 1e-3;
    the gate's FAR-1e-4 point reads about 78)."""
    if not math.isfinite(d):
        return 0.0
    from ..faces import identity

    return float(identity.likeness_score(d, enrolled=True))

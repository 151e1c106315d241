"""Identity consistency across a set of photos: who is the subject, who is not.

The set is clustered by average linkage on the distances between unit embeddings
(a photo joins a group when it is, on average, close to that group's members), so
one odd photo cannot pull the consensus towards itself the way a plain mean would.
The subject is the largest group (ties: more total quality weight, then the tighter
group). Its quality-weighted mean is the enrolled identity. A photo is flagged as
someone else when it lies outside the subject's group, or when it lies farther than
``threshold`` from the mean of the *other* subject photos (leave-one-out, so a photo
never vouches for itself). Thresholds are measured by ``likeness eval identity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..faces.identity import SET_LINK, SET_SAME_PERSON, enroll

#: Leave-one-out distance (photo ↔ unit mean of the other subject photos) above which
#: a photo is taken as another person, and the average-linkage distance at which two
#: groups of photos are one person. Both belong to the identity model and are
#: calibrated beside it (``faces.identity``, measured by `likeness eval identity`).
SAME_PERSON = SET_SAME_PERSON
LINK = SET_LINK


@dataclass(frozen=True)
class Consistency:
    distances: tuple[float | None, ...]  # each photo to the mean of the other subject photos
    other_person: tuple[bool, ...]
    people: int  # distinct people in the set (1 = consistent, 0 = no face at all)
    identity: np.ndarray | None  # enrolled unit embedding of the subject


def consistency(
    embeddings: Sequence[np.ndarray | None],
    *,
    weights: Sequence[float] | None = None,
    threshold: float = SAME_PERSON,
    link: float = LINK,
) -> Consistency:
    """Who is the subject of a set of photos, and which photos show someone else.

    ``embeddings`` are unit 128-D vectors (None where a photo has no face);
    ``weights`` are per-photo quality weights (> 0) for the enrolment.
    """
    n = len(embeddings)
    if weights is not None and len(weights) != n:
        raise OptionError(
            f"consistency got {n} embeddings but {len(weights)} weights.",
            hint="Pass one weight per photo (or none).",
        )
    if not 0.0 < threshold < 2.0 or not 0.0 < link < 2.0:
        raise OptionError("Identity thresholds must lie between 0 and 2.", hint="Use the defaults.")
    idx = [i for i, e in enumerate(embeddings) if e is not None]
    if not idx:
        return Consistency((None,) * n, (False,) * n, 0, None)
    E = np.stack([np.asarray(embeddings[i], np.float32).reshape(-1) for i in idx])
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    w = np.array([1.0 if weights is None else max(1e-3, float(weights[i])) for i in idx], np.float64)
    D = np.linalg.norm(E[:, None] - E[None], axis=-1).astype(np.float64)

    groups = _average_linkage(D, link)
    subject = max(groups, key=lambda g: (len(g), w[g].sum(), -_spread(D, g)))
    core = np.zeros(len(idx), bool)
    core[subject] = True
    identity = enroll(E[core], w[core])

    dist: list[float | None] = [None] * n
    flag = [False] * n
    for k, i in enumerate(idx):
        others = core.copy()
        others[k] = False
        ref = enroll(E[others], w[others]) if others.any() else identity
        d = float(np.linalg.norm(E[k] - ref))
        dist[i] = d
        flag[i] = bool(len(idx) > 1 and (not core[k] or d > threshold))
    if len(subject) == 1 and len(idx) == 2:
        # Two photos that disagree: neither is more "the subject" than the other, so
        # both are reported (the user has to say which one is them).
        flag = [dist[i] is not None for i in range(n)]
    people = len(groups) if len(idx) > 1 else 1
    return Consistency(tuple(dist), tuple(flag), people, identity.astype(np.float32))


def _average_linkage(D: np.ndarray, link: float) -> list[list[int]]:
    """Agglomerative clustering, average linkage, stopped at distance ``link``.

    A handful of photos at most, so the plain O(n³) loop is fine and exact.
    """
    groups = [[i] for i in range(len(D))]
    while len(groups) > 1:
        best, pair = np.inf, None
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                d = D[np.ix_(groups[a], groups[b])].mean()
                if d < best:
                    best, pair = d, (a, b)
        if pair is None or best > link:
            break
        a, b = pair
        groups[a] = groups[a] + groups[b]
        del groups[b]
    return groups


def _spread(D: np.ndarray, g: list[int]) -> float:
    return float(D[np.ix_(g, g)].mean())

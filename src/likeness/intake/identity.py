"""Identity consistency across a set of photos: who is the subject, who is not.

Baseline (to be tuned on ``likeness eval identity``): the consensus identity is the
medoid-seeded, quality-weighted mean of the embeddings that lie close to the medoid;
a photo farther than ``threshold`` from the mean of the *other* photos is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Distance between unit embeddings above which two faces are taken as different
#: people (tuned by ``likeness eval identity``).
SAME_PERSON = 0.55


@dataclass(frozen=True)
class Consistency:
    distances: tuple[float | None, ...]  # each photo to the mean of the others
    other_person: tuple[bool, ...]
    people: int  # distinct people in the set (1 = consistent)
    identity: np.ndarray | None  # enrolled unit embedding of the subject


def consistency(
    embeddings: Sequence[np.ndarray | None],
    *,
    weights: Sequence[float] | None = None,
    threshold: float = SAME_PERSON,
) -> Consistency:
    n = len(embeddings)
    idx = [i for i, e in enumerate(embeddings) if e is not None]
    if not idx:
        return Consistency((None,) * n, (False,) * n, 0, None)
    E = np.stack([embeddings[i] for i in idx]).astype(np.float32)
    w = np.array([1.0 if weights is None else max(1e-3, weights[i]) for i in idx], np.float32)
    D = np.linalg.norm(E[:, None] - E[None], axis=-1)
    medoid = int(np.argmin((D * w[None]).sum(1)))
    core = D[medoid] <= threshold
    mean = (E[core] * w[core, None]).sum(0)
    identity = mean / np.linalg.norm(mean)
    dist: list[float | None] = [None] * n
    flag = [False] * n
    for k, i in enumerate(idx):
        others = core.copy()
        others[k] = False
        ref = identity if not others.any() else (E[others] * w[others, None]).sum(0)
        ref = ref / np.linalg.norm(ref)
        d = float(np.linalg.norm(E[k] - ref))
        dist[i] = d
        flag[i] = len(idx) > 1 and d > threshold
    # Count people: greedy clustering of the flagged photos.
    people = 1
    rest = [k for k, i in enumerate(idx) if flag[i]]
    while rest:
        people += 1
        seed = rest[0]
        rest = [k for k in rest if D[seed, k] > threshold]
    return Consistency(tuple(dist), tuple(flag), people, identity.astype(np.float32))

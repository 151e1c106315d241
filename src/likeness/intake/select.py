"""Identity consistency, ranking, references and the verdict for a checked set.

- A photo is *usable* for the studio when it has a measured face, no failed *major*
  measure (those a studio cannot correct: blur, exposure, size, cut-off head, hidden
  eyes or mouth, a turned head, heavy compression, another face) and shows the same
  person as the rest of the set. Minor failures (one-sided light, colour cast, a
  tilted head, flat contrast) are corrected by the studio and only lower the rank.
- References for generation: up to ``MAX_REFERENCES`` usable photos, chosen greedily
  for quality plus pose and expression variety (near-duplicates are skipped).
- Verdict: *ready* with ≥ ``READY_PHOTOS`` usable photos including a frontal one and
  one person; *usable* with at least one usable photo; otherwise *not enough*.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..types import PhotoCheck, Sitting, Verdict

MAJOR = (
    "sharpness", "brightness", "underexposure", "overexposure", "compression", "inter_eye", "head_margins",
    "yaw", "pitch", "eyes_open", "eyes_visible", "mouth_occlusion", "single_face",
)
#: Weight of each measure's score in the rank (the rest weigh 0.5).
WEIGHTS = {"sharpness": 3.0, "inter_eye": 2.0, "brightness": 1.5, "illumination": 1.5, "yaw": 1.5, "pitch": 1.0,
           "overexposure": 1.0, "eyes_open": 1.0, "compression": 1.0, "glasses": 0.0}
MAX_REFERENCES = 4
READY_PHOTOS = 3
FRONTAL_YAW = 12.0


def sitting(checks: list[PhotoCheck]) -> Sitting:
    from .identity import consistency

    checks = [_ranked(c) for c in checks]
    embs = [c.face.embedding if (c.face is not None and not c.error) else None for c in checks]
    weights = [max(0.05, c.rank / 100.0) for c in checks]
    cons = consistency(embs, weights=weights)
    checks = [
        replace(c, identity_distance=cons.distances[i], other_person=bool(cons.other_person[i]),
                usable=c.usable and not cons.other_person[i])
        for i, c in enumerate(checks)
    ]
    ranking = tuple(sorted((i for i, c in enumerate(checks) if c.usable), key=lambda i: -checks[i].rank))
    refs = references(checks, ranking)
    verdict, summary, advice = _verdict(checks, ranking, cons.people)
    return Sitting(
        photos=tuple(checks), verdict=verdict, summary=summary, advice=tuple(advice), ranking=ranking,
        references=refs, identity=cons.identity, people=max(1, cons.people) if any(e is not None for e in embs) else 0,
    )


def _ranked(c: PhotoCheck) -> PhotoCheck:
    if c.error or not c.measures:
        return replace(c, usable=False, rank=0.0)
    ws = np.array([WEIGHTS.get(k, 0.5) for k in c.measures])
    ss = np.array([m.score for m in c.measures.values()])
    rank = float((ws * ss).sum() / max(ws.sum(), 1e-6))
    usable = all(c.measures[k].ok for k in MAJOR if k in c.measures)
    return replace(c, usable=usable, rank=round(rank if usable else rank - 100.0, 2))


def references(checks: list[PhotoCheck], ranking: tuple[int, ...], *, k: int = MAX_REFERENCES) -> tuple[int, ...]:
    """Best photo first, then each next one for quality plus variety of pose and expression."""
    if not ranking:
        return ()
    chosen = [ranking[0]]
    while len(chosen) < k:
        best, best_v = None, -np.inf
        for i in ranking:
            if i in chosen:
                continue
            d = min(_difference(checks[i], checks[j]) for j in chosen)
            if d < 0.05:  # a near-duplicate (burst shot) adds nothing
                continue
            v = checks[i].rank / 100.0 + 0.6 * min(d, 1.0)
            if v > best_v:
                best, best_v = i, v
        if best is None:
            break
        chosen.append(best)
    return tuple(chosen)


def _difference(a: PhotoCheck, b: PhotoCheck) -> float:
    """0 = same pose and expression; ≥1 = clearly different views."""
    pa, pb = a.face.pose, b.face.pose
    d = 0.0
    if pa is not None and pb is not None:
        d = np.hypot((pa.yaw - pb.yaw) / 20.0, (pa.pitch - pb.pitch) / 15.0)
    if a.expression != b.expression:
        d += 0.4
    if a.face.embedding is not None and b.face.embedding is not None:
        # light, clothes, day: the identity distance in units of the model's same-person
        # threshold, weighted as when it was dlib's (threshold 0.37) to keep its share
        from ..faces.identity import THRESHOLD_FAR_1E3

        d += 0.37 * float(np.linalg.norm(a.face.embedding - b.face.embedding)) / THRESHOLD_FAR_1E3
    return float(d)


def _verdict(checks: list[PhotoCheck], ranking: tuple[int, ...], people: int) -> tuple[Verdict, str, list[str]]:
    n, good = len(checks), len(ranking)
    advice: list[str] = []
    if people > 1:
        advice.append(f"These photos show {people} different people: keep only photos of yourself.")
    frontal = [i for i in ranking if abs(checks[i].face.pose.yaw) <= FRONTAL_YAW]
    if good == 0:
        advice.append(
            "Add a sharp photo of your face from the front, at eye level, in soft daylight "
            "(face a window), with your whole head and shoulders in the frame."
        )
        worst = _common_problem(checks)
        if worst:
            advice.append(f"Most photos share one problem: {worst}")
        return Verdict.NOT_ENOUGH, f"None of the {n} photo{'s' if n != 1 else ''} is usable for a headshot.", advice
    if not frontal:
        advice.append("Add a photo looking straight into the camera: every usable photo is turned to the side.")
    if good < READY_PHOTOS:
        more = READY_PHOTOS - good
        advice.append(
            f"Add {more} more good photo{'s' if more > 1 else ''} (another day or light, a slight turn each way) "
            "so generated headshots have varied references."
        )
    elif frontal:
        yaws = [checks[i].face.pose.yaw for i in ranking]
        if max(yaws) < 5 or min(yaws) > -5:
            advice.append("Optional: add one photo with your head turned slightly the other way, for more variety.")
    ready = good >= READY_PHOTOS and frontal and people <= 1
    verdict = Verdict.READY if ready else Verdict.USABLE
    what = "ready for the studio and for generation" if ready else "usable, with the caveats below"
    return verdict, f"{good} of {n} photo{'s' if n != 1 else ''} usable: {what}.", advice


def _common_problem(checks: list[PhotoCheck]) -> str:
    counts: dict[str, int] = {}
    for c in checks:
        for p in c.problems:
            counts[p] = counts.get(p, 0) + 1
    if not counts:
        return ""
    p, k = max(counts.items(), key=lambda kv: kv[1])
    return p if k >= max(2, len(checks) // 2 + 1) else ""

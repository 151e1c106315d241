"""``likeness.generate``: AI headshots, verified before anyone sees them.

1. check the options, 2. intake (references, best photo), 3. enrol the person's own
photos for the review, 4. over-generate candidates on a canvas of the Look's framing
shape (face-locked: the studio's framed crop of the best photo, at the model's size),
5. frame each as the Look says (the studio's framing around the face the model drew,
never enlarged) and review it
(likeness gate, attribute locks, artifacts, texture, light, framing), 6. deliver the
best passing ones with their likeness score, the IPTC source type, how much they
were enlarged and the device plan they were made with; list the rejected with reasons.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import defaults
from ..errors import NotEnoughPhotosError, OptionError
from ..types import Headshot, Sitting


@dataclass(frozen=True)
class Rejected:
    seed: int
    likeness: float
    reasons: tuple[str, ...]
    review: dict[str, Any] | None = None  # ``Review.to_dict()``: every check with its figure


@dataclass(frozen=True)
class GenerateResult:
    headshots: tuple[Headshot, ...]
    rejected: tuple[Rejected, ...]
    sitting: Sitting
    out_dir: Path
    backend: str
    report_json: Path | None = None
    report_html: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def frame_candidate(image: np.ndarray, frame: str):
    """(the candidate cut to the Look's ``frame`` preset, the plan) — the studio's
    framing around the face the model drew, never enlarged: a generated image is
    delivered at its own resolution, in the preset's shape. (image, None) when no face
    is found: the review then rejects it, saying so."""
    image, fp, _ = _frame(image, frame)
    return image, fp


def _frame(image: np.ndarray, frame: str):
    """``frame_candidate`` plus the scale (output px per candidate px, ≤ 1)."""
    from ..faces import analyze
    from ..studio import frame as framing

    faces = analyze(image, embed=False, subject_only=True)
    if not faces or faces[0].mesh is None:
        return image, None, 1.0
    preset = framing.get_preset(frame)
    fp = framing.plan(faces[0], (image.shape[1], image.shape[0]), preset=preset)
    k = fp.height / preset.size[1]  # candidate px per output px
    size = None if k >= 1 else (max(8, round(preset.size[0] * k)), max(8, round(preset.size[1] * k)))
    fr = framing.frame(image, faces[0], framing=fp, size=size)
    return fr.image, fp, min(1.0, fr.scale)


def generate(
    paths: Sequence[str | os.PathLike],
    *,
    look: Any = defaults.LOOK,
    count: int = 4,
    out: str | os.PathLike = "out",
    backend: str | None = None,
    seed: int = 0,
    oversample: int = 2,
    glasses: bool | None = None,
    size: tuple[int, int] | None = None,
    pipe: Any = None,
    steps: int | None = None,
    device: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    from ..looks import load_look

    # 1. Options, before any work.
    lk = load_look(look)
    chosen = _check_options(backend, count=count, oversample=oversample)
    # 2.–3. Intake and enrolment; 4.–6. generate, review, deliver.
    prep = prepare(paths, backend=chosen)
    return _generate_look(prep, lk, chosen, count=count, out=Path(out), seed=seed, oversample=oversample,
                          glasses=glasses, size=size, pipe=pipe, steps=steps, device=device, progress=progress)


@dataclass(frozen=True)
class Prepared:
    """What every Look's generation shares: the intake, the references (decoded) and
    the person's enrolment for the review."""

    sitting: Sitting
    refs_idx: tuple[int, ...]
    refs: tuple[np.ndarray, ...]
    reference: Any  # review.Reference


def prepare(paths: Sequence[str | os.PathLike], *, backend: Any) -> Prepared:
    """Steps 2–3: intake (references, best photo) and the enrolment for the review."""
    from ..imageio import load_photo
    from ..intake.inspection import check
    from ..review import enroll

    sitting = check([str(p) for p in paths])
    if not sitting.ranking:
        raise NotEnoughPhotosError(sitting.summary, hint=" ".join(sitting.advice) or "Add clear photos of your face.")
    refs_idx = list(sitting.references or sitting.ranking)[: max(1, backend.max_references)]
    # Decode each usable photo once: they are both the enrolment and the references.
    decoded = {i: load_photo(sitting.photos[i].source, max_side=1536).image for i in {*sitting.ranking, *refs_idx}}
    reference = enroll([decoded[i] for i in sitting.ranking])
    return Prepared(sitting, tuple(refs_idx), tuple(decoded[i] for i in refs_idx), reference)


def _check_options(backend: str | None, *, count: int, oversample: int):
    from .registry import default_backend, get_backend

    chosen = get_backend(backend or default_backend())
    if not (1 <= int(count) <= 16) or not (1 <= int(oversample) <= 8):
        raise OptionError(f"count {count} / oversample {oversample} out of range.", hint="Use count 1–16 and oversample 1–8.")
    return chosen


@dataclass(frozen=True)
class LooksResult:
    """One :class:`GenerateResult` per Look, in the order asked (``generate_looks``)."""

    results: tuple[GenerateResult, ...]
    sitting: Sitting
    backend: str


def generate_looks(
    paths: Sequence[str | os.PathLike],
    *,
    looks: Sequence[Any],
    out: str | os.PathLike,
    count: int = 1,
    oversample: int = 2,
    backend: str | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> LooksResult:
    """``generate`` for several Looks at once (the web gallery's "new attire"): the
    intake and the enrolment are done once, each Look's images go to ``out/<look>/``
    with its own report. ``progress(done, total)`` counts candidates over every Look.
    ``options``: ``generate``'s glasses, size, pipe, steps, device."""
    from ..looks import load_look

    if not looks:
        raise OptionError("Give at least one Look to generate.", hint="For example looks=['corporate-grey'].")
    lks = [load_look(x) for x in looks]
    if len({lk.name for lk in lks}) != len(lks):
        raise OptionError("A Look is named twice.", hint="Name each Look once.", looks=[lk.name for lk in lks])
    chosen = _check_options(backend, count=count, oversample=oversample)
    prep = prepare(paths, backend=chosen)
    per = int(count) * int(oversample)
    total = per * len(lks)
    results = []
    for i, lk in enumerate(lks):
        step = None if progress is None else (lambda d, _t, base=i * per: progress(base + d, total))
        results.append(_generate_look(prep, lk, chosen, count=count, out=Path(out) / lk.name, seed=seed,
                                      oversample=oversample, progress=step, **options))
    return LooksResult(tuple(results), prep.sitting, chosen.name)


def _generate_look(
    prep: Prepared,
    lk: Any,
    chosen: Any,
    *,
    count: int,
    out: Path,
    seed: int,
    oversample: int,
    glasses: bool | None = None,
    size: tuple[int, int] | None = None,
    pipe: Any = None,
    steps: int | None = None,
    device: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Steps 4–6 for one Look."""
    from ..deliver import write_image, write_report
    from ..review import review
    from .pipeline import generate_candidates, size_for_look

    sitting, refs_idx, refs = prep.sitting, list(prep.refs_idx), list(prep.refs)
    size = tuple(size) if size is not None else size_for_look(lk)  # the Look's framing, near 1 MP

    # 4. Over-generate. face-locked repaints the best reference's framed crop at the
    # model's size (locked.py); flux2-klein paints a canvas of the Look's shape.
    mask, locked = None, None
    if getattr(chosen, "needs_face_mask", False):
        from .locked import locked_reference

        pc = sitting.photos[refs_idx[0]]
        # NoFaceError names the photo; ``size`` is the canvas the model paints (≤ 1 MP).
        locked = locked_reference(pc.source, frame=lk.frame, face=pc.face, size=size)
        refs, mask, size = [locked.image], locked.face_mask, (locked.image.shape[1], locked.image.shape[0])
    n = int(count) * int(oversample)
    cands = generate_candidates(
        refs, look=lk, count=n, backend=chosen.name, seed=seed, size=size, pipe=pipe, face_mask=mask,
        steps=steps, device=device if pipe is None else None, progress=progress,
    )

    # 5. Frame every candidate as the Look says and review it; 6. deliver the best passing ones.
    reviewed = []
    for c in cands:
        if locked is not None:  # already the Look's framing: the crop's plan holds
            image, plan, enlarged = c.image, locked.plan, locked.enlarged * c.enlarged
        else:
            image, plan, scale = _frame(c.image, lk.frame)
            enlarged = c.enlarged * scale
        c = replace(c, image=image)
        reviewed.append((c, review(image, prep.reference, glasses=glasses, look=lk, plan=plan), enlarged))
    passing = sorted((x for x in reviewed if x[1].passed), key=lambda x: -x[1].likeness)[: int(count)]
    rejected = tuple(Rejected(c.seed, r.likeness, tuple(r.reasons), r.to_dict()) for c, r, _ in reviewed if not r.passed)
    out.mkdir(parents=True, exist_ok=True)
    heads = []
    for c, r, enlarged in passing:
        settings = {"look": lk.to_dict(), "backend": c.backend, "model": c.model, "seed": c.seed, "steps": c.steps,
                    "prompt": c.prompt, "size": [int(c.image.shape[1]), int(c.image.shape[0])],
                    "enlarged": round(enlarged, 3), "device": _plan_dict(c.plan)}
        path = write_image(c.image, out / f"{lk.name}-{c.backend}-seed{c.seed}.jpg", source_type=c.source_type, settings=settings)
        heads.append(Headshot(
            path=path, source=os.path.basename(sitting.photos[refs_idx[0]].source), look=lk.name, frame=lk.frame,
            width=c.image.shape[1], height=c.image.shape[0], likeness=r.likeness, identity_distance=r.identity_distance,
            source_type=c.source_type,
            measures={**{k: float(v.value) for k, v in r.checks.items() if v.value is not None}, "enlarged": round(enlarged, 3)},
            review=r.to_dict(),
        ))
    plan = cands[0].plan if cands else None
    settings = {"look": lk.name, "backend": chosen.name, "seed": seed, "count": count, "candidates": n,
                "size": list(size), "device": _plan_dict(plan),
                "enlarged": round(max(e for _, _, e in reviewed), 3) if reviewed else None}
    report = {
        "title": "Generated headshots",
        "look": lk.to_dict(),
        "headshots": [
            {"file": h.path.name, "source": h.source, "look": h.look, "frame": h.frame, "likeness": h.likeness,
             "identity_distance": h.identity_distance, "source_type": h.source_type, "notes": [], "measures": h.measures,
             "review": h.review}
            for h in heads
        ],
        "photos": [{"source": os.path.basename(p.source), "usable": p.usable, "problems": p.problems} for p in sitting.photos],
        "skipped": [[f"candidate seed {r.seed}", "; ".join(r.reasons)] for r in rejected],
        "settings": settings,
    }
    rj, rh = write_report(out, report, title="Generated headshots")
    return GenerateResult(tuple(heads), rejected, sitting, out, chosen.name, rj, rh, settings)


def _plan_dict(plan) -> dict[str, Any] | None:
    """The memory plan as recorded in the settings and report: device, dtype, offload, batch."""
    from dataclasses import asdict

    return None if plan is None else {**asdict(plan), "summary": plan.describe()}

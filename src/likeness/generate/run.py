"""``likeness.generate``: AI headshots, verified before anyone sees them.

1. check the options, 2. intake (references, best photo), 3. enrol the person's own
photos for the review, 4. over-generate candidates, 5. frame each as the Look says
(the studio's framing around the face the model drew, never enlarged) and review it
(likeness gate, attribute locks, artifacts, texture, light, framing), 6. deliver the
best passing ones with their likeness score and the IPTC source type; list the
rejected with reasons.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NotEnoughPhotosError, OptionError
from ..types import Headshot, Sitting


@dataclass(frozen=True)
class Rejected:
    seed: int
    likeness: float
    reasons: tuple[str, ...]


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
    from ..faces import analyze
    from ..studio import frame as framing

    faces = analyze(image, embed=False, subject_only=True)
    if not faces or faces[0].mesh is None:
        return image, None
    preset = framing.get_preset(frame)
    fp = framing.plan(faces[0], (image.shape[1], image.shape[0]), preset=preset)
    k = fp.height / preset.size[1]  # candidate px per output px
    size = None if k >= 1 else (max(8, round(preset.size[0] * k)), max(8, round(preset.size[1] * k)))
    return framing.frame(image, faces[0], framing=fp, size=size).image, fp


def face_mask(image: np.ndarray, face) -> np.ndarray:
    """Face and hair to keep (1) for ``face-locked``: the person's pixels above the
    collar line, plus the face oval; feathering happens outside, in the backend."""
    import cv2

    from ..studio.cutout import cut_out  # the studio's person matte

    h, w = image.shape[:2]
    alpha = cut_out(image, face_box=face.box, valid=np.ones((h, w), np.float32)).alpha
    chin = float(face.mesh[152, 1]) if face.mesh is not None else face.box[3]
    keep = (alpha >= 0.5).astype(np.uint8)
    keep[int(min(h, chin + 0.08 * face.height)) :] = 0
    if face.mesh is not None:
        hull = cv2.convexHull(face.mesh[:, :2].astype(np.int32))
        cv2.fillConvexPoly(keep, hull, 1)
    return keep.astype(np.float32)


def generate(
    paths: Sequence[str | os.PathLike],
    *,
    look: Any = "corporate-grey",
    count: int = 4,
    out: str | os.PathLike = "out",
    backend: str | None = None,
    seed: int = 0,
    oversample: int = 2,
    glasses: bool | None = None,
    size: tuple[int, int] = (1024, 1024),
    pipe: Any = None,
    steps: int | None = None,
    device: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    from ..deliver import write_image, write_report
    from ..imageio import load_photo
    from ..intake.check import check
    from ..looks import load_look
    from ..review import enroll, review
    from .pipeline import generate_candidates
    from .registry import default_backend, get_backend

    # 1. Options, before any work.
    lk = load_look(look)
    chosen = get_backend(backend or default_backend())
    if not (1 <= int(count) <= 16) or not (1 <= int(oversample) <= 8):
        raise OptionError(f"count {count} / oversample {oversample} out of range.", hint="Use count 1–16 and oversample 1–8.")
    out = Path(out)

    # 2. Intake: the references and the best photo.
    sitting = check([str(p) for p in paths])
    if not sitting.ranking:
        raise NotEnoughPhotosError(sitting.summary, hint=" ".join(sitting.advice) or "Add clear photos of your face.")
    refs_idx = list(sitting.references or sitting.ranking)[: max(1, chosen.max_references)]
    # Decode each usable photo once: they are both the enrolment and the references.
    decoded = {i: load_photo(sitting.photos[i].source, max_side=1536).image for i in {*sitting.ranking, *refs_idx}}
    photos = [decoded[i] for i in sitting.ranking]
    refs = [decoded[i] for i in refs_idx]

    # 3. What the person's own photos say, for the review.
    reference = enroll(photos)

    # 4. Over-generate.
    mask = None
    if getattr(chosen, "needs_face_mask", False):
        from ..faces import analyze

        refs = refs[:1]
        mask = face_mask(refs[0], analyze(refs[0], embed=False, subject_only=True)[0])
    n = int(count) * int(oversample)
    cands = generate_candidates(
        refs, look=lk, count=n, backend=chosen.name, seed=seed, size=size, pipe=pipe, face_mask=mask,
        steps=steps, device=device if pipe is None else None, progress=progress,
    )

    # 5. Frame every candidate as the Look says and review it; 6. deliver the best passing ones.
    reviewed = []
    for c in cands:
        image, plan = frame_candidate(c.image, lk.frame)
        c = replace(c, image=image)
        reviewed.append((c, review(image, reference, glasses=glasses, look=lk, plan=plan)))
    passing = sorted((x for x in reviewed if x[1].passed), key=lambda x: -x[1].likeness)[: int(count)]
    rejected = tuple(Rejected(c.seed, r.likeness, tuple(r.reasons)) for c, r in reviewed if not r.passed)
    out.mkdir(parents=True, exist_ok=True)
    heads = []
    for c, r in passing:
        settings = {"look": lk.to_dict(), "backend": c.backend, "model": c.model, "seed": c.seed, "steps": c.steps, "prompt": c.prompt}
        path = write_image(c.image, out / f"{lk.name}-{c.backend}-seed{c.seed}.jpg", source_type=c.source_type, settings=settings)
        heads.append(Headshot(
            path=path, source=os.path.basename(sitting.photos[refs_idx[0]].source), look=lk.name, frame=lk.frame,
            width=c.image.shape[1], height=c.image.shape[0], likeness=r.likeness, identity_distance=r.identity_distance,
            source_type=c.source_type, measures={k: float(v.value) for k, v in r.checks.items() if v.value is not None},
        ))
    settings = {"look": lk.name, "backend": chosen.name, "seed": seed, "count": count, "candidates": n}
    report = {
        "title": "Generated headshots",
        "look": lk.to_dict(),
        "headshots": [
            {"file": h.path.name, "source": h.source, "look": h.look, "frame": h.frame, "likeness": h.likeness,
             "identity_distance": h.identity_distance, "source_type": h.source_type, "notes": [], "measures": h.measures}
            for h in heads
        ],
        "photos": [{"source": os.path.basename(p.source), "usable": p.usable, "problems": p.problems} for p in sitting.photos],
        "skipped": [[f"candidate seed {r.seed}", "; ".join(r.reasons)] for r in rejected],
        "settings": settings,
    }
    rj, rh = write_report(out, report, title="Generated headshots")
    return GenerateResult(tuple(heads), rejected, sitting, out, chosen.name, rj, rh, settings)

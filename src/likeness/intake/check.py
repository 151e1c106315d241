"""Intake orchestration: photos → faces → measures → identity → selection → Sitting.

1. decode each photo at a reduced size (JPEG DCT scaling: ``ANALYSE_SIDE``), again at
   a larger size only when the face is too small there to be measured;
2. find the faces; the subject is the largest, most central one;
3. measure the subject's face (:mod:`.quality`), grade and coach (:mod:`.coaching`);
4. embed the subject's identity; check the set's consistency (:mod:`.identity`);
5. rank, choose references and give the verdict (:mod:`.select`).

A photo that cannot be read, or shows no face, becomes a :class:`PhotoCheck` with an
``error``; it never stops the run. Only an empty or oversized request raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import ImageReadError, InputError, LikenessError, NotEnoughPhotosError
from ..imageio import load_photo
from ..types import Face, Photo, PhotoCheck, Sitting
from . import coaching, quality, select

#: Longer side the photo is decoded at for analysis: a 12 MP JPEG decodes at 1/2 scale
#: (2016 px) in ~40 ms; faces keep ≥ CANON_IED px between the eyes in nearly every photo.
ANALYSE_SIDE = 1600
MAX_PHOTOS = 30

Progress = Callable[[int, int], None]


def check(
    paths: Sequence[str | os.PathLike],
    *,
    progress: Progress | None = None,
    max_photos: int = MAX_PHOTOS,
    limits: coaching.Limits = coaching.LIMITS,
) -> Sitting:
    """Check 1–``max_photos`` photos of one person and say what the set is good for."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("No photos given.", hint="Give 1 to 30 photos of yourself, e.g. `likeness check *.jpg`.")
    if len(paths) > max_photos:
        raise NotEnoughPhotosError(
            f"{len(paths)} photos given; intake reads at most {max_photos}.",
            hint=f"Choose the {max_photos} best photos of yourself and run it again.",
            photos=len(paths),
        )
    checks: list[PhotoCheck] = []
    for i, p in enumerate(paths):
        checks.append(inspect_path(p, limits=limits))
        if progress:
            progress(i + 1, len(paths))
    return select.sitting(checks, limits=limits)


def inspect_path(path: Path, *, limits: coaching.Limits = coaching.LIMITS) -> PhotoCheck:
    """One photo file → PhotoCheck (errors become ``PhotoCheck.error``)."""
    try:
        photo = load_photo(path, max_side=ANALYSE_SIDE)
        return inspect(photo, reload=lambda side: load_photo(path, max_side=side), limits=limits)
    except LikenessError as exc:
        return PhotoCheck(source=str(path), size=(0, 0), faces=0, face=None, error=_sentence(exc))


def inspect(
    photo: Photo,
    *,
    reload: Callable[[int], Photo] | None = None,
    limits: coaching.Limits = coaching.LIMITS,
) -> PhotoCheck:
    """Faces, measures, coaching and identity embedding of one decoded photo."""
    from ..faces import analyze, embed_face, mesh_for, pose_from_mesh

    faces = analyze(photo.image, embed=False, subject_only=True)
    subject = _subject(faces, photo.size) if faces else None
    if subject is not None and reload is not None and photo.scale < 1.0:
        ied = _ied(photo.image, subject, mesh_for)
        if ied is not None and ied < quality.CANON_IED:
            # The face is small at this decode size: decode larger so the measures see it
            # at its own resolution (costs a second decode for such photos only).
            side = int(max(photo.size) * min(1.0 / photo.scale, 1.05 * quality.CANON_IED / ied)) + 1
            bigger = reload(side)
            if bigger.scale > photo.scale:
                photo = bigger
                faces = analyze(photo.image, embed=False, subject_only=True)
                subject = _subject(faces, photo.size) if faces else None
    size = photo.original_size
    if subject is None:
        return PhotoCheck(
            source=photo.source, size=size, faces=0, face=None,
            error=f"No face found in {Path(photo.source).name}: use a photo where your face is clearly visible.",
        )
    if subject.mesh is None:
        mesh = mesh_for(photo.image, subject.box)
        if mesh is None:
            return PhotoCheck(
                source=photo.source, size=size, faces=len(faces), face=subject,
                error=f"A face was found in {Path(photo.source).name} but could not be measured: "
                "use a photo where your whole face is visible and in focus.",
            )
        subject = replace(subject, mesh=mesh, pose=pose_from_mesh(mesh))
    period = _block_period(photo)
    raw = quality.measure(photo.image, subject, faces, scale=photo.scale, block_period=period)
    measures = coaching.grade(raw, limits=limits)
    lm5, emb = embed_face(photo.image, subject.box, mesh=subject.mesh)
    subject = replace(subject, landmarks5=lm5, embedding=emb)
    return PhotoCheck(
        source=photo.source,
        size=size,
        faces=len(faces),
        face=_to_original(subject, photo.scale),
        measures=measures,
        expression=raw.expression,
        glasses=raw.glasses >= limits.glasses,
    )


def _subject(faces: list[Face], size: tuple[int, int]) -> Face:
    """The largest, most central face: area weighted down by distance from the centre."""
    w, h = size
    diag = float(np.hypot(w, h))

    def weight(f: Face) -> float:
        d = np.hypot(f.center[0] - w / 2, f.center[1] - h / 2) / diag
        return f.width * f.height * (1.0 - 0.8 * d)

    return max(faces, key=weight)


def _ied(image, face: Face, mesh_for) -> float | None:
    if face.mesh is not None:
        return face.inter_eye
    m = mesh_for(image, face.box)
    return None if m is None else float(np.hypot(*(m[473, :2] - m[468, :2])))


def _block_period(photo: Photo) -> int:
    """Where the 8×8 JPEG grid lies in the decoded pixels (0: unknown/too fine)."""
    if photo.format != "JPEG":
        return 8 if photo.scale == 1.0 else 0
    p = 8 * photo.scale
    return int(round(p)) if abs(p - round(p)) < 1e-3 and p >= 3.5 else 0


def _to_original(face: Face, scale: float) -> Face:
    """Coordinates in the original photo's pixels (what reports and studio expect)."""
    if scale == 1.0:
        return face
    k = 1.0 / scale
    return replace(
        face,
        box=tuple(float(v) * k for v in face.box),
        mesh=None if face.mesh is None else face.mesh * k,
        landmarks5=None if face.landmarks5 is None else face.landmarks5 * k,
    )


def _sentence(exc: LikenessError) -> str:
    return f"{exc.message} {exc.hint}".strip()

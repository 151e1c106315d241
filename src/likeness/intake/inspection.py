"""Intake orchestration: photos → faces → measures → identity → selection → Sitting.

1. decode each photo at a reduced size (JPEG DCT scaling: ``ANALYSE_SIDE``), again at
   a larger size only when the face is too small there to be measured;
2. find the faces; the subject is the largest, most central one;
3. measure the subject's face (:mod:`.quality`), grade and coach (:mod:`.coaching`);
4. embed the subject's identity; check the set's consistency (:mod:`.identity`);
5. in a photo with several faces whose subject does not match the set, take the face
   that does match (when one does) and measure it instead;
6. rank, choose references and give the verdict (:mod:`.select`).

A photo that cannot be read, or shows no face, becomes a :class:`PhotoCheck` with an
``error``; it never stops the run. Only an empty or oversized request raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, LikenessError, OptionError
from ..imageio import load_photo
from ..types import Face, Photo, PhotoCheck, Sitting

if TYPE_CHECKING:
    from .coaching import Limits

#: Longer side the photo is decoded at for analysis: a 12 MP JPEG decodes at 1/2 scale
#: (2016 px) in ~40 ms; faces keep ≥ 64 px (the canonical view's) between the eyes in nearly every photo.
ANALYSE_SIDE = 1600
MAX_PHOTOS = 30

Progress = Callable[[int, int], None]


def check(
    paths: Sequence[str | os.PathLike],
    *,
    progress: Progress | None = None,
    max_photos: int = MAX_PHOTOS,
    limits: Limits | None = None,
    decode: Callable[[Path], Photo] | None = None,
    seen: Callable[[PhotoCheck], object] | None = None,
) -> Sitting:
    """Check 1–``max_photos`` photos of one person and say what the set is good for.

    ``progress(done, total)`` is called after each photo. Unreadable photos and photos
    without a face become entries with an ``error``; only an empty or too large
    request raises. ``decode(path)``: how to decode a photo when the caller keeps the
    pixels (the studio decodes each photo once, for intake and the render alike);
    default: a reduced decode (``ANALYSE_SIDE``), larger only for a small face.
    ``seen(photo_check)`` is called with each photo's check as soon as it is made (the
    studio starts the review's reading of a photo then, beside the next one's decode).
    """
    from . import select

    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("No photos given.", hint="Give 1 to 30 photos of yourself, e.g. `likeness check *.jpg`.")
    if len(paths) > max_photos:
        raise OptionError(  # a usage problem (exit code 2), not a weak set
            f"{len(paths)} photos given; intake reads at most {max_photos}.",
            hint=f"Choose the {max_photos} best photos of yourself and run it again.",
            photos=len(paths),
        )
    checks: list[PhotoCheck] = []
    for i, p in enumerate(paths):
        checks.append(inspect_path(p, limits=limits, decode=decode))
        if seen:
            seen(checks[-1])
        if progress:
            progress(i + 1, len(paths))
    sitting = select.sitting(checks)
    # In a photo with several faces the largest, most central one may be a friend: where
    # that face does not match the set, look for the set's person among the others.
    redo = [i for i, c in enumerate(sitting.photos) if c.faces > 1 and c.other_person]
    if redo and sitting.identity is not None:
        for i in redo:
            checks[i] = inspect_path(paths[i], limits=limits, identity=sitting.identity, decode=decode)
            if seen:
                seen(checks[i])
        sitting = select.sitting(checks)
    return sitting


def inspect_path(
    path: Path,
    *,
    limits: Limits | None = None,
    identity: np.ndarray | None = None,
    decode: Callable[[Path], Photo] | None = None,
) -> PhotoCheck:
    """One photo file → PhotoCheck (errors become ``PhotoCheck.error``)."""
    try:
        if decode is not None:
            return inspect(decode(path), limits=limits, identity=identity)
        photo = load_photo(path, max_side=ANALYSE_SIDE)
        return inspect(photo, reload=lambda side: load_photo(path, max_side=side), limits=limits, identity=identity)
    except LikenessError as exc:
        return PhotoCheck(source=str(path), size=(0, 0), faces=0, face=None, error=_sentence(exc), error_code=exc.code)


def inspect(
    photo: Photo,
    *,
    reload: Callable[[int], Photo] | None = None,
    limits: Limits | None = None,
    embed: bool = True,
    identity: np.ndarray | None = None,
) -> PhotoCheck:
    """Faces, measures, coaching and identity embedding of one decoded photo.

    ``reload(max_side)`` decodes the same photo larger; it is called when the face is
    too small at the first decode size. ``embed=False`` skips the identity embedding
    (for evaluations that only read the measures). With ``identity`` (the set's
    enrolled embedding) the subject is the face that matches it, when one does.
    """
    from ..faces import embed_face, mesh_for, meshed
    from ..faces.subject import find_faces, pick_subject
    from ..faces.view import CANON_IED  # a smaller face is decoded again, larger
    from . import coaching, quality

    limits = limits or coaching.LIMITS

    faces = find_faces(photo.image)
    subject = pick_subject(faces, photo.size) if faces else None
    if subject is not None and reload is not None and photo.scale < 1.0:
        ied = _ied(photo.image, subject, mesh_for)
        if ied is not None and ied < CANON_IED:
            # The face is small at this decode size: decode larger so the measures see it
            # at its own resolution (costs a second decode for such photos only).
            side = int(max(photo.size) * min(1.0 / photo.scale, 1.05 * CANON_IED / ied)) + 1
            bigger = reload(side)
            if bigger.scale > photo.scale:
                photo = bigger
                faces = find_faces(photo.image)
                subject = pick_subject(faces, photo.size) if faces else None
    if identity is not None and len(faces) > 1:
        subject = _by_identity(photo.image, faces, identity) or subject
    size = photo.original_size
    if subject is None:
        return PhotoCheck(
            source=photo.source, size=size, faces=0, face=None,
            error=f"No face found in {Path(photo.source).name}: use a photo where your face is clearly visible.",
            error_code="no_face",
        )
    if subject.mesh is None:
        found = meshed(photo.image, subject)
        if found is None:
            return PhotoCheck(
                source=photo.source, size=size, faces=len(faces), face=_to_original(subject, photo.scale),
                error=f"A face was found in {Path(photo.source).name} but could not be measured: "
                "use a photo where your whole face is visible and in focus.",
                error_code="no_face",
            )
        subject = found
    k = next(i for i, f in enumerate(faces) if f.box == subject.box)
    others = faces[:k] + faces[k + 1 :]
    raw = quality.measure(photo.image, subject, others, scale=photo.scale, block_period=_block_period(photo))
    measures = coaching.grade(raw, limits=limits)
    if embed:
        from ..faces.identity import MODEL

        lm5, emb = embed_face(photo.image, subject.box, mesh=subject.mesh, landmarks5=subject.landmarks5)
        subject = replace(subject, landmarks5=lm5, embedding=emb, embedding_model=MODEL)
    return PhotoCheck(
        source=photo.source,
        size=size,
        faces=len(faces),
        face=_to_original(subject, photo.scale),
        measures=measures,
        expression=raw.expression,
        glasses=raw.glasses >= limits.glasses,
        subject=k,
    )


def _by_identity(image: np.ndarray, faces: list[Face], identity: np.ndarray) -> Face | None:
    """The face (at least a third as wide as the largest) closest to ``identity``, when
    it is close enough to be the same person; with its mesh."""
    from ..faces import distance, embed_face, meshed
    from .identity import SAME_PERSON

    widest = max(f.width for f in faces)
    best, best_d = None, SAME_PERSON
    for f in faces:
        if f.width < widest / 3:
            continue
        g = f if f.mesh is not None else meshed(image, f)
        if g is None:
            continue
        _, emb = embed_face(image, g.box, mesh=g.mesh)
        d = distance(emb, identity)
        if d <= best_d:
            best, best_d = g, d
    return best


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
    return face.scaled(1.0 / scale)


def _sentence(exc: LikenessError) -> str:
    return f"{exc.message} {exc.hint}".strip()

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

from ..errors import InputError, LikenessError, NotEnoughPhotosError
from ..imageio import load_photo
from ..types import Face, Photo, PhotoCheck, Sitting

if TYPE_CHECKING:
    from .coaching import Limits

#: Longer side the photo is decoded at for analysis: a 12 MP JPEG decodes at 1/2 scale
#: (2016 px) in ~40 ms; faces keep ≥ CANON_IED px between the eyes in nearly every photo.
ANALYSE_SIDE = 1600
MAX_PHOTOS = 30
#: A face with fewer px between the eyes at the first decode size is decoded again
#: larger (= view.CANON_IED; repeated here so this module imports no OpenCV).
CANON_IED = 64

Progress = Callable[[int, int], None]


def check(
    paths: Sequence[str | os.PathLike],
    *,
    progress: Progress | None = None,
    max_photos: int = MAX_PHOTOS,
    limits: Limits | None = None,
) -> Sitting:
    """Check 1–``max_photos`` photos of one person and say what the set is good for.

    ``progress(done, total)`` is called after each photo. Unreadable photos and photos
    without a face become entries with an ``error``; only an empty or too large
    request raises.
    """
    from . import select

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
    sitting = select.sitting(checks)
    # In a photo with several faces the largest, most central one may be a friend: where
    # that face does not match the set, look for the set's person among the others.
    redo = [i for i, c in enumerate(sitting.photos) if c.faces > 1 and c.other_person]
    if redo and sitting.identity is not None:
        for i in redo:
            checks[i] = inspect_path(paths[i], limits=limits, identity=sitting.identity)
        sitting = select.sitting(checks)
    return sitting


def inspect_path(path: Path, *, limits: Limits | None = None, identity: np.ndarray | None = None) -> PhotoCheck:
    """One photo file → PhotoCheck (errors become ``PhotoCheck.error``)."""
    try:
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
    from ..faces import embed_face, mesh_for, pose_from_mesh
    from . import coaching, quality

    limits = limits or coaching.LIMITS

    faces = _find_faces(photo.image)
    subject = _subject(faces, photo.size) if faces else None
    if subject is not None and reload is not None and photo.scale < 1.0:
        ied = _ied(photo.image, subject, mesh_for)
        if ied is not None and ied < CANON_IED:
            # The face is small at this decode size: decode larger so the measures see it
            # at its own resolution (costs a second decode for such photos only).
            side = int(max(photo.size) * min(1.0 / photo.scale, 1.05 * CANON_IED / ied)) + 1
            bigger = reload(side)
            if bigger.scale > photo.scale:
                photo = bigger
                faces = _find_faces(photo.image)
                subject = _subject(faces, photo.size) if faces else None
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
        mesh = mesh_for(photo.image, subject.box)
        if mesh is None:
            return PhotoCheck(
                source=photo.source, size=size, faces=len(faces), face=_to_original(subject, photo.scale),
                error=f"A face was found in {Path(photo.source).name} but could not be measured: "
                "use a photo where your whole face is visible and in focus.",
                error_code="no_face",
            )
        subject = replace(subject, mesh=mesh, pose=pose_from_mesh(mesh))
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


def _find_faces(image: np.ndarray) -> list[Face]:
    """Faces with the subject's (largest face's) mesh, in ``image`` pixels.

    Detection and the mesh run on a copy halved with a Gaussian pyramid until it is
    near the detector's 1024 px: the detector sees 192 px and the mesh model 192 px
    anyway, and pyramid halving costs a fraction of an area resize of the full image.
    A small face is meshed again at full resolution, where its landmarks are finer.
    """
    import cv2

    from ..faces import analyze, mesh_for, pose_from_mesh
    from ..faces.analyze import DETECT_SIDE

    small, f = image, 1
    while max(small.shape[:2]) > 1.6 * DETECT_SIDE:
        small, f = cv2.pyrDown(small), f * 2
    faces = analyze(small, embed=False, subject_only=True)
    if not faces and f > 1:  # analyze looks again at the centre of a big photo itself
        return analyze(image, embed=False, subject_only=True)
    if f == 1:
        return faces
    out = [_scale_face(face, float(f)) for face in faces]
    if out and out[0].mesh is not None and faces[0].width < SMALL_FACE_PX:
        mesh = mesh_for(image, out[0].box)
        if mesh is not None:
            out[0] = replace(out[0], mesh=mesh, pose=pose_from_mesh(mesh))
    return out


#: Faces narrower than this in the halved image get their mesh again at full size.
SMALL_FACE_PX = 120


def _scale_face(face: Face, k: float) -> Face:
    return replace(
        face,
        box=tuple(float(v) * k for v in face.box),
        mesh=None if face.mesh is None else face.mesh * np.array([k, k, k], np.float32),
        landmarks5=None if face.landmarks5 is None else face.landmarks5 * k,
    )


def _subject(faces: list[Face], size: tuple[int, int]) -> Face:
    """The largest, most central face: area weighted down by distance from the centre."""
    w, h = size
    diag = float(np.hypot(w, h))

    def weight(f: Face) -> float:
        d = np.hypot(f.center[0] - w / 2, f.center[1] - h / 2) / diag
        return f.width * f.height * (1.0 - 0.8 * d)

    return max(faces, key=weight)


def _by_identity(image: np.ndarray, faces: list[Face], identity: np.ndarray) -> Face | None:
    """The face (at least a third as wide as the largest) closest to ``identity``, when
    it is close enough to be the same person; with its mesh."""
    from ..faces import distance, embed_face, mesh_for, pose_from_mesh
    from .identity import SAME_PERSON

    widest = max(f.width for f in faces)
    best, best_d = None, SAME_PERSON
    for f in faces:
        if f.width < widest / 3:
            continue
        mesh = f.mesh if f.mesh is not None else mesh_for(image, f.box)
        if mesh is None:
            continue
        _, emb = embed_face(image, f.box, mesh=mesh)
        d = distance(emb, identity)
        if d <= best_d:
            best, best_d = replace(f, mesh=mesh, pose=pose_from_mesh(mesh)), d
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
    return face if scale == 1.0 else _scale_face(face, 1.0 / scale)


def _sentence(exc: LikenessError) -> str:
    return f"{exc.message} {exc.hint}".strip()

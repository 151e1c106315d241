"""The subject: the one face a headshot is made of.

One rule picks it everywhere (intake, studio, team): the largest face, weighted down
by its distance from the photo's centre (:func:`pick_subject`). :func:`find_subject`
finds it in a photo with its mesh, on a view of at most ``ANALYSE_SIDE`` px (the
detector and mesh models work at 128–192 px, so a larger view only costs time), and
refuses a photo where another face is nearly as large (a second subject, not a
bystander).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import ManyFacesError, NoFaceError
from ..types import Face, Photo

#: Longer side of the view the subject is found on.
ANALYSE_SIDE = 1024
#: Another face at least this wide (share of the subject's) makes a second subject.
SECOND_SUBJECT = 0.5


def pick_subject(faces: list[Face], size: tuple[int, int]) -> Face:
    """The largest, most central face: area weighted down by distance from the centre."""
    w, h = size
    diag = float(np.hypot(w, h))

    def weight(f: Face) -> float:
        d = np.hypot(f.center[0] - w / 2, f.center[1] - h / 2) / diag
        return f.width * f.height * (1.0 - 0.8 * d)

    return max(faces, key=weight)


def find_subject(photo: Photo) -> Face:
    """The subject's face (with mesh, no embedding) in ``photo``'s pixels, or a clear
    :class:`~likeness.errors.NoFaceError` / :class:`~likeness.errors.ManyFacesError`."""
    from ..studio.ops import shrink, shrink_scale
    from .analyze import analyze, mesh_for, pose_from_mesh

    img = photo.image
    k = min(1.0, ANALYSE_SIDE / max(img.shape[:2]))
    view, back = img, 1.0
    if k < 1.0:
        size = (max(1, round(img.shape[1] * k)), max(1, round(img.shape[0] * k)))
        view, back = shrink(img, size), 1.0 / shrink_scale(img.shape, size)[0]
    faces = analyze(view, embed=False, subject_only=True)
    name = Path(photo.source).name
    subject = pick_subject(faces, (view.shape[1], view.shape[0])) if faces else None
    if subject is not None and subject.mesh is None:  # analyze meshes the largest face only
        mesh = mesh_for(view, subject.box)
        subject = None if mesh is None else replace(subject, mesh=mesh, pose=pose_from_mesh(mesh))
    if subject is None:
        raise NoFaceError(
            f"No face found in {name}.", hint="Use a photo where your face is clearly visible.", faces=0, file=photo.source
        )
    # A face much smaller than the subject's is a bystander, not a second subject.
    others = [f for f in faces if f.box != subject.box and f.width > SECOND_SUBJECT * subject.width]
    if others:
        raise ManyFacesError(
            f"{len(others) + 1} faces found in {name}.",
            hint="Use a photo of you alone, or crop it to your face.",
            faces=len(others) + 1,
            file=photo.source,
        )
    return subject.scaled(back)

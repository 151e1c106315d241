"""The subject: the one face a headshot is made of.

:func:`find_faces` finds the faces of a photo (the largest with its mesh) on a
pyramid-reduced copy; one rule picks the subject everywhere (intake, studio, review):
the largest face, weighted down by its distance from the photo's centre
(:func:`pick_subject`). :func:`find_subject` does both for the studio and refuses a
photo where another face is nearly as large (a second subject, not a bystander).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ManyFacesError, NoFaceError
from ..types import Face, Photo

#: Longer side of the view a photo is decoded at to find the subject (the detector
#: and mesh models work at 128–192 px: a larger view only costs time).
ANALYSE_SIDE = 1024
#: Faces narrower than this in the reduced copy get their mesh again at full size.
SMALL_FACE_PX = 120
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


def find_faces(image: np.ndarray) -> list[Face]:
    """Faces with the subject's (largest face's) mesh, in ``image`` pixels.

    Detection and the mesh run on a copy halved until it is near the detector's
    1024 px: the detector sees 192 px and the mesh model 192 px anyway. The last
    halving is a Gaussian pyramid step; any before it (a 12 MP photo: 4000 → 2000 →
    1000 px) by area (:func:`~likeness.faces.view.halve`), which the pyramid's step
    then smooths: 30 → 11 ms of CPU for the two at 12 MP. (Halving by area at the
    last step too moves the face mask enough to flip intake's overexposure verdict on
    a face that sits at its limit: Biden 2 EV over, 0.3004 → 0.2995 against 0.30.)
    A small face is meshed again at full resolution, where its landmarks are finer.
    """
    import cv2

    from .analysis import DETECT_SIDE, analyze, meshed
    from .view import halve

    small, f = image, 1
    while max(small.shape[:2]) > 1.6 * DETECT_SIDE:
        step = halve if max(small.shape[:2]) > 3.2 * DETECT_SIDE else cv2.pyrDown
        small, f = step(small), f * 2
    faces = analyze(small, embed=False, subject_only=True)
    if not faces and f > 1:  # analyze looks again at the centre of a big photo itself
        return analyze(image, embed=False, subject_only=True)
    if f == 1:
        return faces
    out = [face.scaled(float(f)) for face in faces]
    if out and out[0].mesh is not None and faces[0].width < SMALL_FACE_PX:
        out[0] = meshed(image, out[0]) or out[0]
    return out


def find_subject(photo: Photo) -> Face:
    """The subject's face (with mesh, no embedding) in ``photo``'s pixels, or a clear
    :class:`~likeness.errors.NoFaceError` / :class:`~likeness.errors.ManyFacesError`."""
    from .analysis import meshed

    view = photo.image
    faces = find_faces(view)
    name = Path(photo.source).name
    subject = pick_subject(faces, (view.shape[1], view.shape[0])) if faces else None
    if subject is not None and subject.mesh is None:  # the largest face has a mesh, the others not
        subject = meshed(view, subject)
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
    return subject

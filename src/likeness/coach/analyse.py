"""One preview frame → a :class:`Reading`: the face's measures, read as the photo
checks read them, plus how the face sits in the frame.

The work is the intake's own (:func:`likeness.faces.subject.find_faces`,
:func:`likeness.intake.quality.measure`) on the small preview frame the page sends
(≤ 1280 px): the detector and the mesh see 192 px anyway, so a preview costs
~15–30 ms where a full photo costs ten times that. JPEG blockiness is not read
(a preview is compressed on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import Face
from ..intake.quality import Raw


@dataclass(frozen=True)
class Reading:
    """What one frame shows. ``raw`` is None when no face was found (or measured)."""

    size: tuple[int, int]  # frame width, height
    faces: int
    face: Face | None
    raw: Raw | None
    head_share: float = 0.0  # chin-to-crown height over the frame height
    ied_share: float = 0.0  # inter-eye distance over the frame's longer side

    @property
    def found(self) -> bool:
        return self.raw is not None


def decode_frame(data: bytes) -> np.ndarray:
    """A preview frame (JPEG/PNG/WebP bytes) as RGB uint8; an :class:`ImageReadError` if it is not one."""
    import cv2

    from ..errors import ImageReadError

    buf = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if img is None or img.ndim != 3:
        raise ImageReadError("The camera frame could not be read.", hint="Reload the page and start the camera again.")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_frame(image: np.ndarray) -> Reading:
    """Faces and measures of one RGB uint8 frame (see the module doc)."""
    from dataclasses import replace

    from ..faces.analyze import mesh_for, pose_from_mesh
    from ..faces.geometry import head_geometry
    from ..faces.subject import find_faces, pick_subject
    from ..intake.quality import measure

    h, w = image.shape[:2]
    faces = find_faces(image)
    if not faces:
        return Reading(size=(w, h), faces=0, face=None, raw=None)
    subject = pick_subject(faces, (w, h))
    if subject.mesh is None:
        mesh = mesh_for(image, subject.box)
        if mesh is None:
            return Reading(size=(w, h), faces=len(faces), face=subject, raw=None)
        subject = replace(subject, mesh=mesh, pose=pose_from_mesh(mesh))
    others = [f for f in faces if f.box != subject.box]
    raw = measure(image, subject, others, block_period=0)
    head = head_geometry(subject)
    return Reading(
        size=(w, h), faces=len(faces), face=subject, raw=raw,
        head_share=float(head.height / h), ied_share=float(subject.inter_eye / max(w, h)),
    )

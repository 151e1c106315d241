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

from ..intake.quality import Raw
from ..types import Face


@dataclass(frozen=True)
class Reading:
    """What one frame shows. ``raw`` is None when no face was found (or measured)."""

    size: tuple[int, int]  # frame width, height
    faces: int
    face: Face | None
    raw: Raw | None
    head_share: float = 0.0  # chin-to-crown height over the frame height
    ied_share: float = 0.0  # inter-eye distance over the frame's longer side
    capture_ied: float | None = None  # px between the eyes in the full-resolution capture, when its size is known
    detail: float = 1.0  # mid-band over coarse-band detail of the inner face (motion blur; see live_detail)
    eye_tone: float = 1.0  # median luma inside the eyes over the skin's (skin-bright: lids closed; dark: glasses)

    def at_capture(self, camera_side: int | None) -> Reading:
        """The same reading, knowing the longer side of the camera's full-resolution capture."""
        from dataclasses import replace

        return self if not camera_side else replace(self, capture_ied=self.ied_share * float(camera_side))

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
    from ..faces import view as views

    v = views.face_view(image, subject, framing=views.FACE)
    return Reading(
        size=(w, h), faces=len(faces), face=subject, raw=raw,
        head_share=float(head.height / h), ied_share=float(subject.inter_eye / max(w, h)),
        detail=live_detail(v), eye_tone=eye_tone(v),
    )


def _inner(v) -> tuple[int, int, int, int]:
    from ..faces.regions import BROW_L, BROW_R, LIPS

    h, w = v.luma.shape
    y0 = int(v.pts[BROW_R + BROW_L, 1].min())
    y1 = int(v.pts[LIPS, 1].max()) + 2
    x0 = int(v.pts[[33, 130, 226], 0].min()) - 2
    x1 = int(v.pts[[263, 359, 446], 0].max()) + 2
    return max(0, y0), min(h, y1), max(0, x0), min(w, x1)


def live_detail(v) -> float:
    """Detail of the inner face one band coarser than the photo checks' sharpness,
    along the axis that has least of it: per axis, the RMS of the band between σ 1
    and 2.5 (view px) over the band between 2.5 and 6, and the smaller of the two.

    The finest band (σ < 1) is what a webcam's sensor noise and JPEG fill even when
    the face is smeared; one band coarser, the eyes' and lips' edges are what is left,
    and motion blur removes them along the motion first (edges along it stay sharp,
    hence the weaker axis).
    """
    import cv2

    y0, y1, x0, x1 = _inner(v)
    if y1 - y0 < 8 or x1 - x0 < 8:
        return 0.0
    g = v.luma
    out = []
    for axis in (0, 1):
        def blur(s: float, axis: int = axis) -> np.ndarray:  # along x (axis 0) or y only
            return cv2.GaussianBlur(g, (0, 1) if axis == 0 else (1, 0), sigmaX=s if axis == 0 else 1e-6,
                                    sigmaY=1e-6 if axis == 0 else s)

        b1, b2, b3 = blur(1.0), blur(2.5), blur(6.0)
        mid, coarse = (b1 - b2)[y0:y1, x0:x1], (b2 - b3)[y0:y1, x0:x1]
        out.append(float(np.sqrt((mid**2).mean() / max((coarse**2).mean(), 1e-9))))
    return min(out)


def eye_tone(v) -> float:
    """Median luma inside the eyes over the skin's median: near 1 when lids cover the
    eyes (skin), low for dark glasses or a bar; an open eye lies between."""
    import cv2

    from ..faces.regions import EYE_L, EYE_R

    m = np.zeros(v.luma.shape, np.uint8)
    for idx in (EYE_R, EYE_L):
        cv2.fillPoly(m, [np.round(v.pts[idx] * 4).astype(np.int32)], 1, shift=2)
    skin = v.skin if v.skin.any() else v.oval
    if m.sum() < 6 or not skin.any():
        return 1.0
    return float(np.median(v.luma[m > 0]) / max(float(np.median(v.luma[skin])), 1e-3))

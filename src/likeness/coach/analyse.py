"""One preview frame → a :class:`Reading`: the face's measures, read as the photo
checks read them, plus how the face sits in the frame.

The work is the intake's own (:func:`likeness.faces.subject.find_faces`,
:func:`likeness.intake.quality.measure`) on the small preview frame the page sends
(≤ 1280 px): the detector and the mesh see 192 px anyway, so a preview costs
~15–30 ms where a full photo costs ten times that. JPEG blockiness is not read
(a preview is compressed on purpose).

Between frames the face is *tracked*, as mediapipe's own live graph does: given the
previous frame's reading, the mesh runs straight on the square around the previous
mesh (the full-range detector, the costliest model, and the short-range one inside
the mesh crop are skipped). The detectors run again when the mesh is lost or jumps,
and every ``REDETECT`` frames (a newcomer in the frame is found then).
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
    eye_tone: float | None = None  # median luma inside the eyes over the skin's (skin-bright: lids closed; dark:
    # glasses); None: not read, the eyes are plainly visible (see EYE_TONE_BELOW)
    others: tuple[Face, ...] = ()  # the other faces of the last detection
    tracked: int = 0  # frames since the detectors last ran (0: they ran on this frame)
    motion: float | None = None  # how far the eyes moved since the previous frame, in inter-eye distances

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


#: The eyes' tone is read only when they are this faint (eyes_visible): every rule that
#: uses it (closed lids, glasses) applies well below (:class:`~.directions.LiveLimits`),
#: and its skin mask is a tenth of a frame's work.
EYE_TONE_BELOW = 0.6
#: Frames between two runs of the detectors while the face is tracked.
REDETECT = 8
#: A tracked mesh whose size changed by more than this factor, or whose centre moved by
#: more than ``TRACK_MOVE`` of its size, since the last frame is not trusted (detect again).
TRACK_SCALE, TRACK_MOVE = 1.25, 0.25


def read_frame(image: np.ndarray, *, prior: Reading | None = None) -> Reading:
    """Faces and measures of one RGB uint8 frame (see the module doc); ``prior``: the
    reading of the previous frame of the same camera (the face is tracked from it)."""
    from ..faces.geometry import head_geometry
    from ..intake.quality import measure

    h, w = image.shape[:2]
    subject, tracked = None, 0
    if prior is not None and prior.face is not None and prior.size == (w, h) and prior.tracked + 1 < REDETECT:
        subject = track(image, prior.face)
    if subject is not None:
        n, others, tracked = prior.faces, prior.others, prior.tracked + 1
    else:
        found = _detect(image)
        if isinstance(found, Reading):
            return found
        n, subject, others = found
    raw = measure(image, subject, list(others), block_period=0)
    head = head_geometry(subject)
    from ..faces import view as views

    v = views.face_view(image, subject, framing=views.FACE)
    return Reading(
        size=(w, h), faces=n, face=subject, raw=raw,
        head_share=float(head.height / h), ied_share=float(subject.inter_eye / max(w, h)),
        detail=live_detail(v), eye_tone=eye_tone(v) if raw.eyes_visible < EYE_TONE_BELOW else None,
        others=tuple(others), tracked=tracked,
        motion=_motion(prior, subject),
    )


def _motion(prior: Reading | None, face: Face) -> float | None:
    if prior is None or prior.face is None or prior.face.mesh is None or face.mesh is None:
        return None
    a, b = (np.mean(f.eye_centers(), axis=0) for f in (prior.face, face))
    return float(np.hypot(*(b - a)) / max(face.inter_eye, 1e-6))


def _detect(image: np.ndarray) -> tuple[int, Face, list[Face]] | Reading:
    """(faces found, the subject with its mesh, the others), or the Reading of a frame
    where no face (or no mesh) was found."""
    from ..faces.analysis import meshed
    from ..faces.subject import find_faces, pick_subject

    h, w = image.shape[:2]
    faces = find_faces(image)
    if not faces:
        return Reading(size=(w, h), faces=0, face=None, raw=None)
    subject = pick_subject(faces, (w, h))
    if subject.mesh is None:
        found = meshed(image, subject)
        if found is None:
            return Reading(size=(w, h), faces=len(faces), face=subject, raw=None)
        subject = found
    return len(faces), subject, [f for f in faces if f.box != subject.box]


def _extent(mesh: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and longer side of the mesh's bounding box (the 468 face points)."""
    lo, hi = mesh[:468, :2].min(0), mesh[:468, :2].max(0)
    return (lo + hi) / 2, float(max(hi - lo))


def track(image: np.ndarray, face: Face) -> Face | None:
    """``face`` (with its mesh, from the previous frame) found again in ``image``: the
    mesh model run on the square 1.5× the previous mesh's extent, turned level by its
    eyes (mediapipe's tracking ROI). None when the model sees no face there or the
    mesh jumped (see ``TRACK_SCALE``). The box keeps the detector's convention: it
    moves and scales with the mesh."""
    from dataclasses import replace

    from ..faces import mediapipe_backend as mpb
    from ..faces.analysis import pose_from_mesh

    if face.mesh is None or len(face.mesh) < 478:
        return None
    c0, s0 = _extent(face.mesh)
    box = np.array([*(c0 - s0 / 2), *(c0 + s0 / 2)], np.float32)
    # The mesh model's own crop (the detection path's _landmarks): the same warp and model
    # as a detected face, here from the previous mesh instead of a detector's box.
    mesh = mpb._landmarks(np.ascontiguousarray(image), box, face.mesh[[468, 473], :2])
    if mesh is None:
        return None
    c1, s1 = _extent(mesh)
    if not 1 / TRACK_SCALE < s1 / max(s0, 1e-6) < TRACK_SCALE or float(np.hypot(*(c1 - c0))) > TRACK_MOVE * s0:
        return None
    k = s1 / s0
    b = np.array(face.box, np.float64).reshape(2, 2)
    nb = (b - c0) * k + c1
    return replace(face, box=tuple(float(v) for v in nb.ravel()), mesh=mesh, pose=pose_from_mesh(mesh))


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
    the face is smeared; one band coarser, the brows', nose's and lips' edges are what
    is left, and motion blur removes them along the motion first (edges along it stay
    sharp, hence the weaker axis). The eyes are left out: closed lids remove their
    edges too, and a blink must not read as a shaken camera.
    """
    import cv2

    from ..faces.regions import EYE_L, EYE_R

    y0, y1, x0, x1 = _inner(v)
    if y1 - y0 < 8 or x1 - x0 < 8:
        return 0.0
    keep = np.ones(v.luma.shape, np.uint8)
    for idx in (EYE_R, EYE_L):
        p = v.pts[idx]
        c = p.mean(0)
        cv2.fillPoly(keep, [np.round((c + (p - c) * np.array([1.3, 2.0])) * 4).astype(np.int32)], 0, shift=2)
    keep = keep[y0:y1, x0:x1] > 0
    if keep.sum() < 32:
        return 0.0
    g = v.luma
    out = []
    for axis in (0, 1):
        def blur(s: float, axis: int = axis) -> np.ndarray:  # along x (axis 0) or y only
            return cv2.GaussianBlur(g, (0, 1) if axis == 0 else (1, 0), sigmaX=s if axis == 0 else 1e-6,
                                    sigmaY=1e-6 if axis == 0 else s)

        b1, b2, b3 = blur(1.0), blur(2.5), blur(6.0)
        mid, coarse = (b1 - b2)[y0:y1, x0:x1][keep], (b2 - b3)[y0:y1, x0:x1][keep]
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

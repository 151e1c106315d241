"""Dataclasses that cross stage boundaries.

Image convention (STYLE.md): RGB, H×W×3, ``uint8`` at stage boundaries; ``float32``
in [0, 1] inside a stage; masks and alphas ``float32`` H×W in [0, 1]. Coordinates are
pixels of the (orientation-corrected) photo, ``x`` to the right, ``y`` down.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Photo:
    """A decoded, orientation-corrected, sRGB photo."""

    image: np.ndarray  # uint8 H×W×3 RGB, possibly reduced by ``scale``
    source: str  # path or name, for messages and reports
    format: str  # "JPEG", "PNG", "WEBP", "HEIF", ...
    original_size: tuple[int, int]  # (width, height) after orientation, before reduction
    scale: float = 1.0  # image pixels per original pixel (≤ 1 when decoded reduced)
    notes: tuple[str, ...] = ()  # what decoding did (orientation, profile, bit depth)

    @property
    def size(self) -> tuple[int, int]:
        return (self.image.shape[1], self.image.shape[0])


@dataclass(frozen=True)
class Pose:
    yaw: float  # degrees, + = subject turned to the image's right
    pitch: float  # degrees, + = looking up
    roll: float  # degrees, + = head tilted clockwise in the image


@dataclass(frozen=True)
class Face:
    """One detected face. Landmarks are in pixel coordinates of the analysed image."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float  # detector confidence
    mesh: np.ndarray | None = None  # 478×3 (x, y px; z relative) from the face mesh
    landmarks5: np.ndarray | None = None  # 5×2 YuNet order: r-eye, l-eye (centres), nose tip, r-, l-mouth corner
    pose: Pose | None = None
    embedding: np.ndarray | None = None  # 128-D identity embedding, L2-normalised
    embedding_model: str | None = None  # which model made ``embedding`` (faces.identity.MODEL)

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    def eye_centers(self) -> tuple[np.ndarray, np.ndarray]:
        """Eye centres in px, image-left eye first (the subject's right eye)."""
        if self.mesh is not None and len(self.mesh) >= 478:
            return self.mesh[468, :2].copy(), self.mesh[473, :2].copy()
        if self.landmarks5 is not None:  # YuNet order: the subject's right eye first
            return self.landmarks5[0].copy(), self.landmarks5[1].copy()
        raise ValueError("face has no landmarks")

    @property
    def inter_eye(self) -> float:
        a, b = self.eye_centers()
        return float(np.hypot(*(b - a)))

    def scaled(self, k: float) -> Face:
        """The same face in an image scaled by ``k`` (continuous pixel coordinates)."""
        if k == 1.0:
            return self
        k32 = np.float32(k)
        return replace(
            self,
            box=tuple(float(v) * k for v in self.box),
            mesh=None if self.mesh is None else self.mesh * k32,
            landmarks5=None if self.landmarks5 is None else self.landmarks5 * k32,
        )


@dataclass(frozen=True)
class Measure:
    """One quality measure: a 0–100 score (100 = best), the raw value and, when the
    measure fails, one plain sentence saying what to do."""

    name: str
    score: float
    raw: float
    ok: bool
    advice: str = ""
    unit: str = ""


class Verdict(str, enum.Enum):
    READY = "ready"
    USABLE = "usable"  # usable with caveats
    NOT_ENOUGH = "not_enough"


@dataclass(frozen=True)
class PhotoCheck:
    """Everything intake learned about one photo."""

    source: str
    size: tuple[int, int]
    faces: int
    face: Face | None  # the subject's face (the chosen one when there are several)
    measures: dict[str, Measure] = field(default_factory=dict)
    expression: str = ""  # "neutral", "smile", "open-mouth smile" — reported, not judged
    glasses: bool = False
    identity_distance: float | None = None  # to the set's consensus identity
    other_person: bool = False  # looks like someone else than the rest of the set
    usable: bool = False  # good enough for the studio
    rank: float = 0.0  # higher is better; studio takes the top one
    error: str = ""  # when the photo could not be read at all
    error_code: str = ""  # LikenessError.code of ``error`` ("unreadable_image", "no_face", ...)
    subject: int = 0  # which detected face is the subject (faces are ordered largest first)

    @property
    def problems(self) -> list[str]:
        out = [m.advice for m in self.measures.values() if not m.ok and m.advice]
        if self.other_person:
            out.append(
                "This photo looks like a different person from the rest: "
                "remove it, or check that every photo shows you."
            )
        if self.error:
            out.insert(0, self.error)
        return out


@dataclass(frozen=True)
class Sitting:
    """The result of intake: a checked set of photos of one person."""

    photos: tuple[PhotoCheck, ...]
    verdict: Verdict
    summary: str  # one sentence for the set
    advice: tuple[str, ...] = ()  # which kind of photo to add, set-level problems
    ranking: tuple[int, ...] = ()  # indices into photos, best first (usable only)
    references: tuple[int, ...] = ()  # small varied set for generation
    identity: np.ndarray | None = None  # enrolled mean embedding (L2-normalised)
    people: int = 1  # distinct people found in the set

    @property
    def best(self) -> PhotoCheck | None:
        return self.photos[self.ranking[0]] if self.ranking else None


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, numpy and paths to plain JSON values."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, np.ndarray):
        return None if obj.size > 64 else obj.round(4).tolist()
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else round(float(obj), 4)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


@dataclass(frozen=True)
class Headshot:
    """One delivered image and how it was made."""

    path: Path
    source: str  # the input photo it was made from
    look: str
    frame: str
    width: int
    height: int
    likeness: float | None = None  # 0–100, ``faces.identity.likeness_score`` (≥ 70: the same person)
    identity_distance: float | None = None  # the review's: to the person's enrolled identity
    source_type: str = "algorithmicallyEnhanced"  # IPTC DigitalSourceType
    notes: tuple[str, ...] = ()  # e.g. "chest-up needs more body: used headshot"
    measures: dict[str, float] = field(default_factory=dict)  # the render's numbers
    framing: tuple[str, ...] = ()  # ``studio.frame.Fallback`` values: how the frame departs from the preset
    # The note of the review's retry that framed the photo otherwise than the preset
    # (tighter, square: ``studio.session.retry_settings``), with what the first render
    # showed; "" when the framing is the preset's own.
    reframed: str = ""
    review: dict[str, Any] | None = None  # ``Review.to_dict()``: every check with its figure


@dataclass(frozen=True)
class StudioResult:
    headshots: tuple[Headshot, ...]
    sitting: Sitting
    out_dir: Path
    report_json: Path | None = None
    report_html: Path | None = None
    contact_sheet: Path | None = None
    skipped: tuple[tuple[str, str], ...] = ()  # (photo, reason) for photos not made

"""Dataclasses of the review: settings, the enrolled reference, checks and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..faces.glasses import OFF as GLASSES_OFF
from ..faces.glasses import ON as GLASSES_ON
from ..types import Face
from .stats import Lab, PhotoStats


@dataclass(frozen=True)
class ReviewSettings:
    """Thresholds of every gate. Defaults are calibrated by ``likeness eval review``
    (see each module's docstring for the measured numbers)."""

    identity_threshold: float | None = None  # None: likeness.threshold() (FAR 1e-3)
    min_eye_px: float = 28.0  # smaller faces are "too small to review"
    other_face: float = 0.35  # another face at least this wide (share of the subject's) fails
    other_face_score: float = 0.6  # detector confidence that counts as a face
    eyes_open: float = 0.06  # eyelid gap / eye width of the less open eye
    landmark_error: float = 0.35  # mesh eye corners vs YuNet eye centres, inter-eye units
    skin: float = 12.0  # ΔE2000 (kL=2) to the nearest of the person's skins: floor of the limit
    skin_spread_k: float = 3.0  # ... or this many times the person's own spread
    skin_cap: float = 16.0
    skin_source: float = 3.5  # ΔE2000 to the source photo's skin under the same light
    hair: float = 18.0  # ΔE2000 (kL=2) to the nearest of the person's hair colours
    hair_spread_k: float = 3.0
    hair_cap: float = 26.0
    hair_source: float = 8.0  # ΔE2000 (kL=2) to the source photo's hair under the same light
    iris: float = 18.0  # a*b* distance (light-compensated) to the person's iris
    iris_spread_k: float = 2.5
    iris_cap: float = 24.0
    iris_source: float = 8.0  # ΔE2000 to the source photo's iris under the same light
    glasses_on: float = GLASSES_ON  # glasses score (faces.glasses) at or above: glasses
    glasses_off: float = GLASSES_OFF  # at or below: none (between: undecided, never fails)
    texture: float = 0.42  # cheek HF energy / the person's median
    texture_source: float = 0.70  # ... / the source photo's
    light_ev: float = 3.0  # face darker than the backdrop near the head by more (EV)
    light_cast: float = 28.0  # face cast vs a neutral backdrop's cast beyond (b*)
    eye_line: float = 0.05  # framing: eye line off the Look's by more (share of height)
    head_size: float = 0.2  # framing: head size off by more (relative)
    # Defect checks (``review.defects``; shares in % of the frame unless said). Limits set
    # by ``likeness eval defects`` on half a of the people (see ``likeness.eval.defects``).
    islands: float = 0.075  # stray pieces, old-background patches and holes together
    island_min: float = 0.05  # pieces smaller than this are not counted
    island_delta: float = 5.0  # ΔE2000 from the local backdrop that counts as "stuff"
    other_person_face: float = 0.2  # another face at least this wide (share of the subject's)
    envelope: float = 2.2  # the subject's head zone, face half-widths from its axis
    other_person: float = 1.12  # pieces at a frame edge above the chin (% of frame) + side contact (% of height)
    photo_edge: float = 3.0  # the photo's edge cutting the subject, % of the frame height
    fringe: float = 5.13  # share (%) of the hair's outline (arcs) off the matte's backdrop–hair mix
    fringe_delta: float = 5.5  # ΔE (Lab) off the matte's mix that counts as fringe (an arc's median)
    flat_edge: float = 0.307  # longest straight hair-outline run, share of the head height
    flat_eps: float = 1.0  # straightness tolerance, px at scene.SIDE
    # Lips vs cheeks ΔE2000 below this: the mouth is covered. Halfway across half a's gap
    # (injected covers at most 4.30, a clean render's visible mouth at least 8.54; half b
    # 4.93 / 12.8): a low-contrast mouth (a beard, a broad smile) read 8.4–8.9 and a
    # white balance moved it across 8.42, the limit before. Hands are the hand check's.
    occlusion: float = 6.42
    occlusion_red: float = 3.0  # lips less red than the cheeks by more: not lips
    # ... and only where the mouth is also smooth: its mean L* gradient over the
    # cheeks' below this. Halfway across half a's gap (injected covers at most 0.080, a
    # clean render's mouth at least 1.27; half b 0.080 / 1.05). On the 60 matting
    # portraits three mouths whose colour is close to the cheeks' (pale lips, a broad
    # smile, a moustache over the lip) read 0.82-2.03 and were refused before it; a
    # plain surgical mask reads 0.45.
    occlusion_detail: float = 0.67
    hand: float = 0.49  # hand presence (faces.hands) over the face or at the chin from this: a hand
    skip: tuple[str, ...] = ()  # checks not to run (names as in Review.checks)

    def __post_init__(self) -> None:
        from ..errors import OptionError

        for name in ("min_eye_px", "other_face", "skin", "skin_source", "hair", "iris", "texture", "texture_source"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise OptionError(f"Review setting {name} must be a positive number, got {v!r}.",
                                  hint="Leave it out to use the calibrated default.", setting=name)
        unknown = set(self.skip) - set(CHECKS)
        if unknown:
            raise OptionError(f"Unknown review check(s) to skip: {', '.join(sorted(unknown))}.",
                              hint="Choose from: " + ", ".join(CHECKS) + ".", valid=list(CHECKS))


#: Every check, in the order they are reported.
CHECKS = ("face_size", "one_face", "eyes_open", "landmarks", "likeness", "skin_tone", "hair_colour",
          "glasses", "eye_colour", "texture", "light", "framing",
          "islands", "other_people", "cut_subject", "fringe", "flat_edge", "occlusion", "hand")


@dataclass(frozen=True)
class Check:
    passed: bool
    value: float | None = None  # the measured number (None: not measurable here)
    threshold: float | None = None
    reason: str = ""  # a plain sentence when it fails
    note: str = ""  # how it was judged (e.g. "against the photo it was made from")


@dataclass(frozen=True)
class Reference:
    """What the person's own photos say (see :func:`likeness.review.enroll`)."""

    identity: np.ndarray | None  # enrolled unit embedding
    skin: Lab | None  # median cheek colour
    skin_spread: float | None  # median ΔE2000 (kL=2) of each photo to its nearest other one
    hair: Lab | None
    hair_spread: float | None
    glasses: bool | None  # True/False when the photos agree; None when mixed or unclear
    glasses_share: float  # share of the decided photos with glasses
    iris: Lab | None
    iris_spread: float | None
    texture: dict[int, float]  # scale → median skin HF energy
    exposure: float  # median sRGB luma of the cheeks
    photos: tuple[PhotoStats, ...] = field(repr=False)
    skipped: tuple[int, ...] = ()  # indices of photos without a usable face
    sources: tuple[str, ...] = ()  # the photos' names, as the caller gave them (the studio: paths)

    @property
    def n(self) -> int:
        return len(self.photos)


@dataclass(frozen=True)
class Review:
    passed: bool
    likeness: float  # 0–100
    identity_distance: float
    checks: dict[str, Check]
    reasons: list[str]
    source: int | None = None  # index into Reference.photos the candidate was made from

    def to_dict(self) -> dict:
        from ..types import to_jsonable

        return to_jsonable(self)


@dataclass(frozen=True)
class Candidate:
    """A candidate's subject face, its measures and what it was matched with."""

    face: Face
    faces: list[Face]
    stats: PhotoStats
    size: tuple[int, int]  # (width, height)
    source: int | None = None
    source_score: float = 0.0
    gain: np.ndarray | None = None  # light change from the source photo (linear RGB)

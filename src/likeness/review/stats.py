"""What one photo says about the person: the descriptor enrolment and review share.

:func:`describe` reads a photo's subject face once (canonical view, segmentation) and
returns a :class:`PhotoStats`; a :class:`~.review.Reference` is a set of them plus
their summary, and a candidate gets the same descriptor, so every comparison is
like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..color import monochrome, to_uint8
from ..faces.glasses import glasses
from ..faces.regions import EYE_L, EYE_R
from ..faces.view import FaceView, face_view
from ..types import Face
from . import attributes, texture
from .source import THUMB, structure

Lab = tuple[float, float, float]


@dataclass(frozen=True)
class PhotoStats:
    """Measures of one face (see :mod:`.attributes`, :mod:`.texture`, :mod:`.source`)."""

    embedding: np.ndarray | None  # 128-D unit identity embedding
    native_ied: float  # px between the eye centres in the photo
    skin: Lab | None
    hair: Lab | None
    hair_share: float  # share of the hair region that is person
    iris: Lab | None
    iris_px: int
    glasses: float  # glasses score (≥ ~5: a frame)
    texture: dict[int, float]  # scale → skin high-frequency energy
    exposure: float  # median sRGB luma of the cheeks
    mono: bool  # black-and-white (or toned) image
    backdrop: Lab | None  # colour around the head (person pixels out)
    backdrop_y: float  # its linear luminance
    backdrop_share: float  # share of the band around the head that is backdrop
    thumb: np.ndarray = field(repr=False)  # uint8 THUMB×THUMB×3 canonical view
    person: np.ndarray = field(repr=False)  # bool THUMB×THUMB
    pts: np.ndarray = field(repr=False)  # 478×2 mesh in thumbnail px

    @property
    def structure(self) -> np.ndarray:
        return structure(self.thumb)

    def cheeks(self) -> np.ndarray:
        """Cheek mask in thumbnail px."""
        from ..faces.masks import skin_masks

        return skin_masks(np.c_[self.pts, np.zeros(len(self.pts))], (THUMB, THUMB)).cheeks > 0

    def anchors(self) -> np.ndarray:
        """Person pixels that are not face skin (hair, ears, neck, clothes, eyes, brows,
        lips): they share the light with the skin but not a skin edit."""
        from ..faces.masks import skin_masks

        m = skin_masks(np.c_[self.pts, np.zeros(len(self.pts))], (THUMB, THUMB))
        skin = cv2.dilate((m.skin > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        feat = np.zeros((THUMB, THUMB), np.uint8)
        for idx in (EYE_R, EYE_L):
            cv2.fillPoly(feat, [np.round(self.pts[idx] * 16).astype(np.int32)], 1, shift=4)
        return self.person & ~skin | (feat > 0)


def describe(image: np.ndarray, face: Face, *, view: FaceView | None = None) -> PhotoStats:
    """Measure ``face`` (with mesh) of an RGB uint8 photo."""
    v = view if view is not None else face_view(image, face)
    u8 = to_uint8(v.rgb)
    from ..matting import segment

    # Person probability, the matting stage's model, one view: the attributes read it
    # in broad bands (hair, backdrop), where the mirrored second view the matte uses
    # (+0.0015 IoU) doubles the cost and moved no figure of `likeness eval review`.
    person = segment(u8, flip=False)
    hair, share = attributes.hair_lab(v, person)
    iris, n_iris = attributes.iris_lab(v)
    thumb = cv2.resize(u8, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
    k = THUMB / v.rgb.shape[1]
    small_person = cv2.resize(person, (THUMB, THUMB), interpolation=cv2.INTER_LINEAR) >= 0.5
    pts = (v.pts * k).astype(np.float32)
    bd, bd_y, bd_share = attributes.backdrop(thumb, small_person, pts)
    return PhotoStats(
        embedding=None if face.embedding is None else np.asarray(face.embedding, np.float32),
        native_ied=v.native_ied,
        skin=attributes.skin_lab(v),
        hair=hair,
        hair_share=share,
        iris=iris,
        iris_px=n_iris,
        glasses=glasses(v),
        texture=texture.energies(v),
        exposure=attributes.exposure(v),
        mono=monochrome(v.lab),
        backdrop=bd,
        backdrop_y=bd_y,
        backdrop_share=bd_share,
        thumb=thumb,
        person=small_person,
        pts=pts,
    )

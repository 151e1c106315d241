"""The photo ``face-locked`` repaints: the headshot's framed crop at the model's size.

The model paints at up to 1 MP. Painting the whole photo and enlarging the result to
the photo's size (1.7× for a 12 MP JPEG decoded at 1536 px, 3.5× for a 12 MP PNG)
put a soft repainted area beside the sharp face. So the studio's framing comes first:
the crop the Look's preset asks for, rendered at the preset's aspect and at most the
model's area (never more pixels than the preset itself). The model then paints the
crop at its own size, nothing of the painting is enlarged, and the face's pixels are
enlarged at most as much as the studio would enlarge them (``enlarged``, reported).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

MODEL_AREA = 1024 * 1024  # FLUX.2 [klein] paints at up to 1 MP


@dataclass(frozen=True)
class LockedReference:
    image: np.ndarray  # uint8 H×W×3: the framed crop at the model's size
    face_mask: np.ndarray  # float32 H×W: the face and hair to keep (1)
    plan: Any  # studio.frame.FramePlan of the crop (ratios hold at any size)
    enlarged: float  # crop px per decoded photo px (>1: the photo was enlarged), as the studio reports it


def model_size(preset_size: tuple[int, int], *, area: int = MODEL_AREA) -> tuple[int, int]:
    """The preset's aspect at min(``area``, the preset's own area), multiples of 16."""
    from .loading import fit_area

    w, h = preset_size
    return fit_area(w, h, area=min(area, w * h), multiple=16)


def face_mask(image: np.ndarray, face: Any, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Face and hair to keep (1): the person's pixels above the collar line, plus the
    face oval. ``valid`` = 1 where the image shows the photo (a crop may reach past it).
    The seam is made by ``composite.paste_face``, inside this mask."""
    import cv2

    from ..studio.cutout import cut_out  # the studio's person matte

    h, w = image.shape[:2]
    valid = np.ones((h, w), np.float32) if valid is None else valid.astype(np.float32)
    alpha = cut_out(image, face_box=face.box, valid=valid).alpha
    chin = float(face.mesh[152, 1]) if face.mesh is not None else face.box[3]
    keep = (alpha >= 0.5).astype(np.uint8)
    keep[int(min(h, chin + 0.08 * face.height)) :] = 0
    if face.mesh is not None:
        hull = cv2.convexHull(face.mesh[:, :2].astype(np.int32))
        cv2.fillConvexPoly(keep, hull, 1)
    return keep.astype(np.float32) * (valid >= 0.5)


def locked_reference(
    source: str | os.PathLike, *, frame: str, face: Any = None, size: tuple[int, int] | None = None
) -> LockedReference:
    """Decode ``source`` as the studio does, frame it with the ``frame`` preset at the
    model's size and mask its face and hair.

    ``size``: the canvas (w, h) to paint, used as it is when it has the preset's
    aspect (``pipeline.size_for_look``), else for its area; None: the model's 1 MP.
    ``face``: the subject in original-photo pixels (intake's), else it is found here;
    no face raises the studio's :class:`~likeness.errors.NoFaceError` naming the file.
    """
    import cv2

    from ..studio import frame as framing
    from ..studio.decode import decode_for

    preset = framing.get_preset(frame)
    photo, subject, fp = decode_for(source, face=face, preset=preset)
    if size is None or abs(size[0] / size[1] - preset.aspect) > 0.01 or size[0] % 16 or size[1] % 16:
        size = model_size(preset.size, area=MODEL_AREA if size is None else size[0] * size[1])
    size = (int(size[0]), int(size[1]))
    k = fp.height / size[1]  # photo px per crop px
    if k > 1.25:
        # Reduce with one area step from the preset's render (frame() reduces views,
        # not output pixels, with a faster filter): these are the delivered face pixels.
        fr = framing.frame(photo.image, subject, framing=fp)
        s = size[1] / fr.image.shape[0]
        image = cv2.resize(fr.image, size, interpolation=cv2.INTER_AREA)
        valid = cv2.resize(fr.valid, size, interpolation=cv2.INTER_AREA)
        crop_face, enlarged = fr.face.scaled(s), fr.scale * s
    else:
        fr = framing.frame(photo.image, subject, framing=fp, size=size)
        image, valid, crop_face, enlarged = fr.image, fr.valid, fr.face, fr.scale
    return LockedReference(np.ascontiguousarray(image), face_mask(image, crop_face, valid=valid), fp, float(enlarged))

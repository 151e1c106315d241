"""The matte's prior: the person probability the headshot's crop is matted from.

The segmentation model sees 256 px. Given only the headshot's crop it sees a person
cut by the frame's edges and takes walls beside a cut shoulder for the person; given
the whole photo it sees the shoulder go on but coarsely. :func:`crop_prior` combines
both (see its notes for the measured figures).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..types import Face
from . import frame as framing
from .ops import shrink

#: long side of the whole photo's view for the matte prior (the model's feed size). In
#: the studio's frame on the eval portraits, the whole photo's segmentation alone: 512
#: mean IoU 0.9741 / p10 0.9501, 384 0.9736 / 0.9477, 256 0.9730 / 0.9481.
PRIOR_SIDE = 512


def crop_prior(crop: np.ndarray, face_box, from_photo: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """The person probability the crop is matted from: the geometric mean of the whole
    photo's (``from_photo``, mapped into the crop) and the crop's own (one view), but
    the photo's alone on headwear the crop's view misses (:func:`headwear`); ``valid``
    (the crop's share inside the photo) keeps the frame's padding out of that test.

    Each view fails where the other does not. From the crop alone, the model sees a
    person cut by the frame's edges and takes a wall beside a cut shoulder for the
    person; from the whole photo it sees the person at a quarter of the resolution and
    takes a chair back or a flag touching the head for hair. Both must agree, except on
    a hat or turban: there the crop's view, seeing a face cut by the frame, says
    background with certainty (0.0–0.05) while the photo's says person. In the studio's
    frame on the eval portraits (``likeness eval matting``, ``framed``; mean IoU / p10 /
    hair recall, 5 Dec):

    - with the headwear rule: all 0.9736 / 0.9499 / 0.9718; half a of the people
      (calibration) 0.9700 / 0.9416 / 0.9778, half b 0.9786 / 0.9558 / 0.9654;
    - the plain geometric mean: all 0.9706 / 0.9480 / 0.9644; a 0.9649 / 0.9360 /
      0.9778, b 0.9786 / 0.9558 / 0.9500 (a turban, portrait 01100, 0.78 IoU; a white
      hat over a fringe, hair 28450, 0.77 recall);
    - the whole photo's alone: all 0.9739 / 0.9499 / 0.9786; a 0.9704 / 0.9436 /
      0.9811, b 0.9789 / 0.9515 / 0.9758; it keeps office chairs and flags touching the
      head in busy photos (``photos/single``), which the labels do not measure. The
      rule fires on none of the 12 framed single photos: their headshots are the
      same, byte for byte, and so are ``eval defects`` and ``eval studio``. Through
      the studio the turban portrait now keeps its whole turban (before: cut to the
      knot); it is refused before and after (hair colour, the moustache read as
      covering the mouth), after also by the islands check, whose segmentation takes
      the turban for old background (9.5 %), and for a crown cut at the frame's top;
    - the crop's alone: 0.9657 / 0.9418 / 0.9620.

    Tried on the eval's cached views and not kept (all / half a): the crop's view as a
    veto only where it is sure, ``p · clip(own / 0.1)``, 0.9708 / 0.9456 / 0.9679, p10
    of half a 0.9261; a weighted geometric mean ``p^0.75 · own^0.25`` 0.9707 / 0.9485 /
    0.9669, half a p10 0.9282; the photo's view (max with the mean) over the whole
    zone above the eyes, 0.9739 / 0.9497 / 0.9740, which hands the photo's view a dark
    leaf of wallpaper above Linda's head and a coat beside ulfd__5's (a piece too small
    or too narrow for :func:`headwear`). What the photo's view still gains lies along
    thin hair edges (hair 28427, 28449, 28413), where the vetoes and weightings above
    cost half a's p10. The photo's view is mirrored too, the crop's is not: in a
    one-off comparison a mirror view of the crop added 0.0001 to the mean IoU."""
    from ..matting.mediapipe_selfie import downscale
    from ..matting.segmentation import segment_small

    h, w = crop.shape[:2]
    view = downscale(crop)
    box = None if face_box is None else _scale_box(face_box, view.shape[1] / w, view.shape[0] / h)
    own = cv2.resize(segment_small(view, face_box=box, flip=False).prob, (w, h), interpolation=cv2.INTER_LINEAR)
    merged = np.sqrt(from_photo * own)
    if face_box is not None:
        cap = headwear(from_photo, own, face_box, valid)
        merged[cap] = from_photo[cap]
    return merged


#: A piece the whole photo's view calls person and the crop's own background is taken
#: for headwear (and the photo's view kept there) when it lies above the eye line within
#: the face's columns, spans at least this share of the face box's width ...
CAP_WIDTH = 0.5
#: ... and covers at least this share of the face box's area (inside the photo).
#: On half a of the eval's people the turban's piece is 0.386 (0.86 of the face's width),
#: every other piece at most 0.010; the one piece as wide in ``photos/single``, a dark
#: wallpaper leaf above Linda's head (0.77 wide), is 0.073. Half b's one piece past the
#: limits is a white hat (hair 28450: 0.155, 0.74 wide).
CAP_AREA = 0.12


def headwear(from_photo: np.ndarray, own: np.ndarray, face_box, valid: np.ndarray | None = None) -> np.ndarray:
    """Pixels of a hat or turban on the head that the crop's own view misses: the crop's
    model sees a face cut by the frame and takes a large cap above it for background,
    where the whole photo sees the person go on. One connected piece where the photo's
    view says person (≥ 0.5) and the crop's own says background, above the eye line
    (taken at 35 % of the face box's height) and within the face box's columns, at least
    :data:`CAP_WIDTH` of the face's width wide and :data:`CAP_AREA` of its area. Chairs
    and flags touching the head lie beside it, outside those columns, and background
    seen through or above hair makes small or narrow pieces."""
    h, w = own.shape
    x0, y0, x1, y1 = face_box
    fw, fh = x1 - x0, y1 - y0
    zone = np.zeros((h, w), bool)
    top = round(y0 + 0.35 * fh)
    zone[: max(top, 0), max(int(np.floor(x0)), 0): max(int(np.ceil(x1)), 0)] = True
    piece = (from_photo >= 0.5) & (own < 0.5) & zone
    if valid is not None:
        piece &= valid > 0.5
    out = np.zeros((h, w), bool)
    if not piece.any():
        return out
    n, lab, st, _ = cv2.connectedComponentsWithStats(piece.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        if st[i, cv2.CC_STAT_WIDTH] >= CAP_WIDTH * fw and st[i, cv2.CC_STAT_AREA] >= CAP_AREA * fw * fh:
            out |= lab == i
    return out


def photo_prior(image: np.ndarray, face: Face) -> tuple[np.ndarray, tuple[int, int]]:
    """(person probability of the whole photo at the model's feed size, photo size).

    The segmentation model sees 256 px. Given only the headshot's crop it sees a
    person cut by the frame's edges and takes walls beside a cut shoulder for the
    person; given the whole photo it sees the shoulder go on (see :func:`crop_prior`)."""
    from ..matting.mediapipe_selfie import feed_size
    from ..matting.segmentation import segment_small

    size = feed_size(image.shape, size=PRIOR_SIDE)
    view = shrink(image, size)  # a 12 MP photo: 5 ms, where one area step takes 50
    box = _scale_box(face.box, size[0] / image.shape[1], size[1] / image.shape[0])
    return segment_small(view, face_box=box).prob, (image.shape[1], image.shape[0])


def _scale_box(box, kx: float, ky: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return (x0 * kx, y0 * ky, x1 * kx, y1 * ky)


def prior_in_frame(prob: np.ndarray, photo_size: tuple[int, int], fp: framing.FramePlan, size: tuple[int, int]) -> np.ndarray:
    """The whole photo's person probability ``prob`` mapped into the frame ``fp`` at
    ``size`` (w, h): one bilinear warp at the probability's own scale."""
    kx, ky = prob.shape[1] / photo_size[0], prob.shape[0] / photo_size[1]
    m = fp.matrix(size) * np.array([[kx], [ky]])  # output index → photo index → prob index
    m[:, 2] += 0.5 * np.array([kx, ky]) - 0.5
    return cv2.warpAffine(prob, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)

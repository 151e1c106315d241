"""Raw person probability: mediapipe selfie segmentation with test-time augmentation.

Measured on ../shared/eval (60 portraits; see ``likeness.eval.matting``), mean IoU of
the raw probability at 0.5: one view 0.9687, with its mirror image 0.9702 (from an
area-filtered 512 px copy; 256 px 0.9690, 800 px 0.9699). The landscape model
(0.9626 alone, 0.9677 mixed in), the pose model's mask, zoomed-in crops, shifted
grids, gamma variants and padding did not help on head-and-shoulders photos, so only
the mirror view is on by default (``landscape`` adds the landscape model).

When the person fills only a small part of the frame (a full-length or group-ish
photo) a second pass runs on a tight crop around them, so the model's 256 px see the
person and not the room. Otherwise four corner tiles, each seen at 1.7 times the
detail, revise the whole view's unsure edge (:func:`with_tiles`; :func:`likeness.matting.matte`
calls it on whole photos only).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import mediapipe_selfie as backend

#: tight-crop pass when the person's box covers less than this share of the frame.
CROP_BELOW = 0.35
#: margin around the person's box for the tight crop, as a share of its size.
CROP_MARGIN = 0.15
#: :func:`with_tiles`: the side of each of the 2×2 corner tiles (share of the photo's);
#: the band of the whole view's answer the tiles may change; the share of the person's
#: height from its top above which the tiles may only raise the answer (the head: hair
#: the whole view misses); the tiles' weight below it. Chosen on half a of the eval
#: portraits and hair photos (people split by ``likeness.eval.defects.half``).
TILE_SIDE, TILE_BAND, TILE_HEAD, TILE_WEIGHT = 0.6, (0.2, 0.8), 0.3, 1 / 3


@dataclass(frozen=True)
class Segmentation:
    prob: np.ndarray  # float32 h×w in [0, 1], at the small size below
    small: np.ndarray  # uint8 h×w×3: the area-downscaled image the model saw
    cropped: bool  # whether the tight-crop pass ran


def segment(
    image: np.ndarray,
    *,
    flip: bool = True,
    landscape: bool = False,
    face_box: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    """Person probability, float32 H×W in [0, 1], for an RGB uint8 H×W×3 image."""
    check_image(image)
    seg = segment_small(image, flip=flip, landscape=landscape, face_box=face_box)
    h, w = image.shape[:2]
    if seg.prob.shape == (h, w):
        return seg.prob
    return cv2.resize(seg.prob, (w, h), interpolation=cv2.INTER_LINEAR)


def segment_small(
    image: np.ndarray,
    *,
    flip: bool = True,
    landscape: bool = False,
    face_box: tuple[float, float, float, float] | None = None,
) -> Segmentation:
    """Like :func:`segment` but answers at the model's feed size (long side 512)."""
    small = backend.downscale(image)
    prob = _views(small, flip=flip, landscape=landscape)
    box = _crop_box(prob, image.shape, small.shape, face_box)
    if box is None:
        return Segmentation(prob=prob, small=small, cropped=False)
    return Segmentation(prob=_with_crop(image, small, prob, box, flip=flip, landscape=landscape), small=small, cropped=True)


def check_image(image: np.ndarray) -> None:
    from ..errors import InputError

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise InputError(f"Matting needs an RGB uint8 H×W×3 image, got {got}.", hint="Decode with likeness.imageio first.")
    if min(image.shape[:2]) < 16:
        raise InputError(f"The image is too small to matte ({image.shape[1]}×{image.shape[0]} px).", hint="Use a photo at least 16 px on each side.")


def _views(small: np.ndarray, *, flip: bool, landscape: bool) -> np.ndarray:
    views = [backend.predict(small)]
    if flip:
        views.append(backend.predict(small, flip=True))
    if landscape:
        views.append(backend.predict(small, model="landscape"))
        if flip:
            views.append(backend.predict(small, model="landscape", flip=True))
    return np.mean(views, axis=0).astype(np.float32) if len(views) > 1 else views[0]


def _crop_box(prob, full_shape, small_shape, face_box):
    """Tight box (x0, y0, x1, y1) in full-image pixels, or None when not worth it."""
    ys, xs = np.nonzero(prob >= 0.5)
    if len(ys) == 0:
        return None
    sh, sw = small_shape[:2]
    H, W = full_shape[:2]
    k = W / sw  # full pixels per small pixel (same in y up to rounding)
    x0, y0, x1, y1 = xs.min() * k, ys.min() * k, (xs.max() + 1) * k, (ys.max() + 1) * k
    if face_box is not None:  # the head is always in: hair the first pass missed
        x0, y0 = min(x0, face_box[0]), min(y0, face_box[1])
        x1, y1 = max(x1, face_box[2]), max(y1, face_box[3])
    if (x1 - x0) * (y1 - y0) >= CROP_BELOW * W * H:
        return None
    mx, my = CROP_MARGIN * (x1 - x0), CROP_MARGIN * (y1 - y0)
    return (max(0, int(x0 - mx)), max(0, int(y0 - my)), min(W, int(np.ceil(x1 + mx))), min(H, int(np.ceil(y1 + my))))


def _with_crop(image, small, prob, box, *, flip, landscape):
    x0, y0, x1, y1 = box
    crop = backend.downscale(np.ascontiguousarray(image[y0:y1, x0:x1]))
    cp = _views(crop, flip=flip, landscape=landscape)
    sh, sw = small.shape[:2]
    H, W = image.shape[:2]
    # The crop's box in small-image pixels (pixel edges, then whole pixels covered).
    sx0, sy0 = int(np.floor(x0 * sw / W)), int(np.floor(y0 * sh / H))
    sx1, sy1 = int(np.ceil(x1 * sw / W)), int(np.ceil(y1 * sh / H))
    patch = cv2.resize(cp, (sx1 - sx0, sy1 - sy0), interpolation=cv2.INTER_AREA)
    # Feather the crop's inner edges so no seam shows where the two passes meet.
    wy = _ramp(sy1 - sy0, sy0 > 0, sy1 < sh)
    wx = _ramp(sx1 - sx0, sx0 > 0, sx1 < sw)
    wgt = np.outer(wy, wx).astype(np.float32)
    out = prob.copy()
    region = out[sy0:sy1, sx0:sx1]
    out[sy0:sy1, sx0:sx1] = wgt * patch + (1 - wgt) * region
    return out


def with_tiles(image: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """The whole view's person probability ``prob`` (float32, at the model's feed size
    of ``image``) revised near its edge by the model's answer on four overlapping corner
    tiles of ``image`` (side ``TILE_SIDE`` of the photo's), which it sees at 1.7 times
    the detail.

    A tile shows the person cut by its edges, so alone it takes walls for shoulders
    (mean IoU 0.9587 on the eval portraits); it is only heard where the whole view is
    unsure (``TILE_BAND``, grown 2 px). In the head (the top ``TILE_HEAD`` of the
    person's height) the larger of the two answers wins: fine hair the whole view
    blurs away; below it the tiles count ``TILE_WEIGHT``: a bed cover or a wall beside
    a shoulder the whole view half believes. Measured on whole photos (``likeness eval
    matting``; mean / p10 / hair recall): half a 0.9730 / 0.9466 / 0.9706 → 0.9736 /
    0.9514 / 0.9712, half b 0.9743 / 0.9505 / 0.9587 → 0.9750 / 0.9520 / 0.9618. The
    tiles' answers averaged everywhere in the band scored 0.9747 / 0.9480 / 0.9604,
    their maximum 0.9721 / 0.9498 / 0.9683, the geometric mean 0.9751 / 0.9489 / 0.9586.
    """
    H, W = image.shape[:2]
    if TILE_SIDE * max(H, W) < min(backend.MODELS["general"][1:]):
        # A tile smaller than the model's input adds no detail, only less context: on
        # a 320×240 press photo the tiles took a window beside the ear for hair.
        return prob
    lo, hi = TILE_BAND
    unsure = cv2.dilate(((prob > lo) & (prob < hi)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    rows = np.nonzero((prob >= 0.5).any(axis=1))[0]
    if not unsure.any() or len(rows) == 0:
        return prob
    tiles = _tile_views(image, prob.shape)
    head = (np.arange(prob.shape[0]) <= rows[0] + TILE_HEAD * (rows[-1] - rows[0]))[:, None]
    revised = np.where(head, np.maximum(prob, tiles), (1 - TILE_WEIGHT) * prob + TILE_WEIGHT * tiles)
    return np.where(unsure, revised, prob).astype(np.float32)


def _tile_views(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Mean of the model's answers on the four corner tiles of ``image``, at ``shape``
    (h, w: the feed size), each tile's answer where it covers."""
    H, W = image.shape[:2]
    sh, sw = shape
    th, tw = max(16, int(TILE_SIDE * H)), max(16, int(TILE_SIDE * W))
    total = np.zeros(shape, np.float32)
    count = np.zeros(shape, np.float32)
    for y0 in (0, H - th):
        for x0 in (0, W - tw):
            p = backend.predict(backend.downscale(np.ascontiguousarray(image[y0 : y0 + th, x0 : x0 + tw])))
            # tile pixel → feed-size pixel; outside the tile stays -1
            m = np.array([[tw * sw / W / p.shape[1], 0, x0 * sw / W], [0, th * sh / H / p.shape[0], y0 * sh / H]], np.float32)
            v = cv2.warpAffine(p, m, (sw, sh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
            ok = v >= 0
            total[ok] += v[ok]
            count[ok] += 1
    return total / np.maximum(count, 1)


def _ramp(n: int, open_lo: bool, open_hi: bool) -> np.ndarray:
    t = max(1, n // 12)
    r = np.ones(n, np.float32)
    ramp = (np.arange(t, dtype=np.float32) + 0.5) / t
    if open_lo:
        r[:t] = np.minimum(r[:t], ramp)
    if open_hi:
        r[n - t :] = np.minimum(r[n - t :], ramp[::-1])
    return r

"""The matte stage: segmentation → edge snapping → refinement → alpha → foreground colours.

``matte(image)`` is a pure function of the image and its settings. Steps:

1. segment: mediapipe selfie segmentation on an area-downscaled 512 px copy, plus its
   mirror image (test-time augmentation); a tight-crop pass when the person is small.
   A caller matting a crop of a larger photo passes that photo's segmentation, mapped
   into the crop, as ``prior`` instead (the studio does: see
   :func:`likeness.studio.prior.crop_prior`). On a whole photo (no prior) the model's
   unsure edge is then revised by its answers on four corner tiles
   (:func:`likeness.matting.segmentation.with_tiles`).
2. snap: closed-form matting on a narrow band about the model's edge, at 256 px on
   the person's box, puts the edge on the photo's colour edge (``closed_form``).
3. refine: colour guided filter fitted at ``refine_size`` (long side) and applied to
   the full-size image, so the edge follows full-size detail.
4. alpha: a steeper ramp about 0.5 (the filter's edge is as wide as its window).
5. foreground: blur-fusion estimate of the subject's own colours where alpha mixes.

On ../shared/eval (``likeness eval matting``): portraits mean IoU 0.9743 / p10 0.9512 /
boundary F 0.715 against 0.9687 / 0.9426 / 0.631 for the raw model; hair recall 0.966
against 0.966 (0.9737 / 0.9467 / 0.709 / 0.964 before the tiles; the studio's in-frame
figures, which the tiles do not touch, 0.9706 / 0.948 / hair 0.9644). Without step 2: 0.9726 / 0.9478 / 0.686, hair 0.966 (step 2: 45 of 60
portraits better, 10 worse; 5 of 25 hair photos better, 17 worse, at most −0.013).
About 0.22 s for a 1600×2000 photo on 2 cores without step 2; step 2 costs the same
at any photo size (20–40 ms for a portrait measured on 2 cores shared with other
jobs, load 4.5).

What is left is not edge work. The remaining portrait error is mostly background
patches the model takes for the person with high confidence (bed covers, a wall
beside a shoulder, a backlit halo: three photos at IoU 0.87–0.91 cost the mean about
0.004 against a typical 0.97) and hair the model misses where it is dark on dark:
three fifths of the missed hair lies more than 4 px from our edge. The hair labels
lie a pixel or two outside the visible hair edge while the portrait labels follow
it, so anything that moves the edge outwards trades one for the other. Measured and
not kept (mean IoU / hair recall): growing the mask 1 px 0.969 / 0.970, only above
the eyes 0.9711 / 0.9695; alpha ≥ 0.4 instead of 0.5 with step 2 0.9728 / 0.967;
GrabCut initialised from the probability at 256–384 px 0.9695–0.9720 / 0.956–0.962
(+0.15 s or more); per-photo colour histograms of sure person and background
deciding the uncertain band 0.9699–0.9723; dropping components apart from the person
+0.0001; a morphological opening (cutting thin bridges) 0.9733–0.9736 with step 2;
closed-form matting over all the model is unsure of (0.1–0.9) 0.9727–0.9730.

Where the IoU is lost (4 Dec; whole photos, mean loss 0.026 over the 60 portraits):
0.018 is background kept, 0.008 person missed. Of the background kept, 0.014 lies
more than 3 px inside our edge (beds, walls, backlit halos the model is sure of:
0.0074 at a model probability ≥ 0.95) and 0.0017 within 12 px of the frame's edge.
The p10 tail (01068 halo, 00861 bed cover, 00254 wall beside the shoulder, then
01151 / 00320 / 00040 / 00059 at 0.946–0.947 with hair missed on a dark ground and
00843 at 0.9496) needs three photos over 0.95. The portrait labels leave out the
semi-transparent fuzz of curly hair (00843) that the hair labels would count. Of the
hair missed (0.036), 0.007 is where the model says < 0.05, 0.020 at 0.1–0.5, and
0.006 within 4 % of the frame's edge (curls at a bottom corner). Measured in this
pass and not kept (mean / p10 / hair; people split by ``likeness.eval.defects.half``,
fitted on half a): thresholds 0.4–0.6 (0.9728 / 0.9473 / 0.9671 … 0.9740 / 0.9469 /
0.9606: the same trade); mirrored views rotated 5–8° (0.9719–0.9733); a second model
pass on the head's or the person's crop, averaged in (0.9693–0.9731); a logistic
score of the model's logit, local colour distances to the nearby sure person and
background (two windows), distance to the edge and height, raising the model's answer
only (0.9738 / 0.9493 / 0.9654; half b 0.9742 / 0.9505 / 0.9610 from 0.9743 / 0.9505 /
0.9587), but in the studio's frame p10 0.9480 → 0.9460, and almost all of its hair
came from growing the crown upwards: on Family3-Lady1 (white hair, pale ground) the
first framing's crown then reached the frame's top and the review refused it (eval
defects: clean_rejected 0.045 → 0.091). The same score also lowering the answer: half
b p10 0.9505 → 0.9563, hair 0.9587 → 0.9547; a small neural net in its place fitted
half a (0.9784) and left half b as it was. Step 2's band widened to 6 px where the
model says 0.2–0.8: 0.9738 / 0.9493 / 0.9642 (half a 0.9729 / 0.9491 / 0.9712, half b
0.9746 / 0.9503 / 0.9588): within noise. The wheel holds no hair or multiclass model.

Measured on 5 Dec (mean / p10 / hair on whole photos; half a, half b by
``likeness.eval.defects.half``: 28 + 32 portraits, 11 + 14 hair photos; before: a
0.9730 / 0.9466 / 0.9706, b 0.9743 / 0.9505 / 0.9587, all 0.9737 / 0.9467 / 0.9639).
Kept: the tiles of step 1 (``with_tiles``, constants chosen on half a): a 0.9736 /
0.9514 / 0.9712, b 0.9750 / 0.9520 / 0.9618, all 0.9743 / 0.9512 / 0.9659; 36 portraits
better, 24 worse (00254's wall +0.015, 00312 +0.010; worst 00978 −0.014, a car's
headrest beside the hair taken in, and 01151 −0.007, dark ground beside dark hair: the
head's "larger answer wins" grows what all tiles believe). 4 more model runs: 0.071 → 0.097 s
per 600×800 portrait.
Only without a prior: in the studio's frame, tiles on the whole photo's prior moved
0.9706 / 0.948 / 0.9644 to 0.9710 / 0.9456 / 0.9651 (p10 worse). Variants, all about
the same (all: 2×2 tiles of 0.7 0.9743 / 0.9532 / 0.9656; 3×3 of 0.45–0.6 0.9738–0.9745
/ 0.9480–0.9506 / 0.9650–0.9664; the tiles' mirror views, band 0.1–0.9 or 0.3–0.7, head
share 0.25–0.35, weight 1/4: within ±0.0005); a second tile size added to the head's
maximum 0.9743 / 0.9504 / 0.9668. Not kept: tiles averaged in everywhere in the band
0.9747 / 0.9480 / 0.9604 (hair −0.0035), their maximum 0.9721 / 0.9498 / 0.9683,
geometric mean 0.9751 / 0.9489 / 0.9586 (half a worse in each); other views fused
with the whole photo's by geometric / arithmetic mean / min / max (the person's box,
its top 60 % or 45 %, the photo letterboxed square with edge, mirror or black
padding, zoomed out 20 %): 0.9643–0.9739, hair ≤ 0.9668; a per-photo Lab GMM of sure
person and background (5 components each) in logit space on the model's 0.02–0.98
band: both ways 0.9702–0.9730, raising only 0.9704–0.9726 / hair up to 0.9675,
lowering only 0.9735–0.9740 / hair 0.9565–0.9618, lowering only below 30–50 % of the
person's height (half a best f 0.5, w 0.5: a 0.9742 / 0.9469 / 0.9700, b 0.9747 /
0.9514 / 0.9579), and that on top of the tiles 0.9745–0.9748 / 0.9489–0.9500 /
0.9642–0.9652; refine step: OpenCV contrib's exact guided filter at full size (radius
0.005–0.02, eps 1e-3–1e-2) 0.9733–0.9737 / 0.9468–0.9473 / 0.9640–0.9644, fast global
smoother (λ 30–1000, σ 8–16) 0.9722–0.9736 / hair ≤ 0.9641, refine size 256–768 and
edge gain 1.5–8 unchanged (the gain does not move the 0.5 level); growing the final
mask to alpha ≥ 0.15–0.3 where the background beside the edge is plain (local grey
spread < 2–8): 0.9720–0.9736 / hair 0.9647–0.9690, everywhere 0.9685–0.9714 / hair
0.9703–0.9750 — the labels' conflict again: no change found reaches hair 0.97 without
costing the portraits' mean more than it gains.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from ..errors import InputError, OptionError
from .closed_form import snap_edge
from .fg_colours import blur_fusion
from .mediapipe_selfie import downscale
from .refine import apply, as_float, fit, fit_size, resize, sharpen_coefficients
from .segmentation import check_image, segment_small, with_tiles


@dataclass(frozen=True)
class MatteSettings:
    """Options of the matte stage (saved with each output).

    Radii are shares of the image's long side, so a setting means the same at any size.
    Defaults were chosen on ../shared/eval (see ``likeness.eval.matting``).
    """

    #: mirror-image second view for the segmentation model.
    flip: bool = True
    #: add mediapipe's landscape model as further views (no gain measured on portraits).
    landscape: bool = False
    #: on a whole photo (no ``prior``), revise the model's unsure edge with its answers on
    #: four overlapping corner tiles (:func:`likeness.matting.segmentation.with_tiles`).
    tiles: bool = True
    #: long side (px) of the person's box at which the model's edge is snapped to the
    #: colour edges by closed-form matting (None: off). 200–384 score the same.
    snap_size: int | None = 256
    #: half-width (px at ``snap_size``) of the band the closed-form solve decides.
    snap_band: int = 3
    #: long side (px) at which the guided filter is fitted; its result is applied at full
    #: size. After the snap step 320, 384, 512 and 640 all give mean IoU 0.9737 on the
    #: eval set (p10 0.9467–0.9468; boundary F 0.709 at 384 and 512, hair recall
    #: 0.964; inside the studio's frame 0.9712 at both); 384 costs about half of 512.
    refine_size: int = 384
    #: guided-filter window half-size, share of the long side (0.02 → 8 px at 384).
    radius: float = 0.02
    #: guided-filter regularisation: larger follows colour edges less eagerly.
    eps: float = 1e-2
    #: steepness of alpha about 0.5 after refinement (1 = the filter's own ramp).
    edge_gain: float = 2.5
    #: estimate foreground colours (edge decontamination); off gives the image itself.
    foreground: bool = True
    #: blur-fusion large window half-size, share of the long side.
    foreground_radius: float = 0.03

    def __post_init__(self) -> None:
        if self.snap_size is not None and self.snap_size < 32:
            raise OptionError(f"snap_size must be at least 32 px (or None), got {self.snap_size}.", hint="Use e.g. 256.")
        if self.snap_band < 1:
            raise OptionError(f"snap_band must be at least 1 px, got {self.snap_band}.", hint="Use e.g. 3.")
        if self.refine_size < 64:
            raise OptionError(f"refine_size must be at least 64 px, got {self.refine_size}.", hint="Use e.g. 800.")
        for name in ("radius", "foreground_radius"):
            v = getattr(self, name)
            if not 0 < v <= 0.25:
                raise OptionError(f"{name} must be in (0, 0.25] of the long side, got {v}.", hint="Use e.g. 0.02.")
        if not self.eps > 0:
            raise OptionError(f"eps must be positive, got {self.eps}.", hint="Use e.g. 1e-2.")
        if not self.edge_gain >= 1:
            raise OptionError(f"edge_gain must be at least 1, got {self.edge_gain}.", hint="Use e.g. 2.5.")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Matte:
    """Result of :func:`matte`. All arrays are at the input image's size."""

    alpha: np.ndarray  # float32 H×W in [0, 1]
    foreground: np.ndarray  # float32 H×W×3 in [0, 1], subject colours without old background
    raw: np.ndarray  # float32 H×W in [0, 1], the segmentation model's probability
    settings: MatteSettings = field(default_factory=MatteSettings)
    cropped: bool = False  # whether the tight-crop segmentation pass ran


def matte(
    image: np.ndarray,
    *,
    settings: MatteSettings = MatteSettings(),
    face_box: tuple[float, float, float, float] | None = None,
    prior: np.ndarray | None = None,
) -> Matte:
    """Cut the person out of an RGB uint8 H×W×3 image.

    ``face_box`` (x0, y0, x1, y1 in pixels), when the caller knows it, keeps the whole
    head inside the tight-crop pass. ``prior`` (float32 person probability covering
    ``image``, any size of its shape) replaces step 1: e.g. the segmentation of the
    whole photo mapped into a crop of it, where the model saw the person's context.
    """
    check_image(image)
    face_box = _check_face_box(face_box, image.shape)
    H, W = image.shape[:2]

    # 1. segment at the model's feed size
    if prior is None:
        seg = segment_small(image, flip=settings.flip, landscape=settings.landscape, face_box=face_box)
        small, prob, cropped = seg.small, seg.prob, seg.cropped
        raw = prob  # the model's own answer (what ``segment`` gives), before the tiles
        if settings.tiles and not cropped:
            prob = with_tiles(image, prob)
    else:
        small = downscale(image)
        prob = raw = _prior(prior, small.shape)
        cropped = False
    # 2. snap the model's edge to the colour edges (closed-form matting on a band)
    if settings.snap_size is not None:
        prob = snap_edge(small, prob, size=settings.snap_size, band=settings.snap_band)

    # 3.-4. refine: fit the guided filter at refine_size, apply it at full size; the
    # alpha ramp is steepened in the coefficients (cheaper than on the full image).
    img = as_float(image)
    fit_w, fit_h = fit_size(W, H, settings.refine_size)
    img_small = resize(img, fit_w, fit_h)
    fit_long = max(fit_w, fit_h)
    radius = max(1, round(settings.radius * fit_long))
    ab = fit(img_small, resize(prob, fit_w, fit_h), radius=radius, eps=settings.eps)
    alpha = apply(sharpen_coefficients(ab, gain=settings.edge_gain), img)
    np.clip(alpha, 0.0, 1.0, out=alpha)

    # 5. foreground colours
    fg = _foreground(img, img_small, alpha, settings) if settings.foreground else img

    return Matte(alpha=alpha, foreground=fg, raw=_upsample(raw, W, H), settings=settings, cropped=cropped)


def foreground(image: np.ndarray, alpha: np.ndarray, *, settings: MatteSettings = MatteSettings()) -> np.ndarray:
    """Step 5 of :func:`matte` alone: the subject's own colours (float32 H×W×3) where
    ``alpha`` (a matte of ``image``, RGB uint8) mixes them with the old background. For
    a caller that asks :func:`matte` for no foreground and works this out beside other
    steps (the studio, beside its cut-out's clean-up); the same values as the matte's."""
    img = as_float(image)
    fit_w, fit_h = fit_size(img.shape[1], img.shape[0], settings.refine_size)
    return _foreground(img, resize(img, fit_w, fit_h), alpha, settings)


def _foreground(img: np.ndarray, img_small: np.ndarray, alpha: np.ndarray, settings: MatteSettings) -> np.ndarray:
    fit_h, fit_w = img_small.shape[:2]
    fg_r = max(2, round(settings.foreground_radius * max(fit_w, fit_h)))
    return blur_fusion(img, alpha, img_small, resize(alpha, fit_w, fit_h), radius=fg_r, fine_radius=max(1, round(fg_r / 8)))


def _prior(prior: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``prior`` as float32 [0, 1] at ``shape`` (h, w, …), checked."""
    p = np.asarray(prior)
    if p.ndim != 2 or not np.issubdtype(p.dtype, np.floating) or min(p.shape) < 2:
        raise InputError(f"A matte prior must be a 2-D float probability map, got {p.dtype} {p.shape}.",
                         hint="Pass the person probability of the same view, values 0–1.")
    h, w = shape[:2]
    if abs(p.shape[1] / p.shape[0] - w / h) > 0.02 * w / h + 2 / min(p.shape):
        raise InputError(f"The matte prior ({p.shape[1]}×{p.shape[0]}) does not have the image's shape ({w}×{h}).",
                         hint="Map the prior into the same view as the image.")
    if p.shape != (h, w):
        p = cv2.resize(p.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(p, 0.0, 1.0).astype(np.float32, copy=False)


def _check_face_box(face_box, shape):
    if face_box is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in face_box)
    except (TypeError, ValueError):
        raise InputError(f"face_box must be four numbers (x0, y0, x1, y1), got {face_box!r}.", hint="Pass a box in pixels.") from None
    H, W = shape[:2]
    if not (x1 > x0 and y1 > y0) or x1 <= 0 or y1 <= 0 or x0 >= W or y0 >= H:
        raise InputError(
            f"face_box {face_box!r} is empty or outside the {W}×{H} image.",
            hint="Pass (x0, y0, x1, y1) in the image's pixels with x0 < x1 and y0 < y1.",
        )
    return (x0, y0, x1, y1)


def _upsample(prob: np.ndarray, W: int, H: int) -> np.ndarray:
    if prob.shape == (H, W):
        return prob
    return cv2.resize(prob, (W, H), interpolation=cv2.INTER_LINEAR)

"""Face image quality measures, modelled on OFIQ / ISO/IEC 29794-5.

Every measure reads the *face*, not the whole photo: the 478-point mesh places the
face and :mod:`likeness.faces.view` brings it to a canonical resolution (``CANON_IED`` px between
the eye centres, roll removed) with masks built from the mesh. Each function returns
a raw value; :mod:`.coaching` turns raw values into 0–100 scores, pass/fail and advice.

Raw values (dimensionless unless noted):

- ``sharpness``: RMS of the finest band (σ<1 px) over the next band (1–2.5 px) of the
  inner face at the canonical resolution (or the native one when the face is
  smaller). Focus and motion blur remove the finest band first; the ratio does not
  depend on contrast or skin tone.
- ``brightness``: mean sRGB luma of the brightest tenth of the face (0–1): the lit
  parts of the face, which are bright in a well-exposed photo whatever the skin tone.
- ``underexposure`` / ``overexposure``: share of face pixels crushed (luma < 0.04) or
  clipped, a pixel with two or three channels at 0.98 or more counted whole (its
  colour is lost), one with a single channel there counted half: red alone at its
  ceiling is common on fair skin under flash and keeps the face's detail in green and
  blue. Counted whole, it refused a usable red-carpet photo and a phone selfie (35 %
  and 31 % of the face, none with two channels clipped); not counted at all, a face
  2 EV over on darker skin (red clipped on 55–63 % of it, two channels on 3–5 %)
  passed.
- ``dynamic_range``: entropy (bits) of the face luma histogram.
- ``illumination``: |log2| of the ratio of the two face halves' skin in *linear*
  light (EV), split along the face's own midline.
- ``color_cast``: distance (Lab units) of the median skin chroma from a natural skin
  locus; the skin chroma itself tells black-and-white photos apart.
- ``compression``: JPEG blockiness: in smooth parts of the face, the luma step across
  the block grid (8 px, or 4 px at a half-scale DCT decode) over the steps beside it.
- ``inter_eye``: px between the eye centres in the *original* photo.
- ``head_margins``: the smallest margin, in face heights, between the head (scalp,
  chin, face outline) and the frame; negative when the head is cut off.
- ``yaw``/``pitch``/``roll``: degrees from the mesh (faces.pose_from_mesh).
- ``eyes_open``: eyelid gap / eye width of the less open eye.
- ``eyes_visible``: luma spread inside the eyes over the skin luma: an open, visible
  eye shows sclera and iris; a bar, sunglasses or hair show a flat dark patch.
- ``mouth_occlusion``: share of the face below the nose that is smooth and off the
  subject's own skin colour (a mask, a phone, a scarf; a beard is rough and passes).
- ``glasses``: strength of a straight frame line on the nose bridge or under the eyes.
- ``single_face``: width of the largest other face over the subject's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..types import Face
from ..faces import view as views
from ..faces.geometry import expression, eyes_open
from ..faces.glasses import glasses
from ..faces.regions import BROW_L, BROW_R, EYE_L, EYE_R, LIPS, MIDLINE
from .photo import blockiness, head_margins, second_face
from ..faces.view import FaceView


# --- measures on the view --------------------------------------------------------------


def _fill(shape: tuple[int, int], p: np.ndarray) -> np.ndarray:
    """A polygon of view points (sub-pixel) as a bool mask."""
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(p * 4).astype(np.int32)], 1, shift=2)
    return m > 0


def sharpness(v: FaceView) -> float:
    """Finest band over the next band, RMS, on the inner face (eyes to mouth)."""
    g = v.luma
    y0 = int(v.pts[BROW_R + BROW_L, 1].min())
    y1 = int(v.pts[LIPS, 1].max()) + 2
    x0 = int(v.pts[[33, 130, 226], 0].min()) - 2
    x1 = int(v.pts[[263, 359, 446], 0].max()) + 2
    h, w = g.shape
    y0, y1, x0, x1 = max(0, y0), min(h, y1), max(0, x0), min(w, x1)
    if y1 - y0 < 8 or x1 - x0 < 8:
        return 0.0
    b1 = cv2.GaussianBlur(g, (0, 0), 1.0)
    b2 = cv2.GaussianBlur(g, (0, 0), 2.5)
    fine = (g - b1)[y0:y1, x0:x1]
    mid = (b1 - b2)[y0:y1, x0:x1]
    return float(np.sqrt((fine**2).mean() / max((mid**2).mean(), 1e-9)))


def brightness(v: FaceView) -> float:
    """Mean of the brightest tenth of the face's luma: the lit parts of the face.

    The highlights of a well-exposed face are bright whatever the skin tone, where the
    mean luma of darker skin is as low as that of paler skin under-exposed by 1–2 EV.
    """
    vals = v.luma[v.oval]
    if vals.size < 10:
        return float(v.luma.mean())
    top = np.partition(vals, int(0.9 * vals.size))[int(0.9 * vals.size) :]
    return float(top.mean())


def exposure_tails(v: FaceView) -> tuple[float, float]:
    """(share crushed, share clipped) over the whole face oval."""
    m = v.oval
    n = max(1, int(m.sum()))
    crushed = float((v.luma[m] < 0.04).sum()) / n
    at_top = (v.rgb[m] >= 0.98).sum(1)
    clipped = (float((at_top >= 2).sum()) + 0.5 * float((at_top == 1).sum())) / n
    return crushed, clipped


def dynamic_range(v: FaceView) -> float:
    vals = (v.luma[v.oval] * 255).astype(np.int32)
    if vals.size == 0:
        return 0.0
    p = np.bincount(np.clip(vals, 0, 255), minlength=256).astype(np.float64)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())


ILLUMINATION_MAX_YAW = 30.0


def illumination(v: FaceView, *, yaw: float = 0.0) -> tuple[float, int]:
    """(|EV difference| between the two halves of the face, +1 when the image-left
    half is brighter), from the skin between the eyes and the mouth corners.

    The face is split along its own midline (nose bridge → upper lip), so a turned
    head still has two halves; a band around the nose is left out (its shading says
    more about the nose than the light). Beyond ``MAX_YAW`` the far half is hidden and
    the light cannot be judged: 0 is returned.
    """
    if abs(yaw) > ILLUMINATION_MAX_YAW:
        return 0.0, 0
    h, w = v.luminance.shape
    y0 = int(1.5 * v.ied + 0.2 * v.ied)
    y1 = int(v.pts[[61, 291], 1].mean())
    if y1 - y0 < 3:
        return 0.0, 0
    mid = v.pts[MIDLINE]
    k, c = np.polyfit(mid[:, 1], mid[:, 0], 1)
    ys, xs = np.mgrid[0:h, 0:w]
    dx = xs - (k * ys + c)
    band = v.skin & (ys >= y0) & (ys <= y1)
    for gap in (0.3 * v.ied, 0.1 * v.ied):  # a turned head leaves little of the far half
        left, right = v.luminance[band & (dx < -gap)], v.luminance[band & (dx > gap)]
        if left.size >= 12 and right.size >= 12:
            break
    else:
        return 0.0, 0
    a, b = float(np.median(left)) + 2e-3, float(np.median(right)) + 2e-3
    return abs(float(np.log2(a / b))), (1 if a > b else -1)


def skin_lab(v: FaceView) -> tuple[float, float, float]:
    """Median L*, a*, b* of the cheeks (the view's one skin reading); of all the face
    skin when the cheeks are hidden."""
    lab = v.skin_lab(min_pixels=10)
    if lab is None:
        m = v.skin if v.skin.any() else v.oval
        lab = tuple(float(x) for x in np.median(v.lab[m], axis=0)) if m.any() else (50.0, 0.0, 0.0)
    return lab


#: Natural skin in CIELab (D65): hue angle 25–75° (red-orange to yellow), chroma 8–40,
#: from measured skin colour gamuts across skin tones under daylight.
SKIN_HUE = (25.0, 75.0)
SKIN_CHROMA = (8.0, 40.0)


def color_cast(lab: tuple[float, float, float]) -> tuple[float, float]:
    """(distance of the skin chroma from the natural skin locus in a*b*, chroma)."""
    _, a, b = lab
    chroma = float(np.hypot(a, b))
    hue = float(np.degrees(np.arctan2(b, a)))
    # Nearest point of the annular sector hue∈SKIN_HUE, chroma∈SKIN_CHROMA.
    hc = float(np.clip(hue, *SKIN_HUE))
    cc = float(np.clip(chroma, *SKIN_CHROMA))
    na, nb = cc * np.cos(np.radians(hc)), cc * np.sin(np.radians(hc))
    return float(np.hypot(a - na, b - nb)), chroma


def eyes_visible(v: FaceView) -> float:
    """Luma spread (p95−p5) inside the less visible eye over the skin luma (0 when
    more than a third of the eye is blown out: glare on glasses)."""
    skin = float(np.median(v.luma[v.skin])) if v.skin.any() else float(v.luma.mean())
    vals = []
    for idx in (EYE_R, EYE_L):
        p = v.pts[idx]
        c = p.mean(0)
        m = _fill(v.shape, c + (p - c) * 1.15)
        if m.sum() < 6:
            vals.append(1.0)
            continue
        lv = v.luma[m]
        if (lv >= 0.97).mean() > 0.35:  # glare on glasses hides the eye behind white
            vals.append(0.0)
            continue
        lo, hi = np.percentile(lv, [5, 95])
        vals.append(float((hi - lo) / max(skin, 0.05)))
    return float(min(vals))


def mouth_occlusion(v: FaceView) -> float:
    """Share of the face below the nose that is smooth *and* off the subject's own skin
    colour (learned from the skin-like upper face): a mask, a phone, a scarf.

    A beard is off the skin colour too, but it is hair: textured, so it is not counted.
    Lips and teeth are small next to the region and pass.
    """
    lab = cv2.cvtColor(v.rgb, cv2.COLOR_RGB2Lab)
    # local luma spread over ~0.08 IED: hair and stubble are rough, cloth and plastic smooth
    k = max(3, int(round(0.08 * v.ied)) | 1)
    m1 = cv2.blur(v.luma, (k, k))
    m2 = cv2.blur(v.luma * v.luma, (k, k))
    rough_all = np.sqrt(np.maximum(m2 - m1 * m1, 0.0)) > 0.03
    nose_y = v.pts[[2, 98, 327], 1].mean()
    low = v.oval.copy()
    low[: int(nose_y) + 1] = False
    # Reference: smooth upper-face pixels whose colour is skin-like (hue and chroma in
    # the skin locus, not dark): hair, sunglasses and a mask's top edge stay out.
    upper = v.skin & ~rough_all
    upper[int(nose_y) + 1 :] = False
    L, A, B = lab[..., 0], lab[..., 1], lab[..., 2]
    hue = np.degrees(np.arctan2(B, A))
    chroma = np.hypot(A, B)
    skinlike = (hue > SKIN_HUE[0] - 15) & (hue < SKIN_HUE[1] + 15) & (chroma > 6) & (L > 20)
    ref_m = upper & skinlike
    if ref_m.sum() < 0.1 * v.ied**2:  # no skin-like pixels (a black-and-white photo)
        ref_m = upper
    if ref_m.sum() < 10 or low.sum() < 10:
        return 0.0
    ref = lab[ref_m]
    mu = np.median(ref, axis=0)
    # robust spread (MAD): a few occluded pixels in the reference must not widen it
    spread = np.clip(2.2 * np.median(np.abs(ref - mu), axis=0), (8.0, 4.0, 4.0), (20.0, 8.0, 8.0))
    d = np.abs(lab[low] - mu) / spread
    off = (d[:, 1:].max(1) > 2.5) | (d[:, 0] > 3.0)
    return float((off & ~rough_all[low]).mean())


# --- all measures of one face ----------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Raw values of every measure of one face (see the module docstring)."""

    sharpness: float
    brightness: float
    underexposure: float
    overexposure: float
    dynamic_range: float
    illumination: float
    lit_side: int  # +1: the image-left side of the face is the brighter one
    color_cast: float
    skin_lab: tuple[float, float, float]
    compression: float
    inter_eye: float  # px in the original photo
    head_margins: float
    margin_side: str
    yaw: float
    pitch: float
    roll: float
    eyes_open: float
    eyes_visible: float
    mouth_occlusion: float
    glasses: float
    single_face: float  # width of the largest other face / the subject's
    expression: str


def measure(image: np.ndarray, face: Face, others: list[Face], *, scale: float = 1.0, block_period: int = 8) -> Raw:
    """Every raw measure of ``face`` in ``image`` (decoded at ``scale`` of the original);
    ``others`` are the other faces found in the photo."""
    v = views.face_view(image, face, framing=views.FACE)
    crushed, clipped = exposure_tails(v)
    ill, side = illumination(v, yaw=face.pose.yaw if face.pose else 0.0)
    lab = skin_lab(v)
    cast, _ = color_cast(lab)
    margin, where = head_margins(face, (image.shape[1], image.shape[0]))
    pose = face.pose
    return Raw(
        sharpness=sharpness(v),
        brightness=brightness(v),
        underexposure=crushed,
        overexposure=clipped,
        dynamic_range=dynamic_range(v),
        illumination=ill,
        lit_side=side,
        color_cast=cast,
        skin_lab=lab,
        compression=blockiness(image, face, period=block_period),
        inter_eye=face.inter_eye / scale,
        head_margins=margin,
        margin_side=where,
        yaw=pose.yaw if pose else 0.0,
        pitch=pose.pitch if pose else 0.0,
        roll=pose.roll if pose else 0.0,
        eyes_open=eyes_open(face),
        eyes_visible=eyes_visible(v),
        mouth_occlusion=mouth_occlusion(v),
        glasses=glasses(v),
        single_face=second_face(others, face),
        expression=expression(face),
    )

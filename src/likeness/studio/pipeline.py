"""The studio pipeline: one photo → one finished headshot.

:func:`render` reads as the numbered stages; every stage is a pure function in its
own module. :func:`make_headshot` adds the fast path around it: decode small, find
the face, plan the frame, decode again only as large as the frame needs (JPEG DCT
scaling), render at output size, deliver. The whole-session verb ``studio()`` is in
:mod:`likeness.studio.session`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .. import __version__
from ..errors import ManyFacesError, NoFaceError, OptionError
from ..imageio import load_photo, oriented_size
from ..looks import Look, load_look
from ..types import Face, Headshot, Photo
from . import frame as framing
from . import light as lighting
from .backdrop import make_backdrop
from .cutout import cut_out
from .grade import grade
from .ops import shrink, shrink_scale

#: Matte and light maps are worked out at this longer side. Under a 2000 px output
#: (2.6×) edges look the same as at 1024 px side by side, at 40 % less time.
WORK_SIDE = 768
MIN_WORK_SIDE = 512
ANALYSE_SIDE = 1024  # decode size for finding the face
#: Photos up to this size are decoded once, in full, when the face is still to be
#: found: a headshot (head half the 2000 px frame) needs the full pixels unless the
#: head is ≥ 2000 px tall, which a 12 MP phone photo hardly has; decoding a reduced
#: copy first to find the face would cost a second decode (35 ms at 12 MP).
FULL_DECODE_PIXELS = 16_000_000
SETTLE_SIDE = 1024  # long side of the view of the framed crop that is analysed again
#: long side of the whole photo's view for the matte prior (the model's feed size). In
#: the studio's frame on the eval portraits, the whole photo's segmentation alone: 512
#: mean IoU 0.9741 / p10 0.9501, 384 0.9736 / 0.9477, 256 0.9730 / 0.9481.
PRIOR_SIDE = 512
FORMATS = ("jpg", "png", "webp")


@dataclass(frozen=True)
class Rendered:
    image: np.ndarray  # uint8 output
    face: Face  # the face in output pixels
    plan: framing.FramePlan
    notes: tuple[str, ...]
    dpi: int | None
    settings: dict[str, Any]
    measures: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def render(
    image: np.ndarray,
    face: Face,
    *,
    look: str | Look = "corporate-grey",
    frame: str | None = None,
    retouch: float | None = None,
    plan: framing.FramePlan | None = None,
) -> Rendered:
    """Make the headshot from ``image`` (RGB uint8) and its subject's ``face``."""
    look = load_look(look)
    preset = framing.get_preset(frame or look.frame)
    strength = look.retouch if retouch is None else float(retouch)
    if not 0.0 <= strength <= 1.0:
        raise OptionError(f"Retouch strength {strength} is out of range.", hint="Use a number from 0 (off) to 1.")
    t, times = time.perf_counter(), {}

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round(now - t, 4)
        t = now

    # 1. frame: level the eyes, crop to the preset at output size.
    plan = plan or framing.plan(face, (image.shape[1], image.shape[0]), preset=preset)
    fr, face = _settle(image, face, plan)
    lap("frame")
    # 2. matte at working size (re-framed once when the hair top is far from the estimate),
    # from the segmentation of the whole photo, where the model sees the person whole.
    prior = photo_prior(image, face)
    small, valid_s, face_s, ws, cut = _matte_framed(fr, prior)
    fr2 = _refine_crown(fr, image, face, cut.alpha, valid_s, ws)
    if fr2 is not None:
        fr = fr2
        small, valid_s, face_s, ws, cut = _matte_framed(fr, prior)
    lap("matte")
    out_w, out_h = preset.size
    # 3. backdrop at working size (it is smooth), its light centred behind the head.
    ww, wh = small.shape[1], small.shape[0]
    head = (face_s.mesh[168, 0] / ww, face_s.mesh[168, 1] / wh) if face_s.mesh is not None else None
    bd = make_backdrop((ww, wh), settings=look.backdrop, photo=small, alpha=cut.alpha, valid=valid_s, head=head)
    lap("backdrop")
    # 4. light: worked out at working size; composited once at output size.
    work = small.astype(np.float32) * np.float32(1 / 255)
    relit = lighting.relight(work, cut.alpha, bd.image, face_s, settings=look.light, valid=valid_s)
    comp = lighting.composite(fr.image, alpha=cut.alpha, correction=cut.correction, relit=relit, backdrop=bd.image)
    lap("light")
    # 5. retouch: transient things only, gentle by default.
    comp = _retouch(comp, fr.face, strength)
    lap("retouch")
    # 6. grade: the Look's tone and colour, output sharpening.
    final = grade(comp, settings=look.grade)
    lap("grade")

    notes = list(fr.plan.notes)
    if fr.scale > 1.6:
        notes.append(
            f"The photo has few pixels for this framing: enlarged {fr.scale:.1f}×; "
            "fine on screen, soft in print. Use a sharper, closer photo for print."
        )
    measures = {k: round(float(v), 4) for k, v in relit.measures.items() if v == v}
    measures.update(
        head_share=round(fr.plan.head_share, 4), eye_line=round(fr.plan.eye_share, 4), enlarged=round(fr.scale, 3)
    )
    settings = {
        "look": look.to_dict(),
        "frame": preset.name,
        "size": [out_w, out_h],
        "retouch": strength,
        "matte": cut.backend,
        "likeness": __version__,
    }
    return Rendered(final, fr.face, fr.plan, tuple(notes), preset.dpi, settings, measures, times)


def _matte_framed(fr: framing.Framed, prior: tuple[np.ndarray, tuple[int, int]] | None = None):
    out_w, out_h = fr.plan.preset.size
    # Work no larger than the photo's own pixels (tiny photos), no smaller than 512 px.
    side = max(out_w, out_h)
    ws = min(WORK_SIDE / side, max(MIN_WORK_SIDE / side, 1.0 / fr.scale), 1.0)
    ww, wh = max(8, round(out_w * ws)), max(8, round(out_h * ws))
    small = shrink(fr.image, (ww, wh))
    valid = cv2.resize(fr.valid, (ww, wh), interpolation=cv2.INTER_LINEAR)  # a smooth ramp
    face_s = scale_face(fr.face, ww / out_w)
    p = None if prior is None else crop_prior(small, face_s.box, prior_in_frame(*prior, fr.plan, (ww, wh)))
    return small, valid, face_s, ww / out_w, cut_out(small, face_box=face_s.box, valid=valid, prior=p)


def crop_prior(crop: np.ndarray, face_box, from_photo: np.ndarray) -> np.ndarray:
    """The person probability the crop is matted from: the geometric mean of the whole
    photo's (``from_photo``, mapped into the crop) and the crop's own (one view).

    Each view fails where the other does not. From the crop alone, the model sees a
    person cut by the frame's edges and takes a wall beside a cut shoulder for the
    person; from the whole photo it sees the person at a quarter of the resolution and
    takes a chair back or a flag touching the head for hair. Both must agree. In the
    studio's frame on the eval portraits (``likeness eval matting``, ``framed``): mean
    IoU 0.9712, p10 0.9499, hair recall 0.967 against 0.9651 / 0.9413 / 0.962 from the
    crop alone; the whole photo alone scores 0.9741 / 0.9501 / 0.981 on those plain
    backgrounds, but keeps office chairs and flags touching the head in busy ones
    (``photos/single``). The photo's view is mirrored too, the crop's is not: in a
    one-off comparison a mirror view of the crop added 0.0001 to the mean IoU."""
    from ..matting.mediapipe_selfie import downscale
    from ..matting.segment import segment_small

    h, w = crop.shape[:2]
    view = downscale(crop)
    box = None if face_box is None else _scale_box(face_box, view.shape[1] / w, view.shape[0] / h)
    own = cv2.resize(segment_small(view, face_box=box, flip=False).prob, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.sqrt(from_photo * own)


def photo_prior(image: np.ndarray, face: Face) -> tuple[np.ndarray, tuple[int, int]]:
    """(person probability of the whole photo at the model's feed size, photo size).

    The segmentation model sees 256 px. Given only the headshot's crop it sees a
    person cut by the frame's edges and takes walls beside a cut shoulder for the
    person; given the whole photo it sees the shoulder go on (see :func:`crop_prior`)."""
    from ..matting.mediapipe_selfie import feed_size
    from ..matting.segment import segment_small

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


def _settle(image: np.ndarray, face: Face, fp: framing.FramePlan) -> tuple[framing.Framed, Face]:
    """Frame ``image`` by ``fp``, re-planned once from the face as it is found in the
    framed crop itself.

    The mesh found in the whole (or a smaller) photo and the one found again in the
    levelled crop differ by 1–3 % in head height and up to ~1° in roll (a different
    crop for the mesh model, a different scale). The finished headshot is judged, in
    team mode too, by analysing it again, so the plan is made from the crop's own
    mesh, mapped back into photo pixels. The crop is analysed from a view of at most
    ``SETTLE_SIDE`` px (the mesh model sees the face at 192 px whatever the input), so
    only the final crop is rendered at output size. Returns (framed, face in photo px).
    """
    from ..faces import mesh_for

    out_w, out_h = fp.preset.size
    s = min(1.0, SETTLE_SIDE / max(out_w, out_h))
    vw, vh = max(8, round(out_w * s)), max(8, round(out_h * s))
    view = framing.frame(image, face, framing=fp, size=(vw, vh))
    # The face is where the plan put it: the mesh model alone, no second detection.
    seen_mesh = mesh_for(view.image, view.face.box) if face.mesh is not None else None
    if seen_mesh is None:
        return framing.frame(image, face, framing=fp), face
    seen = framing.head_geometry(replace(view.face, mesh=seen_mesh))
    want = fp.head.height / fp.height * vh  # planned head height in view px
    if abs(seen.height - want) < 0.002 * vh and abs(seen.roll) < 0.1:
        return framing.frame(image, face, framing=fp), face
    m = fp.matrix((vw, vh))
    k = fp.height / vh  # photo px per view px

    def back(pts: np.ndarray) -> np.ndarray:  # view (continuous) → photo (continuous)
        return (pts - 0.5) @ m[:, :2].T + m[:, 2] + 0.5

    mesh = seen_mesh.astype(np.float64)
    mesh[:, :2] = back(mesh[:, :2])
    mesh[:, 2] *= k
    settled = replace(face, mesh=mesh.astype(face.mesh.dtype))
    new = framing.plan(settled, (image.shape[1], image.shape[0]), preset=fp.preset, top_cut=fp.top_cut)
    return framing.frame(image, settled, framing=new), settled


def _refine_crown(fr: framing.Framed, image, face: Face, alpha: np.ndarray, valid: np.ndarray, ws: float):
    """Re-frame once when the matte shows the head differently from the mesh estimate:
    the photo cuts through the hair (or does not, though the estimate said so), or the
    hair ends more than 2 % from the estimated crown (ID presets only)."""
    p, g = fr.plan, fr.plan.head
    if fr.face.mesh is None:
        return None
    h, w = alpha.shape
    ax = fr.face.mesh[[168, 152], 0].mean() * ws
    half = 0.6 * g.half_width * (fr.scale * ws)
    sl = slice(int(max(0, ax - half)), int(min(w, ax + half + 1)))
    cols, vcols = alpha[:, sl], valid[:, sl]
    rows = np.nonzero((cols > 0.5).any(1))[0]
    if len(rows) == 0 or rows[0] <= 1:  # the frame itself cuts the hair: keep it
        return None
    first = rows[0]
    # Cut by the photo: where the hair starts, the row above is off-photo.
    cut = bool(vcols[max(0, first - 2)].mean() < 0.5 and vcols[first].mean() > 0.5)
    k = p.height / p.preset.size[1]
    crown = p.top + (first + 0.5) / ws * k  # head-frame px of the photo
    ratio = float(np.clip((g.chin - crown) / max(g.height, 1e-6), 1.2 / framing.CROWN_K, 1.9 / framing.CROWN_K))
    if not p.preset.strict:
        # Portrait presets size the head by the mesh model (CROWN_K), the one every
        # re-analysis of the result uses too (team mode compares head heights that
        # way): rescaling to the matte's hair top made the plan's head share disagree
        # with the finished image by up to 5 % of the frame. Only a cut changes here.
        ratio = 1.0
    if cut == p.top_cut and (cut or abs(ratio - 1) <= 0.02):
        return None
    new = framing.plan(
        face, (image.shape[1], image.shape[0]), preset=p.preset, crown_ratio=1.0 if cut else ratio, top_cut=cut
    )
    return framing.frame(image, face, framing=new)


def _retouch(image: np.ndarray, face: Face, strength: float) -> np.ndarray:
    if strength <= 0 or face.mesh is None:
        return image
    from .retouch import retouch

    return retouch(image, face, strength=strength)


def scale_face(face: Face, s: float) -> Face:
    """The face in an image scaled by ``s`` (continuous pixel coordinates)."""
    if s == 1.0:
        return face
    return replace(
        face,
        box=tuple(float(v) * s for v in face.box),
        mesh=None if face.mesh is None else face.mesh * np.float32(s),
        landmarks5=None if face.landmarks5 is None else face.landmarks5 * np.float32(s),
    )


def subject_face(image: np.ndarray, source: str) -> Face:
    """The one face to make a headshot of, or a clear error."""
    from ..faces import analyze

    faces = analyze(image, embed=False, subject_only=True)
    name = Path(source).name
    if not faces or faces[0].mesh is None:
        raise NoFaceError(
            f"No face found in {name}.", hint="Use a photo where your face is clearly visible.", faces=0, file=source
        )
    # A face much smaller than the subject's is a bystander, not a second subject.
    others = [f for f in faces[1:] if f.width > 0.5 * faces[0].width]
    if others:
        raise ManyFacesError(
            f"{len(others) + 1} faces found in {name}.",
            hint="Use a photo of you alone, or crop it to your face.",
            faces=len(others) + 1,
            file=source,
        )
    return faces[0]


def decode_for(source: str | os.PathLike | Photo, *, face: Face | None = None, preset: framing.FramePreset):
    """Decode ``source`` no larger than the framing needs. Returns (photo, face in its
    pixels, plan). ``face`` may be given in original-photo pixels (from intake): the
    plan is then made from the file's header and the photo decoded once. Without it,
    a photo of up to ``FULL_DECODE_PIXELS`` is decoded once in full; a larger one is
    first decoded reduced to find the face."""
    if isinstance(source, Photo):
        photo = source
        f = scale_face(face, photo.scale) if face is not None else find_subject(photo)
        return photo, f, framing.plan(f, photo.size, preset=preset)
    size = oriented_size(source)
    if face is None and size is not None and size[0] * size[1] <= FULL_DECODE_PIXELS:
        return decode_for(load_photo(source), preset=preset)
    if face is None or size is None:
        small = load_photo(source, max_side=ANALYSE_SIDE)
        f = scale_face(face, small.scale) if face is not None else find_subject(small)
        size, k = small.original_size, small.scale
        face = scale_face(f, 1.0 / k)
    else:
        small, k = None, 1.0
    fp = framing.plan(face, size, preset=preset)
    # Photo px the crop spans at full size vs the output's height: decode just enough.
    need = min(1.0, preset.size[1] / fp.height)
    side = math.ceil(max(size) * need * 1.02)
    if small is not None and side <= max(small.size):
        return small, scale_face(face, k), fp.scaled(k)
    big = load_photo(source, max_side=side)
    return big, scale_face(face, big.scale), fp.scaled(big.scale)


def find_subject(photo: Photo) -> Face:
    """The subject's face in ``photo``'s pixels, found on a view of at most
    ``ANALYSE_SIDE`` px (a reduced JPEG decode can be up to twice that; the detector
    and mesh models work at 128–192 px, so the larger view only costs time)."""
    img = photo.image
    k = min(1.0, ANALYSE_SIDE / max(img.shape[:2]))
    if k == 1.0:
        return subject_face(img, photo.source)
    size = (max(1, round(img.shape[1] * k)), max(1, round(img.shape[0] * k)))
    return scale_face(subject_face(shrink(img, size), photo.source), 1.0 / shrink_scale(img.shape, size)[0])


def make_headshot(
    source: str | os.PathLike | Photo,
    out: str | os.PathLike,
    *,
    look: str | Look = "corporate-grey",
    frame: str | None = None,
    retouch: float | None = None,
    face: Face | None = None,
    sign: bool = False,
    quality: int = 92,
) -> tuple[Headshot, Rendered]:
    """Decode → render → write one headshot to ``out`` (.jpg, .png or .webp)."""
    look = load_look(look)
    preset = framing.get_preset(frame or look.frame)
    out = Path(out)
    if out.suffix.lower().lstrip(".") not in (*FORMATS, "jpeg"):
        raise OptionError(f"Unknown output format {out.suffix!r}.", hint="Use .jpg, .png or .webp.")
    t0 = time.perf_counter()
    photo, f, fp = decode_for(source, face=face, preset=preset)
    t1 = time.perf_counter()
    r = render(photo.image, f, look=look, frame=preset.name, retouch=retouch, plan=fp)
    t2 = time.perf_counter()
    r.settings["source"] = Path(photo.source).name
    dpi = (r.dpi, r.dpi) if r.dpi else None
    from ..deliver import write_image

    path = write_image(
        r.image, out, source_type="algorithmicallyEnhanced", dpi=dpi, quality=quality, settings=r.settings, sign=sign
    )
    r.timings.update(decode=round(t1 - t0, 4), write=round(time.perf_counter() - t2, 4))
    hs = Headshot(
        path=path,
        source=photo.source,
        look=look.name,
        frame=preset.name,
        width=r.image.shape[1],
        height=r.image.shape[0],
        notes=r.notes,
        measures=dict(r.measures),
    )
    return hs, r

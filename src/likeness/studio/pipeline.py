"""The studio pipeline: one photo → one finished headshot.

:func:`render` reads as the numbered stages; every stage is a pure function in its
own module. :func:`make_headshot` adds the fast path around it: decode small, find
the face, plan the frame, decode again only as large as the frame needs (JPEG DCT
scaling), render at output size, deliver. The whole-session verb ``studio()`` is in
:mod:`likeness.studio.session`.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .. import __version__
from ..color import monochrome, to_float
from ..errors import OptionError
from ..faces.view import face_view
from ..looks import Look
from ..types import Face, Headshot, Photo
from . import frame as framing
from . import light as lighting
from .backdrop import make_backdrop
from .. import beside
from .cutout import cut_out
from .decode import decode_for
from .grade import grade
from .ops import shrink
from .options import FORMATS, StudioSettings, settings_from
from .prior import crop_prior, photo_prior, prior_in_frame
from .settle import refine_crown, settle

#: Matte and light maps are worked out at this longer side. Under a 2000 px output
#: (2.6×) edges look the same as at 1024 px side by side, at 40 % less time.
WORK_SIDE = 768
MIN_WORK_SIDE = 512
OTHERS_SIDE = 512  # long side of the view YuNet looks for bystanders in (other_faces)


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
    # What the review's defect checks need (``likeness.review.defects``), all at the
    # working size of the matte (float32 H×W in [0, 1] / uint8 H×W×3): the person's
    # matte, where the frame shows the photo, the framed photo itself and the backdrop.
    alpha: np.ndarray | None = field(default=None, repr=False)
    valid: np.ndarray | None = field(default=None, repr=False)
    framed: np.ndarray | None = field(default=None, repr=False)
    backdrop: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Prepared:
    """The part of a render that does not depend on the Look, for one photo and one
    framing: the framed photo at output size, its matte at working size, and the
    retouched photo per retouch strength. A set renders every Look from one of these
    (:func:`finish`), so the frame, matte and retouch are paid once per photo and
    framing, not once per image."""

    framed: framing.Framed  # the levelled crop at output size, with the face in its pixels
    small: np.ndarray  # the framed crop at working size (uint8)
    valid: np.ndarray  # where the working-size crop shows the photo (float32)
    face: Face  # the face at working size
    cut: Any  # the matte (``cutout.Cutout``) at working size
    timings: dict[str, float] = field(default_factory=dict)
    mono: bool = False  # the photo is black-and-white (``color.monochrome``)
    # Retouched output-size photos by strength: Looks with the same strength share one
    # (retouch is the only Look-dependent step that runs at output size on the photo).
    _retouched: dict[float, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def preset(self) -> framing.FramePreset:
        return self.framed.plan.preset

    def retouched(self, strength: float) -> np.ndarray:
        """The framed photo retouched at ``strength`` (worked out once per strength;
        :func:`prepare` may have started it beside the matte)."""
        key = round(float(strength), 4)
        done = self._retouched.get(key)
        if isinstance(done, Future):
            done = self._retouched[key] = done.result()
        elif done is None:
            done = self._retouched[key] = _retouch(self.framed.image, self.framed.face, key)
        return done


def render(
    image: np.ndarray,
    face: Face,
    *,
    settings: StudioSettings | None = None,
    look: str | Look | None = None,
    frame: str | None = None,
    retouch: float | None = None,
    plan: framing.FramePlan | None = None,
) -> Rendered:
    """Make the headshot from ``image`` (RGB uint8) and its subject's ``face``:
    :func:`prepare` (frame, matte) then :func:`finish` (backdrop, light, retouch, grade).

    ``settings`` (or the keyword options ``look``, ``frame``, ``retouch``, resolved by
    :class:`~likeness.studio.options.StudioSettings`; not both)."""
    st = settings_from(settings, look=look, frame=frame, retouch=retouch)
    return finish(prepare(image, face, preset=st.preset, plan=plan, retouch=st.retouch), settings=st)


def prepare(
    image: np.ndarray, face: Face, *, preset: framing.FramePreset, plan: framing.FramePlan | None = None,
    retouch: float | None = None,
) -> Prepared:
    """The Look-independent stages for one photo and framing (1–2: frame, matte).
    With ``retouch`` (a strength), the retouch at that strength starts beside the matte."""
    t, times = time.perf_counter(), {}

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round(now - t, 4)
        t = now

    # 1. frame: level the eyes, crop to the preset at output size.
    plan = plan or framing.plan(face, (image.shape[1], image.shape[0]), preset=preset)
    # The whole photo's segmentation (the matte's prior, step 2) needs only the face's
    # box, which settling the frame does not move: it runs beside step 1.
    prior_job = beside.submit(photo_prior, image, face)
    fr, face = settle(image, face, plan)
    early: dict[float, Any] = {}
    if retouch is not None:
        key = round(float(retouch), 4)
        early[key] = beside.submit(_retouch, fr.image, fr.face, key)
    lap("frame")
    # 2. matte at working size (re-framed once when the hair top is far from the estimate),
    # from the segmentation of the whole photo, where the model sees the person whole.
    prior = prior_job.result()
    small, valid_s, face_s, ws, cut, mono = _matte_framed(fr, prior)
    fr2 = refine_crown(fr, image, face, cut.alpha, valid_s, ws)
    if fr2 is not None:
        fr, early = fr2, {}  # a retouch started on the first framing is not used
        small, valid_s, face_s, ws, cut, mono = _matte_framed(fr, prior)
    lap("matte")
    return Prepared(fr, small, valid_s, face_s, cut, times, mono=mono, _retouched=early)


def finish(prep: Prepared, *, settings: StudioSettings) -> Rendered:
    """The Look's stages on a :class:`Prepared` photo (3–6: backdrop, light, retouch,
    grade). ``settings.preset`` must be the framing ``prep`` was made for."""
    st = settings
    if st.preset != prep.preset:
        raise OptionError(f"This photo was prepared for the '{prep.preset.name}' framing, not '{st.preset.name}'.",
                          hint="Prepare the photo once per framing (studio.pipeline.prepare).")
    notes: list[str] = []
    if prep.mono and (st.look.light.white_balance > 0 or not st.look.grade.mono):
        if not st.look.grade.mono:
            notes.append("Your photo is black-and-white, so this headshot is too: a photo's colours cannot be made "
                         "up. Use a colour photo for a headshot in colour.")
        st = replace(st, look=st.look.for_black_and_white())
    look, strength = st.look, st.retouch
    fr, small, valid_s, face_s, cut = prep.framed, prep.small, prep.valid, prep.face, prep.cut
    t, times = time.perf_counter(), dict(prep.timings)

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = round(now - t, 4)
        t = now

    # The light's estimate (step 5) needs the photo alone: it runs beside steps 3–4.
    work = to_float(small)
    estimating = lighting.start_estimate(work, cut.alpha, face_s, settings=look.light, valid=valid_s)
    # 3. backdrop at working size (it is smooth), its light centred behind the head.
    ww, wh = small.shape[1], small.shape[0]
    head = (face_s.mesh[168, 0] / ww, face_s.mesh[168, 1] / wh) if face_s.mesh is not None else None
    bd = make_backdrop((ww, wh), settings=look.backdrop, photo=small, alpha=cut.alpha, valid=valid_s, head=head)
    lap("backdrop")
    # 4. retouch: transient things only, gentle by default; on the framed photo (the
    # face is the photo's own pixels under the light's smooth gain), once per strength.
    photo = prep.retouched(strength)
    lap("retouch")
    # 5. light: worked out at working size; composited once at output size.
    relit = lighting.relight(work, cut.alpha, bd.image, face_s, settings=look.light, valid=valid_s,
                             estimating=estimating)
    comp = lighting.composite(photo, alpha=cut.alpha, correction=cut.correction, relit=relit, backdrop=bd.image)
    lap("light")
    # 6. grade: the Look's tone and colour, output sharpening.
    final = grade(comp, settings=look.grade, skin=relit.skin, subject=cut.alpha)
    lap("grade")

    notes = [*fr.plan.notes, *notes]
    if fr.scale > 1.6:
        notes.append(
            f"The photo has few pixels for this framing: enlarged {fr.scale:.1f}×; "
            "fine on screen, soft in print. Use a sharper, closer photo for print."
        )
    measures = {k: round(float(v), 4) for k, v in relit.measures.items() if v == v}
    measures.update(
        head_share=round(fr.plan.head_share, 4), eye_line=round(fr.plan.eye_share, 4), enlarged=round(fr.scale, 3)
    )
    recorded = {**st.to_dict(), "matte": cut.backend, "likeness": __version__}
    recorded.pop("format")
    return Rendered(final, fr.face, fr.plan, tuple(notes), st.preset.dpi, recorded, measures, times,
                    alpha=cut.alpha, valid=valid_s, framed=small, backdrop=bd.image)


def _matte_framed(fr: framing.Framed, prior: tuple[np.ndarray, tuple[int, int]] | None = None):
    out_w, out_h = fr.plan.preset.size
    # Work no larger than the photo's own pixels (tiny photos), no smaller than 512 px.
    side = max(out_w, out_h)
    ws = min(WORK_SIDE / side, max(MIN_WORK_SIDE / side, 1.0 / fr.scale), 1.0)
    ww, wh = max(8, round(out_w * ws)), max(8, round(out_h * ws))
    small = shrink(fr.image, (ww, wh))
    valid = cv2.resize(fr.valid, (ww, wh), interpolation=cv2.INTER_LINEAR)  # a smooth ramp
    face_s = fr.face.scaled(ww / out_w)
    p = None if prior is None else crop_prior(small, face_s.box, prior_in_frame(*prior, fr.plan, (ww, wh)), valid)
    chin = float(face_s.mesh[152, 1]) if face_s.mesh is not None else None
    # Bystanders are needed only once the matte is made, and whether the photo is
    # black-and-white only after it: both are looked for beside it.
    others = beside.submit(other_faces, small, face_s)
    mono = beside.submit(black_and_white, small, face_s)
    cut = cut_out(small, face_box=face_s.box, valid=valid, prior=p, others=others, chin_y=chin)
    return small, valid, face_s, ww / out_w, cut, mono.result()


def black_and_white(image: np.ndarray, face: Face) -> bool:
    """Black-and-white as the review reads it: on the canonical view of the face (the
    whole frame misleads: a colour face on a white wall reads as toned grey)."""
    return face.mesh is not None and monochrome(face_view(image, face).lab)


def other_faces(image: np.ndarray, face: Face) -> list[tuple[float, float, float, float]]:
    """Boxes of the faces in the framed crop other than the subject's (bystanders the
    matte must leave out), by both detectors at working size: mediapipe's short-range
    model missed a bystander's whole face beside a press photo's subject that YuNet
    found (0.89); YuNet's own sub-10-px false finds are left out by size. YuNet looks
    at a view of at most ``OTHERS_SIDE`` px (its cost grows with the pixels: 29 → 13 ms
    at 768 → 512 px; the faces kept are a quarter of the subject's width or more)."""
    from ..faces import mediapipe_backend as mpb
    from ..faces import yunet

    x0, y0, x1, y1 = face.box
    img = np.ascontiguousarray(image)
    h, w = img.shape[:2]
    k = min(1.0, OTHERS_SIDE / max(w, h))
    view = img if k == 1.0 else cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    sx, sy = w / view.shape[1], h / view.shape[0]
    seen = [((b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy), s, p) for b, s, p in yunet.detect(view, min_score=0.6)]
    out: list[tuple[float, float, float, float]] = []
    for b, _score, _ in [*mpb.detect(img, min_score=0.6), *seen]:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            continue  # the subject
        if b[2] - b[0] < 0.25 * (x1 - x0) or any(o[0] <= cx <= o[2] and o[1] <= cy <= o[3] for o in out):
            continue  # too small to be a person near the subject, or found twice
        out.append(tuple(float(v) for v in b))
    return out


def _retouch(image: np.ndarray, face: Face, strength: float) -> np.ndarray:
    if strength <= 0 or face.mesh is None:
        return image
    from .retouch import retouch

    return retouch(image, face, strength=strength)


def make_headshot(
    source: str | os.PathLike | Photo,
    out: str | os.PathLike,
    *,
    settings: StudioSettings | None = None,
    look: str | Look | None = None,
    frame: str | None = None,
    retouch: float | None = None,
    face: Face | None = None,
    sign: bool | None = None,
    quality: int | None = None,
) -> tuple[Headshot, Rendered]:
    """Decode → render → write one headshot to ``out`` (.jpg, .png or .webp).

    ``source``: a file, or a :class:`~likeness.types.Photo` already decoded (used as
    it is: nothing is decoded again). ``face``: the subject in original-photo pixels
    (from intake), else it is found."""
    st = settings_from(settings, look=look, frame=frame, retouch=retouch, sign=sign, quality=quality)
    preset = st.preset
    out = Path(out)
    if out.suffix.lower().lstrip(".") not in (*FORMATS, "jpeg"):
        raise OptionError(f"Unknown output format {out.suffix!r}.", hint="Use .jpg, .png or .webp.")
    t0 = time.perf_counter()
    photo, f, fp = decode_for(source, face=face, preset=preset)
    t1 = time.perf_counter()
    r = render(photo.image, f, settings=st, plan=fp)
    r.timings["decode"] = round(t1 - t0, 4)
    return write_headshot(r, out, source=photo.source, settings=st), r


def write_headshot(r: Rendered, out: str | os.PathLike, *, source: str, settings: StudioSettings) -> Headshot:
    """Write a render to ``out`` with its metadata; the :class:`Headshot` that says how
    it was made."""
    from ..deliver import write_image

    st = settings
    t = time.perf_counter()
    r.settings["source"] = Path(source).name
    dpi = (r.dpi, r.dpi) if r.dpi else None
    path = write_image(
        r.image, Path(out), source_type="algorithmicallyEnhanced", dpi=dpi, quality=st.quality, settings=r.settings,
        sign=st.sign,
    )
    r.timings["write"] = round(time.perf_counter() - t, 4)
    return Headshot(
        path=path,
        source=source,
        look=st.look.name,
        frame=st.preset.name,
        width=r.image.shape[1],
        height=r.image.shape[0],
        notes=r.notes,
        measures=dict(r.measures),
        framing=tuple(f.value for f in r.plan.fallbacks),
    )

"""``likeness.studio(paths, ...)``: intake → best photo(s) → headshots, review, report.

The verb reads as its steps, and hands its data down once:

1. resolve every option into one :class:`~.options.StudioSettings` (validated once,
   before anything is read or written);
2. decode each photo once (``STUDIO_SIDE``): intake measures those pixels, and the
   headshot is rendered from the same decoded photo with intake's face; the next
   photo's decode runs on the worker thread while intake reads the one before it;
3. intake ranks the photos; the person's reference for the review is enrolled from
   intake's faces and embeddings (no second detection or embedding), each photo's
   reading started beside the next photo's decode (:func:`enroll_sitting`);
4. each chosen photo is rendered (:func:`.pipeline.make_headshot`) and goes through the
   same :func:`likeness.review.review` as a generated image, with the render's own
   matte for the defect checks; its likeness is the review's, on the project's one
   0–100 scale (``faces.identity.likeness_score``). A render that fails the review is
   not delivered: it goes to ``skipped`` with its reasons (and, with
   ``keep_rejected``, to ``rejected/`` beside a JSON of its review). First the next
   settings are tried (:func:`retry_settings`: for a skin tone read as changed, a
   gentler white balance, then no fill light; then tighter, then square), then, without
   ``all``, the next best photo (up to ``FALLBACK_PHOTOS``);
5. contact sheet and report.

Every file is written to a temporary name and renamed, so a failure leaves no
half-written headshot behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import defaults
from ..beside import here_if_waiting, submit
from ..deliver.outdir import prepare_out_dir
from ..errors import FaceError, ImageReadError, InputError, ManyFacesError, NoFaceError, NotEnoughPhotosError
from ..imageio import is_image_path
from ..looks import Look
from ..review.stats import describe
from ..types import Headshot, Photo, PhotoCheck, Sitting, StudioResult
from .options import StudioSettings, with_backdrop
from .results import contact_sheet, refused_run, reject, reviewed, run_report, unique_name, web_note

Progress = Callable[[int, int], None]
#: Longer side each photo is decoded at, once, for intake and the render alike: a
#: 12 MP phone photo (4000×3000) is decoded in full (a headshot at 1600×2000 needs
#: its pixels); larger ones are reduced by JPEG DCT scaling.
STUDIO_SIDE = 4096
#: Without ``all``: how many of the best-ranked photos are kept at hand, so a render
#: the review rejects is followed by the next photo's (each is up to 4096 px).
FALLBACK_PHOTOS = 3
#: A photo refused by intake *only* for its face size, with at least this many px
#: between the eyes, still gives a web-size headshot (``WEB_SCALE`` of the preset's
#: size) with an honest note, where no photo is good enough for the full size:
#: 56–59 px photos (60 needed for print) looked usable, if soft, side by side with a
#: peer ID-photo pipeline.
WEB_MIN_EYE = 45.0
WEB_SCALE = 0.5
#: A render the review rejects is framed again this much tighter (head share ×).
RETRY_TIGHTER = 1.2
#: Share of the Look's white balance kept when a render's skin tone fails the review
#: (:func:`retry_settings`).
WB_RETRY = 0.5


def studio(
    paths: Sequence[str | os.PathLike] | str | os.PathLike,
    *,
    look: str | Look = defaults.LOOK,
    frame: str | None = None,
    out: str | os.PathLike = "out",
    all: bool = False,  # noqa: A002 - the CLI's --all
    retouch: float | None = None,
    format: str = "jpg",  # noqa: A002 - the CLI's --format
    sign: bool = False,
    progress: Progress | None = None,
    verify: bool = True,
    overwrite: bool = True,
    card: str | os.PathLike | None = None,
    keep_rejected: bool = False,
    looks: str | Sequence[str | Look] | None = None,
    frames: str | Sequence[str] | None = None,
    best: int | None = None,
    backdrop: str | os.PathLike | None = None,
) -> StudioResult:
    """Make finished headshots from a person's photos (the best one, or ``all`` usable).

    ``looks`` ("all" or names), ``frames`` (framing names) or ``best`` (how many
    photos) make a *set* instead (:mod:`.gallery`): every Look × framing from the
    ``best`` photos that differ in pose or expression (defaults: all built-in Looks,
    headshot and square, 2 photos; with ``all``, every usable photo). ``backdrop``:
    ``"own"`` or a photo of a place, in place of each Look's backdrop
    (:func:`.options.with_backdrop`).

    ``card``: a photo of a grey card or colour chart in the person's light (a chart in
    one of the photos is found without it): white balance and exposure come from it.
    ``verify=False`` skips the review (for benchmarks of the render alone);
    ``keep_rejected`` writes renders the review refused to ``rejected/`` with their
    reasons, for inspection (they are never delivered)."""
    from ..deliver import write_report
    from ..intake.inspection import check

    # 1. every option, validated before any work (and before anything is written)
    settings = StudioSettings.resolve(look=look, frame=frame, retouch=retouch, format=format, sign=sign)
    settings = replace(settings, look=with_backdrop(settings.look, backdrop))
    set_plan = None
    if looks is not None or frames is not None or best is not None:
        from .gallery import resolve_set

        set_plan = resolve_set(looks=looks, frames=frames, best=best)
    files = expand_paths(paths)
    # Checked before any work; an earlier run there is refused unless ``overwrite``
    # (then its files go, so the folder matches the new report): deliver.outdir.
    out_dir = prepare_out_dir(out, overwrite=overwrite)
    # 2–3. decode once (the next photo and each chart search beside intake); intake on those pixels
    from .decode import SetDecoder

    decode = SetDecoder(files, side=STUDIO_SIDE, charts=card is None)
    photos = decode.photos

    n = len(files)
    per = set_plan.size // set_plan.photos if set_plan else 1  # images per photo
    total = n + (n * per if all else (set_plan.size if set_plan else 1))
    started: dict[str, tuple[Any, Future]] = {}

    def seen(pc: PhotoCheck) -> None:  # the review reads each photo beside the next decode
        photo = photos.get(pc.source)
        if photo is not None and _enrollable(pc):
            started[pc.source] = (pc.face, submit(describe, photo.image, pc.face.scaled(photo.scale)))

    sitting = check(files, progress=(lambda d, _t: progress(d, total)) if progress else None, decode=decode,
                    seen=seen if verify else None)
    chosen = list(sitting.ranking) if all else list(sitting.ranking[:FALLBACK_PHOTOS])
    web = not chosen
    if web:  # nothing good enough for print: a web-size headshot where the face is only small
        chosen = web_size_photos(sitting)[: None if all else FALLBACK_PHOTOS]
    want = len(chosen) if all else 1
    if not chosen:
        raise no_usable_photo(sitting)
    skipped: list[tuple[str, str]] = [
        (p.source, reason(p)) for i, p in enumerate(sitting.photos) if i not in sitting.ranking and i not in chosen
    ]
    reference = enroll_sitting(sitting, photos, started) if verify else None
    held = decode.chart() if card is None else _card(card)
    if held is not None:
        settings = replace(settings, look=held.apply(settings.look))
    if set_plan is not None:
        from .gallery import set_candidates

        # All usable photos with --all; else the best that differ, then spares.
        photos_wanted = None
        if not all:
            chosen, photos_wanted = set_candidates(sitting, chosen if web else sitting.ranking, set_plan.photos)
        total_images = n + (photos_wanted or len(chosen)) * per
    keep = {sitting.photos[i].source for i in chosen}
    for key in [k for k in photos if k not in keep]:
        del photos[key]  # only the photos still to render stay in memory
    if set_plan is not None:
        from .gallery import studio_set

        return studio_set(photos, sitting, chosen, set_plan, settings=settings, retouch=retouch, out_dir=out_dir,
                           reference=reference, held=held, web=web, backdrop=backdrop, skipped=skipped, keep_rejected=keep_rejected,
                           want=photos_wanted, progress=(lambda d: progress(min(n + d, total_images), total_images))
                           if progress else None)
    # 4. render and review each chosen photo
    headshots: list[Headshot] = []
    images: list[np.ndarray] = []
    used: set[str] = set()
    look_ = settings.look
    rejected: list[dict[str, Any]] = []
    for k, idx in enumerate(chosen):
        if len(headshots) >= want:
            break
        pc = sitting.photos[idx]
        name = unique_name(f"{Path(pc.source).stem}-{look_.name}-{settings.preset.name}", used) + f".{settings.format}"
        st = settings
        if web:
            w, h = settings.preset.size
            st = replace(settings, preset=replace(settings.preset, size=(round(w * WEB_SCALE), round(h * WEB_SCALE))))
        try:
            hs, r, _first = make_reviewed(photos.pop(pc.source), pc, out_dir / name, st, reference, refused=(
                (lambda h: rejected.append(reject(h, out_dir, keep=True))) if keep_rejected else None))
        except FaceError as exc:  # intake saw a face the studio could not frame
            skipped.append((pc.source, exc.message))
            continue
        if held is not None:
            hs = replace(hs, notes=(*hs.notes, held.note))
        if hs.review is not None and not hs.review.get("passed", True):
            why = "; ".join(hs.review.get("reasons") or ()) or "it did not pass the review"
            skipped.append((pc.source, f"Not delivered: {why}"))
            rejected.append(reject(hs, out_dir, keep=keep_rejected))
            continue
        headshots.append(hs)
        images.append(r.image)
        if progress:
            progress(min(n + k + 1, total), total)
    if not headshots:
        raise refused_run(out_dir, run_report(sitting, [], skipped, settings, None), rejected, skipped,
                          title=f"Likeness studio — {look_.name}", what="No headshot could be made")
    # 5. what the user looks at
    sheet_path = contact_sheet(
        out_dir, images, headshots, {"what": "contact sheet", "look": look_.to_dict(), "frame": settings.preset.name}
    )
    report = run_report(sitting, headshots, skipped, settings, sheet_path)
    report["rejected"] = rejected
    rj, rh = write_report(out_dir, report, title=f"Likeness studio — {look_.name}")
    return StudioResult(
        headshots=tuple(headshots), sitting=sitting, out_dir=out_dir, report_json=rj, report_html=rh,
        contact_sheet=sheet_path, skipped=tuple(skipped),
    )


def _card(card: str | os.PathLike):
    """The grey card or chart in the photo of one the user gave (:func:`.card.find_card`)."""
    from ..imageio import load_photo
    from .card import find_card

    return find_card([], card_photo=(Path(card).name, load_photo(card, max_side=STUDIO_SIDE).image))


def retry_settings(settings: StudioSettings, failed: frozenset[str] = frozenset()) -> list[tuple[StudioSettings, str]]:
    """The next settings to try when a render fails the review (``failed``: the names
    of the checks it failed), each with its note. A skin tone the review reads as
    changed beyond the light is the studio's own colour work, which no framing
    changes: first the same framing with a gentler white balance (``WB_RETRY`` of the
    Look's; not with a card, which is measured), then without the fill light (the
    shaded side of the face as the photo has it: the review reads the cheeks' median,
    and lifting one cheek moves it; on four of the six matting portraits whose first
    render failed for its skin tone, the fill alone made the difference, 3.9–7.6 ΔE
    with it against 0.3–3.2 without). Then the same format framed tighter (a
    bystander or a stray piece at the edge falls outside), then the square framing
    (needs less below the chin, keeps the crown). ID presets have no other framings."""
    out = []
    light = settings.look.light
    if "skin_tone" in failed and light.white_balance > 0 and not light.card:
        gentle = replace(light, white_balance=round(light.white_balance * WB_RETRY, 3))
        out.append((replace(settings, look=replace(settings.look, light=gentle)),
                    f"Made with a gentler white balance ({gentle.white_balance:.0%} of the room's light removed) to avoid "))
    if "skin_tone" in failed and light.fill > 0:
        flat = replace(light, fill=0.0)
        out.append((replace(settings, look=replace(settings.look, light=flat)),
                    "Made without the fill light (the shaded side of your face left as in your photo) to avoid "))
    p = settings.preset
    if p.strict:
        return out
    out += [(replace(settings, preset=replace(p, head=round(p.head * RETRY_TIGHTER, 3))),
            f"Framed tighter than the '{p.name}' framing (head {p.head * RETRY_TIGHTER:.0%} of the height) to leave out ")]
    if p.name != "square":
        from ..looks.settings import get_preset

        sq = get_preset("square")
        out.append((replace(settings, preset=replace(sq, size=(p.size[0], p.size[0]))),
                    f"Framed square instead of '{p.name}' to leave out "))
    return out


def make_reviewed(photo: Photo, pc: PhotoCheck, path: Path, settings: StudioSettings, reference, *,
                  refused: Callable[[Headshot], Any] | None = None):
    """Render ``photo`` and review it; when the review fails, the next framings
    (:func:`retry_settings`) are tried before the failure is reported. Returns (the
    headshot, its render, the first attempt's headshot); when every attempt fails, the
    first attempt, whose file is at ``path``.

    Each retry is written beside ``path`` and takes its place only when it passes, so
    the file at ``path`` is always the headshot returned. ``refused`` is handed every
    refused attempt that is not returned (``--keep-rejected`` keeps them), before its
    file is replaced; without it their files are removed."""
    from .pipeline import make_headshot

    hs, r = make_headshot(photo, path, settings=settings, face=pc.face)
    hs = web_note(hs, pc, settings)
    if reference is None:
        return hs, r, hs
    hs = first = reviewed(hs, r, reference, settings)
    if hs.review["passed"]:
        return hs, r, first
    failed = frozenset(k for k, v in first.review["checks"].items() if not v["passed"])
    for k, (st, note) in enumerate(retry_settings(settings, failed), start=2):
        h2, r2 = make_headshot(photo, path.with_name(f"{path.stem}-try{k}{path.suffix}"), settings=st, face=pc.face)
        h2 = reviewed(web_note(h2, pc, settings), r2, reference, st)
        if h2.review["passed"]:
            if refused is not None:
                refused(first)  # moves it away from ``path``
            os.replace(h2.path, path)
            why = "; ".join(x[:1].lower() + x[1:].rstrip(".") for x in first.review["reasons"])  # ΔE stays ΔE
            note += f"what the first render showed ({why})."
            return replace(h2, path=path, notes=(*h2.notes, note),
                           reframed=note if st.preset != settings.preset else ""), r2, first
        if refused is not None:
            refused(h2)
        else:
            h2.path.unlink(missing_ok=True)
    return hs, r, first


def web_size_photos(sitting: Sitting) -> list[int]:
    """Photos intake refused only for a small face (at least ``WEB_MIN_EYE`` px between
    the eyes), best first: they still make a web-size headshot."""
    from ..intake.select import MAJOR

    out = []
    for i, p in enumerate(sitting.photos):
        m = p.measures
        failed = [k for k in MAJOR if k in m and not m[k].ok]
        if p.face is not None and not p.other_person and failed == ["inter_eye"] and m["inter_eye"].raw >= WEB_MIN_EYE:
            out.append(i)
    return sorted(out, key=lambda i: -sitting.photos[i].rank)


def _enrollable(p: PhotoCheck) -> bool:
    return p.face is not None and p.face.mesh is not None and p.face.embedding is not None


def enroll_sitting(sitting: Sitting, photos: dict[str, Photo],
                   started: dict[str, tuple[Any, Future]] | None = None):
    """The review's :class:`~likeness.review.Reference` from intake's own faces and
    embeddings on the decoded photos (photos of someone else left out); None when no
    photo has a measured face.

    ``started``: source → (face, future of its :func:`~likeness.review.describe`),
    readings begun while intake went on (:func:`studio`); one is used where intake
    kept that face, else the photo is read here."""
    from ..review import enroll_stats

    stats, sources = [], []
    for p in sitting.photos:
        photo = photos.get(p.source)
        if photo is None or not _enrollable(p) or p.other_person:
            continue
        face, future = (started or {}).get(p.source, (None, None))
        here = p.face.scaled(photo.scale)
        # A reading the worker has not begun is done here (it would wait behind the worker's queue).
        stats.append(here_if_waiting(future, describe, photo.image, here) if face is p.face
                     else describe(photo.image, here))
        sources.append(p.source)
    return replace(enroll_stats(stats), sources=tuple(sources)) if stats else None


def expand_paths(paths: Sequence[str | os.PathLike] | str | os.PathLike) -> list[Path]:
    """Files as given; folders become the photos inside them (sorted)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and is_image_path(q))
            if not found:
                raise InputError(f"{p} has no photos in it.", hint="Give JPEG, PNG, WebP or HEIC files.")
            out += found
        elif not p.exists():
            raise ImageReadError(f"{p}: no such file.", hint="Check the path.", file=str(p))
        else:
            out.append(p)
    if not out:
        raise InputError("No photos given.", hint="Give one or more photos of yourself.")
    return out


def reason(p: PhotoCheck) -> str:
    probs = p.problems
    if probs:
        return " ".join(probs)
    if p.faces > 1:
        return f"{p.faces} faces in the photo: use a photo of you alone."
    return "Not good enough for a headshot."


def no_usable_photo(sitting: Sitting) -> Exception:
    """The most specific error for a set with no usable photo."""
    photos = sitting.photos
    if len(photos) == 1:
        p = photos[0]
        name = Path(p.source).name
        if p.error and p.size == (0, 0):
            return ImageReadError(p.error, file=p.source)
        if p.face is None:
            msg = p.error or f"No face found in {name}: use a photo where your face is clearly visible."
            return NoFaceError(msg, faces=0, file=p.source)
        sf = p.measures.get("single_face")
        if p.faces > 1 or (sf is not None and not sf.ok):
            return ManyFacesError(
                f"{max(p.faces, 2)} faces found in {name}. {reason(p)}",
                hint="Use a photo of you alone, or crop it to your face.", faces=max(p.faces, 2), file=p.source,
            )
    lines = [f"{Path(p.source).name}: {reason(p)}" for p in photos]
    return NotEnoughPhotosError(
        "None of the photos can be made into a headshot. " + " ".join(lines),
        hint="Add a sharp, well-lit photo of you alone, facing the camera, with your head and shoulders in it.",
        photos=len(photos),
    )


__all__ = ["enroll_sitting", "expand_paths", "no_usable_photo", "studio", "web_size_photos"]

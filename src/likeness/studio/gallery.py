"""A set from one click: every chosen Look × framing from the best photos, each reviewed.

``studio(..., looks=..., frames=...)`` (:mod:`.session`) hands its decoded photos,
intake's faces and the person's reference here. The work that does not depend on the
Look is done once per photo and framing (:func:`.pipeline.prepare`: frame, matte; the
retouch once per strength) and shared by every Look (:func:`.pipeline.finish`: backdrop,
light, grade). Every image goes through the same review as a single headshot; one that
fails it is listed with its reasons and never delivered. A set is not re-framed on a
failed review (the framings are the user's choice, and the other framings are in the
set already).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FaceError, OptionError
from ..looks import Look, load_look
from ..types import Headshot, Photo, Sitting
from . import frame as framing
from .options import StudioSettings, with_backdrop

#: Without a count: a set is made from this many of the best photos...
SET_PHOTOS = 2
#: ...in these framings...
SET_FRAMES = ("headshot", "square")
#: ...of photos at least this different in pose or expression (1 ≈ 20° of yaw; a
#: different expression counts 0.4): two near-identical photos give a set of twins.
MIN_DIFFERENCE = 0.25
#: The contact sheet puts one Look on a row, up to this many images wide.
SHEET_COLUMNS = 8


@dataclass(frozen=True)
class SetPlan:
    """What a set is made of, validated before any work."""

    looks: tuple[Look, ...]
    frames: tuple[framing.FramePreset, ...]
    photos: int  # how many of the best photos

    @property
    def size(self) -> int:
        return len(self.looks) * len(self.frames) * self.photos

    def to_dict(self) -> dict[str, Any]:
        return {"looks": [lk.name for lk in self.looks], "frames": [p.name for p in self.frames], "photos": self.photos}


def builtin_looks() -> list[str]:
    """The names of the Looks that come with Likeness (not the user's own)."""
    from ..looks import BUILTIN_DIR

    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def resolve_set(
    *, looks: str | Sequence[str | Look] | None = None, frames: str | Sequence[str] | None = None, best: int | None = None
) -> SetPlan:
    """``looks`` ("all", or names / Looks, comma-separated or a list), ``frames``
    (preset names) and ``best`` (how many photos) → the set's plan. Unknown names are
    an :class:`~likeness.errors.OptionError` naming the valid ones."""
    names = _names(looks) or ["all"]
    chosen: list[Look] = []
    for n in names:
        for lk in ([load_look(x) for x in builtin_looks()] if n == "all" else [load_look(n)]):
            if all(lk.name != c.name for c in chosen):
                chosen.append(lk)
    presets: list[framing.FramePreset] = []
    for f in _names(frames) or list(SET_FRAMES):
        p = framing.get_preset(f)
        if p not in presets:
            presets.append(p)
    k = SET_PHOTOS if best is None else best
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise OptionError(f"The number of photos for a set must be a whole number of at least 1, not {best!r}.",
                          hint="Use --best 2 (the default) or more.")
    return SetPlan(tuple(chosen), tuple(presets), k)


def _names(value: str | Sequence[str | Look] | None) -> list[Any]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    out = [x.strip() if isinstance(x, str) else x for x in items]
    if any(x == "" for x in out):
        raise OptionError(f"An empty name in {value!r}.", hint="Separate names with commas, e.g. headshot,square.")
    return out


def pick_photos(sitting: Sitting, ranked: Sequence[int], k: int) -> list[int]:
    """Up to ``k`` of ``ranked`` (best first): the best, then each next best that
    differs from every one already taken by at least ``MIN_DIFFERENCE`` in pose or
    expression. Fewer when the others are near-duplicates of these."""
    out: list[int] = []
    for i in ranked:
        if len(out) >= k:
            break
        if all(pose_difference(sitting.photos[i], sitting.photos[j]) >= MIN_DIFFERENCE for j in out):
            out.append(i)
    return out


def set_candidates(sitting: Sitting, ranked: Sequence[int], k: int) -> tuple[list[int], int]:
    """(the set's photos in the order they are tried, how many to deliver from):
    :func:`pick_photos`' up to ``k``, then the rest of ``ranked`` as spares (a photo
    whose every image the review refuses for the photo itself is replaced by the next)."""
    picks = pick_photos(sitting, ranked, k)
    return [*picks, *(i for i in ranked if i not in picks)], len(picks)


#: Review checks whose verdict does not depend on a colour Look (the face, the
#: likeness, the cut-out's shape and what the frame holds): when the first Look of a
#: photo and framing fails one of them, every other Look would too, and they are not
#: made. Only a colour Look's image decides it: black and white moves the likeness
#: (classic-mono's identity p95 0.44 against 0.31) and the colour-read checks.
PHOTO_CHECKS = frozenset({"face_size", "one_face", "eyes_open", "landmarks", "likeness", "other_people",
                          "cut_subject", "flat_edge"})


def photo_fault(hs: Headshot) -> list[str]:
    """The :data:`PHOTO_CHECKS` that ``hs``'s review failed."""
    checks = (hs.review or {}).get("checks") or {}
    return [n for n, c in checks.items() if n in PHOTO_CHECKS and not c.get("passed", True)]


def pose_difference(a, b) -> float:
    """0 = the same pose and expression; 1 ≈ 20° of yaw or 15° of pitch apart; a
    different expression adds 0.4 (the head is where the set's variety shows)."""
    d = 0.4 if a.expression != b.expression else 0.0
    pa, pb = a.face.pose, b.face.pose
    if pa is not None and pb is not None:
        d += float(np.hypot((pa.yaw - pb.yaw) / 20.0, (pa.pitch - pb.pitch) / 15.0))
    return d


@dataclass(frozen=True)
class SetImage:
    """One image of a set as it came out of the review."""

    headshot: Headshot
    image: np.ndarray | None  # the delivered image, reduced for the contact sheet (None when refused)
    passed: bool


def make_set(
    photos: dict[str, Photo],
    sitting: Sitting,
    chosen: Sequence[int],
    plan: SetPlan,
    *,
    base: StudioSettings,
    retouch: float | None,
    out_dir: Path,
    reference,
    looks: Callable[[Look], Look] = lambda lk: lk,
    size: Callable[[StudioSettings], StudioSettings] = lambda st: st,
    done: Callable[[SetImage], None] = lambda _img: None,
    want: int | None = None,
) -> tuple[list[SetImage], list[tuple[str, str]]]:
    """Every Look × framing of each chosen photo, reviewed. ``looks`` adapts each Look
    (a grey card's white balance), ``size`` each framing (web size); ``done`` is called
    after each image (progress). ``want``: stop once this many photos delivered at
    least one image (``chosen`` then holds spares after them: :func:`set_candidates`).
    A photo and framing whose first image fails a :data:`PHOTO_CHECKS` check gets no
    other Look. Returns (the images, Look by Look; photos that could not be framed or
    were refused for the photo itself, with the reason)."""
    from .decode import decode_for
    from .pipeline import finish, prepare, write_headshot
    from .results import reviewed, unique_name

    made: list[SetImage] = []
    failed: list[tuple[str, str]] = []
    used: set[str] = set()
    # The Look's stages and the write of the next image run in one worker thread while
    # this thread reviews the last one: no model runs in the worker (the review's
    # detectors and segmenter are not safe to share between threads), and the two
    # overlap on a machine with two cores or more.
    delivering = 0
    with ThreadPoolExecutor(max_workers=1) as worker:
        for idx in chosen:
            if want is not None and delivering >= want:
                break
            any_ok = False
            pc = sitting.photos[idx]
            photo = photos[pc.source]
            stem = Path(pc.source).stem
            for preset in plan.frames:
                st0 = size(replace(base, preset=preset))
                photo_, face, fp = decode_for(photo, face=pc.face, preset=st0.preset)
                try:
                    first = looks(plan.looks[0]).retouch if retouch is None else retouch
                    prep = prepare(photo_.image, face, preset=st0.preset, plan=fp, retouch=first)
                except FaceError as exc:  # intake saw a face the studio could not frame
                    failed.append((pc.source, exc.message))
                    continue

                def finished(look: Look, prep=prep, st0=st0, source=photo_.source, stem=stem):
                    lk = looks(look)
                    st = replace(st0, look=lk, retouch=lk.retouch if retouch is None else retouch)
                    r = finish(prep, settings=st)
                    name = unique_name(f"{stem}-{look.name}-{st.preset.name}", used) + f".{st.format}"
                    return write_headshot(r, out_dir / name, source=source, settings=st), r, st

                ahead = worker.submit(finished, plan.looks[0])
                for k in range(len(plan.looks)):
                    hs, r, st = ahead.result()
                    if k + 1 < len(plan.looks):
                        ahead = worker.submit(finished, plan.looks[k + 1])
                    if reference is not None:
                        hs = reviewed(hs, r, reference, st)
                    ok = hs.review is None or bool(hs.review.get("passed", True))
                    img = SetImage(hs, _thumb(r.image) if ok else None, ok)
                    made.append(img)
                    done(img)
                    any_ok = any_ok or ok
                    fault = [] if ok or k or plan.looks[0].grade.mono else photo_fault(hs)
                    if fault:  # the photo itself fails: no other Look can pass
                        if k + 1 < len(plan.looks):
                            ahead.result()[0].path.unlink(missing_ok=True)  # made ahead, never reviewed
                        failed.append((pc.source, f"{preset.name} framing: not made in the other Looks, the photo "
                                       f"itself fails the review ({', '.join(fault)})"))
                        break
            delivering += any_ok
    order = {lk.name: i for i, lk in enumerate(plan.looks)}
    made.sort(key=lambda m: order.get(m.headshot.look, len(order)))  # stable: photo, framing within a Look
    return made, failed


def studio_set(
    photos: dict[str, Photo],
    sitting: Sitting,
    chosen: Sequence[int],
    plan: SetPlan,
    *,
    settings: StudioSettings,
    retouch: float | None,
    out_dir: Path,
    reference,
    held,
    web: bool,
    backdrop=None,
    skipped: list[tuple[str, str]],
    keep_rejected: bool,
    progress: Callable[[int], None] | None,
    want: int | None = None,
):
    """Steps 4–5 of ``studio()`` for a set: make it, take refused images out of the
    delivery, write the contact sheet (one Look to a row) and the report (grouped by
    Look, a ``favourite`` per image). Returns the :class:`~likeness.types.StudioResult`."""
    from ..deliver import write_report
    from ..types import StudioResult, to_jsonable
    from .results import contact_sheet, reject, run_report, web_note
    from .session import WEB_SCALE

    def web_size(st: StudioSettings) -> StudioSettings:
        if not web:
            return st
        w, h = st.preset.size
        return replace(st, preset=replace(st.preset, size=(round(w * WEB_SCALE), round(h * WEB_SCALE))))

    def adapt(lk: Look) -> Look:
        return held.apply(lk) if held is not None else lk

    count = [0]

    def done(_img: SetImage) -> None:
        count[0] += 1
        if progress:
            progress(count[0])

    made, failed = make_set(photos, sitting, chosen, plan, base=settings, retouch=retouch, out_dir=out_dir,
                            reference=reference, looks=lambda lk: adapt(with_backdrop(lk, backdrop)),
                            size=web_size, done=done, want=want)
    skipped = [*skipped, *failed]
    by_source = {sitting.photos[i].source: sitting.photos[i] for i in chosen}
    heads, rejected = [], []
    tiles: list[tuple[np.ndarray, Headshot, bool]] = []  # the sheet keeps a refused image's place in its row
    for m in made:
        hs = web_note(m.headshot, by_source[m.headshot.source], settings)
        if held is not None:
            hs = replace(hs, notes=(*hs.notes, held.note))
        if not m.passed:
            why = "; ".join(hs.review.get("reasons") or ()) or "it did not pass the review"
            skipped.append((hs.source, f"Not delivered ({hs.look}, {hs.frame}): {why}"))
            rejected.append({**reject(hs, out_dir, keep=keep_rejected), "look": hs.look, "frame": hs.frame})
            tiles.append((np.full((max(8, hs.height // 8), max(8, hs.width // 8), 3), 96, np.uint8), hs, False))
            continue
        heads.append(hs)
        tiles.append((m.image, hs, True))
    if not heads:
        from .results import refused_run

        raise refused_run(out_dir, run_report(sitting, [], skipped, settings, None), rejected, skipped,
                          title="Likeness studio — set", what="No headshot of the set could be made")
    columns, labels = sheet_layout([t[1] for t in tiles], plan)
    labels = [lb if ok else f"{lb.rsplit(' · ', 1)[0]} · not delivered" for lb, (_i, _h, ok) in zip(labels, tiles, strict=True)]
    sheet = contact_sheet(out_dir, [t[0] for t in tiles], [t[1] for t in tiles],
                           {"what": "contact sheet", "set": plan.to_dict()}, columns=columns, labels=labels)
    report = run_report(sitting, heads, skipped, settings, sheet)
    for e in report["headshots"]:
        e["favourite"] = False
    title = f"Likeness studio — a set of {len(heads)} in {len(plan.looks)} Looks"
    report.update(title=title, set=plan.to_dict(), looks=grouped(report["headshots"], plan), rejected=rejected)
    report["settings"].update(looks=[lk.name for lk in plan.looks], frames=[p.name for p in plan.frames])
    used = len({h.source for h in heads})
    if want is not None and used < want:
        report["summary"] = (f"{report['summary']} The set is made from {used} photo(s), not {want}: the others "
                             "were too alike in pose and expression, not usable, or refused by the review.")
    rj, rh = write_report(out_dir, to_jsonable(report), title=title)
    return StudioResult(headshots=tuple(heads), sitting=sitting, out_dir=out_dir, report_json=rj, report_html=rh,
                        contact_sheet=sheet, skipped=tuple(skipped))


def _thumb(image: np.ndarray, side: int = 720) -> np.ndarray:
    """A copy small enough for the contact sheet (a set holds one per image until the
    end: 24 full-size renders would hold 230 MB)."""
    import cv2

    k = side / max(image.shape[:2])
    if k >= 1:
        return image
    return cv2.resize(image, (max(1, round(image.shape[1] * k)), max(1, round(image.shape[0] * k))),
                      interpolation=cv2.INTER_AREA)


def grouped(entries: Sequence[dict[str, Any]], plan: SetPlan) -> list[dict[str, Any]]:
    """Report entries (each with ``look``) grouped by Look, in the set's order."""
    return [{"look": lk.name, "description": lk.description, "images": [e for e in entries if e["look"] == lk.name]}
            for lk in plan.looks]


def sheet_layout(heads: Sequence[Headshot], plan: SetPlan) -> tuple[int, list[str]]:
    """Columns (one Look to a row) and labels for the set's contact sheet."""
    per_look = max(1, max((sum(h.look == lk.name for h in heads) for lk in plan.looks), default=1))
    labels = [f"{h.look} · {h.frame} · {Path(h.source).stem}" + (f" · {h.likeness:.0f}" if h.likeness is not None else "")
              for h in heads]
    return min(SHEET_COLUMNS, per_look), labels


__all__ = ["SetImage", "SetPlan", "builtin_looks", "grouped", "make_set", "pick_photos", "resolve_set", "studio_set"]

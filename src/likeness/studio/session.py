"""``likeness.studio(paths, ...)``: intake → best photo(s) → headshots, contact sheet, report.

The per-photo work is :func:`likeness.studio.pipeline.make_headshot`; this module
chooses the photos, checks each output's likeness against its input (identity distance
of the same person's face before and after), and writes what the user looks at.
Every file is written to a temporary name and renamed, so a failure leaves no
half-written headshot behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FaceError, ImageReadError, InputError, ManyFacesError, NoFaceError, NotEnoughPhotosError, OptionError
from ..imageio import is_image_path
from ..looks import Look, load_look
from ..types import Headshot, PhotoCheck, Sitting, StudioResult, to_jsonable
from . import frame as framing
from .pipeline import FORMATS, make_headshot

Progress = Callable[[int, int], None]


def studio(
    paths: Sequence[str | os.PathLike] | str | os.PathLike,
    *,
    look: str | Look = "corporate-grey",
    frame: str | None = None,
    out: str | os.PathLike = "out",
    all: bool = False,  # noqa: A002 - the CLI's --all
    retouch: float | None = None,
    format: str = "jpg",  # noqa: A002 - the CLI's --format
    sign: bool = False,
    progress: Progress | None = None,
    verify: bool = True,
) -> StudioResult:
    """Make finished headshots from a person's photos (the best one, or ``all`` usable)."""
    # Validate every option before any work (and before anything is written).
    look = load_look(look)
    preset = framing.get_preset(frame or look.frame)
    fmt = str(format).lower().lstrip(".")
    if fmt == "jpeg":
        fmt = "jpg"
    if fmt not in FORMATS:
        raise OptionError(f"Unknown format {format!r}.", hint="Choose one of: " + ", ".join(FORMATS) + ".")
    if retouch is not None and not (isinstance(retouch, (int, float)) and 0.0 <= retouch <= 1.0):
        raise OptionError(f"Retouch strength {retouch!r} is out of range.", hint="Use a number from 0 (off) to 1.")
    files = expand_paths(paths)

    n = len(files)
    total = n + (n if all else 1)
    sitting = intake(files, progress=(lambda d, _t: progress(d, total)) if progress else None)
    chosen = list(sitting.ranking) if all else list(sitting.ranking[:1])
    if not chosen:
        raise no_usable_photo(sitting)
    skipped: list[tuple[str, str]] = [
        (p.source, reason(p)) for i, p in enumerate(sitting.photos) if i not in sitting.ranking
    ]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    headshots: list[Headshot] = []
    images: list[np.ndarray] = []
    used: set[str] = set()
    for k, idx in enumerate(chosen):
        pc = sitting.photos[idx]
        name = _unique(f"{Path(pc.source).stem}-{look.name}-{preset.name}", used) + f".{fmt}"
        try:
            hs, r = make_headshot(
                pc.source, out_dir / name, look=look, frame=preset.name, retouch=retouch, face=pc.face, sign=sign
            )
        except FaceError as exc:  # intake saw a face the studio could not frame
            skipped.append((pc.source, exc.message))
            continue
        if verify:
            hs = _verified(hs, r.image, pc)
        headshots.append(hs)
        images.append(r.image)
        if progress:
            progress(n + k + 1, total)
    if not headshots:
        raise NotEnoughPhotosError(
            "No headshot could be made: " + "; ".join(f"{Path(s).name}: {m}" for s, m in skipped),
            hint="Use a clear, well-lit photo of your face and shoulders.",
        )
    sheet_path = _contact_sheet(
        out_dir, images, headshots, {"what": "contact sheet", "look": look.to_dict(), "frame": preset.name}
    )
    report = _report(sitting, headshots, skipped, look, preset.name, sheet_path, retouch)
    from ..deliver import write_report

    rj, rh = write_report(out_dir, report, title=f"Likeness studio — {look.name}")
    return StudioResult(
        headshots=tuple(headshots), sitting=sitting, out_dir=out_dir, report_json=rj, report_html=rh,
        contact_sheet=sheet_path, skipped=tuple(skipped),
    )


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


def intake(files: list[Path], *, progress: Progress | None = None) -> Sitting:
    """``likeness.intake.check`` (its module until the package exports it)."""
    import importlib

    check = getattr(importlib.import_module("likeness.intake"), "check", None)
    if check is None or not callable(check):
        check = importlib.import_module("likeness.intake.check").check
    return check(files, progress=progress)


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


def _unique(stem: str, used: set[str]) -> str:
    name, i = stem, 2
    while name in used:
        name, i = f"{stem}-{i}", i + 1
    used.add(name)
    return name


def _verified(hs: Headshot, image: np.ndarray, pc: PhotoCheck) -> Headshot:
    """Identity distance input → output face."""
    from dataclasses import replace

    from ..imageio import load_photo

    src = load_photo(pc.source, max_side=2048).image
    d = identity_distance(src, image)
    if d is None:
        return replace(hs, notes=(*hs.notes, "The face could not be found again in the result: check it by eye."))
    from ..faces.identity import likeness_score  # the project's one 0–100 likeness scale

    return replace(hs, identity_distance=round(d, 4), likeness=round(likeness_score(d), 1))


def identity_distance(before: np.ndarray, after: np.ndarray) -> float | None:
    """Identity distance (faces.identity) between the subject's face in two images (None: a face is missing).

    Both faces are embedded with the chip and its mirror image averaged (the
    ``"best"`` quality of :func:`likeness.faces.embed_face`): a single view's own
    noise (re-embedding the same photo enlarged moves it by 0.04–0.09) would
    otherwise drown what the studio changes.
    """
    from ..faces import analyze, distance, embed_face

    embs = []
    for img in (before, after):
        faces = analyze(img, embed=False, subject_only=True)
        if not faces:
            return None
        try:
            _, e = embed_face(img, faces[0].box, mesh=faces[0].mesh, quality="best")
        except TypeError:  # an embed_face without quality levels: its one view
            _, e = embed_face(img, faces[0].box, mesh=faces[0].mesh)
        embs.append(e)
    return distance(embs[0], embs[1])


def _contact_sheet(out_dir: Path, images: list[np.ndarray], heads: list[Headshot], settings: dict) -> Path | None:
    from ..deliver import contact_sheet, write_image

    labels = [f"{Path(h.source).name} · {h.likeness:.0f}" if h.likeness is not None else Path(h.source).name for h in heads]
    sheet = contact_sheet(images, labels, columns=min(4, len(images)), cell=360)
    return write_image(sheet, out_dir / "contact-sheet.jpg", settings=settings)


def _report(
    sitting: Sitting, heads: list[Headshot], skipped, look: Look, frame: str, sheet: Path | None, retouch
) -> dict[str, Any]:
    return {
        "title": f"Likeness studio — {look.name}",
        "summary": sitting.summary or f"{len(heads)} headshot(s) made with the {look.name} Look.",
        "look": look.to_dict(),
        "contact_sheet": sheet.name if sheet else None,
        "headshots": [
            {**to_jsonable(h), "file": h.path.name} for h in heads
        ],
        "photos": [
            {"source": p.source, "usable": p.usable, "problems": p.problems,
             "measures": {k: m.score for k, m in p.measures.items()}}
            for p in sitting.photos
        ],
        "skipped": [list(s) for s in skipped],
        "settings": {"look": look.name, "look_version": look.version, "frame": frame, "retouch": retouch},
    }


__all__ = ["expand_paths", "intake", "no_usable_photo", "studio"]

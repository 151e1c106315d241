"""What a studio run leaves behind: each render with its review, the refused ones moved
aside (or removed), the contact sheet and the report's entries. Shared by the single
headshot (:mod:`.session`) and the set (:mod:`.gallery`)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Headshot, PhotoCheck, Sitting, to_jsonable
from .options import StudioSettings

#: Sub-folder of the output where ``keep_rejected`` puts renders the review refused.
REJECTED = "rejected"


def web_note(hs: Headshot, pc: PhotoCheck, settings: StudioSettings) -> Headshot:
    m = pc.measures.get("inter_eye")
    if m is None or m.ok:
        return hs
    return replace(hs, notes=(*hs.notes, (f"Made at web size ({hs.width}×{hs.height}): the photo has {m.raw:.0f} px "
                              "between the eyes (60 needed for print); fine on screen. For print, use a "
                              "closer or full-size photo.")))


def reviewed(hs: Headshot, r, reference, settings: StudioSettings) -> Headshot:
    """``hs`` with the review of its render: likeness on the project's scale, every
    check with its figure, and a note for each failed check."""
    from ..review import review

    # The render's face (mesh mapped to output pixels); its identity is read anew.
    face = replace(r.face, embedding=None, landmarks5=None)
    # The framing used, the render's own matte and photo area for the defect checks, and
    # the photo it was made from (the review need not search for it).
    source = reference.sources.index(hs.source) if hs.source in reference.sources else None
    rv = review(r.image, reference, look=settings.preset, plan=r.plan, faces=[face],
                matte=r.alpha, valid=r.valid, source=source)
    notes = tuple(f"Review: {x}" for x in rv.reasons)
    return replace(
        hs, likeness=rv.likeness, identity_distance=rv.identity_distance if np.isfinite(rv.identity_distance) else None,
        review=rv.to_dict(), notes=(*hs.notes, *notes),
    )


def reject(hs: Headshot, out_dir: Path, *, keep: bool) -> dict[str, Any]:
    """Take a refused render out of the delivery: removed, or moved to ``rejected/``
    beside a JSON of its review (``keep``). Returns the report's entry for it."""
    import json

    from ..atomic import atomic_write

    entry = {"source": hs.source, "reasons": list((hs.review or {}).get("reasons") or ()),
             "review": hs.review, "file": None}
    if keep:
        folder = out_dir / REJECTED
        folder.mkdir(exist_ok=True)
        target = folder / hs.path.name
        os.replace(hs.path, target)
        atomic_write(target.with_suffix(".json"),
                     json.dumps(to_jsonable({**entry, "file": target.name}), indent=2).encode())
        entry["file"] = f"{REJECTED}/{target.name}"
    else:
        hs.path.unlink(missing_ok=True)
    return entry


def unique_name(stem: str, used: set[str]) -> str:
    name, i = stem, 2
    while name in used:
        name, i = f"{stem}-{i}", i + 1
    used.add(name)
    return name


def contact_sheet(out_dir: Path, images: list[np.ndarray], heads: list[Headshot], settings: dict, *,
                   columns: int = 4, labels: list[str] | None = None) -> Path | None:
    from ..deliver import contact_sheet, write_image

    if labels is None:
        labels = [f"{Path(h.source).name} · {h.likeness:.0f}" if h.likeness is not None else Path(h.source).name
                  for h in heads]
    sheet = contact_sheet(images, labels, columns=min(columns, len(images)), cell=360)
    return write_image(sheet, out_dir / "contact-sheet.jpg", settings=settings)


def run_report(
    sitting: Sitting, heads: list[Headshot], skipped, settings: StudioSettings, sheet: Path | None
) -> dict[str, Any]:
    look = settings.look
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
        "settings": {"look": look.name, "look_version": look.version, "frame": settings.preset.name,
                     "retouch": settings.retouch},
    }


#: What to change in the next photo, for the review's checks a run's renders failed.
ADVICE = (
    (frozenset({"cut_subject", "other_people", "framing"}), "with space around your head and no one beside you"),
    (frozenset({"islands", "fringe", "flat_edge"}), "in front of a plain background"),
    (frozenset({"skin_tone", "light", "texture"}), "in soft, even light"),
    (frozenset({"hand", "occlusion"}), "with nothing in front of your face"),
)


def refused_run(out_dir: Path, report: dict[str, Any], rejected: list[dict[str, Any]],
                skipped: list[tuple[str, str]], *, title: str, what: str) -> Exception:
    """The error of a run whose every render the review refused (or that could not be
    framed), after writing its report: what was tried and why each was refused, so the
    user can choose the next photo (and, with ``keep_rejected``, find each refused
    render beside its reasons). The caller raises it."""
    from ..deliver import write_report
    from ..errors import NotEnoughPhotosError, StorageError

    report.update(title=title, rejected=rejected,
                  summary=f"{what}: every render was refused by the review or could not be framed.")
    try:
        rj, _rh = write_report(out_dir, to_jsonable(report), title=title)
    except StorageError:  # a full or read-only disk: the refusal and its reasons still reach the user
        rj = None
    failed = {k for r in rejected for k, c in ((r.get("review") or {}).get("checks") or {}).items()
              if not c.get("passed", True)}
    advice = [a for checks, a in ADVICE if failed & checks]
    return NotEnoughPhotosError(
        f"{what}: " + "; ".join(f"{Path(s).name}: {m}" for s, m in skipped),
        hint=(f"Use a photo of your face and shoulders {', '.join(advice)}." if advice else
              "Use a clear, well-lit photo of your face and shoulders."),
        **({"report": str(rj)} if rj else {}),  # the command line names it; the web app, which keeps no
        # failed run's files, drops it
    )

"""`likeness check PHOTOS...`: are these photos good enough for a headshot, and why not.

Exit 0 when the set is usable, 1 when it is not (the advice says what to add), 3 when
no photo could be read, 4 when no photo shows a usable face. A bad file inside a set
is one row with its reason; it does not stop the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

#: Measures shown as table columns (all of them are in --json).
COLUMNS = [("sharpness", "sharp"), ("brightness", "light"), ("illumination", "even"), ("inter_eye", "size"),
           ("head_margins", "frame"), ("yaw", "turn")]


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        photos: list[Path] = typer.Argument(..., help="1–30 photos of yourself (files or folders)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        max_photos: int = typer.Option(30, "--max", min=1, help="Most photos to read."),
    ) -> None:
        """Check your photos: quality, coaching, same person, best picks and a verdict."""
        from ..intake.inspection import check
        from ..types import Verdict
        from . import EXIT_NOT_USABLE
        from .progress import progress_bar

        files = _expand(photos)
        with progress_bar("checking photos", enabled=not as_json and len(files) > 1) as progress:
            sitting = check(files, progress=progress, max_photos=max_photos)
        if as_json:
            typer.echo(json.dumps(sitting_json(sitting), indent=2, ensure_ascii=False))
        else:
            _print(sitting)
        measured = [p for p in sitting.photos if p.measures]
        if not measured:
            raise _nothing_measured(sitting)
        if sitting.verdict == Verdict.NOT_ENOUGH:
            # SystemExit, not typer.Exit: main() runs the app with standalone_mode=False,
            # where click turns typer.Exit into a return value that main() drops.
            raise SystemExit(EXIT_NOT_USABLE)


def _expand(paths: list[Path]) -> list[Path]:
    """Folders become the photos inside them; everything else is passed on as given
    (a missing or unreadable file becomes that photo's error, not the run's)."""
    from ..errors import InputError
    from ..imageio import is_image_path

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and is_image_path(q))
            if not found:
                raise InputError(f"{p} has no photos in it.", hint="Give JPEG, PNG, WebP or HEIC files.")
            out += found
        else:
            out.append(p)
    return out


def _nothing_measured(sitting):
    """The error for a run in which no photo could be measured (exit 3 or 4)."""
    from ..errors import ImageReadError, NoFaceError

    errs = [p for p in sitting.photos if p.error]
    first = errs[0].error if errs else "No photo could be checked."
    more = f" ({len(errs) - 1} more photo{'s' if len(errs) > 2 else ''} with problems above.)" if len(errs) > 1 else ""
    if any(p.error_code not in ("no_face", "face", "many_faces") for p in errs):
        return ImageReadError(first + more, hint="Use JPEG, PNG, WebP or HEIC photos that open on your computer.")
    return NoFaceError(first + more, hint="Use photos where your face is clearly visible, facing the camera.",
                       faces=0)


def sitting_json(sitting) -> dict[str, Any]:
    from ..types import to_jsonable

    photos = []
    for p in sitting.photos:
        f = p.face
        photos.append({
            "source": p.source,
            "usable": p.usable,
            "rank": p.rank,
            "error": p.error,
            "error_code": p.error_code,
            "size": list(p.size),
            "faces": p.faces,
            "subject": p.subject,
            "box": None if f is None else [round(v, 1) for v in f.box],
            "pose": None if f is None or f.pose is None else to_jsonable(f.pose),
            "expression": p.expression,
            "glasses": p.glasses,
            "identity_distance": to_jsonable(p.identity_distance),
            "other_person": p.other_person,
            "problems": p.problems,
            "measures": {k: {"score": m.score, "raw": m.raw, "ok": m.ok, "unit": m.unit, "advice": m.advice}
                         for k, m in p.measures.items()},
        })
    return {
        "verdict": sitting.verdict.value,
        "summary": sitting.summary,
        "advice": list(sitting.advice),
        "people": sitting.people,
        "ranking": [sitting.photos[i].source for i in sitting.ranking],
        "references": [sitting.photos[i].source for i in sitting.references],
        "photos": photos,
    }


def _print(sitting) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not any(p.measures for p in sitting.photos) and len(sitting.photos) == 1:
        return  # the error message alone says it (printed by the caller's exit)
    table = Table(header_style="bold", pad_edge=False)
    table.add_column("photo", overflow="ellipsis", no_wrap=True, max_width=22)
    table.add_column("ok", no_wrap=True)
    table.add_column("rank", justify="right")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("expr", overflow="fold", max_width=12)
    order = {i: k + 1 for k, i in enumerate(sitting.ranking)}
    refs = set(sitting.references)
    for i, p in enumerate(sitting.photos):
        name = Path(p.source).name
        if p.error:
            table.add_row(name, "[red]✗[/]", "—", *["—"] * len(COLUMNS), "")
            continue
        ok = ("[green]✓[/]" if p.usable else "[red]✗[/]") + ("★" if i in refs else "")
        cells = []
        for key, _ in COLUMNS:
            m = p.measures.get(key)
            cells.append("—" if m is None else (f"{m.score:.0f}" if m.ok else f"[red]{m.score:.0f}[/]"))
        rank = f"{order[i]}." if i in order else "—"
        table.add_row(name, ok, rank, *cells, p.expression + (", glasses" if p.glasses else ""))
    con.print(table)
    con.print("[dim]Scores 0–100, 50 passes (all measures: --json). ★ reference for generation.[/]")
    for p in sitting.photos:
        for problem in p.problems:
            con.print(f"[yellow]{Path(p.source).name}:[/] {problem}")
    colour = {"ready": "green", "usable": "yellow", "not_enough": "red"}[sitting.verdict.value]
    con.print(f"\n[bold {colour}]{sitting.verdict.value.replace('_', ' ').upper()}[/] — {sitting.summary}")
    for a in sitting.advice:
        con.print(f"[yellow]→[/] {a}")

"""`likeness studio PHOTOS...`: finished headshots from your own photos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .. import defaults


def register(app: typer.Typer) -> None:
    @app.command("studio")
    def studio_cmd(
        photos: list[Path] = typer.Argument(..., help="Your photos (files or folders)."),
        look: str = typer.Option(defaults.LOOK, "--look", "-l", help="Look name (see `likeness looks`) or a .toml file."),
        frame: Optional[str] = typer.Option(
            None, "--frame", "-f",
            help="Framing: headshot, square, chest-up, actor-8x10, id-35x45, us-2x2 (default: the Look's).",
        ),
        out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the headshots, contact sheet and report."),
        all_: bool = typer.Option(False, "--all", help="A headshot from every usable photo, not only the best."),
        retouch: Optional[float] = typer.Option(None, "--retouch", help="Retouch strength 0 (off) … 1 (default: the Look's)."),
        fmt: str = typer.Option("jpg", "--format", help="jpg, png or webp."),
        sign: bool = typer.Option(False, "--sign", help="Embed Content Credentials (C2PA) signed with your local key."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier run's results in the -o folder "
                                       "(without it such a folder is refused, so no report is lost)."),
        card: Optional[Path] = typer.Option(None, "--card", help="A photo of a grey card or colour chart in your light: "
                                            "white balance and exposure are taken from it."),
        keep_rejected: bool = typer.Option(False, "--keep-rejected", help="Also write renders the review refused "
                                           "to a rejected/ sub-folder, with their reasons (never delivered)."),
        looks: Optional[str] = typer.Option(None, "--looks", help="Make a set: 'all' built-in Looks or "
                                            "NAME,NAME (each Look × each --frames framing)."),
        frames: Optional[str] = typer.Option(None, "--frames", help="Make a set in these framings, e.g. "
                                             "headshot,square (default for a set: headshot,square)."),
        best: Optional[int] = typer.Option(None, "--best", help="Make a set from the N best photos that differ in "
                                           "pose or expression (default for a set: 2)."),
        backdrop: Optional[str] = typer.Option(None, "--backdrop", help="'own' (your own background, blurred as by "
                                               "a wide aperture) or a photo of a place, in place of the Look's backdrop."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Make finished headshots: framed, cut out, on a backdrop, relit, retouched, graded."""
        from ..studio.session import studio
        from ..types import to_jsonable
        from .progress import progress_bar

        with progress_bar("studio", enabled=not as_json) as progress:
            res = studio(
                photos, look=look, frame=frame, out=out, all=all_, retouch=retouch, format=fmt, sign=sign,
                progress=progress, overwrite=overwrite, card=card, keep_rejected=keep_rejected,
                looks=looks, frames=frames, best=best, backdrop=backdrop,
            )
        if as_json:
            data = {
                "headshots": [to_jsonable(h) for h in res.headshots],
                "skipped": [list(s) for s in res.skipped],
                "contact_sheet": str(res.contact_sheet) if res.contact_sheet else None,
                "report": str(res.report_html) if res.report_html else None,
            }
            typer.echo(json.dumps(data, indent=2))
            return
        from rich.console import Console

        con = Console()
        for h in res.headshots:
            like = f"likeness {h.likeness:.0f}/100" if h.likeness is not None else "likeness not measured"
            con.print(f"[green]✓[/] {h.path}  ({h.width}×{h.height}, {h.look}, {h.frame}, {like})")
            for n in h.notes:
                con.print(f"   [yellow]note:[/] {n}")
        for src, why in res.skipped:
            con.print(f"[yellow]skipped[/] {Path(src).name}: {why}")
        con.print(f"Contact sheet: {res.contact_sheet}")
        con.print(f"Report:        {res.report_html}")

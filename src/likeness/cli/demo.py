"""`likeness demo`: the studio on a bundled public-domain photo (scikit-image's astronaut)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from .. import defaults


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the results."),
        look: str = typer.Option(defaults.LOOK, "--look", "-l", help="Look to use."),
    ) -> None:
        """Make a headshot from a sample photo (Eileen Collins, NASA, public domain)."""
        from PIL import Image
        from rich.console import Console
        from skimage import data

        from ..studio.session import studio
        from .progress import progress_bar

        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "astronaut.jpg"
            # The bundled sample is 512 px: 43 px between the eyes, under intake's 60 px
            # minimum for a headshot. Enlarged 2× (Lanczos) so the demo runs the whole
            # path, intake included; the report then notes the enlargement honestly.
            img = Image.fromarray(data.astronaut())
            img.resize((1024, 1024), Image.Resampling.LANCZOS).save(src, quality=95)
            with progress_bar("demo") as progress:
                res = studio([src], look=look, out=out, progress=progress)
        con = Console()
        con.print("[bold]Likeness demo[/] — a studio headshot from NASA's public-domain portrait of Eileen Collins.")
        for h in res.headshots:
            like = f", likeness {h.likeness:.0f}/100" if h.likeness is not None else ""
            con.print(f"Headshot:      {h.path.resolve()}  ({h.width}×{h.height}{like})")
        con.print(f"Contact sheet: {res.contact_sheet.resolve() if res.contact_sheet else '-'}")
        con.print(f"Report:        {res.report_html.resolve() if res.report_html else '-'}")

"""`likeness generate PHOTOS... --look NAME --count N -o OUT [--backend NAME] [--seed S]`."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import typer

from .. import defaults


@contextlib.contextmanager
def plain_warnings(console) -> Iterator[None]:
    """Show each warning raised inside as one plain line ("note: …") on ``console``,
    not as Python's ``file:line: Category: …`` with the source line under it."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # warnings.showwarning's signature
        console.print(f"[yellow]note:[/] {message}", highlight=False, soft_wrap=True)

    with warnings.catch_warnings():  # restores warnings.showwarning on the way out
        warnings.showwarning = show
        yield


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        photos: list[Path] = typer.Argument(..., help="3–10 photos of the person, or folders of them (several angles help)."),
        look: str = typer.Option(defaults.LOOK, "--look", help="Look name or .toml file (`likeness looks`)."),
        count: int = typer.Option(4, "--count", "-n", min=1, max=16, help="Headshots to deliver."),
        out: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder."),
        backend: str = typer.Option(None, "--backend", help="flux2-klein (default) or face-locked; see `likeness models list`."),
        seed: int = typer.Option(0, "--seed", help="Seed of the first candidate; the same inputs and seed give the same images."),
        oversample: int = typer.Option(2, "--oversample", min=1, max=8, help="Candidates made per delivered headshot (the review picks)."),
        glasses: bool = typer.Option(None, "--glasses/--no-glasses", help="Require glasses on or off (default: as in your photos)."),
        device: str = typer.Option(None, "--device", help="cuda, mps or cpu (default: the best available)."),
    ) -> None:
        """AI headshots conditioned on your photos, each verified before you see it."""
        from rich.console import Console

        from ..cli.progress import progress_bar
        from ..generate import generate
        from ..studio.session import expand_paths

        files = expand_paths(photos)  # folders become the photos in them, as for `likeness studio`
        with plain_warnings(Console(stderr=True)), progress_bar("generating") as progress:
            res = generate(
                [str(p) for p in files], look=look, count=count, out=out, backend=backend, seed=seed,
                oversample=oversample, glasses=glasses, device=device, progress=progress,
            )
        c = Console()
        plan = res.settings.get("device") or {}
        if plan.get("summary"):
            c.print(f"Generated with {plan['summary']}.", highlight=False)
        for h in res.headshots:
            c.print(f"[green]✓[/] {h.path}  likeness {h.likeness:.0f}/100")
        for r in res.rejected:
            c.print(f"[yellow]✗[/] seed {r.seed}: {'; '.join(r.reasons)}")
        c.print(f"{len(res.headshots)} delivered, {len(res.rejected)} rejected by the review → {res.report_html}")
        if not res.headshots:
            raise typer.Exit(1)

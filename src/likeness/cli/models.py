"""`likeness models list | pull NAME | verify NAME`: the models, embedded and downloadable."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Downloadable models for `likeness generate` (the only command that downloads).", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("list")
    def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Embedded models (shipped in the install) and downloadable ones: file, sha256,
        licence, training data; size and whether it is pulled."""
        from dataclasses import asdict

        from ..faces.embedded import list_embedded
        from ..generate.store import home, list_models

        embedded, rows = list_embedded(), list_models()
        if as_json:
            typer.echo(json.dumps({"embedded": [asdict(e) for e in embedded],
                                   "downloadable": [asdict(r) for r in rows]}, indent=2))
            return
        from rich.console import Console

        console = Console()
        for r in render_list(embedded, rows, store=str(home()), width=console.width):
            console.print(r)

    @models.command("pull")
    def pull_cmd(
        name: str = typer.Argument(..., help="Model name from `likeness models list`."),
        force: bool = typer.Option(False, "--force", help="Download again even if present."),
    ) -> None:
        """Download a model once (pinned revision, checksums recorded); later runs are offline."""
        from ..generate.store import pull, spec

        s = spec(name)
        if not s.commercial_use:
            typer.echo(f"Note: {name} is licensed '{s.licence}': not for commercial use.", err=True)
        typer.echo(f"Downloading {name} from {s.repository} (about {s.download_gb:.0f} GB) …", err=True)
        path = pull(name, force=force)
        typer.echo(f"{name} is ready in {path}")

    @models.command("verify")
    def verify_cmd(name: str = typer.Argument(..., help="Model name.")) -> None:
        """Check every file of a pulled model against its recorded sha256."""
        from ..generate.store import verify

        rep = verify(name)
        if rep.ok:
            typer.echo(f"{name}: {rep.checked} files verified.")
            return
        for f in rep.missing:
            typer.echo(f"missing: {f}", err=True)
        for f in rep.mismatched:
            typer.echo(f"changed: {f}", err=True)
        typer.echo(f"{name} is damaged: run `likeness models pull {name} --force`.", err=True)
        raise typer.Exit(5)


def render_list(embedded, rows, *, store: str, width: int) -> list:
    """Rich renderables for `models list`. A model's name is what the user types, so it
    is never cut: the other columns wrap, and where even that does not fit the
    console, each model gets a block of lines instead of a table row."""
    from rich.table import Table
    from rich.text import Text

    out: list = [Text("Embedded (installed with likeness; nothing to download)", style="bold")]
    for e in embedded:
        state = "[green]installed[/]" if e.installed else "[red]missing or changed[/]: run `make install`"
        out.append(Text(e.name, style="bold", no_wrap=True, overflow="ignore"))
        out.append(Text.from_markup(f"  {e.need} — {state}", overflow="fold"))
        for label, value in (("file", e.file), ("sha256", e.sha256 or "-"), ("weights", e.licence),
                             ("code", e.code_licence), ("training data", e.training_data)):
            out.append(Text(f"  {label}: {value}", overflow="fold"))
    names = [r.name for r in rows]
    key = max((len(n) for n in names), default=4)
    cols = ("licence", "commercial use", "download", "GPU memory", "pulled")
    # name + 5 narrow columns with their borders: below this the table would cut names.
    if width >= key + 7 * 3 + sum(min(len(c), 8) for c in cols):
        t = Table(title=f"Downloadable (model store: {store})", caption="Download one with: likeness models pull NAME")
        t.add_column("name", no_wrap=True, min_width=key)
        for c in cols:
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(
                r.name, r.licence, "yes" if r.commercial_use else "[red]no[/]", f"{r.download_gb:.0f} GB",
                f"{r.memory_gb:.0f} GB", "[green]yes[/]" if r.pulled else "no",
            )
        out.append(t)
    else:
        out.append(Text(f"Downloadable (model store: {store})", style="bold"))
        for r in rows:
            out.append(Text(r.name, style="bold", no_wrap=True, overflow="ignore"))
            out.append(Text(f"  {r.licence}; commercial use {'yes' if r.commercial_use else 'no'}; "
                            f"{r.download_gb:.0f} GB; GPU {r.memory_gb:.0f} GB; pulled {'yes' if r.pulled else 'no'}",
                            overflow="fold"))
        out.append(Text("Download one with: likeness models pull NAME"))
    return out

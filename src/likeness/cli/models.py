"""`likeness models list | pull NAME | verify NAME`: the downloadable model store."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Downloadable models for `likeness generate` (the only command that downloads).", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("list")
    def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Every model in the manifest: licence, size, and whether it is pulled."""
        from dataclasses import asdict

        from ..generate.store import home, list_models

        rows = list_models()
        if as_json:
            typer.echo(json.dumps([asdict(r) for r in rows], indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"Model store: {home()}", caption="Download one with: likeness models pull NAME")
        for c in ("name", "licence", "commercial use", "download", "GPU memory", "pulled"):
            t.add_column(c)
        for r in rows:
            t.add_row(
                r.name, r.licence, "yes" if r.commercial_use else "[red]no[/]", f"{r.download_gb:.0f} GB",
                f"{r.memory_gb:.0f} GB", "[green]yes[/]" if r.pulled else "no",
            )
        Console().print(t)

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

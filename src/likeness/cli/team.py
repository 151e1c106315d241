"""`likeness team` (not built yet)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("team", hidden=True)
    def _cmd() -> None:
        """Not available yet."""
        typer.echo("`likeness team` is not available in this version yet.", err=True)
        raise typer.Exit(2)

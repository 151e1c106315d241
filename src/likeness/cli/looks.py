"""`likeness looks`: the Looks you can use (built-in and your own)."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("looks")
    def looks_cmd(
        as_json: bool = typer.Option(False, "--json", help="Print every Look's full settings as JSON."),
    ) -> None:
        """List the Looks: framing, backdrop, light, retouch and grade presets."""
        from ..looks import list_looks, user_dir

        looks = list_looks()
        if as_json:
            typer.echo(json.dumps([lk.to_dict() for lk in looks], indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title="Looks", title_justify="left")
        for col in ("name", "version", "frame", "backdrop", "retouch", "description"):
            t.add_column(col, overflow="fold", no_wrap=col in ("name", "frame", "version"))
        for lk in looks:
            bd = f"{lk.backdrop.kind} {lk.backdrop.color}" + (f"→{lk.backdrop.color2}" if lk.backdrop.color2 else "")
            t.add_row(lk.name, lk.version, lk.frame, bd, f"{lk.retouch:.2f}", lk.description)
        con = Console()
        con.print(t)
        con.print(f"Add your own: a .toml file in {user_dir()} (or pass --look path/to/look.toml).")

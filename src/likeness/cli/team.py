"""`likeness team SOURCE -o OUT` and `likeness team add PHOTOS... --name NAME -o OUT`."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import defaults
from ..errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("team")
    def team_cmd(
        source: str = typer.Argument(..., help="Folder with one sub-folder of photos per person, a CSV manifest (name,photos,title,department), or `add` to add one person to an existing team."),
        photos: list[Path] = typer.Argument(None, help="With `add`: the new person's photos."),
        out: Path = typer.Option(Path("team-out"), "--out", "-o", help="Output folder (keeps the team's lock file)."),
        look: str = typer.Option(None, "--look", help=f"Look for the team (locked on the first run). Default: {defaults.LOOK}."),
        frame: str = typer.Option(None, "--frame", help=f"Framing preset (locked with the Look). Default: {defaults.FRAME}."),
        workers: int = typer.Option(None, "--workers", "-j", min=1, help="People made at a time, one core each (default: all cores)."),
        ray: str = typer.Option(None, "--ray", help="Spread people over a Ray cluster: an address, `auto`, or `local`."),
        relock: bool = typer.Option(False, "--relock", help="Change the team's locked Look/framing (everyone is redone)."),
        name: str = typer.Option(None, "--name", help="With `add`: the new person's name."),
        title: str = typer.Option("", "--title", help="With `add`: job title."),
        department: str = typer.Option("", "--department", help="With `add`: department."),
        card: Path = typer.Option(None, "--card", help="A photo of a grey card or colour chart: with `add`, the new "
                                  "person's; otherwise for everyone without their own (the CSV's card column)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Headshots for a whole team in one consistent, locked Look (resumable)."""
        import json

        from rich.console import Console

        from ..team import read_source, run_team
        from ..team.run import load_lock, members_from_out
        from ..team.source import Member, slugify

        if source == "add":
            if not name or not photos:
                raise InputError("`team add` needs the new person's photos and --name.", hint='e.g. likeness team add ada/*.jpg --name "Ada Lovelace" -o team-out')
            if load_lock(out) is None:
                raise InputError(f"{out} holds no team yet.", hint="Run `likeness team SOURCE -o OUT` first, or point -o at the team's folder.")
            members = [m for m in members_from_out(out) if m.slug != slugify(name)]
            members.append(Member(name=name, slug=slugify(name), photos=tuple(photos), title=title, department=department, card=card))
        else:
            members = read_source(source)
            if card is not None:
                from dataclasses import replace

                members = [m if m.card else replace(m, card=card) for m in members]
        console = Console(stderr=True, quiet=as_json)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]team"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("", total=len(members))

            def progress(done: int, total: int, who: str) -> None:
                bar.update(task, completed=done, total=total, description=who)

            res = run_team(members, out, look=look, frame=frame, workers=workers, ray=ray, relock=relock, progress=progress)
        if as_json:
            typer.echo(json.dumps({"out": str(res.out_dir), "people": list(res.people), "consistency": res.consistency, "seconds": res.seconds}, indent=2, default=float))
        else:
            console = Console()
            console.print(f"[bold green]{len(res.done)}[/] of {len(res.people)} headshots ready in {res.seconds:.1f} s ({res.reused} resumed) → {res.page}")
            for p in res.retakes:
                console.print(f"  [yellow]retake[/] {p['name']}: {p.get('reason', '')}")
            for n, why in (res.consistency.get("breaks_team_look") or {}).items():
                console.print(f"  [magenta]breaks the look[/] {n}: {'; '.join(why)}")
        if not res.done:
            raise typer.Exit(1)

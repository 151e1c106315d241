"""`likeness bench NAME`: speed and memory, each figure beside a floor measured in the same run.

Each benchmark is a module ``likeness.bench.NAME`` with ``run(**options) -> dict``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import typer

from ..errors import OptionError

BENCHES = {
    "intake": "seconds per photo (12 MP and 250 px) beside bare decode",
    "studio": "decode → finished 1600×2000 JPEG, beside decode+resize+encode",
    "team": "50 people with 1 and 2 workers, and through local Ray",
    "generate": "seconds per 1024×1024 candidate and peak GPU memory per backend",
    "serve": "20 web sessions × 5 photos + studio at once on loopback: latency and jobs/min",
    "coach": "server time per live-coaching preview frame (640×480, 1280×720), one and two sessions at once",
}


def register(app: typer.Typer) -> None:
    @app.command("bench")
    def bench_cmd(
        name: str = typer.Argument(..., help="One of: " + ", ".join(BENCHES)),
        photo: Path = typer.Option(None, "--photo", help="Photo to time (default: a 12 MP test photo made from the bundled sample)."),
        repeat: int = typer.Option(5, "--repeat", min=1, help="Timed repetitions."),
        out: Path = typer.Option(None, "--out", "-o", help="Also write the JSON to this file."),
        set_: bool = typer.Option(False, "--set", help="studio: a set of 24 headshots (6 Looks × 2 framings × "
                                  "2 photos) beside a single headshot and a floor; serve: each session asks "
                                  "for a set instead of one headshot."),
    ) -> None:
        """Time a stage on this machine (JSON)."""
        if name not in BENCHES:
            raise OptionError(f"Unknown benchmark {name!r}.", hint="Choose one of: " + ", ".join(BENCHES) + ".")
        mod = importlib.import_module(f"likeness.bench.{name}")
        kwargs = {"repeat": repeat}
        if photo is not None:
            kwargs["photo"] = photo
        if set_:
            if name not in ("studio", "serve"):
                raise OptionError("--set is an option of the studio and serve benchmarks.",
                                  hint="Run `likeness bench studio --set` or `likeness bench serve --set`.")
            kwargs["set"] = True
        result = mod.run(**kwargs)
        text = json.dumps(result, indent=2, default=float)
        if out:
            out.write_text(text + "\n")
        typer.echo(text)

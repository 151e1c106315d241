"""`likeness eval NAME DIR`: quality metrics on a labelled folder (layout of ../shared/eval).

Each evaluation is a module ``likeness.eval.NAME`` with ``run(root, *, progress) -> dict``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import typer

from ..errors import InputError, OptionError
from .progress import progress_bar

EVALS = {
    "intake": "quality measures flag known degradations of real photos",
    "identity": "identity verification: TAR at fixed FAR, and impostor flags in sets",
    "matting": "person and hair masks against hand labels",
    "retouch": "blemish removal while texture, moles, identity and skin tone are kept",
    "studio": "the whole studio on real photos: completion, identity, light",
    "team": "team consistency spreads before and after normalisation",
    "review": "review gates: genuine pass rate, impostor and edit catch rates",
    "coach": "live coaching on camera sequences (first direction, quiet on good frames, capture) and wardrobe advice",
    "fairness": "every stage's figures per skin-tone band (and glasses), with intervals",
    "defects": "defect checks: injected cut-out defects caught, clean studio renders passed",
}


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_cmd(
        name: str = typer.Argument(..., help="One of: " + ", ".join(EVALS)),
        root: Path = typer.Argument(..., help="Folder with the layout of ../shared/eval."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
        out: Path = typer.Option(None, "--out", "-o", help="Also write the JSON to this file."),
        looks: str = typer.Option(None, "--looks", help="studio: the figures per Look ('all' or NAME,NAME), "
                                  "each beside the default Look's."),
    ) -> None:
        """Measure quality on a labelled folder of real photos."""
        if name not in EVALS:
            raise OptionError(f"Unknown evaluation {name!r}.", hint="Choose one of: " + ", ".join(EVALS) + ".")
        if not root.is_dir():
            raise InputError(f"{root} is not a folder.", hint="Give the evaluation folder, e.g. ../shared/eval.")
        if looks and name != "studio":
            raise OptionError("--looks is an option of the studio evaluation.", hint="Run `likeness eval studio --looks all`.")
        mod = importlib.import_module(f"likeness.eval.{name}")
        with progress_bar(f"eval {name}", enabled=not as_json) as progress:
            result = mod.run(root, progress=progress, **({"looks": looks} if looks else {}))
        text = json.dumps(result, indent=2, default=float)
        if out:
            out.write_text(text + "\n")
        if name == "fairness":  # its HTML page beside the JSON
            from ..eval.fairness_html import write

            write(result, (out or Path("likeness-fairness.json")).with_suffix(".html"))
        typer.echo(text)

"""The ``likeness`` command line. Thin: parse, call the library, present.

Every command lives in its own module with a ``register(app)`` function. Exit codes
are decided here, once, from the error hierarchy:

====  ==========================================================
0     done; for ``check``: the set is usable
1     ``check``: the set is not enough for a headshot (see advice)
2     usage: unknown option, Look, framing or backend; an output folder that
      cannot be used (a file, read-only, or holding an earlier run); too many photos
3     a photo or input file cannot be used (unreadable, too large)
4     no usable face / several faces where one is needed
5     a model or device is missing (the message names the fix)
6     a file cannot be written: the disk is full, a folder is read-only, or the
      data folder is in use by another ``likeness serve``
70    an internal error (a bug: please report it with the trace)
====  ==========================================================
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from .. import __version__
from ..errors import (
    DeviceError,
    FaceError,
    InputError,
    LikenessError,
    ModelMissingError,
    OptionError,
    StorageError,
    storage_error,
)

EXIT_NOT_USABLE = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_FACE = 4
EXIT_MODEL = 5
EXIT_STORAGE = 6
EXIT_INTERNAL = 70

COMMANDS = ["check", "studio", "generate", "team", "looks", "models", "keys", "eval", "bench", "serve", "forget", "demo"]

app = typer.Typer(
    name="likeness",
    help="Professional headshots from your own photos — local, measured, labelled.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"likeness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Likeness: check your photos, make studio headshots, generate, teams, web app."""


for _name in COMMANDS:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, OptionError):
        return EXIT_USAGE
    if isinstance(exc, FaceError):
        return EXIT_FACE
    if isinstance(exc, InputError):
        return EXIT_INPUT
    if isinstance(exc, (ModelMissingError, DeviceError)):
        return EXIT_MODEL
    if isinstance(exc, StorageError):
        return EXIT_STORAGE
    if isinstance(exc, LikenessError):
        return EXIT_INPUT
    return EXIT_INTERNAL


def main() -> None:
    from ..process import tune

    os.environ.setdefault("GLOG_minloglevel", "2")
    tune()  # this process is ours: BLAS threads and the allocator (likeness.process)
    try:
        # Without standalone mode click hands back typer.Exit's code instead of exiting.
        rc = app(standalone_mode=False)
    except LikenessError as exc:
        _report(exc)
    except OSError as exc:  # a full disk or a read-only folder, met while writing
        mapped = storage_error(exc, where=_where(exc))
        if mapped is None:
            raise
        _report(mapped)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click's usage errors and real bugs
        if isinstance(exc, _click_errors()):
            exc.show()
            sys.exit(EXIT_USAGE)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


def _where(exc: OSError) -> str | None:
    name = exc.filename
    if not name:
        return None
    # Name the folder, not the temporary file that failed inside it.
    p = os.fspath(name)
    return os.path.dirname(p) or p if os.path.basename(p).startswith(".") else p


def _report(exc: LikenessError) -> None:
    from rich.console import Console

    report = exc.data.get("report")  # a studio run that delivered nothing still wrote what it tried
    Console(stderr=True).print(f"[bold red]Error:[/] {exc.message}" + (f"\n[yellow]→[/] {exc.hint}" if exc.hint else "")
                               + (f"\nWhat was tried, and why each render was refused: {report}" if report else ""))
    sys.exit(exit_code(exc))


def _click_errors() -> tuple[type[Exception], ...]:
    """Click's usage-error classes: typer ≥ 0.26 raises its own vendored copy of click's."""
    import click

    classes: list[type[Exception]] = [click.exceptions.ClickException]
    try:
        from typer._click.exceptions import ClickException as Vendored
    except ImportError:  # older typer uses click itself
        pass
    else:
        classes.append(Vendored)
    return tuple(classes)

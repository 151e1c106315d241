"""The ``likeness`` command (and ``python -m likeness``): the process is started as the
command line wants it (:func:`likeness.process.relaunch`), then the command runs."""

from __future__ import annotations


def main() -> None:
    from .process import relaunch

    relaunch()  # before the command line's imports: the new start pays for nothing twice
    from .cli import main as run

    run()


if __name__ == "__main__":
    main()

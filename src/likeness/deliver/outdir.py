"""The output folder of a run: checked before any work, and never mixed with an earlier run.

Chosen behaviour: a folder that already holds a run's report (``report.json``,
``report.html`` or ``contact-sheet.jpg``) is refused, unless the caller asks to
``overwrite`` it; then the earlier run's files (its report, contact sheet and the
headshots its report lists) are removed first, so the folder and the new report agree.
Nothing else in the folder is touched: an unrelated non-empty folder (say, the photos'
own folder) is used as it is. A path that is a file, lies under a file, or cannot be
written is refused at once, before the photos are read.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

from ..errors import OptionError, storage_error

#: What a studio run writes besides its headshots: its presence means "an earlier run".
RUN_FILES = ("report.json", "report.html", "contact-sheet.jpg")


class OutputFolderError(OptionError):
    """The output folder (``-o``) cannot be used: a file, read-only, or an earlier run."""

    code = "bad_output_folder"


def prepare_out_dir(out: str | os.PathLike, *, overwrite: bool) -> Path:
    """``out`` created and writable, with no earlier run in it (removed when
    ``overwrite``). Raises :class:`OutputFolderError` (or ``DiskFullError``) before any
    work is done."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out} is a file, not a folder.",
                                hint="Give -o a folder (it is created when missing).", path=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        _probe(out)
    except (FileExistsError, NotADirectoryError):
        raise OutputFolderError(f"{out} cannot be created: a part of its path is a file.",
                                hint="Give -o a folder whose parents are folders.", path=str(out)) from None
    except OSError as exc:
        mapped = storage_error(exc, where=str(out))
        if mapped is None:
            raise
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise OutputFolderError(f"{out} cannot be written: it is read-only, or this user has no permission.",
                                    hint="Choose another folder with -o.", path=str(out)) from None
        raise mapped from exc  # a full disk: DiskFullError
    earlier = earlier_run(out)
    if earlier:
        if not overwrite:
            raise OutputFolderError(
                f"{out} already holds the results of an earlier run ({len(earlier)} files).",
                hint="Add --overwrite to replace them, or choose another folder with -o.",
                path=str(out), files=len(earlier),
            )
        for p in earlier:
            p.unlink(missing_ok=True)
    return out


def earlier_run(out: Path) -> list[Path]:
    """The files of the run whose report is in ``out``: the report, the contact sheet and
    every headshot it lists (only plain names inside ``out``). Empty: no earlier run."""
    found = [out / n for n in RUN_FILES if (out / n).is_file()]
    if not found:
        return []
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    names = [h.get("file") for h in report.get("headshots") or [] if isinstance(h, dict)]
    names.append(report.get("contact_sheet"))
    for name in names:
        # A report is not trusted with paths: only a bare file name in this folder.
        if isinstance(name, str) and name and name == Path(name).name and not name.startswith("."):
            p = out / name
            if p.is_file() and p not in found:
                found.append(p)
    return found


def _probe(out: Path) -> None:
    """Create and remove a file: the only sure test that the folder takes new files."""
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".likeness-probe-")
    os.close(fd)
    os.unlink(tmp)

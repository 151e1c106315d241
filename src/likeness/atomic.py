"""Files written whole or not at all: a temporary file beside the target, renamed onto
it (``os.replace`` is atomic on one file system). Every file the project writes goes
through :func:`atomic_write` (or :func:`atomic_path` for a writer that needs a name)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import storage_error


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that needs a file name (a zip);
    renamed to ``path`` when the block ends, removed if it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes, *, mode: int = 0o666) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    ``os.replace`` is atomic on one file system, so ``path`` holds either the old
    content or the new one, never a part. The temporary name starts with a dot and
    ends in ``.part`` so a crash leaves something obviously incomplete; any error
    removes it. A full disk or a read-only folder raises the
    :class:`~likeness.errors.StorageError` that says so. ``mode`` goes through the
    umask as for a normal ``open``. The one atomic writer of the project.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise (storage_error(exc) or exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        # Clean up and re-raise: the caller must still see the failure (a full disk
        # or a read-only folder as the StorageError that says so).
        tmp.unlink(missing_ok=True)
        mapped = storage_error(exc) if isinstance(exc, OSError) else None
        if mapped is not None:
            raise mapped from exc
        raise
    return path

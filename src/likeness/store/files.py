"""The file store: every file of a session lives under ``home/sessions/<id>/``.

File names are always made here from server ids; a client's file name is never used
in a path. Every path handed out is checked to stay inside the session folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import storage_error
from .db import ID_PATTERN

_ID = re.compile(ID_PATTERN)
_REL = re.compile(r"^[A-Za-z0-9_.\-/]{1,300}$")

#: Decoded image format → the suffix we store it under (what the library expects).
SUFFIX = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIF": ".heic",
          "TIFF": ".tif", "BMP": ".bmp", "GIF": ".gif"}


class FileStore:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "sessions"
        self.tmp = self.home / "tmp"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise (storage_error(exc) or exc) from exc

    # --- paths ---------------------------------------------------------------------

    def session_dir(self, session_id: str) -> Path:
        if not _ID.match(session_id or ""):
            raise ValueError(f"not a session id: {session_id!r}")
        return self.root / session_id

    def photo_path(self, session_id: str, file: str) -> Path:
        return self.resolve(session_id, f"photos/{file}")

    def preview_path(self, session_id: str, photo_id: str) -> Path:
        return self.resolve(session_id, f"previews/{photo_id}.jpg")

    def run_dir(self, session_id: str, job_id: str) -> Path:
        if not _ID.match(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.session_dir(session_id) / "runs" / job_id

    def resolve(self, session_id: str, rel: str) -> Path:
        """``rel`` (a path we stored) inside the session folder; refuses to leave it."""
        base = self.session_dir(session_id)
        if not _REL.match(rel) or ".." in rel.split("/"):
            raise ValueError(f"refusing a stored path: {rel!r}")
        path = (base / rel).resolve()
        if not path.is_relative_to(base.resolve()):
            raise ValueError(f"refusing a path outside the session: {rel!r}")
        return path

    def relative(self, session_id: str, path: Path) -> str:
        """A path the library wrote, as stored: relative to the session folder."""
        base = self.session_dir(session_id).resolve()
        return Path(path).resolve().relative_to(base).as_posix()

    # --- writing -------------------------------------------------------------------

    def write_bytes(self, path: Path, data: bytes) -> Path:
        """Atomic write (:func:`likeness.atomic.atomic_write`): a reader never
        sees half a file, a crash leaves no stub; a full disk or a read-only folder
        raises StorageError, leaving nothing behind."""
        from ..atomic import atomic_write

        return atomic_write(path, data, mode=0o600)  # people's photos: readable by this user only

    def check_writable(self) -> None:
        """Raise StorageError now when the data folder cannot take a new file (read-only,
        no permission, disk full), instead of at the first upload."""
        try:
            fd, tmp = tempfile.mkstemp(dir=self.tmp, prefix=".probe-")
            try:
                _write(fd, b"likeness")
            finally:
                os.unlink(tmp)
        except OSError as exc:
            raise (storage_error(exc) or exc) from exc

    # --- deleting ------------------------------------------------------------------

    def remove_session(self, session_id: str) -> bool:
        """Delete the session's folder; True when nothing of it is left on disk."""
        d = self.session_dir(session_id)
        shutil.rmtree(d, ignore_errors=True)
        if d.exists():  # a file written meanwhile by a job that was still finishing
            shutil.rmtree(d, ignore_errors=True)
        return not d.exists()

    def remove_tree(self, path: Path) -> None:
        path = Path(path).resolve()
        if not path.is_relative_to(self.root.resolve()) and not path.is_relative_to(self.tmp.resolve()):
            raise ValueError(f"refusing to delete outside the store: {path}")
        shutil.rmtree(path, ignore_errors=True)

    def session_ids_on_disk(self) -> list[str]:
        return [p.name for p in self.root.iterdir() if p.is_dir() and _ID.match(p.name)]

    def files_of(self, session_id: str) -> list[Path]:
        d = self.session_dir(session_id)
        return [p for p in d.rglob("*") if p.is_file()] if d.exists() else []


def _write(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` and close it (the one place file bytes are
    written, so tests can make the disk "full" here)."""
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)

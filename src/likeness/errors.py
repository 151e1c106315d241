"""One error hierarchy for the whole library.

Every error says what happened *and what to do about it*, and carries the data a UI
needs to coach (the number of faces found, the offending value, ...). The CLI and the
web server map these classes to exit codes and HTTP statuses in one place each
(``cli/__init__.py`` and ``server/errors.py``); nothing else decides that mapping.
"""

from __future__ import annotations

import errno
from typing import Any


class LikenessError(Exception):
    """Base class. ``message`` is a full sentence for a person; ``hint`` says what to do."""

    #: HTTP status the server answers with; the CLI maps classes to exit codes.
    http_status: int = 400
    #: short machine-readable code, stable across versions (used in JSON output).
    code: str = "error"

    def __init__(self, message: str, *, hint: str = "", **data: Any) -> None:
        self.message = message
        self.hint = hint
        self.data = data
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hint": self.hint, **self.data}


# --- input -----------------------------------------------------------------------


class InputError(LikenessError):
    """The user's input cannot be used (bad file, bad option)."""

    code = "bad_input"
    http_status = 422


class ImageReadError(InputError):
    """A file is not an image we can decode (corrupt, truncated, unknown format)."""

    code = "unreadable_image"


class ImageTooLargeError(InputError):
    """A file decodes to more pixels than the configured limit (decompression bomb)."""

    code = "image_too_large"
    http_status = 413


class ImplausibleImageError(ImageTooLargeError):
    """The header claims far more pixels than the file's size can hold (a forged header
    or a decompression bomb): refused before any pixel is decoded."""

    code = "implausible_image"


class ImageTooSmallError(InputError):
    code = "image_too_small"


class OptionError(InputError):
    """An unknown Look, framing preset, backend or other option value."""

    code = "bad_option"


class FaceError(InputError):
    """No usable face, or not the one face we need. Carries ``faces`` (count found)."""

    code = "face"


class NoFaceError(FaceError):
    code = "no_face"


class ManyFacesError(FaceError):
    code = "many_faces"


class NotEnoughPhotosError(InputError):
    """The set of photos is not good enough for the asked work."""

    code = "not_enough_photos"


# --- environment ------------------------------------------------------------------


class ModelMissingError(LikenessError):
    """A downloadable model is not in the model store. The hint names the pull command."""

    code = "model_missing"
    http_status = 503


class DeviceError(LikenessError):
    code = "device"
    http_status = 503


# --- server/session ---------------------------------------------------------------


class NotFoundError(LikenessError):
    code = "not_found"
    http_status = 404


class PermissionDeniedError(LikenessError):
    code = "forbidden"
    http_status = 403


# --- storage ------------------------------------------------------------------------


class StorageError(LikenessError):
    """A file or record could not be written: a read-only folder, no permission, or a
    data folder another process is using. Nothing half-written is kept."""

    code = "storage"
    http_status = 503


class DiskFullError(StorageError):
    """The disk (or the user's quota) is full."""

    code = "disk_full"
    http_status = 507


_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite primary result codes (``sqlite3.Error.sqlite_errorcode & 0xff``).
_SQLITE_FULL, _SQLITE_READ_ONLY = 13, {3, 8, 14}  # FULL; PERM, READONLY, CANTOPEN


def storage_error(exc: BaseException, *, where: str | None = None) -> StorageError | None:
    """The :class:`StorageError` an ``OSError`` or a database error stands for, or None
    when it is something else (a bug, a missing file). ``where`` names the folder in
    the message: give it on the command line, never in a web answer (server paths)."""
    if isinstance(exc, StorageError):
        return exc
    full = read_only = False
    inner = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    if isinstance(exc, OSError):
        full, read_only = exc.errno in _FULL_ERRNOS, exc.errno in _READ_ONLY_ERRNOS
    elif type(inner).__module__.startswith("sqlite3"):
        code = (getattr(inner, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(inner).lower()
        full = code == _SQLITE_FULL or "disk is full" in text
        read_only = code in _SQLITE_READ_ONLY or "readonly database" in text or "unable to open database" in text
    place = f"the disk holding {where}" if where else "the disk"
    if full:
        return DiskFullError(f"No space is left on {place}.",
                             hint="Free some space (or ask the administrator to), then try again.", errno="ENOSPC")
    if read_only:
        what = f"{where} cannot be used" if where else "The data folder cannot be written"
        return StorageError(f"{what}: it is read-only, or this user has no permission.",
                            hint="Make the folder writable for this user, or choose another folder.")
    return None

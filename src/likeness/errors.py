"""One error hierarchy for the whole library.

Every error says what happened *and what to do about it*, and carries the data a UI
needs to coach (the number of faces found, the offending value, ...). The CLI and the
web server map these classes to exit codes and HTTP statuses in one place each
(``cli/__init__.py`` and ``server/errors.py``); nothing else decides that mapping.
"""

from __future__ import annotations

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

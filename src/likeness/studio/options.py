"""The studio's options, resolved and validated once into one frozen object.

``studio()``, ``make_headshot()`` and ``render()`` all take a :class:`StudioSettings`;
the keyword options of the public functions are resolved here, in one place, before
any work: the Look is loaded once, the framing preset looked up once, the retouch
strength taken from the option or the Look once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import defaults
from ..errors import OptionError
from ..looks import Look, load_look
from . import frame as framing

FORMATS = ("jpg", "png", "webp")
#: ``--backdrop own``: the person's own background, blurred as by a wide aperture.
OWN_BACKDROP = "own"


@dataclass(frozen=True)
class StudioSettings:
    """Everything that decides a studio headshot, validated."""

    look: Look
    preset: framing.FramePreset
    retouch: float  # 0–1, the option or the Look's
    format: str = "jpg"  # one of FORMATS
    sign: bool = False
    quality: int = 92  # JPEG / WebP quality

    def __post_init__(self) -> None:
        if isinstance(self.retouch, bool) or not isinstance(self.retouch, (int, float)) or not 0.0 <= self.retouch <= 1.0:
            raise OptionError(f"Retouch strength {self.retouch!r} is out of range.", hint="Use a number from 0 (off) to 1.")
        if self.format not in FORMATS:
            raise OptionError(f"Unknown format {self.format!r}.", hint="Choose one of: " + ", ".join(FORMATS) + ".")
        if not isinstance(self.quality, int) or not 1 <= self.quality <= 100:
            raise OptionError(f"Quality {self.quality!r} is out of range.", hint="Use a whole number from 1 to 100.")

    @classmethod
    def resolve(
        cls,
        *,
        look: str | Look = defaults.LOOK,
        frame: str | None = None,
        retouch: float | None = None,
        format: str = "jpg",  # noqa: A002 - the CLI's --format
        sign: bool = False,
        quality: int = 92,
    ) -> StudioSettings:
        """Keyword options (as the CLI and the API take them) → settings."""
        look = load_look(look)
        fmt = str(format).lower().lstrip(".")
        return cls(
            look=look,
            preset=framing.get_preset(frame or look.frame),
            retouch=look.retouch if retouch is None else retouch,
            format="jpg" if fmt == "jpeg" else fmt,
            sign=bool(sign),
            quality=quality,
        )

    def to_dict(self) -> dict[str, Any]:
        """What is recorded with each output (report, file metadata)."""
        return {
            "look": self.look.to_dict(),
            "frame": self.preset.name,
            "size": list(self.preset.size),
            "retouch": self.retouch,
            "format": self.format,
        }


def with_backdrop(look: Look, backdrop: str | os.PathLike | None) -> Look:
    """``look`` on another backdrop: ``"own"`` (the person's own background, blurred as
    by a wide aperture: an environmental portrait) or the path of a photo of a place
    (its light and colour matched to the subject's, blurred by depth of field). The
    Look's backdrop light and vignette stay; no cast shadow (the place is far behind)."""
    if backdrop is None:
        return look
    b = look.backdrop
    if str(backdrop) == OWN_BACKDROP:
        return replace(look, backdrop=replace(b, kind="blur", blur=max(b.blur, 0.03), shadow=0.0))
    path = Path(backdrop).expanduser()
    if not path.is_file():
        from ..errors import ImageReadError

        raise ImageReadError(f"{backdrop}: no such backdrop photo.", hint="Give the path of a photo of a place, or 'own'.",
                             file=str(backdrop))
    return replace(look, backdrop=replace(b, kind="image", image=str(path), blur=max(b.blur, 0.02), shadow=0.0))


def settings_from(settings: StudioSettings | None, **options: Any) -> StudioSettings:
    """``settings`` as given, or resolved from keyword ``options``; both is an error
    (one of them would be silently ignored)."""
    given = {k: v for k, v in options.items() if v is not None}
    if settings is None:
        return StudioSettings.resolve(**given)
    if given:
        raise OptionError(
            "Give either settings or the separate options (" + ", ".join(sorted(given)) + "), not both.",
            hint="Put every option in StudioSettings.resolve(...).",
        )
    if not isinstance(settings, StudioSettings):
        raise OptionError(f"settings must be a StudioSettings, got {type(settings).__name__}.",
                          hint="Build it with StudioSettings.resolve(look=..., frame=...).")
    return settings

"""Looks: named, versioned presets (TOML) read by the studio, generate and team.

A Look fixes the framing, backdrop, light, retouch strength and grade, and for the
generator the attire, setting and light words. Built-in Looks ship beside this file;
users add their own as ``$LIKENESS_HOME/looks/NAME.toml`` (default ``~/.likeness``) or
pass a file path. Loading validates every key and value; an unknown key or Look name
is an :class:`~likeness.errors.OptionError` that lists what is valid.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import defaults
from ..errors import OptionError
from .settings import BackdropSettings, GradeSettings, LightSettings, get_preset

BUILTIN_DIR = Path(__file__).resolve().parent
_SECTIONS = {"frame", "backdrop", "light", "retouch", "grade", "generate"}
_TOP = {"name", "version", "description"}


@dataclass(frozen=True)
class GenerateWords:
    """Words the generator puts in its prompt for this Look."""

    attire: str = ""
    setting: str = ""
    light: str = ""


@dataclass(frozen=True)
class Look:
    name: str
    version: str
    description: str = ""
    frame: str = defaults.FRAME
    backdrop: BackdropSettings = field(default_factory=BackdropSettings)
    light: LightSettings = field(default_factory=LightSettings)
    retouch: float = 0.35
    grade: GradeSettings = field(default_factory=GradeSettings)
    generate: GenerateWords = field(default_factory=GenerateWords)
    source: str = "built-in"  # where it was read from

    def for_black_and_white(self) -> Look:
        """This Look for a black-and-white photo: graded in black and white, and no
        white balance (a photo without colour has no light's colour to remove, and a
        skin tone cannot be made up)."""
        return replace(self, light=replace(self.light, white_balance=0.0), grade=replace(self.grade, mono=True))

    def to_dict(self) -> dict[str, Any]:
        """Everything that decides the result, for reports and file metadata."""
        d = asdict(self)
        d["retouch"] = {"strength": self.retouch}
        d["frame"] = {"preset": self.frame}
        return d


def user_dir() -> Path:
    from ..home import home

    return home() / "looks"


def _look_files() -> dict[str, Path]:
    """Name → file; user Looks override built-ins of the same name."""
    files = {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}
    udir = user_dir()
    if udir.is_dir():
        files.update({p.stem: p for p in sorted(udir.glob("*.toml"))})
    return files


def looks_names() -> list[str]:
    return sorted(_look_files())


def load_look(name_or_path: str | os.PathLike | Look) -> Look:
    """A Look by name (built-in or user folder) or from a TOML file path."""
    if isinstance(name_or_path, Look):
        return name_or_path
    text = str(name_or_path)
    path = Path(text).expanduser()
    if text.endswith(".toml") or os.sep in text or "/" in text:
        if not path.is_file():
            raise OptionError(f"Look file {text} does not exist.", hint="Check the path, or give a Look name.", value=text)
        return _read(path)
    files = _look_files()
    if text not in files:
        raise OptionError(
            f"Unknown Look {text!r}.",
            hint="Choose one of: " + ", ".join(sorted(files)) + " (or give a path to a .toml file).",
            value=text,
            valid=sorted(files),
        )
    return _read(files[text])


def list_looks() -> list[Look]:
    return [load_look(p) for _, p in sorted(_look_files().items())]


def _read(path: Path) -> Look:
    where = str(path) if path.parent != BUILTIN_DIR else f"built-in Look {path.stem}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OptionError(f"{where} is not valid TOML ({exc}).", hint="Fix the file; see the built-in Looks for examples.") from None
    return from_dict(data, where=where, default_name=path.stem)


def from_dict(data: dict[str, Any], *, where: str = "Look", default_name: str = "custom") -> Look:
    """Validate a parsed Look (TOML tables as dicts)."""
    bad = sorted(set(data) - _SECTIONS - _TOP)
    if bad:
        raise OptionError(
            f"Unknown key{'s' if len(bad) > 1 else ''} {', '.join(bad)} in {where}.",
            hint="A Look has: " + ", ".join(sorted(_TOP | _SECTIONS)) + ".",
            unknown=bad,
        )
    for sec in _SECTIONS:
        if sec in data and not isinstance(data[sec], dict):
            raise OptionError(f"[{sec}] in {where} must be a table.", hint=f"Write it as a [{sec}] section.")

    frame = data.get("frame", {})
    _only(frame, {"preset"}, f"[frame] of {where}")
    preset = str(frame.get("preset", defaults.FRAME))
    get_preset(preset)
    retouch = data.get("retouch", {})
    _only(retouch, {"strength"}, f"[retouch] of {where}")
    strength = retouch.get("strength", 0.35)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise OptionError(f"retouch strength {strength!r} in {where} is out of range.", hint="Use a number from 0 to 1.")
    gen = data.get("generate", {})
    _only(gen, {"attire", "setting", "light"}, f"[generate] of {where}")
    version = data.get("version", "1")
    if not isinstance(version, (str, int, float)):
        raise OptionError(f"version in {where} must be a string like \"1.0\".", hint="Write version = \"1.0\".")
    return Look(
        name=str(data.get("name", default_name)),
        version=str(version),
        description=str(data.get("description", "")),
        frame=preset,
        backdrop=BackdropSettings.from_dict(data.get("backdrop", {}), where=f"[backdrop] of {where}"),
        light=LightSettings.from_dict(data.get("light", {}), where=f"[light] of {where}"),
        retouch=float(strength),
        grade=GradeSettings.from_dict(data.get("grade", {}), where=f"[grade] of {where}"),
        generate=GenerateWords(**{k: str(v) for k, v in gen.items()}),
        source=where,
    )


def _only(table: dict[str, Any], keys: set[str], where: str) -> None:
    bad = sorted(set(table) - keys)
    if bad:
        raise OptionError(f"Unknown key {', '.join(bad)} in {where}.", hint="Valid: " + ", ".join(sorted(keys)) + ".")


__all__ = ["GenerateWords", "Look", "from_dict", "list_looks", "load_look", "looks_names", "user_dir"]

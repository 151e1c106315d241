"""The studio: a finished headshot from the person's own photo.

``frame`` → ``matte`` → ``backdrop`` → ``light`` → ``retouch`` → ``grade`` → deliver.
Each stage is a pure function of arrays plus a frozen settings dataclass; the pipeline
(:mod:`likeness.studio.pipeline`) is the one place that chains them. Importing this
package is cheap: the stages load on first use.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "studio": ("session", "studio"),
    "render": ("pipeline", "render"),
    "make_headshot": ("pipeline", "make_headshot"),
    "Rendered": ("pipeline", "Rendered"),
    "frame": ("frame", "frame"),
    "plan": ("frame", "plan"),
    "PRESETS": ("frame", "PRESETS"),
    "FramePreset": ("frame", "FramePreset"),
    "make_backdrop": ("backdrop", "make_backdrop"),
    "BackdropSettings": ("settings", "BackdropSettings"),
    "light": ("light", "light"),
    "LightSettings": ("settings", "LightSettings"),
    "grade": ("grade", "grade"),
    "GradeSettings": ("settings", "GradeSettings"),
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _StudioModule(__import__("types").ModuleType):
    """``likeness.studio`` is both this package and the verb: once the package is
    imported it shadows the lazy ``likeness.studio`` function, so calling the package
    calls :func:`likeness.studio.session.studio`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .session import studio

        return studio(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _StudioModule

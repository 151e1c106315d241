"""Likeness: professional headshots from ordinary photos that still look like the person.

The public API is the same verbs as the command line. Importing this package is cheap:
every heavy module (models, OpenCV, mediapipe) loads on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "check": ("likeness.intake", "check"),
    "studio": ("likeness.studio", "studio"),
    "generate": ("likeness.generate", "generate"),
    "review": ("likeness.review", "review"),
    "team": ("likeness.team", "team"),
    "load_photo": ("likeness.imageio", "load_photo"),
    "Look": ("likeness.looks", "Look"),
    "load_look": ("likeness.looks", "load_look"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'likeness' has no attribute {name!r}")

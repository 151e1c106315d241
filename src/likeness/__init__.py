"""Likeness: professional headshots from ordinary photos that still look like the person.

The public API is the same verbs as the command line. Importing this package is cheap:
every heavy module (models, OpenCV, mediapipe) loads on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# name → (module, attribute); None: the module itself. The verbs named like their
# packages (studio, generate, review, team) are those packages, which call their verb
# (likeness._callable): importing a package binds it on its parent, so a lazily
# returned function would be replaced by the package on the next access.
_LAZY = {
    "check": ("likeness.intake", "check"),
    "studio": ("likeness.studio", None),
    "generate": ("likeness.generate", None),
    "review": ("likeness.review", None),
    "team": ("likeness.team", None),
    "load_photo": ("likeness.imageio", "load_photo"),
    "Look": ("likeness.looks", "Look"),
    "load_look": ("likeness.looks", "load_look"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        found = importlib.import_module(mod)
        return found if attr is None else getattr(found, attr)
    from ._callable import submodule

    return submodule(__name__, name)  # likeness.faces, likeness.color ...: imported on first use

"""Let a package double as its main verb: ``likeness.team(...)`` after ``import likeness.team``.

``likeness.studio`` is both the package and the function the public API promises;
once the package is imported, Python binds the package object on ``likeness``, hiding
the function. The package's module class is swapped for one whose call forwards to
the verb, so both spellings keep working.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def make_callable(module_name: str, target: str) -> None:
    """``target``: "submodule:function" inside the package, imported on first call."""
    mod = sys.modules[module_name]
    sub, fn = target.split(":")

    class _Callable(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(f"{module_name}.{sub}"), fn)(*args, **kwargs)

    mod.__class__ = _Callable

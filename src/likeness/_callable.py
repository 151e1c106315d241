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


def lazy_getattr(module_name: str, table: dict[str, tuple[str, str]]):
    """A package's module ``__getattr__``: ``table[name] = (submodule, attribute)`` is
    imported on first use, so importing the package stays cheap; any other name that is
    one of the package's modules (``likeness.studio.light``) is that module, imported
    on first use too."""

    def __getattr__(name: str) -> Any:
        if name in table:
            sub, attr = table[name]
            return getattr(importlib.import_module(f"{module_name}.{sub}"), attr)
        return submodule(module_name, name)

    return __getattr__


def submodule(package: str, name: str) -> types.ModuleType:
    """The module ``package.name``, imported; AttributeError where there is none (a
    package's ``__getattr__`` is asked for every name it lacks, dunders included)."""
    import importlib.util

    if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
        return importlib.import_module(f"{package}.{name}")
    raise AttributeError(f"module {package!r} has no attribute {name!r}")

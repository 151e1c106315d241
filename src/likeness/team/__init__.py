"""Team mode: one locked Look for many people, consistent, resumable, scalable.

Importing this package is cheap (no numpy, OpenCV or models): a team worker process
imports it first and caps its thread pools before anything heavy loads.
"""

from __future__ import annotations

_LAZY = {
    "Member": ("source", "Member"),
    "read_source": ("source", "read_source"),
    "TeamResult": ("run", "TeamResult"),
    "load_lock": ("run", "load_lock"),
    "run_team": ("run", "run_team"),
    "team": ("run", "run_team"),
}

__all__ = list(_LAZY)

from .._callable import lazy_getattr, make_callable  # noqa: E402

__getattr__ = lazy_getattr(__name__, _LAZY)
make_callable(__name__, "run:run_team")

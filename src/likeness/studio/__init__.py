"""The studio: a finished headshot from the person's own photo.

``frame`` → ``matte`` → ``backdrop`` → ``light`` → ``retouch`` → ``grade`` → deliver.
Each stage is a pure function of arrays plus a frozen settings dataclass; the pipeline
(:mod:`likeness.studio.pipeline`) is the one place that chains them. Importing this
package is cheap: the stages load on first use.
"""

from __future__ import annotations

_LAZY = {
    "studio": ("session", "studio"),
    "render": ("pipeline", "render"),
    "make_headshot": ("pipeline", "make_headshot"),
    "Rendered": ("pipeline", "Rendered"),
    "StudioSettings": ("options", "StudioSettings"),
    "plan": ("frame", "plan"),
    "make_backdrop": ("backdrop", "make_backdrop"),
}
# Stage modules (``frame``, ``light``, ``grade``, ...) are imported as modules; names
# that would shadow them are not exported here. Settings and framing presets live with
# the Looks (``likeness.looks.settings``).

__all__ = list(_LAZY)

from .._callable import lazy_getattr, make_callable  # noqa: E402

__getattr__ = lazy_getattr(__name__, _LAZY)
make_callable(__name__, "session:studio")

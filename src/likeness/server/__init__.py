"""``likeness serve``: a local web page and a REST API over the same library.

``create_app()`` builds the FastAPI app; importing this package loads nothing heavy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Photo intake: quality measures, coaching, identity consistency, selection."""

from __future__ import annotations

# inspection.py keeps its heavy imports (OpenCV, the face models) inside the functions,
# so importing the package stays cheap.
from .inspection import check

__all__ = ["check"]

"""Photo intake: quality measures, coaching, identity consistency, selection."""

from __future__ import annotations

# check.py keeps its heavy imports (OpenCV, the face models) inside the functions, so
# importing the package stays cheap; importing the function here also keeps the name
# ``likeness.intake.check`` bound to the function rather than to the submodule.
from .check import check

__all__ = ["check"]

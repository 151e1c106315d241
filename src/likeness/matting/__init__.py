"""Matting: person segmentation, edge refinement, alpha and foreground colours.

Public API: :func:`matte` (the studio's cut-out), :func:`foreground` (its edge
colours alone, for a caller that works them out beside other steps) and
:func:`segment` (raw person probability). Nothing heavy is imported here: the segmentation model loads on first
use, once per thread.
"""

from __future__ import annotations

from .pipeline import Matte, MatteSettings, foreground, matte
from .segmentation import segment

__all__ = ["Matte", "MatteSettings", "foreground", "matte", "segment"]

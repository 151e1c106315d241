"""The one folder Likeness keeps its own things in: ``$LIKENESS_HOME``, by default
``~/.likeness`` (the web app's store, signing keys, user Looks, pulled models, and the
derived model cache of :mod:`likeness.faces.opencv_zoo`). Nothing here touches the disk."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """``$LIKENESS_HOME`` (``~`` expanded), or ``~/.likeness`` when it is unset or empty."""
    root = os.environ.get("LIKENESS_HOME")
    return Path(root).expanduser() if root else Path.home() / ".likeness"

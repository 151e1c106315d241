"""Where the shared real-photo evaluation set lies (``../shared/eval`` beside the
project), for tests that read it. Tests that need it skip cleanly where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def need(*parts: str) -> Path:
    """``EVAL / parts``, or skip the calling test where it is not present."""
    p = EVAL.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared evaluation set not present ({p})")
    return p

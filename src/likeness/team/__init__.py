"""Team mode: one locked Look for many people, consistent, resumable, scalable."""

from __future__ import annotations

from .run import TeamResult, load_lock, run_team
from .source import Member, read_source

team = run_team

__all__ = ["Member", "TeamResult", "load_lock", "read_source", "run_team", "team"]


from .._callable import make_callable  # noqa: E402

make_callable(__name__, "run:run_team")

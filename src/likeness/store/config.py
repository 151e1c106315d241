"""Where the server keeps things and for how long: one frozen settings object.

Every value has an environment variable so that ``likeness serve`` and ``likeness
forget`` (two processes) agree without flags. Nothing here touches the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DAY = 86_400.0


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def default_home() -> Path:
    from ..home import home

    return home()


def _default_workers() -> int:
    # Two lanes at least: one keeps live coaching responsive while the other runs a
    # studio job; more only where there are cores to feed them.
    return max(2, min(4, (os.cpu_count() or 2) // 2))


@dataclass(frozen=True)
class StoreSettings:
    """Storage, limits and retention. ``db_url`` may be any SQLAlchemy URL
    (``postgresql+psycopg://...``); the default is SQLite (WAL) inside ``home``."""

    home: Path = field(default_factory=default_home)
    db_url: str = ""
    retention_days: float = 7.0
    purge_every_s: float = 3600.0
    max_upload_bytes: int = 30 * 1024 * 1024
    max_photos: int = 30  # per session
    max_members: int = 500  # per team
    # New sessions and teams per client address in a sliding window: a page elsewhere
    # cannot read the answer of a cross-site POST, but each one would cost a record.
    max_new_sessions: int = 60
    new_sessions_window_s: float = 600.0
    workers: int = field(default_factory=_default_workers)
    max_attempts: int = 3  # a job that stops the server this often is failed, not retried
    shutdown_grace_s: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().resolve())
        if not self.db_url:
            object.__setattr__(self, "db_url", f"sqlite:///{self.home / 'likeness.db'}")
        if self.retention_days <= 0:
            raise ValueError("retention_days must be positive")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    @property
    def retention_s(self) -> float:
        return self.retention_days * DAY

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @classmethod
    def from_env(cls, **overrides) -> StoreSettings:
        """Settings from ``LIKENESS_*`` environment variables, then ``overrides``."""
        base = cls(
            home=default_home(),
            db_url=os.environ.get("LIKENESS_DB_URL", ""),
            retention_days=_env_float("LIKENESS_RETENTION_DAYS", 7.0),
            purge_every_s=_env_float("LIKENESS_PURGE_EVERY_S", 3600.0),
            max_upload_bytes=_env_int("LIKENESS_MAX_UPLOAD_MB", 30) * 1024 * 1024,
            max_photos=_env_int("LIKENESS_MAX_PHOTOS", 30),
            max_new_sessions=_env_int("LIKENESS_MAX_NEW_SESSIONS", 60),
            workers=_env_int("LIKENESS_WORKERS", _default_workers()),
        )
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if "home" in overrides and "db_url" not in overrides and not os.environ.get("LIKENESS_DB_URL"):
            overrides["db_url"] = ""  # follow the new home
        return replace(base, **overrides) if overrides else base

"""The database: schema and transactions (SQLAlchemy Core).

SQLite in WAL mode is the default; any SQLAlchemy URL (``LIKENESS_DB_URL``, e.g.
PostgreSQL) works with the same code because only portable Core constructs are used.
Write transactions on SQLite start with ``BEGIN IMMEDIATE`` so that a read followed
by a write can never fail half-way with "database is locked" under concurrency.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..errors import storage_error

ID_LEN = 16  # secrets.token_urlsafe(12): 96 random bits
ID_PATTERN = r"^[A-Za-z0-9_-]{16}$"

metadata = MetaData()

teams = Table(
    "teams",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("look", String(100), nullable=False),
    Column("frame", String(40), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("team_id", String(32), index=True),
    Column("label", String(200)),  # a team member's name; display only
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("set_check", Text),  # JSON: the latest whole-set check
)

photos = Table(
    "photos",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(32), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("name", String(200), nullable=False),  # the client's file name: display only
    Column("file", String(64), nullable=False),  # server-made file name
    Column("format", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(12), nullable=False),  # checking | checked | failed
    Column("check", Text),  # JSON
    Column("usable", Boolean),
    Column("created_at", Float, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(32), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # check | check_set | studio
    Column("payload", Text, nullable=False),
    Column("state", String(12), nullable=False, index=True),  # queued|running|done|failed|cancelled
    Column("priority", Integer, nullable=False),  # lower runs first
    Column("seq", Integer, nullable=False),  # enqueue order (ties on created_at)
    Column("claim", String(32)),  # the token of the worker that owns a running job
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("result", Text),  # JSON
    Column("error", Text),  # JSON (LikenessError.to_dict())
)

job_events = Table(  # an audit trail: proves each job completed exactly once
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), nullable=False, index=True),
    Column("session_id", String(32), nullable=False, index=True),
    Column("event", String(16), nullable=False),  # queued|claimed|requeued|done|failed
    Column("claim", String(32)),
    Column("at", Float, nullable=False),
)

headshots = Table(
    "headshots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(32), nullable=False, index=True),
    Column("job_id", String(32), nullable=False, index=True),
    Column("idx", Integer, nullable=False),
    Column("file", String(300), nullable=False),  # relative to the session folder
    Column("preview", String(300), nullable=False),
    Column("source_photo", String(32)),
    Column("look", String(100), nullable=False),
    Column("frame", String(40), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("likeness", Float),
    Column("info", Text),  # JSON: notes, measures, identity distance, source type
)

#: Tables whose rows belong to one session (all carry ``session_id``).
SESSION_TABLES = (photos, jobs, job_events, headshots)


def new_id() -> str:
    """A random id (``ID_PATTERN``) that never starts with "-": a session or team id is
    typed on the command line (``likeness forget ID``), where a leading "-" reads as an
    option (1 id in 64 did)."""
    while True:
        i = secrets.token_urlsafe(12)
        if not i.startswith("-"):
            return i


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def loads(text: str | None) -> Any:
    return None if text in (None, "") else json.loads(text)


class Database:
    """An engine plus the two kinds of transaction the store uses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kw: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            kw["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kw["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kw)
        # One writer at a time inside this process: SQLite serialises writers anyway,
        # and queueing here is cheaper than spinning on SQLITE_BUSY.
        self._write_lock = threading.Lock() if self.is_sqlite else contextlib.nullcontext()
        if self.is_sqlite:
            self._sqlite_pragmas()
        with _storage_errors():
            metadata.create_all(self.engine)

    def _sqlite_pragmas(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, not just unlinked: after `forget`
            # (and the checkpoint below) no name or id is left in the database files.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("likeness_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with _storage_errors(), self.engine.connect() as conn:
            yield conn
            conn.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception.
        A full disk or a read-only database raises :class:`~likeness.errors.StorageError`."""
        with self._write_lock, _storage_errors():
            with self.engine.connect().execution_options(likeness_write=True) as conn:
                with conn.begin():
                    yield conn

    def checkpoint(self, *, attempts: int = 40) -> bool:
        """Copy the write-ahead log into the main file and truncate it to zero bytes, so
        rows deleted (and zeroed) in the main file leave no older copy in the log. True
        when the log was emptied; readers still busy make it retry briefly."""
        if not self.is_sqlite:
            return True
        for _ in range(attempts):
            with self._write_lock, _storage_errors():
                raw = self.engine.raw_connection()
                try:
                    cur = raw.cursor()
                    busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    cur.close()
                finally:
                    raw.close()
            if not busy:
                return True
            time.sleep(0.05)
        return False

    def dispose(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    """A full disk or a read-only database file becomes a StorageError (HTTP 507/503,
    exit code 6) instead of a driver traceback."""
    try:
        yield
    except (DBAPIError, OSError) as exc:
        mapped = storage_error(exc)
        if mapped is None:
            raise
        raise mapped from exc

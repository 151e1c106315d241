"""Deletion and retention: ``forget`` removes every row and file of a session, and
says so only after checking the database and the disk.

Expired sessions (``expires_at`` passed; default 7 days after creation) and teams are
purged when the server starts and then periodically; folders on disk without a
session row (left by a crash between the two deletions) are swept at the same time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from ..errors import LikenessError, NotFoundError
from .db import SESSION_TABLES, sessions, teams
from .records import Store


class ForgetIncompleteError(LikenessError):
    code = "forget_incomplete"
    http_status = 500


@dataclass(frozen=True)
class Forgotten:
    session_id: str
    rows: int  # rows deleted across all tables
    files: int  # files that were on disk
    verified: bool  # no row and no file of the session remains


def leftovers(store: Store, session_id: str) -> tuple[int, int]:
    """(rows, files) still stored for a session: (0, 0) after a complete forget."""
    with store.db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(sessions).where(sessions.c.id == session_id)).scalar_one()
        for t in SESSION_TABLES:
            rows += conn.execute(select(func.count()).select_from(t).where(t.c.session_id == session_id)).scalar_one()
    d = store.files.session_dir(session_id)
    files = len(store.files.files_of(session_id)) + (1 if d.exists() else 0)
    return int(rows), files


def forget_session(store: Store, session_id: str, *, missing_ok: bool = False) -> Forgotten:
    """Delete every row and file of one session, then verify that nothing is left."""
    try:
        store.files.session_dir(session_id)  # validates the id's shape
    except ValueError:
        raise NotFoundError(f"{session_id!r} is not a session id.", hint="Session ids are 16 characters.") from None
    exists = store.session(session_id) is not None
    if not exists and not missing_ok and not store.files.session_dir(session_id).exists():
        raise NotFoundError(f"There is no session {session_id}.", hint="It may have expired and been deleted already.")
    n_files = len(store.files.files_of(session_id))
    rows = 0
    with store.db.write() as conn:
        for t in SESSION_TABLES:
            rows += conn.execute(delete(t).where(t.c.session_id == session_id)).rowcount
        rows += conn.execute(delete(sessions).where(sessions.c.id == session_id)).rowcount
    store.files.remove_session(session_id)
    # The deleted rows are zeroed in the main file (secure_delete); emptying the
    # write-ahead log removes the copies it still holds.
    store.db.checkpoint()
    left_rows, left_files = leftovers(store, session_id)
    if left_rows or left_files:
        raise ForgetIncompleteError(
            f"Session {session_id} could not be deleted completely ({left_rows} records, {left_files} files left).",
            hint="Stop the server and run `likeness forget` again.",
            rows=left_rows, files=left_files,
        )
    return Forgotten(session_id, rows, n_files, verified=True)


def forget_team(store: Store, team_id: str) -> list[Forgotten]:
    """Delete a team and every member's session."""
    if store.team(team_id) is None:
        raise NotFoundError(f"There is no team {team_id}.", hint="It may have expired and been deleted already.")
    out = [forget_session(store, m["id"], missing_ok=True) for m in store.team_members(team_id)]
    with store.db.write() as conn:
        conn.execute(delete(teams).where(teams.c.id == team_id))
    store.db.checkpoint()
    return out


def purge_expired(store: Store, *, now: float | None = None) -> list[str]:
    """Forget every expired session and team, and every orphaned folder. Returns the
    session ids removed."""
    now = time.time() if now is None else now
    with store.db.read() as conn:
        expired = [r.id for r in conn.execute(select(sessions.c.id).where(sessions.c.expires_at <= now)).all()]
        expired_teams = [r.id for r in conn.execute(select(teams.c.id).where(teams.c.expires_at <= now)).all()]
        known = {r.id for r in conn.execute(select(sessions.c.id)).all()}
    gone = [forget_session(store, sid, missing_ok=True).session_id for sid in expired]
    for tid in expired_teams:
        gone += [f.session_id for f in forget_team(store, tid)]
    for sid in store.files.session_ids_on_disk():
        if sid not in known and sid not in gone:
            store.files.remove_session(sid)
            gone.append(sid)
    return gone

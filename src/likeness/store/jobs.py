"""A job queue in the database that survives a restart.

A job moves ``queued → running → done | failed``. Claiming is a compare-and-set on
``state='queued'`` and completion a compare-and-set on ``(state='running', claim)``,
so a job is owned by exactly one worker and completes exactly once, even with several
processes on one PostgreSQL database. A job's outputs are written by the same
transaction that marks it done (rows) or into a folder named after the job that a
re-run first empties (files): running a job twice can never leave two results.

Every transition is also written to ``job_events``; the restart test reads it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection

from .db import Database, dumps, job_events, jobs, loads, new_id

#: Lower runs first: live coaching before the set check before studio work.
PRIORITY = {"check": 0, "check_set": 1, "studio": 2}
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Job:
    id: str
    session_id: str
    kind: str
    payload: dict[str, Any]
    state: str
    claim: str | None
    attempts: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    done: int
    total: int
    result: Any
    error: Any

    @classmethod
    def from_row(cls, r: Any) -> Job:
        return cls(
            id=r.id, session_id=r.session_id, kind=r.kind, payload=loads(r.payload) or {},
            state=r.state, claim=r.claim, attempts=r.attempts, created_at=r.created_at,
            started_at=r.started_at, finished_at=r.finished_at, done=r.done, total=r.total,
            result=loads(r.result), error=loads(r.error),
        )


def _event(conn: Connection, job_id: str, session_id: str, what: str, claim: str | None = None) -> None:
    conn.execute(job_events.insert().values(job_id=job_id, session_id=session_id, event=what, claim=claim, at=time.time()))


class JobQueue:
    def __init__(self, db: Database, *, max_attempts: int = 3) -> None:
        self.db = db
        self.max_attempts = max_attempts
        self._listeners: list[Callable[[], None]] = []

    def on_enqueue(self, fn: Callable[[], None]) -> None:
        """``fn`` is called after a job is committed (wakes idle workers)."""
        self._listeners.append(fn)

    def notify(self) -> None:
        for fn in self._listeners:
            fn()

    # --- producers -----------------------------------------------------------------

    def enqueue(self, conn: Connection, session_id: str, kind: str, payload: dict[str, Any]) -> str:
        """Add a job inside the caller's write transaction (so it commits with the
        rows it belongs to); call :meth:`notify` after the commit."""
        if kind not in PRIORITY:
            raise ValueError(f"unknown job kind {kind!r}")
        job_id = new_id()
        seq = conn.execute(select(func.coalesce(func.max(jobs.c.seq), 0))).scalar_one() + 1
        conn.execute(jobs.insert().values(
            id=job_id, session_id=session_id, kind=kind, payload=dumps(payload), state="queued",
            priority=PRIORITY[kind], seq=seq, attempts=0, created_at=time.time(), done=0, total=0,
        ))
        _event(conn, job_id, session_id, "queued")
        return job_id

    # --- workers -------------------------------------------------------------------

    def claim(self, *, kinds: tuple[str, ...] | None = None) -> Job | None:
        """Take the next queued job (highest priority, oldest first), or None."""
        token = secrets.token_hex(8)
        for _ in range(5):  # another process may win the race for a row: try the next
            with self.db.write() as conn:
                q = select(jobs.c.id).where(jobs.c.state == "queued")
                if kinds:
                    q = q.where(jobs.c.kind.in_(kinds))
                row = conn.execute(q.order_by(jobs.c.priority, jobs.c.seq).limit(1)).first()
                if row is None:
                    return None
                res = conn.execute(
                    update(jobs)
                    .where(and_(jobs.c.id == row.id, jobs.c.state == "queued"))
                    .values(state="running", claim=token, attempts=jobs.c.attempts + 1,
                            started_at=time.time(), done=0, total=0)
                )
                if res.rowcount == 1:
                    job = conn.execute(select(jobs).where(jobs.c.id == row.id)).one()
                    _event(conn, job.id, job.session_id, "claimed", token)
                    return Job.from_row(job)
        return None

    def progress(self, job: Job, done: int, total: int) -> bool:
        """Record progress; False when the job is no longer this worker's (its
        session was deleted, or it was requeued): the worker should stop."""
        with self.db.write() as conn:
            res = conn.execute(
                update(jobs).where(and_(jobs.c.id == job.id, jobs.c.claim == job.claim, jobs.c.state == "running"))
                .values(done=int(done), total=int(total))
            )
            return res.rowcount == 1

    def still_mine(self, job: Job) -> bool:
        with self.db.read() as conn:
            row = conn.execute(select(jobs.c.state, jobs.c.claim).where(jobs.c.id == job.id)).first()
        return row is not None and row.state == "running" and row.claim == job.claim

    def finish(self, job: Job, result: Any, outputs: Callable[[Connection], None] | None = None) -> bool:
        """Mark done and write the job's rows in one transaction. False (and nothing
        written) when the job is no longer owned by this claim."""
        with self.db.write() as conn:
            res = conn.execute(
                update(jobs).where(and_(jobs.c.id == job.id, jobs.c.claim == job.claim, jobs.c.state == "running"))
                .values(state="done", finished_at=time.time(), result=dumps(result), error=None)
            )
            if res.rowcount != 1:
                return False
            if outputs is not None:
                outputs(conn)
            _event(conn, job.id, job.session_id, "done", job.claim)
            return True

    def fail(self, job: Job, error: dict[str, Any]) -> bool:
        with self.db.write() as conn:
            res = conn.execute(
                update(jobs).where(and_(jobs.c.id == job.id, jobs.c.claim == job.claim, jobs.c.state == "running"))
                .values(state="failed", finished_at=time.time(), error=dumps(error))
            )
            if res.rowcount == 1:
                _event(conn, job.id, job.session_id, "failed", job.claim)
            return res.rowcount == 1

    def cancel_queued(self, session_id: str) -> int:
        """Take a session's waiting jobs out of the queue (it is being deleted)."""
        with self.db.write() as conn:
            ids = [r.id for r in conn.execute(select(jobs.c.id).where(
                and_(jobs.c.session_id == session_id, jobs.c.state == "queued"))).all()]
            if ids:
                conn.execute(update(jobs).where(and_(jobs.c.id.in_(ids), jobs.c.state == "queued"))
                             .values(state="cancelled", finished_at=time.time()))
                for i in ids:
                    _event(conn, i, session_id, "cancelled")
        return len(ids)

    def cancel(self, job: Job) -> bool:
        """Cancel one job at the user's request: a queued one at once; a running one as
        its runner stops it (``job`` is then the runner's own claim)."""
        with self.db.write() as conn:
            cond = (jobs.c.state == "queued") if job.state == "queued" else and_(jobs.c.state == "running",
                                                                                jobs.c.claim == job.claim)
            res = conn.execute(update(jobs).where(and_(jobs.c.id == job.id, cond))
                               .values(state="cancelled", finished_at=time.time()))
            if res.rowcount == 1:
                _event(conn, job.id, job.session_id, "cancelled", job.claim)
            return res.rowcount == 1

    def recover(self) -> tuple[int, int]:
        """On start: jobs left running by a stopped server go back to the queue; a
        job that was running ``max_attempts`` times is failed instead (it may be what
        stops the server). Returns (requeued, failed)."""
        requeued = failed = 0
        with self.db.write() as conn:
            for r in conn.execute(select(jobs.c.id, jobs.c.session_id, jobs.c.attempts).where(jobs.c.state == "running")).all():
                if r.attempts >= self.max_attempts:
                    err = {"code": "stopped", "message": f"This job was interrupted {r.attempts} times and was stopped.",
                           "hint": "Try again with fewer or different photos."}
                    conn.execute(update(jobs).where(jobs.c.id == r.id).values(
                        state="failed", claim=None, finished_at=time.time(), error=dumps(err)))
                    _event(conn, r.id, r.session_id, "failed")
                    failed += 1
                else:
                    conn.execute(update(jobs).where(jobs.c.id == r.id).values(state="queued", claim=None, done=0, total=0))
                    _event(conn, r.id, r.session_id, "requeued")
                    requeued += 1
        return requeued, failed

    # --- readers -------------------------------------------------------------------

    def get(self, job_id: str, *, session_id: str | None = None) -> Job | None:
        q = select(jobs).where(jobs.c.id == job_id)
        if session_id is not None:
            q = q.where(jobs.c.session_id == session_id)
        with self.db.read() as conn:
            row = conn.execute(q).first()
        return Job.from_row(row) if row else None

    def for_session(self, session_id: str, *, kinds: tuple[str, ...] | None = None) -> list[Job]:
        q = select(jobs).where(jobs.c.session_id == session_id)
        if kinds:
            q = q.where(jobs.c.kind.in_(kinds))
        with self.db.read() as conn:
            return [Job.from_row(r) for r in conn.execute(q.order_by(jobs.c.seq)).all()]

    def has_active(self, conn: Connection, session_id: str, kind: str, *, queued_only: bool = False) -> bool:
        states = ("queued",) if queued_only else ACTIVE
        q = select(func.count()).select_from(jobs).where(
            and_(jobs.c.session_id == session_id, jobs.c.kind == kind, jobs.c.state.in_(states)))
        return conn.execute(q).scalar_one() > 0

    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
        return {r[0]: int(r[1]) for r in rows}

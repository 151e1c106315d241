"""The store: sessions, photos, headshots and teams, over the database and the files.

Tokens are ``secrets.token_urlsafe(32)`` and only their SHA-256 is stored, so a copy
of the database does not open anyone's session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from ..errors import InputError, NotFoundError, storage_error
from .config import StoreSettings
from .db import Database, dumps, headshots, loads, new_id, photos, sessions, teams
from .files import SUFFIX, FileStore
from .jobs import JobQueue


class TooManyPhotosError(InputError):
    code = "too_many_photos"
    http_status = 409


class ExpiredError(NotFoundError):
    """The session (or team) is past its retention time: refused at once, then purged."""

    code = "expired"
    http_status = 410


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _authorized(row: dict[str, Any] | None, token: str, *, unknown: tuple[str, str],
                expired: tuple[str, str]) -> dict[str, Any]:
    """``row`` (a session or team) when ``token`` is its token and it has not expired.
    An unknown id and a wrong token give the same answer, so a token cannot be used to
    learn which ids exist; an expired one is refused at once (then purged)."""
    if row is None or not token or not hmac.compare_digest(row["token_hash"], hash_token(token)):
        raise NotFoundError(unknown[0], hint=unknown[1])
    if row["expires_at"] <= time.time():
        raise ExpiredError(expired[0], hint=expired[1], expired_at=row["expires_at"])
    return row


def _row(r: Any) -> dict[str, Any] | None:
    return dict(r._mapping) if r is not None else None


class Store:
    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise (storage_error(exc) or exc) from exc
        try:  # the home folder holds people's photos: private to this user
            settings.home.chmod(0o700)
        except OSError:
            pass  # not our folder (a shared mount): permissions are its owner's business
        self.db = Database(settings.db_url)
        self.files = FileStore(settings.home)
        self.jobs = JobQueue(self.db, max_attempts=settings.max_attempts)

    def close(self) -> None:
        self.db.dispose()

    # --- sessions ------------------------------------------------------------------

    def create_session(self, *, team_id: str | None = None, label: str | None = None,
                       expires_at: float | None = None) -> tuple[dict[str, Any], str]:
        sid, token, now = new_id(), secrets.token_urlsafe(32), time.time()
        row = {"id": sid, "token_hash": hash_token(token), "team_id": team_id, "label": label,
               "created_at": now, "expires_at": expires_at or now + self.settings.retention_s, "set_check": None}
        with self.db.write() as conn:
            conn.execute(sessions.insert().values(**row))
        return row, token

    def session(self, session_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            return _row(conn.execute(select(sessions).where(sessions.c.id == session_id)).first())

    def authorize_session(self, session_id: str, token: str) -> dict[str, Any]:
        """The session when ``token`` is its token. Unknown id and wrong token give the
        same answer, so a token cannot be used to learn which sessions exist."""
        return _authorized(
            self.session(session_id), token,
            unknown=("There is no session with this id for this token.",
                     "Open the link you were given again, or start a new session."),
            expired=("This session has expired; its photos and headshots are being deleted.", "Start a new session."),
        )

    def set_session_check(self, session_id: str, check: dict[str, Any], *, conn: Connection | None = None) -> None:
        """Record the set's check; inside ``conn`` (a job's outputs, one transaction)
        when given."""
        if conn is None:
            with self.db.write() as c:
                self.set_session_check(session_id, check, conn=c)
            return
        conn.execute(update(sessions).where(sessions.c.id == session_id).values(set_check=dumps(check)))

    # --- photos --------------------------------------------------------------------

    def add_photo(self, session_id: str, *, name: str, data: bytes, fmt: str, size: tuple[int, int],
                  preview_jpeg: bytes) -> dict[str, Any]:
        """Store an already-decoded upload and queue its check, atomically."""
        pid = new_id()
        file = f"{pid}{SUFFIX.get(fmt, '.img')}"
        path = self.files.photo_path(session_id, file)
        self.files.write_bytes(path, data)
        self.files.write_bytes(self.files.preview_path(session_id, pid), preview_jpeg)
        try:
            with self.db.write() as conn:
                n = conn.execute(select(func.count()).select_from(photos).where(photos.c.session_id == session_id)).scalar_one()
                if n >= self.settings.max_photos:
                    raise TooManyPhotosError(
                        f"This session already has {n} photos, the most it can hold.",
                        hint="Remove some photos first; 5 to 10 good ones are plenty.",
                        limit=self.settings.max_photos,
                    )
                if conn.execute(select(sessions.c.id).where(sessions.c.id == session_id)).first() is None:
                    raise NotFoundError("This session was deleted.", hint="Start a new session.")
                seq = conn.execute(select(func.coalesce(func.max(photos.c.seq), 0)).where(photos.c.session_id == session_id)).scalar_one() + 1
                row = {"id": pid, "session_id": session_id, "seq": seq, "name": name, "file": file, "format": fmt,
                       "width": size[0], "height": size[1], "bytes": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(), "state": "checking", "check": None,
                       "usable": None, "created_at": time.time()}
                conn.execute(photos.insert().values(**row))
                self.jobs.enqueue(conn, session_id, "check", {"photo_id": pid})
        except BaseException:
            path.unlink(missing_ok=True)
            self.files.preview_path(session_id, pid).unlink(missing_ok=True)
            raise
        self.jobs.notify()
        return row

    def photos(self, session_id: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(select(photos).where(photos.c.session_id == session_id).order_by(photos.c.seq)).all()
        return [_row(r) for r in rows]

    def photo(self, session_id: str, photo_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(photos).where(and_(photos.c.id == photo_id, photos.c.session_id == session_id))).first()
        if row is None:
            raise NotFoundError("There is no such photo in this session.", hint="Reload the page.")
        return _row(row)

    def photo_checked(self, conn: Connection, session_id: str, photo_id: str, check: dict[str, Any], *,
                      usable: bool) -> tuple[int, int]:
        """Record one photo's check (inside a job's transaction ``conn``); returns
        (photos of the session still being checked, photos in the session)."""
        conn.execute(update(photos).where(photos.c.id == photo_id).values(
            state="checked", check=dumps(check), usable=bool(usable)))
        pending = conn.execute(select(func.count()).select_from(photos).where(
            and_(photos.c.session_id == session_id, photos.c.state == "checking"))).scalar_one()
        total = conn.execute(select(func.count()).select_from(photos).where(photos.c.session_id == session_id)).scalar_one()
        return int(pending), int(total)

    def photo_failed(self, photo_id: str, error: dict[str, Any]) -> None:
        """A photo whose check failed: not usable, with the error to show."""
        with self.db.write() as conn:
            conn.execute(update(photos).where(photos.c.id == photo_id).values(
                state="failed", usable=False, check=dumps({"error": error})))

    def remove_photo(self, session_id: str, photo_id: str) -> None:
        p = self.photo(session_id, photo_id)
        with self.db.write() as conn:
            conn.execute(delete(photos).where(photos.c.id == photo_id))
        self.files.photo_path(session_id, p["file"]).unlink(missing_ok=True)
        self.files.preview_path(session_id, photo_id).unlink(missing_ok=True)
        self.db.checkpoint()  # the removed row is zeroed (secure_delete): empty the log's older copies too

    # --- headshots -----------------------------------------------------------------

    def headshots(self, session_id: str, *, job_id: str | None = None) -> list[dict[str, Any]]:
        q = select(headshots).where(headshots.c.session_id == session_id)
        if job_id:
            q = q.where(headshots.c.job_id == job_id)
        with self.db.read() as conn:
            rows = conn.execute(q.order_by(headshots.c.job_id, headshots.c.idx)).all()
        out = []
        for r in rows:
            d = _row(r)
            d["info"] = loads(d["info"]) or {}
            out.append(d)
        return out

    def replace_headshots(self, conn: Connection, job_id: str, rows: list[dict[str, Any]]) -> None:
        """A studio job's headshot records, replacing any of an earlier attempt of the
        same job (idempotent), inside the job's transaction ``conn``."""
        conn.execute(delete(headshots).where(headshots.c.job_id == job_id))
        if rows:
            conn.execute(headshots.insert(), rows)

    def headshot(self, session_id: str, headshot_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(headshots).where(
                and_(headshots.c.id == headshot_id, headshots.c.session_id == session_id))).first()
        if row is None:
            raise NotFoundError("There is no such headshot in this session.", hint="Reload the page.")
        d = _row(row)
        d["info"] = loads(d["info"]) or {}
        return d

    # --- teams ---------------------------------------------------------------------

    def create_team(self, *, name: str, look: str, frame: str) -> tuple[dict[str, Any], str]:
        tid, token, now = new_id(), secrets.token_urlsafe(32), time.time()
        row = {"id": tid, "token_hash": hash_token(token), "name": name, "look": look, "frame": frame,
               "created_at": now, "expires_at": now + self.settings.retention_s}
        with self.db.write() as conn:
            conn.execute(teams.insert().values(**row))
        return row, token

    def team(self, team_id: str) -> dict[str, Any] | None:
        with self.db.read() as conn:
            return _row(conn.execute(select(teams).where(teams.c.id == team_id)).first())

    def authorize_team(self, team_id: str, token: str) -> dict[str, Any]:
        return _authorized(
            self.team(team_id), token,
            unknown=("There is no team with this id for this admin token.",
                     "Use the admin link you got when you created the team."),
            expired=("This team has expired; its members' photos and headshots are being deleted.",
                     "Create a new team."),
        )

    def team_members(self, team_id: str) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(select(sessions).where(sessions.c.team_id == team_id).order_by(sessions.c.created_at)).all()
        return [_row(r) for r in rows]

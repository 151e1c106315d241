"""The gallery of a set: a star per headshot (kept in the session store and in the run's
report.json) and a zip holding exactly the starred headshots."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy import and_, update
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ..errors import NotFoundError
from ..store.db import dumps, headshots
from .routes_files import headshot_name, temp_zip
from .routes_sessions import headshot_out
from .schemas import ErrorOut, FavouriteIn, HeadshotOut
from .security import session_auth, valid_id

router = APIRouter(tags=["gallery"], responses={s: {"model": ErrorOut} for s in (400, 401, 404, 422, 500)})
#: One report rewrite at a time in this process (two stars at once must not lose one).
_REPORT_LOCK = threading.Lock()


def set_favourite(store, session_id: str, headshot_id: str, favourite: bool) -> dict[str, Any]:
    """Star (or unstar) one headshot: in its record, then in its run's report.json
    (rewritten from the records, so the file always matches the store)."""
    h = store.headshot(session_id, headshot_id)
    info = {**h["info"], "favourite": bool(favourite)}
    with store.db.write() as conn:
        conn.execute(update(headshots).where(and_(headshots.c.id == headshot_id, headshots.c.session_id == session_id))
                     .values(info=dumps(info)))
    job = store.jobs.get(h["job_id"], session_id=session_id)
    rel = (job.result or {}).get("report_json") if job else None
    if rel:
        path = store.files.resolve(session_id, rel)
        with _REPORT_LOCK:
            starred = {Path(r["file"]).name: bool(r["info"].get("favourite"))
                       for r in store.headshots(session_id, job_id=h["job_id"])}
            _mark_report(path, starred)
    return {**h, "info": info}


def _mark_report(path: Path, starred: dict[str, bool]) -> None:
    """Set each image's ``favourite`` in report.json (its flat list and its Look groups)."""
    from ..atomic import atomic_write

    if not path.is_file():
        return
    report = json.loads(path.read_text(encoding="utf-8"))
    groups = [report.get("headshots") or [], *[g.get("images") or [] for g in report.get("looks") or []]]
    for entries in groups:
        for e in entries:
            name = Path(str(e.get("file") or "")).name
            if name in starred:
                e["favourite"] = starred[name]
    report["favourites"] = sorted(n for n, v in starred.items() if v)
    atomic_write(path, (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


@router.put("/sessions/{session_id}/headshots/{headshot_id}/favourite", response_model=HeadshotOut,
            summary="Star or unstar a headshot (kept in the session and in the run's report.json)")
async def put_favourite(request: Request, headshot_id: str, body: FavouriteIn,
                        session: dict = Depends(session_auth)) -> HeadshotOut:
    store = request.app.state.store
    h = await run_in_threadpool(set_favourite, store, session["id"], valid_id(headshot_id, "headshot"), body.favourite)
    return headshot_out(h)


def favourites_zip(store, session_id: str, job_id: str | None, dest: Path) -> Path:
    """A zip holding exactly the starred headshots (of one run, or every run)."""
    rows = [h for h in store.headshots(session_id, job_id=job_id) if h["info"].get("favourite")]
    if not rows:
        raise NotFoundError("No headshot is starred yet.", hint="Star the headshots you like, then download them.")
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        used: set[str] = set()
        for h in rows:
            name = headshot_name(h)
            if name in used:  # two runs' headshots of the same Look, framing and place
                name = headshot_name(h, prefix=f"{h['job_id'][:6]}-")
            used.add(name)
            zf.write(store.files.resolve(session_id, h["file"]), name)
    return dest


@router.get("/sessions/{session_id}/favourites.zip", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}},
            summary="Exactly the starred headshots, as a zip")
async def download_favourites(request: Request, session: dict = Depends(session_auth),
                              job_id: str | None = Query(None, description="A studio job id; default: every run.")
                              ) -> FileResponse:
    store = request.app.state.store
    if job_id is not None:
        valid_id(job_id, "job")
    dest = temp_zip(store)
    try:
        await run_in_threadpool(favourites_zip, store, session["id"], job_id, dest)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return FileResponse(dest, media_type="application/zip", filename="likeness-favourites.zip",
                        background=BackgroundTask(dest.unlink, missing_ok=True))

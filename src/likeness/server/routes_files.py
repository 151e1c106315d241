"""Files out: photo previews, headshots, reports and a zip of a run.

Paths come from our own records only (ids → stored relative paths, checked to stay
inside the session folder); nothing the client sends becomes part of a path.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ..errors import NotFoundError
from .schemas import ErrorOut, RejectedOut
from .security import session_auth, valid_id

router = APIRouter(tags=["files"], responses={s: {"model": ErrorOut} for s in (401, 404, 500)})

_MEDIA = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
          ".json": "application/json", ".html": "text/html; charset=utf-8"}
REPORTS = {"report.json": "report_json", "report.html": "report_html", "contact-sheet": "contact_sheet"}
IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The image."}}


def _file(path: Path, *, download: str | None = None) -> FileResponse:
    if not path.is_file():
        raise NotFoundError("This file is no longer stored.", hint="Make the headshots again.")
    media = _MEDIA.get(path.suffix.lower(), "application/octet-stream")
    if download:
        return FileResponse(path, media_type=media, filename=download)
    return FileResponse(path, media_type=media)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "headshot"


def headshot_name(h: dict[str, Any], *, prefix: str = "") -> str:
    suffix = Path(h["file"]).suffix.lower() or ".jpg"
    made = "generated-" if (h.get("info") or {}).get("generated") else ""  # the name says it, as the label does
    return f"{prefix}likeness-{_slug(h['look'])}-{_slug(h['frame'])}-{made}{h['idx'] + 1}{suffix}"


@router.get("/sessions/{session_id}/photos/{photo_id}/preview", response_class=FileResponse, responses=IMAGE,
            summary="A small JPEG of an uploaded photo (orientation applied)")
async def photo_preview(request: Request, photo_id: str, session: dict = Depends(session_auth)) -> FileResponse:
    store = request.app.state.store
    p = await run_in_threadpool(store.photo, session["id"], valid_id(photo_id, "photo"))
    return _file(store.files.preview_path(session["id"], p["id"]))


@router.get("/sessions/{session_id}/headshots/{headshot_id}", response_class=FileResponse, responses=IMAGE,
            summary="A headshot at full size (or a preview)")
async def headshot_file(request: Request, headshot_id: str, session: dict = Depends(session_auth),
                        preview: bool = Query(False, description="A smaller JPEG for display.")) -> FileResponse:
    store = request.app.state.store
    h = await run_in_threadpool(store.headshot, session["id"], valid_id(headshot_id, "headshot"))
    if preview:
        return _file(store.files.resolve(session["id"], h["preview"]))
    return _file(store.files.resolve(session["id"], h["file"]), download=headshot_name(h))


def _studio_job(store, session_id: str, job_id: str | None):
    jobs = [j for j in store.jobs.for_session(session_id, kinds=("studio",)) if j.state == "done"]
    if job_id is not None:
        jobs = [j for j in jobs if j.id == job_id]
    if not jobs:
        raise NotFoundError("There are no finished headshots to download yet.", hint="Make your headshots first.")
    return jobs[-1]


def _rejected(store, session_id: str, job_id: str) -> list[tuple[Path, dict[str, Any]]]:
    """The refused renders a studio run kept (``keep_rejected``), done or failed."""
    from . import library

    if not any(j.id == job_id for j in store.jobs.for_session(session_id, kinds=("studio",))):
        raise NotFoundError("There is no such studio run in this session.", hint="Reload the page.")
    return library.rejected(store.files.run_dir(session_id, job_id))


@router.get("/sessions/{session_id}/jobs/{job_id}/rejected", response_model=list[RejectedOut],
            summary="Renders the review refused, with their reasons (a run made with keep_rejected)")
async def rejected_list(request: Request, job_id: str, session: dict = Depends(session_auth)) -> list[RejectedOut]:
    store = request.app.state.store
    sid = session["id"]

    def listing() -> list[RejectedOut]:
        found = _rejected(store, sid, valid_id(job_id, "job"))
        photos = {str(store.files.photo_path(sid, p["file"]).resolve()): p["id"] for p in store.photos(sid)}
        out = []
        for i, (_img, rec) in enumerate(found):
            src = rec.get("source")
            checks = (rec.get("review") or {}).get("checks") or {}
            out.append(RejectedOut(index=i, photo=photos.get(str(Path(src).resolve())) if src else None,
                                   reasons=[str(r) for r in rec.get("reasons") or []], checks=checks))
        return out

    return await run_in_threadpool(listing)


@router.get("/sessions/{session_id}/jobs/{job_id}/rejected/{index}", response_class=FileResponse, responses=IMAGE,
            summary="One render the review refused (see .../rejected for its reasons)")
async def rejected_file(request: Request, job_id: str, index: int, session: dict = Depends(session_auth)) -> FileResponse:
    store = request.app.state.store
    found = await run_in_threadpool(_rejected, store, session["id"], valid_id(job_id, "job"))
    if not 0 <= index < len(found):
        raise NotFoundError("There is no such refused render in this run.", hint="List them with .../rejected.")
    return _file(found[index][0])


@router.get("/sessions/{session_id}/jobs/{job_id}/{name}", response_class=FileResponse,
            responses={200: {"content": {"application/json": {}, "text/html": {}, "image/jpeg": {}}}},
            summary="A run's report (report.json, report.html) or contact sheet")
async def report_file(request: Request, job_id: str, name: str, session: dict = Depends(session_auth)) -> FileResponse:
    store = request.app.state.store
    key = REPORTS.get(name)
    if key is None:
        raise NotFoundError(f"There is no {name!r} for a run.", hint="Ask for report.json, report.html or contact-sheet.")
    job = await run_in_threadpool(_studio_job, store, session["id"], valid_id(job_id, "job"))
    rel = (job.result or {}).get(key)
    if not rel:
        raise NotFoundError(f"This run has no {name}.", hint="Make the headshots again.")
    path = store.files.resolve(session["id"], rel)
    return _file(path, download=None if name != "contact-sheet" else f"likeness-contact-sheet{path.suffix}")


def build_zip(store, members: list[tuple[str, str, str | None]], dest: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    """Zip the headshots (and reports) of studio runs. ``members``: (session id, job id,
    folder name in the zip or None). JPEGs are stored, not recompressed."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for sid, job_id, folder in members:
            prefix = f"{folder}/" if folder else ""
            job = store.jobs.get(job_id, session_id=sid)
            for h in store.headshots(sid, job_id=job_id):
                zf.write(store.files.resolve(sid, h["file"]), prefix + headshot_name(h))
            for key, name in (("report_json", "report.json"), ("report_html", "report.html"), ("contact_sheet", "contact-sheet")):
                rel = (job.result or {}).get(key) if job else None
                if rel:
                    path = store.files.resolve(sid, rel)
                    if path.is_file():
                        zf.write(path, prefix + (name if key != "contact_sheet" else name + path.suffix))
        for name, data in (extra or {}).items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return dest


def temp_zip(store) -> Path:
    fd, name = tempfile.mkstemp(dir=store.files.tmp, suffix=".zip")
    os.close(fd)
    return Path(name)


@router.get("/sessions/{session_id}/download.zip", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}},
            summary="All headshots of a run (the latest by default) with its report, as a zip")
async def download_zip(request: Request, session: dict = Depends(session_auth),
                       job_id: str | None = Query(None, description="A studio job id; default: the latest.")) -> FileResponse:
    store = request.app.state.store
    if job_id is not None:
        valid_id(job_id, "job")
    job = await run_in_threadpool(_studio_job, store, session["id"], job_id)
    dest = temp_zip(store)
    await run_in_threadpool(build_zip, store, [(session["id"], job.id, None)], dest)
    return FileResponse(dest, media_type="application/zip", filename="likeness-headshots.zip",
                        background=BackgroundTask(dest.unlink, missing_ok=True))

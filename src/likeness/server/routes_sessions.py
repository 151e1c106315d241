"""Sessions: create, add photos (each checked at once), run the studio, delete."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import anyio
from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from .. import defaults
from ..errors import ImageReadError, InputError, LikenessError, NotEnoughPhotosError, NotFoundError, OptionError
from ..store import TooManyPhotosError, forget_session
from ..store.db import loads
from ..store.jobs import Job
from . import library
from .errors import AttireUnavailableError, JobEndedError, PayloadTooLargeError
from .schemas import ErrorOut, HeadshotOut, JobOut, Limits, PhotoOut, SessionCreated, SessionOut, StudioIn, TeamBrief
from .security import creation_guard, session_auth, valid_id

ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (401, 404, 409, 410, 413, 422, 500, 507)
}
router = APIRouter(tags=["sessions"], responses=ERRORS)

_decode_limit = anyio.CapacityLimiter(2)  # decoding a 100 MP photo takes ~300 MB: not 40 at once
#: Longer side an upload is decoded at to be checked and previewed. A JPEG then decodes
#: at 1/2 to 1/8 scale in the DCT; the full-size decode happens once, in the check.
PREVIEW_SIDE = 640


class OnePhotoPerRequestError(InputError):
    code = "one_photo_per_request"


class BusyError(LikenessError):
    code = "busy"
    http_status = 409


def _limits(request: Request) -> Limits:
    s = request.app.state.settings
    return Limits(max_photos=s.max_photos, max_upload_bytes=s.max_upload_bytes)


def display_name(filename: str | None) -> str:
    """The client's file name, for display only: last path part, printable, short."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    name = re.sub(r"\s+", " ", name).strip()
    return (name[:120] or "photo")


def job_out(j: Job) -> JobOut:
    return JobOut(id=j.id, kind=j.kind, state=j.state, payload=j.payload, done=j.done, total=j.total,
                  attempts=j.attempts, created_at=j.created_at, started_at=j.started_at,
                  finished_at=j.finished_at, result=j.result, error=j.error)


def photo_out(p: dict[str, Any]) -> PhotoOut:
    return PhotoOut(id=p["id"], seq=p["seq"], name=p["name"], format=p["format"], width=p["width"],
                    height=p["height"], bytes=p["bytes"], state=p["state"], usable=p["usable"],
                    check=loads(p["check"]), created_at=p["created_at"])


def session_out(request: Request, s: dict[str, Any]) -> SessionOut:
    store = request.app.state.store
    team = store.team(s["team_id"]) if s["team_id"] else None
    jobs = [job_out(j) for j in store.jobs.for_session(s["id"])
            if j.kind == "studio" or (j.kind == "check_set" and j.state in ("queued", "running"))]
    return SessionOut(
        id=s["id"], created_at=s["created_at"], expires_at=s["expires_at"], label=s["label"],
        team=TeamBrief(id=team["id"], name=team["name"], look=team["look"], frame=team["frame"]) if team else None,
        limits=_limits(request), photos=[photo_out(p) for p in store.photos(s["id"])],
        set_check=loads(s["set_check"]), jobs=jobs,
        headshots=[headshot_out(h) for h in store.headshots(s["id"])],
    )


def headshot_out(h: dict[str, Any]) -> HeadshotOut:
    info = h["info"]
    return HeadshotOut(**{k: h[k] for k in HeadshotOut.model_fields if k in h},
                       favourite=bool(info.get("favourite")), generated=bool(info.get("generated")))


@router.post("/sessions", status_code=201, response_model=SessionCreated, summary="Start a session",
             dependencies=[Depends(creation_guard)], responses={403: {"model": ErrorOut}, 429: {"model": ErrorOut}})
async def create_session(request: Request) -> SessionCreated:
    row, token = await run_in_threadpool(request.app.state.store.create_session)
    return SessionCreated(id=row["id"], token=token, expires_at=row["expires_at"], limits=_limits(request))


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="Everything about a session")
async def get_session(request: Request, session: dict = Depends(session_auth)) -> SessionOut:
    return await run_in_threadpool(session_out, request, session)


@router.delete("/sessions/{session_id}", status_code=204, summary="Delete my photos: every file and record")
async def delete_session(request: Request, session: dict = Depends(session_auth)) -> Response:
    runner = request.app.state.runner
    await run_in_threadpool(runner.cancel_session, session["id"])
    try:
        await run_in_threadpool(forget_session, request.app.state.store, session["id"])
    finally:
        runner.release(session["id"])
    return Response(status_code=204)


def _decode(data: bytes, name: str) -> tuple[str, tuple[int, int], bytes]:
    from ..imageio import load_photo

    # Safe decode (limits, orientation, colour, all modes) at preview size: JPEGs decode
    # at reduced scale in the DCT, so an upload is decoded in full only once, by its check.
    photo = load_photo(data, name=name, max_side=PREVIEW_SIDE)
    return photo.format, photo.original_size, library.preview_jpeg(photo.image, side=PREVIEW_SIDE)


@router.post("/sessions/{session_id}/photos", status_code=201, response_model=PhotoOut,
             summary="Add one photo; its check starts at once")
async def add_photo(
    request: Request,
    session: dict = Depends(session_auth),
    file: UploadFile = File(..., description="One photo: JPEG, PNG, WebP, HEIC or TIFF."),
) -> PhotoOut:
    store = request.app.state.store
    form = await request.form()  # already parsed for ``file``: this reads Starlette's cache
    if len(form.getlist("file")) != 1 or set(form.keys()) != {"file"}:
        raise OnePhotoPerRequestError(
            f"Send one photo per request (this one has {len(form.getlist('file'))} files and "
            f"{len(set(form.keys()) - {'file'})} other fields).",
            hint="Post each photo on its own, as the form field 'file'.", files=len(form.getlist("file")))
    limit = store.settings.max_upload_bytes
    n = len(await run_in_threadpool(store.photos, session["id"]))
    if n >= store.settings.max_photos:
        raise TooManyPhotosError(f"This session already has {n} photos, the most it can hold.",
                                 hint="Remove some photos first; 5 to 10 good ones are plenty.", limit=store.settings.max_photos)
    data = await file.read(limit + 1)
    name = display_name(file.filename)
    if len(data) > limit:
        raise PayloadTooLargeError(f"{name} is larger than {limit / 2**20:.0f} MB.",
                                   hint="Export it as a JPEG of normal size and try again.", file=name)
    if not data:
        raise ImageReadError(f"{name} is empty.", hint="Choose the photo again.", file=name)
    fmt, size, preview = await anyio.to_thread.run_sync(_decode, data, name, limiter=_decode_limit)
    row = await run_in_threadpool(lambda: store.add_photo(session["id"], name=name, data=data, fmt=fmt, size=size,
                                                          preview_jpeg=preview))
    return photo_out(row)


@router.get("/sessions/{session_id}/photos/{photo_id}", response_model=PhotoOut, summary="One photo and its coaching")
async def get_photo(request: Request, photo_id: str, session: dict = Depends(session_auth)) -> PhotoOut:
    return photo_out(await run_in_threadpool(request.app.state.store.photo, session["id"], valid_id(photo_id, "photo")))


@router.delete("/sessions/{session_id}/photos/{photo_id}", status_code=204, summary="Remove one photo")
async def delete_photo(request: Request, photo_id: str, session: dict = Depends(session_auth)) -> Response:
    store = request.app.state.store
    await run_in_threadpool(store.remove_photo, session["id"], valid_id(photo_id, "photo"))

    def recheck() -> None:  # the set changed: its coaching must be redone
        if len(store.photos(session["id"])) >= 2:
            with store.db.write() as conn:
                if not store.jobs.has_active(conn, session["id"], "check_set", queued_only=True):
                    store.jobs.enqueue(conn, session["id"], "check_set", {})
            store.jobs.notify()

    await run_in_threadpool(recheck)
    return Response(status_code=204)


def _studio_options(store, session: dict[str, Any], body: StudioIn) -> tuple[str, str]:
    team = store.team(session["team_id"]) if session["team_id"] else None
    look = body.look or (team["look"] if team else defaults.LOOK)
    frame = body.frame.value if body.frame else (team["frame"] if team else library.look_frame(look))
    if team and look != team["look"]:
        raise OptionError(f"Your team uses the Look {team['look']!r}; it cannot be changed here.",
                          hint="Leave the Look out, or ask your team's admin.", look=look, team_look=team["look"])
    return library.check_look(look), library.check_frame(frame)


def _set_options(session: dict[str, Any], body: StudioIn) -> dict[str, Any]:
    """A set's looks, frames and photo count, checked (names only: never a path), or
    {} for a single headshot."""
    if body.looks is None and body.frames is None and body.best is None:
        return {}
    if session["team_id"]:
        raise OptionError("A team member's headshot uses the team's Look and framing: a set is not offered here.",
                          hint="Leave looks, frames and best out.")
    looks = [x if x == "all" else library.check_look(x) for x in (body.looks or ["all"])]
    frames = [f.value for f in body.frames] if body.frames else None
    return {"looks": looks, "frames": frames, "best": body.best}


def _attire_options(request: Request, session: dict[str, Any], body: StudioIn, look: str,
                    made_set: dict[str, Any]) -> dict[str, Any]:
    """The Looks to generate new attire for (the set's, or the one Look), or {} when
    not asked. Asked where it cannot be made: refused with the page's one-line reason."""
    if not body.attire:
        return {}
    if session["team_id"]:
        raise OptionError("A team member's headshot uses the team's Look: new attire is not offered here.",
                          hint="Leave attire out.")
    status = request.app.state.attire()
    if not status.get("available"):
        raise AttireUnavailableError(status.get("reason") or "New attire is not offered by this server.",
                                     hint="Leave new attire out: the studio headshots need no model and no GPU.")
    every = [x["name"] for x in library.looks()]
    wanted = [n for x in made_set.get("looks") or [look] for n in (every if x == "all" else [x])]
    return {"attire_looks": list(dict.fromkeys(wanted))}


@router.post("/sessions/{session_id}/studio", status_code=202, response_model=JobOut,
             summary="Make headshots with a Look and framing")
async def start_studio(request: Request, body: StudioIn, session: dict = Depends(session_auth)) -> JobOut:
    store = request.app.state.store

    def enqueue() -> Job:
        look, frame = _studio_options(store, session, body)
        made_set = _set_options(session, body)
        attire = _attire_options(request, session, body, look, made_set)
        photos = store.photos(session["id"])
        ids = [p["id"] for p in photos]
        if not ids:
            raise NotEnoughPhotosError("There are no photos in this session yet.", hint="Add 3 to 10 photos of yourself first.")
        if all(p["state"] != "checking" for p in photos) and not any(p["usable"] for p in photos):
            tips = [t for p in photos for t in ((loads(p["check"]) or {}).get("problems") or [])]
            raise NotEnoughPhotosError(
                "None of your photos shows a face that can be made into a headshot.",
                hint=tips[0] if tips else "Add a sharp photo of your face from the front, in soft daylight.",
                photos=len(photos),
            )
        with store.db.write() as conn:
            if store.jobs.has_active(conn, session["id"], "studio"):
                raise BusyError("Your headshots are already being made.", hint="Wait for them to finish.")
            job_id = store.jobs.enqueue(conn, session["id"], "studio",
                                        {"look": look, "frame": frame, "all": body.all, "photo_ids": ids,
                                         "keep_rejected": body.keep_rejected, **made_set, **attire})
        store.jobs.notify()
        return store.jobs.get(job_id)

    return job_out(await run_in_threadpool(enqueue))


@router.delete("/sessions/{session_id}/jobs/{job_id}", response_model=JobOut, summary="Cancel a job",
               responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
async def cancel_job(request: Request, job_id: str, session: dict = Depends(session_auth)) -> JobOut:
    """Stop a queued or running job (a set being made, say): it ends as ``cancelled``
    and keeps no file; the photos and earlier headshots stay."""
    store = request.app.state.store
    job = await run_in_threadpool(store.jobs.get, valid_id(job_id, "job"), session_id=session["id"])
    if job is None:
        raise NotFoundError("There is no such job in this session.", hint="Reload the page.")
    if job.state not in ("queued", "running"):
        raise JobEndedError(f"This job has already ended ({job.state}).", hint="Nothing to cancel; reload the page.")
    await run_in_threadpool(request.app.state.runner.cancel_job, job)
    return job_out(await run_in_threadpool(store.jobs.get, job.id))


@router.get("/sessions/{session_id}/jobs/{job_id}", response_model=JobOut, summary="Progress of a job")
async def get_job(request: Request, job_id: str, session: dict = Depends(session_auth)) -> JobOut:
    job = await run_in_threadpool(request.app.state.store.jobs.get, valid_id(job_id, "job"), session_id=session["id"])
    if job is None:
        raise NotFoundError("There is no such job in this session.", hint="Reload the page.")
    return job_out(job)

"""Teams: one Look, many people. A thin layer over sessions.

The admin creates a team (its Look and framing are locked), invites members (each
invitation is a session of its own, scoped to the team, with its own token), follows
who has sent usable photos, who should retake, and downloads everyone's headshots
as a zip with a CSV. A member's token opens only that member's session.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, NotFoundError
from ..store import forget_session, forget_team
from ..store.db import loads
from . import library
from .routes_files import build_zip, headshot_name, temp_zip
from .schemas import ErrorOut, Invitation, InviteIn, MemberOut, Queued, TeamCreated, TeamIn, TeamOut
from .security import creation_guard, team_auth, valid_id

router = APIRouter(tags=["teams"], responses={s: {"model": ErrorOut} for s in (401, 404, 409, 422, 500)})


def _member(store, s: dict[str, Any]) -> tuple[MemberOut, str | None]:
    """A member's status, and the id of their latest finished studio job."""
    photos = store.photos(s["id"])
    usable = sum(1 for p in photos if p["usable"])
    checking = sum(1 for p in photos if p["state"] == "checking")
    studio = store.jobs.for_session(s["id"], kinds=("studio",))
    last = studio[-1] if studio else None
    done = next((j for j in reversed(studio) if j.state == "done"), None)
    shots = store.headshots(s["id"], job_id=done.id) if done else []
    retake: list[str] = []
    if photos and not checking and not usable:
        first = next((loads(p["check"]) or {} for p in photos if p["check"]), {})
        retake.append("None of the photos is usable" + (f": {first['problems'][0]}" if first.get("problems") else "."))
    set_check = loads(s["set_check"]) or {}
    if set_check.get("verdict") == "not_enough" and usable:
        retake.append(set_check.get("summary") or "The photos are not enough for a headshot.")
    if last is not None and last.state == "failed":
        retake.append((last.error or {}).get("message") or "Making the headshot failed.")
    if done is not None and done is last and not shots:
        retake += [f"{r.get('reason')}" for r in (done.result or {}).get("skipped", [])] or ["No headshot could be made."]
    if last is not None and last.state in ("queued", "running"):
        status = "working"
    elif shots and done is last:
        status = "done"
    elif retake:
        status = "retake"
    elif checking:
        status = "uploading"
    elif not photos:
        status = "invited"
    else:
        status = "ready"
    likeness = shots[0]["likeness"] if shots else None
    out = MemberOut(session_id=s["id"], name=s["label"], photos=len(photos), usable=usable, checking=checking,
                    status=status, headshots=len(shots), likeness=likeness, retake=retake)
    return out, (done.id if shots else None)


def _consistency(store, members: list[tuple[str, str | None, str]]) -> dict[str, Any] | None:
    """How alike the team's headshots are (measured when each was made)."""
    named = []
    for sid, jid, name in members:
        shots = store.headshots(sid, job_id=jid)
        measures = shots[0]["info"].get("team_measures") if shots else None
        if measures:
            named.append((name, measures))
    return library.team_consistency(named)


@router.post("/teams", status_code=201, response_model=TeamCreated, summary="Create a team with a locked Look",
             dependencies=[Depends(creation_guard)], responses={403: {"model": ErrorOut}, 429: {"model": ErrorOut}})
async def create_team(request: Request, body: TeamIn) -> TeamCreated:
    store = request.app.state.store

    def create():
        look, frame = library.check_look(body.look), library.check_frame(body.frame.value)
        return store.create_team(name=body.name.strip() or "Team", look=look, frame=frame)

    row, token = await run_in_threadpool(create)
    return TeamCreated(id=row["id"], admin_token=token, name=row["name"], look=row["look"], frame=row["frame"],
                       expires_at=row["expires_at"])


def team_out(store, team: dict[str, Any]) -> TeamOut:
    members = [_member(store, s) for s in store.team_members(team["id"])]
    outs = [m for m, _ in members]
    finished = [(m.session_id, jid, m.name or m.session_id) for m, jid in members if jid]
    return TeamOut(id=team["id"], name=team["name"], look=team["look"], frame=team["frame"],
                   created_at=team["created_at"], expires_at=team["expires_at"], members=outs,
                   retake=[m for m in outs if m.status == "retake"], consistency=_consistency(store, finished))


@router.get("/teams/{team_id}", response_model=TeamOut, summary="Members, their status and the retake list")
async def get_team(request: Request, team: dict = Depends(team_auth)) -> TeamOut:
    return await run_in_threadpool(team_out, request.app.state.store, team)


@router.post("/teams/{team_id}/members", status_code=201, response_model=list[Invitation],
             summary="Invite members: one private link each")
async def invite(request: Request, body: InviteIn, team: dict = Depends(team_auth)) -> list[Invitation]:
    store = request.app.state.store
    names = [re.sub(r"\s+", " ", n).strip() for n in body.names]  # the schema refused what is not printable

    def create() -> list[Invitation]:
        have = len(store.team_members(team["id"]))
        if have + len(names) > store.settings.max_members:
            raise InputError(f"A team can have at most {store.settings.max_members} members.",
                             hint="Make a second team for the rest.", members=have)
        out = []
        for n in names:
            row, token = store.create_session(team_id=team["id"], label=n, expires_at=team["expires_at"])
            out.append(Invitation(session_id=row["id"], name=n, token=token, link=f"/#s={row['id']}&t={token}"))
        return out

    return await run_in_threadpool(create)


@router.delete("/teams/{team_id}/members/{session_id}", status_code=204, summary="Remove a member and their photos")
async def remove_member(request: Request, session_id: str, team: dict = Depends(team_auth)) -> Response:
    store = request.app.state.store
    s = await run_in_threadpool(store.session, valid_id(session_id))
    if s is None or s["team_id"] != team["id"]:
        raise NotFoundError("There is no such member in this team.", hint="Reload the page.")
    runner = request.app.state.runner
    await run_in_threadpool(runner.cancel_session, session_id)
    try:
        await run_in_threadpool(forget_session, store, session_id)
    finally:
        runner.release(session_id)
    return Response(status_code=204)


@router.get("/teams/{team_id}/members/{session_id}/headshot", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}}, summary="A member's latest headshot (preview size)")
async def member_headshot(request: Request, session_id: str, team: dict = Depends(team_auth)) -> FileResponse:
    store = request.app.state.store

    def find():
        s = store.session(valid_id(session_id))
        if s is None or s["team_id"] != team["id"]:
            raise NotFoundError("There is no such member in this team.", hint="Reload the page.")
        _, jid = _member(store, s)
        if jid is None:
            raise NotFoundError("This member has no headshot yet.", hint="Run the studio for the team.")
        return store.files.resolve(session_id, store.headshots(session_id, job_id=jid)[0]["preview"])

    path = await run_in_threadpool(find)
    return FileResponse(path, media_type="image/jpeg")


@router.post("/teams/{team_id}/studio", status_code=202, response_model=Queued,
             summary="Make the headshots of every member who has usable photos")
async def team_studio(request: Request, team: dict = Depends(team_auth)) -> Queued:
    store = request.app.state.store

    def enqueue() -> Queued:
        queued, skipped = [], []
        for s in store.team_members(team["id"]):
            photos = store.photos(s["id"])
            ids = [p["id"] for p in photos]
            checked = all(p["state"] != "checking" for p in photos)
            with store.db.write() as conn:
                if not ids:
                    skipped.append({"session_id": s["id"], "reason": "no photos yet"})
                elif checked and not any(p["usable"] for p in photos):
                    skipped.append({"session_id": s["id"], "reason": "no usable photo: needs a retake"})
                elif store.jobs.has_active(conn, s["id"], "studio"):
                    skipped.append({"session_id": s["id"], "reason": "already working"})
                else:
                    store.jobs.enqueue(conn, s["id"], "studio",
                                       {"look": team["look"], "frame": team["frame"], "all": False, "photo_ids": ids})
                    queued.append(s["id"])
        store.jobs.notify()
        return Queued(queued=queued, skipped=skipped)

    return await run_in_threadpool(enqueue)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text  # no formulas in spreadsheets


def team_csv(store, team: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["name", "session_id", "status", "photos", "usable", "headshots", "likeness", "file", "retake"])
    zipped = []
    for s in store.team_members(team["id"]):
        m, jid = _member(store, s)
        folder = f"{re.sub(r'[^A-Za-z0-9]+', '-', m.name or 'member').strip('-')[:40] or 'member'}-{s['id'][:6]}"
        first = store.headshots(s["id"], job_id=jid)[0] if jid else None
        w.writerow([_csv_cell(v) for v in (m.name, m.session_id, m.status, m.photos, m.usable, m.headshots,
                                            m.likeness, f"{folder}/{headshot_name(first)}" if first else "",
                                            " | ".join(m.retake))])
        if jid:
            zipped.append((s["id"], jid, folder))
    return buf.getvalue(), zipped


@router.get("/teams/{team_id}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}}, summary="The team as a CSV")
async def export_csv(request: Request, team: dict = Depends(team_auth)) -> Response:
    text, _ = await run_in_threadpool(team_csv, request.app.state.store, team)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="team.csv"'})


@router.get("/teams/{team_id}/export.zip", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}},
            summary="Every member's headshots (a folder each) and team.csv, as a zip")
async def export_zip(request: Request, team: dict = Depends(team_auth)) -> FileResponse:
    store = request.app.state.store

    def build():
        text, zipped = team_csv(store, team)
        if not zipped:
            raise NotFoundError("No member has headshots yet.", hint="Run the studio for the team first.")
        return build_zip(store, zipped, temp_zip(store), extra={"team.csv": text.encode()})

    dest = await run_in_threadpool(build)
    return FileResponse(dest, media_type="application/zip", filename="team-headshots.zip",
                        background=BackgroundTask(dest.unlink, missing_ok=True))


@router.delete("/teams/{team_id}", status_code=204, summary="Delete the team and every member's photos")
async def delete_team(request: Request, team: dict = Depends(team_auth)) -> Response:
    store = request.app.state.store
    runner = request.app.state.runner
    members = [s["id"] for s in await run_in_threadpool(store.team_members, team["id"])]
    for sid in members:
        await run_in_threadpool(runner.cancel_session, sid)
    try:
        await run_in_threadpool(forget_team, store, team["id"])
    finally:
        for sid in members:
            runner.release(sid)
    return Response(status_code=204)

"""Live coaching: the page's camera preview frames → one direction at a time, a
readiness light, when to capture; the capture burst → the sharpest frame, added to
the session exactly as an upload; wardrobe advice for the chosen Look.

A session's coach state lives in this process (``app.state.coaches``): it is a few
frames of history, dropped when the page closes the camera (DELETE) or the session
goes. Frames are analysed on worker threads, at most ``ANALYSE_AT_ONCE`` together.
Nothing is stored but the kept capture.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .. import defaults
from ..errors import ImageReadError, InputError
from ..store import TooManyPhotosError
from . import library
from .errors import PayloadTooLargeError
from .routes_sessions import (
    ERRORS,
    PhotoOut,
    _decode,
    _decode_limit,
    photo_out,
)
from .security import session_auth

router = APIRouter(tags=["coach"], responses=ERRORS)

MAX_FRAME_BYTES = 3 * 2**20  # a 1280×720 JPEG preview is ~100 KB
MAX_BURST = 5
MAX_COACHES = 64  # sessions coached at once (the oldest state is dropped beyond)
ANALYSE_AT_ONCE = 2
_analyse_limit = anyio.CapacityLimiter(ANALYSE_AT_ONCE)


class NoCaptureError(InputError):
    code = "no_capture"


class DirectionOut(BaseModel):
    key: str = Field(examples=["roll"])
    text: str


class AdviceOut(BaseModel):
    key: str = Field(examples=["blend"], description="blend | stripes | neckline | lettering | logo")
    text: str


class CoachOut(BaseModel):
    direction: DirectionOut | None = Field(None, description="The one thing to do now (none: hold on / all good).")
    light: str = Field(description="red | amber | green", examples=["green"])
    capture: bool = Field(description="Every measure is good: take the burst now.")
    problems: list[str] = Field(description="Every problem of this frame, most important first.")
    wardrobe: list[AdviceOut] = []
    recommend_look: str | None = None
    next: str = Field(description="The variation the set needs next.")
    seconds: float = Field(description="Analysis time of this frame on the server.")


class CaptureOut(BaseModel):
    photo: PhotoOut
    kept: int = Field(description="Index of the kept frame in the burst (the sharpest face).")
    sharpness: list[float]


class _Coach:
    """One session's coach: its state and its last wardrobe reading."""

    def __init__(self) -> None:
        from ..coach import CoachState

        self.state = CoachState()
        self.lock = threading.Lock()
        self.wardrobe: tuple[list[AdviceOut], str | None] = ([], None)
        self.dressing = False  # a wardrobe reading is running
        self.last = None  # the previous frame's Reading: the face is tracked from it


def _coaches(request: Request) -> tuple[dict[str, _Coach], threading.Lock]:
    app = request.app
    if not hasattr(app.state, "coaches"):
        app.state.coaches, app.state.coaches_lock = {}, threading.Lock()
    return app.state.coaches, app.state.coaches_lock


def _coach_for(request: Request, session_id: str) -> _Coach:
    coaches, lock = _coaches(request)
    with lock:
        if session_id not in coaches and len(coaches) >= MAX_COACHES:  # pages that never said goodbye
            coaches.pop(next(iter(coaches)))
        return coaches.setdefault(session_id, _Coach())


def shots_of(photos: list[dict[str, Any]]) -> list[Any]:
    """The session's usable photos as :class:`~likeness.coach.Shot` (pose and expression)."""
    from ..coach import Shot
    from ..store.db import loads

    out = []
    for p in photos:
        c = loads(p["check"]) if isinstance(p["check"], str) else p["check"]
        if not p["usable"] or not c or not c.get("pose"):
            continue
        out.append(Shot(yaw=float(c["pose"]["yaw"]), expression=c.get("expression") or "neutral"))
    return out


def _dress(coach: _Coach, image, face, look: str) -> None:
    from ..coach.wardrobe import advise

    try:
        w = advise(image, face, look=look)
        coach.wardrobe = ([AdviceOut(key=a.key, text=a.text) for a in w.advice], w.recommend)
    finally:
        coach.dressing = False


def analyse(coach: _Coach, data: bytes, *, look: str, photos: list[dict[str, Any]], camera_side: int | None = None) -> CoachOut:
    """One frame through the coach (runs on a worker thread)."""
    from ..coach import decode_frame, next_variation, problems, read_frame, ready, step
    from ..coach.session import WARDROBE_EVERY

    t0 = time.perf_counter()
    image = decode_frame(data)
    reading = read_frame(image, prior=coach.last).at_capture(camera_side)
    coach.last = reading
    found = problems(reading)
    with coach.lock:
        coach.state, ans = step(coach.state, found, ready=ready(reading))
        frames = coach.state.frames
    if reading.found and frames % WARDROBE_EVERY == 1 and not coach.dressing:
        # The wardrobe (segmentation, a render per Look) is read beside the frames, not in
        # their path: clothes do not change between frames, and a frame's answer must be quick.
        coach.dressing = True
        threading.Thread(target=_dress, args=(coach, image, reading.face, look), daemon=True,
                         name="likeness-wardrobe").start()
    advice, rec = coach.wardrobe
    d = ans.direction
    return CoachOut(direction=DirectionOut(key=d.key, text=d.text) if d else None, light=ans.light, capture=ans.capture,
                    problems=list(ans.problems), wardrobe=advice, recommend_look=rec,
                    next=next_variation(shots_of(photos)), seconds=round(time.perf_counter() - t0, 4))


@router.post("/sessions/{session_id}/coach/frame", response_model=CoachOut, summary="Coach one camera preview frame",
             openapi_extra={"requestBody": {"required": True, "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
async def coach_frame(request: Request, session: dict = Depends(session_auth),
                      look: str = Query(defaults.LOOK, description="The Look chosen (for the wardrobe advice)."),
                      camera_side: int | None = Query(None, ge=64, le=20000, description="Longer side (px) of the "
                                                      "camera's full-resolution capture: the face must be large enough there.")) -> CoachOut:
    data = await request.body()
    if len(data) > MAX_FRAME_BYTES:
        raise PayloadTooLargeError("The camera frame is too large.", hint="Send preview frames of at most 1280 px.")
    if not data:
        raise ImageReadError("The camera frame is empty.", hint="Start the camera again.")
    look = library.check_look(look)
    store = request.app.state.store
    photos = await run_in_threadpool(store.photos, session["id"])
    coach = _coach_for(request, session["id"])
    return await anyio.to_thread.run_sync(lambda: analyse(coach, data, look=look, photos=photos, camera_side=camera_side), limiter=_analyse_limit)


@router.delete("/sessions/{session_id}/coach", status_code=204, summary="The camera closed: forget the coach's state")
async def coach_close(request: Request, session: dict = Depends(session_auth)) -> Response:
    coaches, lock = _coaches(request)
    with lock:
        coaches.pop(session["id"], None)
    return Response(status_code=204)


def sharpest(burst: list[bytes]) -> tuple[int, list[float]]:
    """Index of the frame whose face is sharpest (the face measure of the photo checks)."""
    from ..coach import read_frame
    from ..imageio import load_photo

    values = []
    for data in burst:
        try:
            r = read_frame(load_photo(data, max_side=1280).image)
            values.append(round(float(r.raw.sharpness), 4) if r.raw is not None else -1.0)
        except ImageReadError:
            values.append(-1.0)
    return int(max(range(len(values)), key=values.__getitem__)), values


@router.post("/sessions/{session_id}/coach/capture", status_code=201, response_model=CaptureOut,
             summary="The capture burst: the sharpest frame is added to the session as an upload")
async def coach_capture(request: Request, session: dict = Depends(session_auth),
                        file: list[UploadFile] = File(..., description="1–5 full-resolution frames of one burst.")) -> CaptureOut:
    store = request.app.state.store
    if not 1 <= len(file) <= MAX_BURST:
        raise NoCaptureError(f"A burst has 1 to {MAX_BURST} frames (this one has {len(file)}).",
                             hint="Send the frames of one burst as the form field 'file'.", frames=len(file))
    n = len(await run_in_threadpool(store.photos, session["id"]))
    if n >= store.settings.max_photos:
        raise TooManyPhotosError(f"This session already has {n} photos, the most it can hold.",
                                 hint="Remove some photos first; 5 to 10 good ones are plenty.", limit=store.settings.max_photos)
    limit = store.settings.max_upload_bytes
    burst = []
    for f in file:
        data = await f.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLargeError(f"A captured frame is larger than {limit / 2**20:.0f} MB.",
                                       hint="Lower the camera resolution and try again.")
        burst.append(data)
    kept, values = await anyio.to_thread.run_sync(sharpest, burst, limiter=_analyse_limit)
    name = time.strftime("camera-%Y%m%d-%H%M%S.jpg")
    data = burst[kept]
    fmt, size, preview = await anyio.to_thread.run_sync(_decode, data, name, limiter=_decode_limit)
    row = await run_in_threadpool(lambda: store.add_photo(session["id"], name=name, data=data, fmt=fmt, size=size,
                                                          preview_jpeg=preview))
    return CaptureOut(photo=photo_out(row), kept=kept, sharpness=values)

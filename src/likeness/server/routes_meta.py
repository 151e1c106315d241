"""What the page needs before a session: the Looks, the framings, health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from .. import __version__, defaults
from . import library
from .schemas import ErrorOut, Health, Options

router = APIRouter(tags=["meta"], responses={500: {"model": ErrorOut}})


@router.get("/options", response_model=Options, summary="Looks and framings to choose from")
async def options(request: Request) -> Options:
    looks, frames, attire = await run_in_threadpool(lambda: (library.looks(), library.frames(), request.app.state.attire()))
    return Options(looks=looks, frames=frames, default_look=defaults.LOOK, default_frame=defaults.FRAME,
                   retention_days=request.app.state.settings.retention_days, attire=attire)


@router.get("/health", response_model=Health, summary="Is the server up and are the models loaded")
async def health(request: Request) -> Health:
    runner = request.app.state.runner
    counts = await run_in_threadpool(request.app.state.store.jobs.counts)
    return Health(ok=True, version=__version__, models_ready=runner.warmed.is_set(), jobs=counts, workers=runner.workers)

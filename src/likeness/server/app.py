"""The FastAPI application: ``create_app()`` wires the store, the workers, the
routes, the security middleware and the page.

Nothing heavy happens at import. The lifespan opens the store, purges expired
sessions, puts jobs interrupted by a previous stop back in the queue, starts the
workers (each loads its face models) and a periodic purge; on shutdown the workers
finish what they can within a grace period.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from .. import __version__
from ..errors import StorageError, storage_error
from ..store import Store, StoreSettings, purge_expired
from . import errors, library
from .runner import Runner
from .security import BodyLimit, HostCheck, NewSessionLimit, SecurityHeaders

log = logging.getLogger("likeness.server")
STATIC = Path(__file__).with_name("static")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


class HomeInUseError(StorageError):
    code = "home_in_use"


def _lock_home(home: Path) -> int:
    """One server per home folder: the queue's restart recovery assumes it."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(home / ".server.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise (storage_error(exc, where=str(home)) or exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HomeInUseError(f"Another `likeness serve` is already using {home}.",
                             hint="Stop it first, or give this one another --home.") from None
    return fd


def preflight(settings: StoreSettings) -> None:
    """What the lifespan would find wrong, found before the web server starts, so the
    command line can say it in one line: the data folder is in use by another server,
    read-only, full, or its database cannot be opened."""
    fd = _lock_home(settings.home)
    try:
        store = Store(settings)
        try:
            store.files.check_writable()
        finally:
            store.close()
    except StorageError as exc:
        # Name the folder: this message is for the operator's console, not a web page.
        cause = exc.__cause__
        named = storage_error(cause, where=str(settings.home)) if cause is not None else None
        raise (named or exc) from cause
    finally:
        os.close(fd)


def create_app(
    settings: StoreSettings | None = None,
    *,
    allowed_hosts: Sequence[str] | None = LOCAL_HOSTS,
    start_workers: bool = True,
    check_fn: library.CheckFn | None = None,
    studio_fn: library.StudioFn | None = None,
    warm: Callable[[], None] | None = library.warm,
    attire: library.AttireFn | None = None,
    generate_fn: Callable[..., Any] | None = None,
) -> FastAPI:
    """The app. ``allowed_hosts=None`` accepts any Host header (when serving beyond
    this machine with ``--host``); by default only loopback names are answered,
    which also stops DNS-rebinding pages from reaching the API. ``attire`` says whether
    "new attire" can be offered (default: a generation model pulled and a GPU here),
    ``generate_fn`` makes it in a worker process (default ``library.generate_attire``);
    tests swap both."""
    settings = settings or StoreSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock_fd = _lock_home(settings.home)
        store = Store(settings)
        requeued, failed = store.jobs.recover()
        gone = purge_expired(store)
        if requeued or failed or gone:
            log.info("start: %d jobs requeued, %d failed, %d expired sessions purged", requeued, failed, len(gone))
        runner = Runner(store, workers=settings.workers, check_fn=check_fn, studio_fn=studio_fn, warm=warm,
                        generate_fn=generate_fn)
        app.state.store, app.state.runner, app.state.settings = store, runner, settings
        app.state.attire = attire or library.attire_status
        app.state.new_sessions = NewSessionLimit(limit=settings.max_new_sessions, window_s=settings.new_sessions_window_s)
        stop_purge = threading.Event()

        def purge_loop() -> None:
            while not stop_purge.wait(settings.purge_every_s):
                try:
                    n = purge_expired(store)
                    if n:
                        log.info("purged %d expired sessions", len(n))
                except Exception:  # noqa: BLE001 - retried at the next interval; logged
                    log.exception("purge failed")

        purger = threading.Thread(target=purge_loop, name="likeness-purge", daemon=True)
        purger.start()
        if start_workers:
            runner.start()
        try:
            yield
        finally:
            stop_purge.set()
            runner.stop(settings.shutdown_grace_s)
            store.close()
            os.close(lock_fd)  # releases the flock

    app = FastAPI(
        title="Likeness",
        version=__version__,
        description="Professional headshots from your own photos, made on this machine. "
        "Create a session, add photos (each is checked and coached), run the studio with a Look, "
        "download the headshots, and delete everything when done.",
        lifespan=lifespan,
        docs_url=None,  # the bundled Swagger UI loads from a CDN: nothing may leave the machine
        redoc_url=None,
    )
    errors.install(app)
    from .routes_coach import router as coach_router
    from .routes_files import router as files_router
    from .routes_gallery import router as gallery_router
    from .routes_meta import router as meta_router
    from .routes_sessions import router as sessions_router
    from .routes_teams import router as teams_router

    for r in (meta_router, sessions_router, files_router, gallery_router, teams_router, coach_router):
        app.include_router(r, prefix="/api")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Order: the body limit runs first (outermost after headers), then the host check.
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, allowed=allowed_hosts)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 256 * 1024)
    app.add_middleware(SecurityHeaders)
    return app

"""Helpers for testing and benchmarking the server: sample uploads, polling, and a
real ``likeness serve`` in a child process (restart test, load test, browser test)."""

from __future__ import annotations

import errno
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

EVAL_SINGLE = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "photos" / "single"


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def encode(image: np.ndarray | Any, fmt: str = "JPEG", **kw: Any) -> bytes:
    from PIL import Image

    img = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def astronaut_jpeg(quality: int = 92) -> bytes:
    """The 512 px original: a face, but too small for a headshot (coaching says so)."""
    return encode(astronaut(), "JPEG", quality=quality)


def astronaut_photo(side: int = 900, quality: int = 92) -> bytes:
    """The astronaut enlarged to ``side`` px: usable for the studio (≥ 60 px between
    the eyes). 1024 px is avoided: a 2× enlargement reads as blocky compression."""
    from PIL import Image

    return encode(Image.fromarray(astronaut()).resize((side, side), Image.Resampling.LANCZOS), "JPEG", quality=quality)


#: While this file exists in the data folder, :func:`studio_with_faults` fills the disk.
FAULT_DISK_FULL = ".fault-disk-full"


def studio_with_faults(paths: Any, *, out: Any, **kw: Any) -> Any:
    """The real studio, with a fault that a test switches on and off: while
    ``<home>/.fault-disk-full`` exists, the disk "fills up" once the run's first file
    (a full-size headshot) is in place, so every later file fails with ENOSPC. Runs in
    a worker process: pass it to ``create_app(studio_fn=...)``."""
    from . import library

    out = Path(out)
    home = out.resolve().parents[3]  # home/sessions/<session>/runs/<job>
    if not (home / FAULT_DISK_FULL).exists():
        return library.studio(paths, out=out, **kw)
    real, placed = os.replace, []

    def replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
        if Path(dst).resolve().is_relative_to(out.resolve()):
            if placed:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            placed.append(dst)
        real(src, dst, *a, **k)

    os.replace = replace
    try:
        return library.studio(paths, out=out, **kw)
    finally:
        os.replace = real


def studio_refusing(paths: Any, *, out: Any, **kw: Any) -> Any:
    """The real studio, with the review's defect checks refusing every render (stray
    pieces over their limit): the refused renders a test of ``keep_rejected`` needs,
    from any photo. Runs in a worker process: pass it to ``create_app(studio_fn=...)``."""
    from ..review import Check, gate
    from . import library

    real = gate.defect_checks
    gate.defect_checks = lambda *a, **k: {
        "islands": Check(False, 2.0, 0.3, "The cut-out has stray pieces apart from you (2.0 % of the picture).")}
    try:
        return library.studio(paths, out=out, **kw)
    finally:
        gate.defect_checks = real


def new_session(client: Any) -> tuple[str, dict[str, str]]:
    """(session id, auth headers) of a new web session, through a test client."""
    r = client.post("/api/sessions")
    assert r.status_code == 201, r.text
    return r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn: Callable[[], Any], *, timeout: float = 60.0, every: float = 0.2, what: str = "condition") -> Any:
    """Poll ``fn`` until it returns something truthy; raise TimeoutError with ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def session_idle(client: Any, sid: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The session when no photo is being checked and no job is queued or running."""
    s = client.get(f"/api/sessions/{sid}", headers=headers).json()
    busy = any(p["state"] == "checking" for p in s["photos"]) or any(j["state"] in ("queued", "running") for j in s["jobs"])
    return None if busy else s


class ServerProcess:
    """``likeness serve`` on a free loopback port, in a child process."""

    def __init__(self, home: Path, *, workers: int = 2, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.home, self.workers = Path(home), workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GLOG_minloglevel": "2", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = self.home.parent / f"server-{self.port}.log"

    def start(self, *, timeout: float = 90.0, ready: str = "/api/health") -> ServerProcess:
        import httpx

        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-c", "from likeness.cli import main; main()", "serve", "--home", str(self.home), "--port", str(self.port),
               "--workers", str(self.workers), "--log-level", "warning"]
        self._fh = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self._fh, stderr=subprocess.STDOUT)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: {self.log.read_text()[-2000:]}")
            try:
                return httpx.get(self.url + ready, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=timeout, every=0.25, what="the server to start")
        return self

    def kill(self) -> None:
        """Stop hard (SIGKILL): what a power cut or an OOM kill does mid-job."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self._fh.close()

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --- new attire without a model or a GPU ------------------------------------------------

#: While this file exists in the data folder, :func:`generate_for_tests` echoes the
#: person's best photo as the "generated" image (the review passes a real face).
GENERATE_ECHO = ".generate-echo"
#: While this file exists, :func:`generate_for_tests` runs until it is cancelled; it
#: writes :data:`GENERATING` into the data folder once it has started.
GENERATE_SLOW = ".generate-slow"
GENERATING = ".generating"
#: While this file exists, :func:`generate_for_tests` fails as a missing model does.
GENERATE_FAIL = ".generate-fail"


def generate_for_tests(paths: Any, *, looks: Any, out: Any, progress: Callable[[int, int], None] | None = None,
                       **kw: Any) -> Any:
    """The server's generate path on the CPU with nothing downloaded: the real
    ``generate_looks`` (intake, candidates, framing, review, delivery) with the tiny
    randomly initialised FLUX.2 [klein] pipeline (its noise is refused by the review),
    or, while ``<home>/.generate-echo`` exists, a stand-in backend that returns the
    person's own best photo (delivered: the review sees a real face). Runs in the
    generation worker process: pass it to ``create_app(generate_fn=...)``."""
    from . import library

    out = Path(out)
    home = out.resolve().parents[4]  # home/sessions/<session>/runs/<job>/generated
    progress = progress or (lambda _d, _t: None)
    if (home / GENERATE_SLOW).exists():
        (home / GENERATING).touch()
        for _ in range(1200):  # until the runner stops this process (cancel), at most two minutes
            progress(1, 4)
            time.sleep(0.1)
        raise RuntimeError("the slow test generator was never cancelled")
    if (home / GENERATE_FAIL).exists():
        from ..errors import ModelMissingError

        raise ModelMissingError("The generation model is not pulled here.", hint="likeness models pull flux2-klein-4b")
    if (home / GENERATE_ECHO).exists():
        return library.generate_attire(paths, looks=looks, out=out, progress=progress, backend=_echo_backend(),
                                       pipe=_ECHO, size=(512, 640), **kw)
    return library.generate_attire(paths, looks=looks, out=out, progress=progress, pipe=_tiny_pipeline(),
                                   size=(64, 64), steps=2, **kw)


_ECHO = "echo"  # the stand-in backend needs no pipeline: any object stands for it


@cache  # built once per worker process
def _tiny_pipeline() -> Any:
    from ..bench.generate import flux2_klein_pipeline

    return flux2_klein_pipeline("tiny")


def _echo_backend() -> str:
    """Register (once, in the calling process) a backend that "paints" the first
    reference, cut to the canvas shape and resized to it, and return its name."""
    from ..generate import registry
    from ..generate.prompts import build_prompt

    name = "echo-for-tests"
    if name in registry._REGISTRY:
        return name

    class Echo(registry.Backend):
        name = "echo-for-tests"
        description = "Test stand-in: returns the person's own photo (no model, no weights)."
        licence = "none (no weights)"
        commercial_use = True
        source_type = registry.TRAINED

        def prompt(self, look: Any, *, references: int) -> str:
            return build_prompt(look, mode="references", references=references)

        def __call__(self, pipe: Any, references: list[np.ndarray], *, prompt: str, seeds: list[int],
                     size: tuple[int, int], steps: int, face_mask: np.ndarray | None = None) -> list[np.ndarray]:
            import cv2

            ref, (w, h) = references[0], size
            rh, rw = ref.shape[:2]
            cw, ch = min(rw, round(rh * w / h)), min(rh, round(rw * h / w))
            x0, y0 = (rw - cw) // 2, (rh - ch) // 2
            crop = np.ascontiguousarray(ref[y0:y0 + ch, x0:x0 + cw])
            return [cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA) for _ in seeds]

    registry.register(Echo)
    return name

"""Worker processes: the library runs in child processes, one per lane.

Why processes and not threads: the face models hold the GIL for much of their work,
so jobs running in server threads slow every API answer (measured: p50 of a plain
GET rose to ~170 ms under load). A child process also makes stopping a job exact (the
child is killed and replaced), and a crash in native code loses one job, not the
server. Children only compute (and write a studio job's files into its own folder);
every database write stays in the server process. A child dies with its lane thread
(``PR_SET_PDEATHSIG``), so a killed server leaves no orphan writing files.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..errors import LikenessError

READY_TIMEOUT_S = 180.0
WORKER_NICE = 10


class RemoteError(LikenessError):
    """A library error raised in a worker process, carried back as its ``to_dict()``."""

    def __init__(self, info: dict[str, Any]) -> None:
        info = dict(info)
        self.code = info.pop("code", "error")
        super().__init__(info.pop("message", "The job failed."), hint=info.pop("hint", ""), **info)


class LaneStopped(Exception):
    """The call was abandoned: the job was cancelled or the server is stopping."""


def _die_with_parent(parent: int) -> None:
    try:  # Linux: SIGKILL this process when the thread that started it exits
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # other systems: children still exit at their next idle read (EOF)
    if os.getppid() != parent:  # the server died before prctl took effect
        os._exit(0)


def _spec(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _resolve(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def main() -> None:
    """Entry point of a worker process: ``argv = [fd, parent pid, json specs]``."""
    fd, parent, specs = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    _die_with_parent(parent)
    warm = _resolve(specs.pop("warm")) if specs.get("warm") else None
    specs.pop("warm", None)
    _child(Connection(fd), {k: _resolve(v) for k, v in specs.items()}, warm)


def _child(conn, fns: dict[str, Callable[..., Any]], warm: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    try:  # the server process answers people; the workers only compute: let it go first
        os.nice(WORKER_NICE)
    except OSError:
        pass  # not allowed here: same priority then
    os.environ.setdefault("GLOG_minloglevel", "2")
    if warm is not None:
        warm()
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "stop":
            return
        _, kind, args, options = msg
        try:
            result = fns[kind](*args, progress=lambda d, t: conn.send(("progress", int(d), int(t))), **options)
            conn.send(("result", result))
        except Exception as exc:  # noqa: BLE001 - sent back: the server decides what it means
            from ..errors import storage_error
            from ..types import to_jsonable

            # A full disk or a read-only folder is the operator's to fix, not a bug.
            known = exc if isinstance(exc, LikenessError) else storage_error(exc)
            if known is not None:
                conn.send(("error", to_jsonable(known.to_dict())))
            else:  # a bug: the trace goes back to the server's log
                conn.send(("crash", traceback.format_exc()))


class Lane:
    """One worker process and its pipe; used by exactly one runner thread."""

    def __init__(self, name: str, fns: dict[str, Callable[..., Any]], warm: Callable[[], None] | None) -> None:
        self.name, self.fns, self.warm = name, fns, warm
        self.proc: Any = None
        self.conn: Any = None

    def start(self) -> None:
        # A plain subprocess, not multiprocessing: spawn would re-import the caller's
        # __main__ (a script without a main guard would start a second server).
        ours, theirs = socket.socketpair()
        specs = {k: _spec(f) for k, f in self.fns.items()}
        specs["warm"] = _spec(self.warm) if self.warm else ""
        cmd = [sys.executable, "-c", "from likeness.server.lanes import main; main()",
               str(theirs.fileno()), str(os.getpid()), json.dumps(specs)]
        env = {**os.environ, "GLOG_minloglevel": os.environ.get("GLOG_minloglevel", "2")}
        self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        self.conn = Connection(ours.detach())
        if not self.conn.poll(READY_TIMEOUT_S) or self.conn.recv() != ("ready",):
            raise RuntimeError(f"worker {self.name} did not start")

    def call(self, kind: str, args: tuple, options: dict[str, Any], *, progress: Callable[[int, int], None],
             abandon: Callable[[], bool]) -> Any:
        """Run ``fns[kind](*args, progress=..., **options)`` in the child. ``progress``
        may raise to stop the job; ``abandon()`` is polled: True kills the child."""
        if abandon():  # cancelled before it started: the worker stays as it is
            raise LaneStopped(kind)
        self.conn.send(("run", kind, args, options))
        while True:
            if abandon():
                self.restart()
                raise LaneStopped(kind)
            if not self.conn.poll(0.1):
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    self.restart()
                    raise RuntimeError(f"the worker process died (exit code {code}) while running a {kind} job")
                continue
            msg = self.conn.recv()
            if msg[0] == "progress":
                try:
                    progress(msg[1], msg[2])
                except BaseException:
                    self.restart()
                    raise
            elif msg[0] == "result":
                return msg[1]
            elif msg[0] == "error":
                raise RemoteError(msg[1])
            else:
                raise RuntimeError(f"{kind} job crashed in the worker:\n{msg[1]}")

    def restart(self) -> None:
        self.kill()
        self.start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is None:
            return
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass  # already gone
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kill()

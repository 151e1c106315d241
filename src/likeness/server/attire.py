"""New attire in the gallery: the generate path, run for a studio job that asks for it.

Generation gets one worker process of its own, shared by every lane and used by one
job at a time: a generation pipeline holds 16+ GB of GPU memory, and each studio lane
loading its own copy would not fit. The process starts on first use (the studio's
workers never import torch) and keeps the pipeline loaded between jobs; a cancelled
job replaces it, which also frees the GPU.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .lanes import Lane


class GenerateLane:
    def __init__(self, generate_fn: Callable[..., Any]) -> None:
        self._lane = Lane("likeness-generate", {"generate": generate_fn}, None)
        self._lock = threading.Lock()

    @contextmanager
    def held(self, *, stop: Callable[[], bool], stopped: Callable[[], BaseException]) -> Iterator[Lane]:
        """The started lane, for this caller alone. While another job generates, wait;
        ``stop()`` is polled meanwhile and, once true, ``stopped()`` is raised."""
        while not self._lock.acquire(timeout=0.2):
            if stop():
                raise stopped()
        try:
            if self._lane.proc is None or self._lane.proc.poll() is not None:
                self._lane.kill()
                self._lane.start()
            yield self._lane
        finally:
            self._lock.release()

    def stop(self) -> None:
        with self._lock:
            self._lane.stop()


def generated_info(entry: dict[str, Any]) -> dict[str, Any]:
    """What a generated headshot's record adds to a studio one: the label."""
    return {"generated": True, "made_by": "generate", "backend": entry.get("backend")}


def summary(delivered: list[dict[str, Any]], refused: list[dict[str, Any]], error: dict[str, Any] | None,
            looks: list[str]) -> dict[str, Any]:
    """The job result's ``generated`` part: what was delivered, what the review refused
    (with every reason and check), or why nothing could be generated."""
    return {"looks": looks, "delivered": len(delivered), "error": error,
            "rejected": [{k: r.get(k) for k in ("look", "seed", "likeness", "reasons", "review", "backend")}
                         for r in refused]}

"""One worker thread beside the render's own, for steps that need nothing the main
thread is working on at the time (:mod:`likeness.studio.pipeline`: the whole photo's
segmentation beside the framing; the retouch, the bystanders' faces and the matte's
edge colours beside the matte;
:func:`likeness.studio.light.relight`: the light's estimate beside the skin and fill
maps). They are model runs and small-image work that leave a second core idle.

Where the process was asked for one thread (``cv2.getNumThreads() == 1``: the team's
worker processes, one per core, or a process pinned to one core) the steps run
inline instead: a second thread there only competes with the other workers (the team
bench's two-worker speed-up fell from 1.8 to 1.56 with it).

Networks are per thread (:mod:`likeness.faces.tflite`), so a step that runs a model
beside loads its own copy once. A render that never submits anything starts no thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import cv2

_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="likeness-beside")


def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` on the worker thread, or at once in this one where the
    process was asked for one thread; either way a :class:`~concurrent.futures.Future`
    whose ``result()`` gives its value or raises its error."""
    if cv2.getNumThreads() > 1:
        return _POOL.submit(fn, *args, **kwargs)
    done: Future = Future()
    try:
        done.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - handed to the caller by result(), as from the thread
        done.set_exception(exc)
    return done

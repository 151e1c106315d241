"""One worker thread beside the caller's own, for steps that need nothing the calling
thread is working on at the time (:mod:`likeness.studio.pipeline`: the whole photo's
segmentation beside the framing; the retouch, the bystanders' faces and the matte's
edge colours beside the matte;
:func:`likeness.studio.light.relight`: the light's estimate beside the skin and fill
maps; :func:`likeness.studio.studio`: the next photo's decode and its search for a
colour chart beside intake's reading of the one before
(:class:`likeness.studio.decode.SetDecoder`), and the review's reading of each photo;
:func:`likeness.review.review`: the tiled search for more faces and the candidate's
reading beside the scene, and (:func:`likeness.review.defects.run`) the hand check
beside the other checks). They are decodes, model runs and small-image work that
leave a second core idle.

Where the process was asked for one thread (``cv2.getNumThreads() == 1``: the team's
worker processes, one per core, or a process pinned to one core) the steps run
inline instead: a second thread there only competes with the other workers (the team
bench's two-worker speed-up fell from 1.8 to 1.56 with it).

A step already on the worker runs what it submits at once (waiting for the one worker
from itself would never end).

Networks are per thread (:mod:`likeness.faces.tflite`), so a step that runs a model
beside loads its own copy once. A render that never submits anything starts no thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import cv2

_NAME = "likeness-beside"
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)


def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` on the worker thread, or at once in this one where the
    process was asked for one thread or this is the worker; either way a :class:`~concurrent.futures.Future`
    whose ``result()`` gives its value or raises its error."""
    if cv2.getNumThreads() > 1 and not threading.current_thread().name.startswith(_NAME):
        return _POOL.submit(fn, *args, **kwargs)
    done: Future = Future()
    try:
        done.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - handed to the caller by result(), as from the thread
        done.set_exception(exc)
    return done


def here_if_waiting(future: Future, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """The value of ``future`` (``fn(*args, **kwargs)`` submitted earlier): where the
    worker has not started it, it is taken back and run on this thread, which would
    otherwise wait behind the worker's queue."""
    return fn(*args, **kwargs) if future.cancel() else future.result()

"""Settings for a process that Likeness owns (the command line, the team's worker
processes, the studio bench's warm child), which a library must not impose on a program
that imports it.

- *BLAS on one thread.* numpy's OpenBLAS starts a thread per core and lets them spin
  between calls. Our BLAS work is small (3×3 colour matrices over pixel rows, the
  matte's band solve) and the second core already runs the worker thread
  (:mod:`likeness.beside`), so the extra threads add CPU and no speed.
- *Large blocks kept for reuse.* glibc hands blocks above a threshold that it moves
  with use back to the system when freed, and the next block of that size is faulted
  in again page by page; a headshot allocates and frees many 10–40 MB planes. A fixed
  threshold of 32 MB (the most glibc's moving one reaches) and freed memory kept up
  to 256 MB at the heap's top reuse those pages instead.

Measured by ``likeness bench studio`` (its ``verb``: ``likeness studio`` on five
3000×4000 photos as a cold process, 2 cores), alternating with the code before, twice
each (5 Dec): CPU time 4.73–4.80 → 3.87–3.94 s, wall time 3.30–3.32 → 2.81–2.99 s.
Alone, with environment variables: BLAS on one thread took 0.15–0.3 s of CPU time off
with the same wall time; the allocator settings took the system time from 0.61–0.67 to
0.38–0.46 s for 10–30 MB more peak memory. The render alone (``bench studio``'s
``median_s``) did not move.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: glibc ``mallopt`` parameters and the values set.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20


def tune() -> dict[str, bool]:
    """Apply the settings above to this process (each one the environment or the
    platform allows; a BLAS thread count the user set is kept). Call it before numpy
    is imported, or the BLAS setting has no effect. Returns which settings took."""
    blas = "numpy" not in sys.modules
    if blas:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return {"blas_one_thread": blas and os.environ["OPENBLAS_NUM_THREADS"] == "1", "allocator": _mallopt()}


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        fn = libc.mallopt  # glibc's; other C libraries' answer 0 (not taken)
    except (OSError, AttributeError):
        return False
    fn.argtypes, fn.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(fn(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(fn(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))

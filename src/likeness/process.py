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
- *One malloc arena.* glibc gives each thread that allocates beside another an arena
  of its own. The studio's worker thread decodes photos (:mod:`likeness.beside`), and
  what it freed was not reused by the main thread: cold ``likeness studio`` on five
  12 MP photos, 8 interleaved pairs (5 Dec, stop 34): 59 k → 14 k page faults, peak
  memory 585 → 528 MB, CPU time −0.08 s and wall time −0.05 s, every pair lower.
  Our threads make few, large allocations, so they hardly wait on the one arena's lock.
- *Transparent huge pages for malloc.* Where the kernel gives huge pages only to memory
  that asks for them (``madvise``, the common default), numpy asks for its large arrays
  but glibc's malloc does not: Pillow's decode buffers, the bytes a decoded photo is
  joined into, OpenCV's working memory. Each 4 KB page of those is faulted in and
  zeroed on first use. glibc (2.35 and later) asks for them with the tunable
  ``glibc.malloc.hugetlb=1``, read only when a process starts, so the command line
  starts itself again with it (:func:`relaunch`, before anything heavy is imported).

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
from collections.abc import Mapping

#: glibc ``mallopt`` parameters and the values set.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20
ARENA_MAX = 1


def tune() -> dict[str, bool]:
    """Apply the settings above to this process (each one the environment or the
    platform allows; a BLAS thread count the user set is kept). Call it before numpy
    is imported, or the BLAS setting has no effect, and before a second thread
    allocates (or it has an arena already). Returns which settings took."""
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
    return all(bool(fn(k, v)) for k, v in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                                          (_M_ARENA_MAX, ARENA_MAX)))


#: glibc's tunable that has malloc ask for transparent huge pages (glibc ≥ 2.35).
HUGETLB = "glibc.malloc.hugetlb=1"
#: Set in the environment of the process :func:`relaunch` starts: it never starts
#: itself again, even where the C library drops the tunable (a set-user-ID start).
RELAUNCHED = "LIKENESS_RELAUNCHED"
_THP_MODE = "/sys/kernel/mm/transparent_hugepage/enabled"


def huge_page_env(environ: Mapping[str, str], *, libc: str | None, thp: str | None) -> dict[str, str] | None:
    """The environment to start again with so that malloc asks for huge pages, or None
    where that would change nothing: not glibc 2.35 or later (``libc``, as
    ``os.confstr("CS_GNU_LIBC_VERSION")`` gives it), the kernel's mode (``thp``, the
    text of ``_THP_MODE``) not ``madvise`` (``always`` gives them already, ``never``
    not at all), the tunable already set, or this process started by :func:`relaunch`."""
    tunables = environ.get("GLIBC_TUNABLES", "")
    if RELAUNCHED in environ or "glibc.malloc.hugetlb" in tunables or not thp or "[madvise]" not in thp:
        return None
    try:
        name, version = (libc or "").split()
        major, minor = (int(v) for v in version.split(".")[:2])
    except ValueError:
        return None
    if name != "glibc" or (major, minor) < (2, 35):
        return None
    return {**environ, "GLIBC_TUNABLES": f"{tunables}:{HUGETLB}" if tunables else HUGETLB, RELAUNCHED: "1"}


def launch_env(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """:func:`huge_page_env` for this machine (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(_THP_MODE) as f:
            thp = f.read()
        libc = os.confstr("CS_GNU_LIBC_VERSION")
    except (OSError, ValueError):
        return None
    return huge_page_env(os.environ if environ is None else environ, libc=libc, thp=thp)


def without_huge_pages(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without :data:`HUGETLB` and :data:`RELAUNCHED` (a plain process's,
    as a user's shell gives it: for a benchmark's floor and its cold starts)."""
    env = {k: v for k, v in environ.items() if k != RELAUNCHED}
    kept = [t for t in env.pop("GLIBC_TUNABLES", "").split(":") if t and t != HUGETLB]
    if kept:
        env["GLIBC_TUNABLES"] = ":".join(kept)
    return env


def relaunch() -> None:
    """Start this process again, with the same command line, where :func:`launch_env`
    says huge pages would help. Call it first thing in a command-line entry point,
    before any thread starts or anything is read or written: on success it does not
    return. Where the new start fails, this process goes on as it is."""
    env = launch_env() if sys.executable and len(sys.orig_argv) > 1 else None
    if env is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError:
        return

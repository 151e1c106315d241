"""The settings of a process Likeness owns (likeness.process), set by the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = """
import json, os, sys
{setup}
import numpy
print(json.dumps({{"blas": os.environ.get("OPENBLAS_NUM_THREADS"), "result": result}}))
"""


def _probe(setup: str, env: dict[str, str] | None = None) -> dict:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    res = subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup)], capture_output=True, text=True,
                         env={**base, **(env or {})}, check=True, stdin=subprocess.DEVNULL)
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_tune_sets_one_blas_thread_and_the_allocator_before_numpy():
    got = _probe("from likeness.process import tune\nresult = tune()")
    assert got["blas"] == "1"
    assert got["result"]["blas_one_thread"] is True
    assert got["result"]["allocator"] is sys.platform.startswith("linux")


def test_tune_keeps_a_thread_count_the_user_set():
    got = _probe("from likeness.process import tune\nresult = tune()", {"OPENBLAS_NUM_THREADS": "2"})
    assert got["blas"] == "2"
    assert got["result"]["blas_one_thread"] is False


def test_tune_after_numpy_reports_that_blas_was_not_set():
    got = _probe("import numpy\nfrom likeness.process import tune\nresult = tune()")
    assert got["blas"] is None
    assert got["result"]["blas_one_thread"] is False


def test_the_command_line_tunes_its_process():
    # main() runs the app; --version exits at once, after the settings were made.
    setup = ("import likeness.cli as cli\nsys.argv = ['likeness', '--version']\n"
             "try:\n    cli.main()\nexcept SystemExit as e:\n    result = e.code")
    got = _probe(setup)
    assert got["blas"] == "1"
    assert got["result"] == 0


# Huge pages for malloc: the command line starts itself again with glibc's tunable.

_GLIBC, _MADVISE = "glibc 2.36", "always [madvise] never\n"


def test_huge_page_env_adds_the_tunable_where_the_kernel_waits_to_be_asked():
    from likeness.process import HUGETLB, RELAUNCHED, huge_page_env

    env = huge_page_env({"PATH": "/bin"}, libc=_GLIBC, thp=_MADVISE)
    assert env == {"PATH": "/bin", "GLIBC_TUNABLES": HUGETLB, RELAUNCHED: "1"}
    kept = huge_page_env({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}, libc=_GLIBC, thp=_MADVISE)
    assert kept["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:{HUGETLB}"
    # A process relaunch started never starts again, even without the tunable.
    assert huge_page_env({RELAUNCHED: "1"}, libc=_GLIBC, thp=_MADVISE) is None


def test_huge_page_env_changes_nothing_where_it_would_not_help():
    from likeness.process import huge_page_env

    assert huge_page_env({}, libc=_GLIBC, thp="[always] madvise never") is None  # given already
    assert huge_page_env({}, libc=_GLIBC, thp="always madvise [never]") is None  # none to give
    assert huge_page_env({}, libc=_GLIBC, thp=None) is None
    assert huge_page_env({}, libc="glibc 2.31", thp=_MADVISE) is None  # the tunable is 2.35's
    assert huge_page_env({}, libc=None, thp=_MADVISE) is None  # not glibc (musl)
    assert huge_page_env({}, libc="glibc x", thp=_MADVISE) is None
    assert huge_page_env({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, libc=_GLIBC, thp=_MADVISE) is None  # the user's


def test_without_huge_pages_keeps_the_users_other_tunables():
    from likeness.process import HUGETLB, RELAUNCHED, without_huge_pages

    assert without_huge_pages({"GLIBC_TUNABLES": HUGETLB, RELAUNCHED: "1", "A": "1"}) == {"A": "1"}
    got = without_huge_pages({"GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{HUGETLB}"})
    assert got == {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}


def test_relaunch_starts_the_process_again_once_with_the_tunable(tmp_path):
    # Where this machine qualifies the probe's code runs twice (the second start has
    # the tunable and goes on); it counts its starts in a file.
    from likeness.process import launch_env, without_huge_pages

    counter = tmp_path / "starts"
    setup = (f"open({str(counter)!r}, 'a').write('x')\n"
             "from likeness.process import relaunch\nrelaunch()\n"
             "result = os.environ.get('GLIBC_TUNABLES')")
    env = without_huge_pages(os.environ)
    res = subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup)], capture_output=True, text=True,
                         env=env, check=True, stdin=subprocess.DEVNULL)
    got = json.loads(res.stdout.strip().splitlines()[-1])["result"]
    expected = launch_env(env)
    if expected is None:  # not glibc ≥ 2.35, or the kernel gives huge pages always or never
        assert (got, len(counter.read_text())) == (env.get("GLIBC_TUNABLES"), 1)
    else:
        assert (got, len(counter.read_text())) == (expected["GLIBC_TUNABLES"], 2)


def test_the_likeness_command_runs_through_the_relaunch():
    res = subprocess.run([sys.executable, "-m", "likeness", "--version"], capture_output=True, text=True,
                         check=False, stdin=subprocess.DEVNULL)
    assert res.returncode == 0

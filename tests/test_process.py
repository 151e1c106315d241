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

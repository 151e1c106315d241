"""The package's layout: a name ``likeness.a.b`` is the module ``a/b.py`` (or the
package ``a/b/``), whatever was imported before. A package that exported a function
named like one of its own modules made the name a function on one access and the
module on another, depending on import order (``likeness.studio`` was the function on
its first read and the package on the second)."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = r"""
import importlib, json, pkgutil, types
import likeness

def packages():
    yield likeness
    for m in pkgutil.walk_packages(likeness.__path__, "likeness."):
        if m.ispkg:
            yield importlib.import_module(m.name)

def clashes():
    out = []
    for pkg in list(packages()):
        for sub in pkgutil.iter_modules(pkg.__path__):
            if sub.name == "__main__":
                continue
            value = getattr(pkg, sub.name, None)  # None: not imported yet, not exported
            if value is not None and not isinstance(value, types.ModuleType):
                out.append(f"{pkg.__name__}.{sub.name}: {type(value).__name__}")
    return out

# A name read twice gives the same object: a package's lazy attribute that imports a
# module of the same name would be that module on the second read. Each package is
# read as soon as it is imported, before the walk imports its own packages.
flips = []

def read_twice(pkg):
    for sub in pkgutil.iter_modules(pkg.__path__):
        if sub.name != "__main__" and sub.name not in vars(pkg):  # not imported yet
            first, second = getattr(pkg, sub.name, None), getattr(pkg, sub.name, None)
            if first is not second:
                flips.append(f"{pkg.__name__}.{sub.name}: {type(first).__name__}, then {type(second).__name__}")

read_twice(likeness)
for m in pkgutil.walk_packages(likeness.__path__, "likeness."):
    if m.ispkg:
        read_twice(importlib.import_module(m.name))
before = clashes()  # each package as its own imports leave it
for m in pkgutil.walk_packages(likeness.__path__, "likeness."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
print(json.dumps({"flips": flips, "before": before, "after": clashes(), "modules": len(list(pkgutil.walk_packages(likeness.__path__, "likeness.")))}))
"""


def test_no_package_name_is_both_a_module_and_something_else():
    res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    found = json.loads(res.stdout.strip().splitlines()[-1])
    assert found["modules"] > 100  # the walk saw the whole package
    assert found["flips"] == []
    assert found["before"] == []
    assert found["after"] == []


def test_a_stage_module_is_reached_from_its_package_on_first_use():
    """``likeness.studio.light`` (and ``likeness.faces``) without importing them first:
    the packages import their modules on first use, as they do their verbs."""
    probe = ("import json, types, likeness\n"
             "got = [likeness.studio.light, likeness.faces.view, likeness.generate.prompts, likeness.team.measure]\n"
             "print(json.dumps([[m.__name__, isinstance(m, types.ModuleType)] for m in got]))\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got == [["likeness.studio.light", True], ["likeness.faces.view", True],
                   ["likeness.generate.prompts", True], ["likeness.team.measure", True]]

"""The package's layout: a name ``likeness.a.b`` is the module ``a/b.py`` (or the
package ``a/b/``), whatever was imported before. A package that exported a function
named like one of its own modules made the name a function on one access and the
module on another, depending on import order."""

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

before = clashes()  # each package as its own imports leave it
for m in pkgutil.walk_packages(likeness.__path__, "likeness."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
print(json.dumps({"before": before, "after": clashes(), "modules": len(list(pkgutil.walk_packages(likeness.__path__, "likeness.")))}))
"""


def test_no_package_name_is_both_a_module_and_something_else():
    res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    found = json.loads(res.stdout.strip().splitlines()[-1])
    assert found["modules"] > 100  # the walk saw the whole package
    assert found["before"] == []
    assert found["after"] == []

"""Generate: AI headshots from several of the user's photos (GPU, downloaded weights).

Backends live in a registry (``registry``, one file each in ``backends/``); weights in
the model store (``store``: ``likeness models pull NAME``); prompts come from the Look
(``prompts``). Importing this package does not import torch or diffusers.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "generate": ("likeness.generate.run", "generate"),
    "GenerateResult": ("likeness.generate.run", "GenerateResult"),
    "generate_candidates": ("likeness.generate.pipeline", "generate_candidates"),
    "Candidate": ("likeness.generate.pipeline", "Candidate"),
    "build_prompt": ("likeness.generate.prompts", "build_prompt"),
    "list_backends": ("likeness.generate.registry", "list_backends"),
    "get_backend": ("likeness.generate.registry", "get_backend"),
    "default_backend": ("likeness.generate.registry", "default_backend"),
    "register": ("likeness.generate.registry", "register"),
    "Backend": ("likeness.generate.registry", "Backend"),
    "list_models": ("likeness.generate.store", "list_models"),
    "pull": ("likeness.generate.store", "pull"),
    "verify": ("likeness.generate.store", "verify"),
    "MemoryOptions": ("likeness.generate.device", "MemoryOptions"),
    "pick_device": ("likeness.generate.device", "pick_device"),
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'likeness.generate' has no attribute {name!r}")


from .._callable import make_callable  # noqa: E402

make_callable(__name__, "run:generate")

"""Generate: AI headshots from several of the user's photos (GPU, downloaded weights).

Backends live in a registry (``registry``, one file each in ``backends/``); weights in
the model store (``store``: ``likeness models pull NAME``); prompts come from the Look
(``prompts``). Importing this package does not import torch or diffusers.
"""

from __future__ import annotations

_LAZY = {
    "generate": ("run", "generate"),
    "GenerateResult": ("run", "GenerateResult"),
    "generate_looks": ("run", "generate_looks"),
    "generate_candidates": ("pipeline", "generate_candidates"),
    "Candidate": ("pipeline", "Candidate"),
    "build_prompt": ("prompts", "build_prompt"),
    "list_backends": ("registry", "list_backends"),
    "get_backend": ("registry", "get_backend"),
    "default_backend": ("registry", "default_backend"),
    "register": ("registry", "register"),
    "Backend": ("registry", "Backend"),
    "list_models": ("store", "list_models"),
    "pull": ("store", "pull"),
    "verify": ("store", "verify"),
    "MemoryOptions": ("device", "MemoryOptions"),
    "pick_device": ("device", "pick_device"),
}

__all__ = list(_LAZY)

from .._callable import lazy_getattr, make_callable  # noqa: E402

__getattr__ = lazy_getattr(__name__, _LAZY)
make_callable(__name__, "run:generate")

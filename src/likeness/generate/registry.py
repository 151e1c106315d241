"""Generation backends by name (one small file each in ``backends/``, like rembg).

A backend is a class with a ``name``, the store ``model`` it loads, the IPTC
``source_type`` of what it makes, and three methods: ``check_inputs`` (before any work),
``load`` (weights from the model store, offline) and ``__call__`` (a batch of seeds →
uint8 images); ``tokens`` and ``enlargement`` describe the work for the memory plan and
the report. Its ``licence`` and ``commercial_use`` come from the store manifest, so a
backend cannot claim a licence its weights do not have.

New backends need no change anywhere else: a module in ``backends/`` that decorates its
class with :func:`register` is found on first use. A backend whose weights forbid
commercial use is listed and usable on request, but can never be the default.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import OptionError
from . import store

#: IPTC DigitalSourceType values (DESIGN.md: how each output was made).
TRAINED = "trainedAlgorithmicMedia"
COMPOSITE = "compositeWithTrainedAlgorithmicMedia"

DEFAULT_BACKEND = "flux2-klein"
#: Environment override of the default; checked like any default (commercial use only).
DEFAULT_ENV = "LIKENESS_GENERATE_BACKEND"


class Backend:
    name: ClassVar[str]
    model: ClassVar[str | None] = None  # model store name; None for weight-free backends
    licence: ClassVar[str] = ""
    commercial_use: ClassVar[bool] = False
    source_type: ClassVar[str] = TRAINED
    description: ClassVar[str] = ""
    max_references: ClassVar[int] = 1
    needs_face_mask: ClassVar[bool] = False
    steps: ClassVar[int] = 4  # default denoising steps
    guidance_scale: ClassVar[float] = 1.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model")
        if model is not None:
            spec = store.spec(model)
            cls.licence, cls.commercial_use = spec.licence, spec.commercial_use

    def check_inputs(self, references: list[np.ndarray], *, size: tuple[int, int], face_mask: np.ndarray | None) -> None:
        """Backend-specific checks; the shared ones run in ``generate_candidates``."""

    def load(self, *, device: Any, plan: Any) -> Any:
        """The pipeline, from the model store only (offline), placed as the memory
        ``plan`` says; cached per process."""
        from .loading import load_pipeline

        return load_pipeline(self.model, self.pipeline_class, device=device, plan=plan)

    def tokens(self, references: list[np.ndarray], *, size: tuple[int, int]) -> int:
        """Sequence tokens per candidate, for the memory plan (``device.sequence_tokens``)."""
        from .device import sequence_tokens

        return sequence_tokens(size, [(r.shape[1], r.shape[0]) for r in references])

    def enlargement(self, references: list[np.ndarray], *, size: tuple[int, int]) -> float:
        """Candidate px per painted px: 1.0 when the model paints at the candidate's size."""
        return 1.0

    def __call__(
        self,
        pipe: Any,
        references: list[np.ndarray],
        *,
        prompt: str,
        seeds: list[int],
        size: tuple[int, int],
        steps: int,
        face_mask: np.ndarray | None,
    ) -> list[np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError

    def prompt(self, look: Any, *, references: int) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class BackendInfo:
    name: str
    model: str | None
    licence: str
    commercial_use: bool
    source_type: str
    default: bool
    max_references: int
    description: str
    pulled: bool


_REGISTRY: dict[str, type[Backend]] = {}
_LOCK = threading.Lock()
_DISCOVERED = False


def register(cls: type[Backend]) -> type[Backend]:
    """Class decorator: add a backend under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} needs a `name`.")
    if not cls.licence:
        raise TypeError(f"Backend {name!r} must state its licence (via `model` or `licence`).")
    if cls.source_type not in (TRAINED, COMPOSITE):
        raise TypeError(f"Backend {name!r}: source_type must be {TRAINED!r} or {COMPOSITE!r}.")
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise TypeError(f"Two backends are named {name!r}: {existing.__qualname__} and {cls.__qualname__}.")
    _REGISTRY[name] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    with _LOCK:
        if _DISCOVERED:
            return
        from . import backends

        for mod in pkgutil.iter_modules(backends.__path__):
            importlib.import_module(f"{backends.__name__}.{mod.name}")
        _DISCOVERED = True


def backend_class(name: str) -> type[Backend]:
    _discover()
    if name not in _REGISTRY:
        raise OptionError(
            f"Unknown generation backend {name!r}.",
            hint="Choose one of: " + ", ".join(sorted(_REGISTRY)) + ".",
            backend=name,
        )
    return _REGISTRY[name]


def get_backend(name: str) -> Backend:
    return backend_class(name)()


def default_backend() -> str:
    """The default backend's name; an override that forbids commercial use is refused."""
    name = os.environ.get(DEFAULT_ENV) or DEFAULT_BACKEND
    cls = backend_class(name)
    if not cls.commercial_use:
        raise OptionError(
            f"{name!r} cannot be the default backend: its weights ({cls.licence}) forbid commercial use.",
            hint=f"Unset {DEFAULT_ENV} and pick {name!r} explicitly where non-commercial use is fine.",
            backend=name,
            licence=cls.licence,
        )
    return name


def list_backends() -> list[BackendInfo]:
    _discover()
    default = os.environ.get(DEFAULT_ENV) or DEFAULT_BACKEND
    pulled = {m.name: m.pulled for m in store.list_models()}
    return [
        BackendInfo(
            name=cls.name,
            model=cls.model,
            licence=cls.licence,
            commercial_use=cls.commercial_use,
            source_type=cls.source_type,
            default=cls.name == default and cls.commercial_use,
            max_references=cls.max_references,
            description=cls.description,
            pulled=pulled.get(cls.model, cls.model is None),
        )
        for cls in sorted(_REGISTRY.values(), key=lambda c: (c.name != DEFAULT_BACKEND, c.name))
    ]

"""``generate_candidates``: the one place where generation is orchestrated.

Over-generates ``count`` candidates in batches. Candidate ``i`` uses seed ``seed + i``
with its own generator, so it can be reproduced alone, in any batch size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import defaults
from ..errors import ImageTooSmallError, InputError, OptionError
from .device import DEFAULT_BATCH, MemoryOptions, MemoryPlan, pick_device, plan_memory
from .locked import MODEL_AREA
from .registry import Backend, default_backend, get_backend

MIN_SIDE = 64  # FLUX.2's image processor refuses smaller references
MAX_SIDE = 2048
SIZE_MULTIPLE = 16  # VAE ×8, then 2×2 patches
MAX_COUNT = 64
# A diffusers pipeline keeps per-call state (scheduler timesteps, step index), so two
# threads must not run one pipeline at once; the device runs one batch at a time anyway.
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Candidate:
    """One generated image and how to make it again."""

    image: np.ndarray  # uint8 H×W×3 RGB
    seed: int
    backend: str
    prompt: str
    source_type: str  # IPTC DigitalSourceType
    model: str | None = None
    steps: int = 0
    plan: MemoryPlan | None = None  # device, dtype, offload and batch it was made with
    enlarged: float = 1.0  # candidate px per px the model painted (>1: the painting was enlarged)


def size_for_look(look: Any, *, area: int = MODEL_AREA) -> tuple[int, int]:
    """(width, height) in the Look's framing aspect, multiples of 16, about ``area`` px:
    the prompt asks for that framing, so the canvas has its shape (4:5 for a headshot)."""
    from ..looks.settings import PRESETS
    from .loading import fit_area
    from .prompts import framing_preset

    preset = PRESETS.get(framing_preset(look) or defaults.FRAME, PRESETS[defaults.FRAME])
    w, h = preset.size
    return fit_area(w, h, area=min(area, w * h), multiple=SIZE_MULTIPLE)


def generate_candidates(
    references: Sequence[np.ndarray],
    *,
    look: Any,
    count: int,
    backend: str | None = None,
    seed: int = 0,
    size: tuple[int, int] | None = None,
    pipe: Any = None,
    face_mask: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    device: str | None = None,
    memory: MemoryOptions | None = None,
) -> list[Candidate]:
    """Generate ``count`` headshot candidates of the person in ``references``.

    ``references``: uint8 H×W×3 RGB photos, best first. ``look``: a Look or a dict
    (see ``prompts``). ``backend``: a registry name (None: the default, ``flux2-klein``).
    ``size``: (width, height) of each candidate (None: the Look's framing aspect near
    1 MP, ``size_for_look``); ``face-locked`` keeps the photo's own size and paints at
    ``size``'s area (give it the framed crop at model size: ``locked.locked_reference``).
    ``pipe``: a ready pipeline (tests, servers that hold one); otherwise it is loaded
    from the model store, offline, as the memory plan for this card says. ``face_mask``:
    float32 H×W in [0, 1] over ``references[0]``, the face and hair to keep (face-locked).
    ``batch_size``: the largest batch wanted (the plan may choose 1 to fit the card).
    ``progress(done, count)`` is called after each batch.
    """
    # 1. Check inputs before any work.
    chosen = get_backend(backend or default_backend())
    references = list(references) if isinstance(references, (list, tuple)) else references
    face_mask = _as_mask(face_mask)
    if size is None:
        size = size_for_look(look)
    check_inputs(references, chosen, count=count, seed=seed, size=size, steps=steps, batch_size=batch_size)
    size = (int(size[0]), int(size[1]))
    chosen.check_inputs(references, size=size, face_mask=face_mask)

    # 2. Prompt from the Look.
    prompt = chosen.prompt(look, references=len(references))

    # 3. Pipeline: the injected one, or the backend's from the model store, placed by
    # a memory plan that counts this run's references and batch.
    if pipe is None:
        from . import store

        choice = pick_device(device)
        spec = store.spec(chosen.model) if chosen.model else None  # weight-free backends need no plan figures
        plan = plan_memory(
            choice, memory or MemoryOptions(), weights_gb=spec.weights_gb if spec else {},
            token_gb=spec.token_gb if spec else 0.0,
            tokens=chosen.tokens(references, size=size), pixels=size[0] * size[1], batch=batch_size,
        )
        pipe = chosen.load(device=choice, plan=plan)
    else:
        if device is not None or memory is not None:
            raise OptionError(
                "device and memory apply to pipelines loaded from the model store, not to a given pipe.",
                hint="Place the pipe yourself (pipe.to(...)), or leave pipe out.",
            )
        expected = getattr(chosen, "pipeline_class", None)
        if expected and expected not in {c.__name__ for c in type(pipe).__mro__}:
            raise OptionError(
                f"Backend {chosen.name!r} runs a {expected}, but pipe is a {type(pipe).__name__}.",
                hint=f"Pass a {expected}, or leave pipe out to load it from the model store.",
            )
        kind = getattr(getattr(pipe, "_execution_device", None), "type", "cpu")
        dtype = str(getattr(pipe, "dtype", "")).removeprefix("torch.")
        tiling = bool(getattr(getattr(pipe, "vae", None), "use_tiling", False))
        plan = MemoryPlan(kind, dtype, "none", batch_size or DEFAULT_BATCH.get(kind, 1), tiling)
    steps = steps or chosen.steps
    batch_size = plan.batch
    enlarged = chosen.enlargement(references, size=size)

    # 4. Over-generate in batches; candidate i has seed + i.
    seeds = [int(seed) + i for i in range(count)]
    candidates: list[Candidate] = []
    for start in range(0, count, batch_size):
        batch = seeds[start : start + batch_size]
        with _RUN_LOCK:
            images = chosen(pipe, references, prompt=prompt, seeds=batch, size=size, steps=steps, face_mask=face_mask)
        candidates += [
            Candidate(image=im, seed=s, backend=chosen.name, prompt=prompt, source_type=chosen.source_type,
                      model=chosen.model, steps=steps, plan=plan, enlarged=enlarged)
            for s, im in zip(batch, images, strict=True)
        ]
        if progress is not None:
            progress(len(candidates), count)
    return candidates


def check_inputs(
    references: Any,
    backend: Backend,
    *,
    count: int,
    seed: int,
    size: Any,
    steps: int | None,
    batch_size: int | None,
) -> None:
    """The checks every backend shares; concise errors naming the bad value."""
    if not isinstance(references, list) or not references:
        raise InputError("Give at least one reference photo (a list of uint8 H×W×3 arrays).")
    if len(references) > backend.max_references:
        raise OptionError(
            f"{backend.name} uses at most {backend.max_references} reference photo(s), got {len(references)}.",
            hint=f"Pass the best {backend.max_references} (intake ranks them).",
            references=len(references),
        )
    for i, ref in enumerate(references):
        if not isinstance(ref, np.ndarray) or ref.dtype != np.uint8 or ref.ndim != 3 or ref.shape[2] != 3:
            what = f"{ref.dtype} {ref.shape}" if isinstance(ref, np.ndarray) else type(ref).__name__
            raise InputError(f"Reference {i} must be a uint8 H×W×3 RGB array, got {what}.", index=i)
        if min(ref.shape[:2]) < MIN_SIDE:
            raise ImageTooSmallError(
                f"Reference {i} is {ref.shape[1]}×{ref.shape[0]} pixels; generation needs at least {MIN_SIDE} a side.",
                hint="Use a larger photo.",
                index=i,
            )
    _positive_int("count", count, maximum=MAX_COUNT)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63 - MAX_COUNT:
        raise OptionError(f"seed must be a whole number ≥ 0, got {seed!r}.", seed=repr(seed))
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
        or not all(MIN_SIDE <= v <= MAX_SIDE and v % SIZE_MULTIPLE == 0 for v in size)
    ):
        raise OptionError(
            f"size must be (width, height), each a multiple of {SIZE_MULTIPLE} from {MIN_SIDE} to {MAX_SIDE}; got {size!r}.",
            hint="For example size=(1024, 1024) or (896, 1152).",
            size=repr(size),
        )
    if steps is not None:
        _positive_int("steps", steps, maximum=200)
    if batch_size is not None:
        _positive_int("batch_size", batch_size, maximum=MAX_COUNT)


def _positive_int(name: str, value: Any, *, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= maximum:
        raise OptionError(f"{name} must be a whole number from 1 to {maximum}, got {value!r}.", **{name: repr(value)})


def _as_mask(face_mask: Any) -> np.ndarray | None:
    """Masks are float32 in [0, 1] (STYLE.md); a bool mask is unambiguous and accepted."""
    if face_mask is None:
        return None
    if not isinstance(face_mask, np.ndarray) or face_mask.ndim != 2:
        raise InputError("face_mask must be an H×W array (float32 in [0, 1]).")
    if face_mask.dtype == bool:
        return face_mask.astype(np.float32)
    if face_mask.dtype.kind != "f" or not np.isfinite(face_mask).all() or face_mask.min() < 0 or face_mask.max() > 1:
        raise InputError(
            f"face_mask must be float in [0, 1] (or bool), got {face_mask.dtype} "
            f"from {face_mask.min()} to {face_mask.max()}.",
            hint="Divide a 0–255 mask by 255.",
        )
    return face_mask.astype(np.float32, copy=False)

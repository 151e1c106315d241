"""Where generation runs, in which precision, and how memory is saved.

The decisions are pure functions of what the card reports (``Card``), so they can be
checked for any card without one: ``choose_dtype`` and ``plan_memory``. torch is
imported inside the functions that ask the hardware: importing this module costs nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DeviceError, OptionError

DEVICES = ("cuda", "mps", "cpu")
OFFLOADS = ("none", "model", "sequential")
#: Candidates per batch on each device when the caller does not say (CUDA: if it fits).
DEFAULT_BATCH = {"cuda": 2, "mps": 1, "cpu": 1}


class SlowDeviceWarning(UserWarning):
    """Generation runs on the CPU: correct, but minutes per image."""


@dataclass(frozen=True)
class Card:
    """What a GPU reports: memory in GiB, compute capability, bf16 support."""

    total_gb: float
    free_gb: float
    capability: tuple[int, int] = (8, 0)
    bf16: bool = True  # torch.cuda.is_bf16_supported(): also true where bf16 is only emulated


@dataclass(frozen=True)
class DeviceChoice:
    kind: str  # "cuda", "mps" or "cpu"
    dtype: str  # torch dtype name: "bfloat16", "float16" or "float32"
    memory_gb: float | None = None  # total accelerator memory, when known
    card: Card | None = None  # CUDA only

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)


@dataclass(frozen=True)
class MemoryOptions:
    """``None`` means "decide from the card's free memory and the work's size"."""

    offload: str | None = None  # "none", "model" (one model on the GPU at a time) or "sequential" (layer by layer)
    vae_tiling: bool | None = None  # decode large images in tiles


@dataclass(frozen=True)
class MemoryPlan:
    """How a generation run uses the device; recorded with every candidate."""

    device: str
    dtype: str
    offload: str  # one of OFFLOADS
    batch: int  # candidates per pipeline call
    vae_tiling: bool
    need_gb: float | None = None  # estimated peak on the GPU, with the margin
    free_gb: float | None = None  # what the card had free when planned

    def describe(self) -> str:
        how = {"none": "all on the GPU", "model": "model CPU offload", "sequential": "sequential CPU offload"}
        mem = f", ~{self.need_gb:.1f} of {self.free_gb:.1f} GB free" if self.need_gb and self.free_gb else ""
        where = how[self.offload] if self.device == "cuda" else self.device.upper()
        return f"{where}, {self.dtype}, batch {self.batch}{mem}"


def choose_dtype(kind: str, card: Card | None = None) -> str:
    """bf16 on Ampere and newer (compute capability ≥ 8.0) and on Apple MPS; fp16 on
    older CUDA cards; float32 on the CPU.

    ``torch.cuda.is_bf16_supported()`` is also true on T4/V100 (7.x), where bf16 is
    emulated and slow: the capability decides. FLUX.2 is trained in bf16; fp16 keeps
    its speed on those cards (the same 2 bytes per weight) at some overflow risk.
    """
    if kind == "cpu":
        return "float32"
    if kind == "mps":
        return "bfloat16"  # needs macOS 14+
    if card is None:
        raise ValueError("choose_dtype needs the card's capability on CUDA.")
    return "bfloat16" if card.capability >= (8, 0) and card.bf16 else "float16"


def pick_device(device: str | None = None) -> DeviceChoice:
    """CUDA, else Apple MPS, else CPU (float32, with a :class:`SlowDeviceWarning`).

    An explicit ``device`` that is not available raises :class:`DeviceError` instead of
    falling back silently.
    """
    import torch

    if device is not None and device not in DEVICES:
        raise OptionError(f"Unknown device {device!r}.", hint="Use one of: " + ", ".join(DEVICES) + ".", device=device)
    has_cuda = torch.cuda.is_available()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if device == "cuda" and not has_cuda:
        raise DeviceError("CUDA was asked for but no CUDA GPU is visible.", hint="Check the driver, or leave the device out.")
    if device == "mps" and not has_mps:
        raise DeviceError("Apple MPS was asked for but is not available.", hint="Leave the device out to use the CPU.")

    kind = device or ("cuda" if has_cuda else "mps" if has_mps else "cpu")
    if kind == "cuda":
        card = cuda_card()
        return DeviceChoice("cuda", choose_dtype("cuda", card), card.total_gb, card)
    if kind == "mps":
        return DeviceChoice("mps", choose_dtype("mps"), None)
    warnings.warn(
        "Generating on the CPU: expect several minutes per candidate. A CUDA GPU or an "
        "Apple-silicon Mac is much faster.",
        SlowDeviceWarning,
        stacklevel=2,
    )
    return DeviceChoice("cpu", "float32", None)


def cuda_card() -> Card:
    """The current CUDA card. Memory this process already holds (a cached pipeline)
    counts as free: it is released before another pipeline loads."""
    import torch

    index = torch.cuda.current_device()
    props = torch.cuda.get_device_properties(index)
    free, total = torch.cuda.mem_get_info(index)
    free += torch.cuda.memory_reserved(index)
    return Card(total / 2**30, min(free, total) / 2**30, (props.major, props.minor), bool(torch.cuda.is_bf16_supported()))


def sequence_tokens(size: tuple[int, int], references: list[tuple[int, int]], *, inpaint: bool = False) -> int:
    """Tokens the transformer attends over for one candidate: the output's latent
    patches (16×16 px each), each reference's, the source image's when inpainting (it
    conditions the model too), and the 512 text tokens."""
    def patches(wh: tuple[int, int]) -> int:
        return (wh[0] // 16) * (wh[1] // 16)

    out = patches(size)
    return out + sum(patches(r) for r in references) + (out if inpaint else 0) + 512


def plan_memory(
    choice: DeviceChoice,
    options: MemoryOptions,
    *,
    weights_gb: Mapping[str, float],
    token_gb: float,
    tokens: int,
    pixels: int,
    batch: int | None = None,
) -> MemoryPlan:
    """Batch size, offload and VAE tiling for ``tokens`` per candidate on ``choice``'s card.

    In order of speed, the first that fits the card's free memory: everything on the
    GPU at the asked batch, then at batch 1, then model CPU offload (one model on the
    GPU at a time: the largest model plus its activations) at the asked batch, then at
    1, then sequential offload (layer by layer: little more than the activations). A
    plan given in ``options`` is kept; ``batch`` is the largest batch wanted.
    """
    if options.offload is not None and options.offload not in OFFLOADS:
        raise OptionError(f"Unknown offload {options.offload!r}.", hint="Use one of: " + ", ".join(OFFLOADS) + ".")
    wanted = batch or DEFAULT_BATCH[choice.kind]
    if choice.kind != "cuda":
        if options.offload not in (None, "none"):
            raise OptionError("CPU offload only makes sense with a CUDA GPU.", hint="Leave offload unset here.")
        tiling = pixels > 1024 * 1024 if options.vae_tiling is None else options.vae_tiling
        return MemoryPlan(choice.kind, choice.dtype, "none", wanted, tiling)
    card = choice.card or Card(choice.memory_gb or 0.0, choice.memory_gb or 0.0)
    scale = 2.0 if choice.dtype == "float32" else 1.0  # the figures are for 2-byte weights
    weights = {k: v * scale for k, v in weights_gb.items()}

    def need(offload: str, b: int, tiling: bool) -> float:
        act = b * tokens * token_gb * scale
        # FLUX.2's VAE decoder at full resolution: ~0.8 GB per megapixel and image; tiled, a fixed tile.
        vae = 0.5 if tiling else 0.8 * b * pixels / 2**20 * scale
        te = weights.get("text_encoder", 0.0) + 0.3  # 512 tokens: small activations
        tr = weights.get("transformer", 0.0) + act
        dec = weights.get("vae", 0.0) + vae
        if offload == "none":
            peak = sum(weights.values()) + max(act, vae)
        elif offload == "model":
            peak = max(te, tr, dec)
        else:  # one block's weights (~0.3 GB) at a time
            peak = max(act, vae) + 1.0
        # The allocator's fragmentation and cuBLAS/attention workspaces.
        return peak * 1.15 + 0.75

    if options.offload:  # the caller's offload: only the batch is chosen
        tries = [(options.offload, b) for b in dict.fromkeys((wanted, 1))]
    else:
        tries = [("none", wanted), ("none", 1), ("model", wanted), ("model", 1), ("sequential", 1)]
    tries = list(dict.fromkeys(tries))
    for i, (offload, b) in enumerate(tries):
        tiling = options.vae_tiling if options.vae_tiling is not None else (pixels > 1024 * 1024 or offload != "none")
        n = need(offload, b, tiling)
        if n <= card.free_gb or (options.offload and i == len(tries) - 1):
            return MemoryPlan("cuda", choice.dtype, offload, b, tiling, round(n, 2), round(card.free_gb, 2))
    raise DeviceError(
        f"The GPU has {card.free_gb:.1f} GB free; even layer-by-layer offload needs about {n:.1f} GB for this size.",
        hint="Close other programs on the GPU, use fewer reference photos or a smaller size.",
        free_gb=round(card.free_gb, 2),
        need_gb=round(n, 2),
    )


def place_pipeline(pipe: Any, plan: MemoryPlan) -> Any:
    """Move ``pipe`` to the device, or let accelerate move models (or layers) in turn."""
    if plan.offload == "model":
        pipe.enable_model_cpu_offload(device=plan.device)
    elif plan.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=plan.device)
    else:
        pipe.to(plan.device)
    if plan.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    return pipe


def cpu_generators(seeds: list[int]) -> list[Any]:
    """One ``torch.Generator`` per candidate, on the CPU.

    Why the CPU: diffusers draws the noise on the generator's device and moves it, so a
    CPU generator gives the same starting noise on CUDA, MPS and CPU, and a candidate's
    noise depends only on its own seed, not on the batch it was drawn in.
    """
    import torch

    return [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]


def peak_memory_gb(kind: str) -> float | None:
    import torch

    if kind == "cuda" and torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**30
    return None

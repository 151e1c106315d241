"""Where generation runs, in which precision, and how memory is saved.

torch is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import DeviceError, OptionError

DEVICES = ("cuda", "mps", "cpu")


class SlowDeviceWarning(UserWarning):
    """Generation runs on the CPU: correct, but minutes per image."""


@dataclass(frozen=True)
class DeviceChoice:
    kind: str  # "cuda", "mps" or "cpu"
    dtype: str  # torch dtype name: "bfloat16" or "float32"
    memory_gb: float | None = None  # total accelerator memory, when known

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)


@dataclass(frozen=True)
class MemoryOptions:
    """``None`` means "decide from the device and the model's memory need"."""

    cpu_offload: bool | None = None  # enable_model_cpu_offload: one model on the GPU at a time
    vae_tiling: bool | None = None  # decode large images in tiles


def pick_device(device: str | None = None) -> DeviceChoice:
    """CUDA (bfloat16), else Apple MPS (bfloat16), else CPU (float32, with a warning).

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
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        # FLUX.2 is trained in bf16; fp16 overflows in its attention. Pre-Ampere GPUs
        # without bf16 fall back to float32 rather than produce black images.
        dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
        return DeviceChoice("cuda", dtype, props.total_memory / 2**30)
    if kind == "mps":
        return DeviceChoice("mps", "bfloat16", None)  # bf16 on MPS needs macOS 14+
    warnings.warn(
        "Generating on the CPU: expect several minutes per candidate. A CUDA GPU or an "
        "Apple-silicon Mac is much faster.",
        SlowDeviceWarning,
        stacklevel=2,
    )
    return DeviceChoice("cpu", "float32", None)


def resolve_memory(choice: DeviceChoice, options: MemoryOptions, *, need_gb: float, pixels: int) -> MemoryOptions:
    """Fill the ``None`` options in: offload when the GPU holds less than the model
    needs (plus headroom for activations); tile the VAE above 1 MP or when offloading."""
    offload = options.cpu_offload
    if offload is None:
        offload = choice.kind == "cuda" and choice.memory_gb is not None and choice.memory_gb < need_gb * 1.15
    tiling = options.vae_tiling
    if tiling is None:
        tiling = pixels > 1024 * 1024 or offload
    if offload and choice.kind == "cpu":
        raise OptionError("CPU offload only makes sense with a GPU.", hint="Leave cpu_offload unset on the CPU.")
    return MemoryOptions(cpu_offload=offload, vae_tiling=tiling)


def place_pipeline(pipe: Any, choice: DeviceChoice, options: MemoryOptions) -> Any:
    """Move ``pipe`` to the device, or let accelerate move one model at a time."""
    if options.cpu_offload:
        pipe.enable_model_cpu_offload(device=choice.kind)
    else:
        pipe.to(choice.kind)
    if options.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
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

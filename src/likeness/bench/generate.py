"""`likeness bench generate`: seconds per candidate and peak GPU memory per backend.

On CUDA every backend's real architecture is built at FULL size with random weights
(a network's speed and memory do not depend on its weight values, and nothing needs
downloading), then timed at ``sizes`` with ``steps`` steps after one warm-up run.
Without a GPU the full-size figures are skipped and a tiny random model is timed on
the CPU instead, which checks the whole path but says nothing about real speed.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Which random architecture stands in for each model of the store.
ARCH_OF_MODEL = {"flux2-klein-4b": "4b", "flux2-klein-9b": "9b"}


def _references(photo: Path | None, count: int, side: int) -> list[np.ndarray]:
    if photo is not None:
        from ..imageio import load_photo

        image = load_photo(photo).image
    else:  # a smooth synthetic portrait-sized image: content does not change the timing
        y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
        image = (np.stack([x, y, 1 - x * y], axis=-1) * 255).astype(np.uint8)
    return [image] * count


def _face_mask(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[h // 5 : h * 3 // 5, w // 3 : w * 2 // 3] = 1.0  # a face-sized oval's box
    return mask


def _time_backend(name: str, pipe: Any, refs: list[np.ndarray], *, size: tuple[int, int], steps: int, repeat: int) -> dict:
    import torch

    from ..generate.pipeline import generate_candidates
    from ..generate.registry import backend_class

    cls = backend_class(name)
    refs = refs[: cls.max_references]
    mask = _face_mask(refs[0]) if cls.needs_face_mask else None
    kwargs = dict(look={}, count=1, backend=name, size=size, pipe=pipe, face_mask=mask, steps=steps, batch_size=1)
    generate_candidates(refs, seed=0, **kwargs)  # warm-up: kernels, allocator, caches
    cuda = torch.cuda.is_available() and pipe.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        generate_candidates(refs, seed=i + 1, **kwargs)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return {
        "backend": name,
        "references": len(refs),
        "seconds_per_candidate": float(np.median(times)),
        "seconds_min": float(min(times)),
        "peak_memory_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
    }


def run(
    *,
    device: str | None = None,
    sizes: tuple[int, int] = (1024, 1024),
    steps: int = 4,
    repeat: int = 1,
    photo: Path | None = None,
) -> dict:
    """Time every registered backend. ``sizes`` is (width, height) of a candidate."""
    import torch

    from ..generate.random_init import flux2_klein_pipeline
    from ..generate.registry import list_backends

    has_cuda = torch.cuda.is_available()
    device = device or ("cuda" if has_cuda else "cpu")
    result: dict[str, Any] = {"device": device, "size": list(sizes), "steps": steps, "backends": []}
    if device == "cuda" and has_cuda:
        result["gpu"] = torch.cuda.get_device_name()
        refs = _references(photo, 4, max(sizes))
        for info in list_backends():
            arch = ARCH_OF_MODEL.get(info.model or "")
            if arch is None:
                result["backends"].append({"backend": info.name, "skipped": "no random stand-in architecture"})
                continue
            pipe = flux2_klein_pipeline(arch, inpaint=info.name == "face-locked", device="cuda", dtype=torch.bfloat16)
            try:
                result["backends"].append(_time_backend(info.name, pipe, refs, size=sizes, steps=steps, repeat=repeat))
            except torch.cuda.OutOfMemoryError as exc:
                result["backends"].append({"backend": info.name, "skipped": f"out of GPU memory: {exc}"})
            finally:
                del pipe
                gc.collect()
                torch.cuda.empty_cache()
        return result

    # No GPU: say so, and time the tiny stand-in on the CPU (the code path, not the speed).
    result["skipped"] = "no GPU"
    tiny = {"size": [64, 64], "steps": 2, "backends": []}
    refs = _references(photo, 4, 64)
    for name, inpaint in (("flux2-klein", False), ("face-locked", True)):
        pipe = flux2_klein_pipeline("tiny", inpaint=inpaint)
        tiny["backends"].append(_time_backend(name, pipe, refs, size=(64, 64), steps=2, repeat=max(1, repeat)))
    result["tiny_cpu"] = tiny
    return result

"""Shared plumbing for diffusers backends: loading from the store (cached per process)
and the conversions at the stage edge (uint8 arrays ↔ PIL ↔ the pipeline's floats)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import store
from .device import DeviceChoice, MemoryPlan, place_pipeline

# One pipeline per process: a FLUX.2 pipeline holds 16+ GB, two would not fit. Loading
# another backend or device replaces it. The lock keeps two threads from loading twice.
_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()


def load_pipeline(model: str, pipeline_class: str, *, device: DeviceChoice, plan: MemoryPlan) -> Any:
    """``diffusers.<pipeline_class>`` from the pulled ``model``, fully offline, placed as ``plan`` says."""
    root = store.model_dir(model)  # raises ModelMissingError naming the pull command
    key = (model, pipeline_class, device.kind, device.dtype, plan.offload, plan.vae_tiling)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        _CACHE.clear()  # free the previous pipeline before loading the next
        import diffusers

        cls = getattr(diffusers, pipeline_class)
        # Several pipelines (e.g. klein and its inpainting variant) share one folder.
        pipe = cls.from_pretrained(root, dtype=device.torch_dtype, local_files_only=True)
        pipe.set_progress_bar_config(disable=True)
        _CACHE[key] = place_pipeline(pipe, plan)
        return _CACHE[key]


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def text_encoder_layers(pipe: Any) -> tuple[int, int, int]:
    """Hidden-state layers that form the prompt embedding.

    FLUX.2 klein stacks layers 9, 18 and 27 of Qwen3's 36; an encoder with fewer layers
    (the tiny one in tests) uses the same thirds of its depth.
    """
    n = int(pipe.text_encoder.config.num_hidden_layers)
    if n >= 27:
        return (9, 18, 27)
    return (max(1, n // 3), max(1, 2 * n // 3), n)


def latent_multiple(pipe: Any) -> int:
    """Pixel sizes must be multiples of this (VAE factor × 2×2 patches): 16 for FLUX.2."""
    return int(pipe.vae_scale_factor) * 2


def fit_area(width: int, height: int, *, area: int, multiple: int, min_side: int = 64) -> tuple[int, int]:
    """(w, h) with the aspect of ``width×height``, about ``area`` pixels, multiples of ``multiple``."""
    scale = (area / (width * height)) ** 0.5
    scale = max(scale, min_side / min(width, height))
    w = max(min_side, int(width * scale) // multiple * multiple)
    h = max(min_side, int(height * scale) // multiple * multiple)
    return w + (-w) % multiple, h + (-h) % multiple


def to_pil(image: np.ndarray, size: tuple[int, int] | None = None) -> Any:
    from PIL import Image

    pil = Image.fromarray(image)
    if size is not None and pil.size != size:
        pil = pil.resize(size, Image.Resampling.LANCZOS)
    return pil


def resize_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 H×W×3 to (width, height) with Lanczos (PIL), unchanged if already that size."""
    if (image.shape[1], image.shape[0]) == tuple(size):
        return image
    return np.asarray(to_pil(image, size))

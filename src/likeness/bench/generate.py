"""`likeness bench generate`: seconds per candidate and peak GPU memory per backend.

One prepared command for the day a GPU is lent. On CUDA both backends run on FULL-size
FLUX.2 [klein] 4B components (transformer, Qwen3-4B text encoder and VAE) with random
weights: a network's speed and memory do not depend on its weight values, and nothing
needs downloading. ``flux2-klein`` is timed with 1 and 4 references and ``face-locked``
with its one, each at batch 1 and 2, at the headshot's canvas (4:5 near 1 MP) and 4
steps, after one warm-up run per setting; a time budget keeps the whole run within
8 minutes. Each row reports seconds per candidate, the peak GPU memory, and what the
memory plan (``generate.device.plan_memory``) estimated for it.

Without a GPU the same matrix runs on the tiny random model on the CPU, which checks
the code path but says nothing about real speed, and the result says so.

The random stand-ins live here, not in the generate stage: the tests build the same
tiny pipelines (``flux2_klein_pipeline("tiny")``). Nothing here downloads: the
tokenizer is the real class (``Qwen2Tokenizer``, which diffusers names
``Qwen2TokenizerFast``) built over the 256 byte symbols, so it tokenises any text (one
token per byte) with the chat-template tokens the real Qwen3 tokenizer uses.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DeviceError

#: Which random architecture stands in for each model of the store.
ARCH_OF_MODEL = {"flux2-klein-4b": "4b", "flux2-klein-9b": "9b"}
MODEL_OF_ARCH = {arch: model for model, arch in ARCH_OF_MODEL.items()}
#: (backend, references, batch) rows of the bench.
MATRIX = (
    ("flux2-klein", 1, 1), ("flux2-klein", 1, 2), ("flux2-klein", 4, 1), ("flux2-klein", 4, 2),
    ("face-locked", 1, 1), ("face-locked", 1, 2),
)
BUDGET_S = 420.0  # leaves a minute of the 8 for building the models and margins
MAX_REPEAT = 3

# --- random stand-ins ----------------------------------------------------------------------
#: Architectures. The 4B/9B numbers are those of black-forest-labs/FLUX.2-klein-4B/-9B
#: (transformer/config.json) and of Qwen3-4B/-8B, their text encoders.
ARCHS: dict[str, dict[str, Any]] = {
    "tiny": {
        "transformer": dict(
            patch_size=1, in_channels=4, num_layers=1, num_single_layers=1, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=24, timestep_guidance_channels=256,
            axes_dims_rope=(4, 4, 4, 4), guidance_embeds=False,
        ),
        "text_encoder": dict(
            hidden_size=8, intermediate_size=16, num_hidden_layers=3, num_attention_heads=2,
            num_key_value_heads=2, head_dim=4, max_position_embeddings=512,
        ),
        "vae": dict(
            # Four blocks (×8 down) as in the real VAE, so sizes are multiples of 16
            # (8 × the 2×2 patches) exactly as with the real weights.
            sample_size=32, down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(4, 4, 4, 4), layers_per_block=1, latent_channels=1, norm_num_groups=1,
            use_quant_conv=False, use_post_quant_conv=False,
        ),
    },
    "4b": {
        "transformer": dict(
            patch_size=1, in_channels=128, num_layers=5, num_single_layers=20, attention_head_dim=128,
            num_attention_heads=24, joint_attention_dim=7680, timestep_guidance_channels=256, mlp_ratio=3.0,
            axes_dims_rope=(32, 32, 32, 32), rope_theta=2000, guidance_embeds=False,
        ),
        "text_encoder": dict(
            hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
            num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, vocab_size=151936,
            tie_word_embeddings=True,  # Qwen3-4B ties them (8.05 GB of weights, not 8.8)
        ),
        "vae": {},  # AutoencoderKLFlux2's defaults are the FLUX.2 VAE
    },
    "9b": {
        "transformer": dict(
            patch_size=1, in_channels=128, num_layers=8, num_single_layers=24, attention_head_dim=128,
            num_attention_heads=32, joint_attention_dim=12288, timestep_guidance_channels=256, mlp_ratio=3.0,
            axes_dims_rope=(32, 32, 32, 32), rope_theta=2000, guidance_embeds=False,
        ),
        "text_encoder": dict(
            hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
            num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, vocab_size=151936,
        ),
        "vae": {},
    },
}

#: FLUX.2 [klein]'s scheduler settings (scheduler/scheduler_config.json).
SCHEDULER = dict(
    base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096, max_shift=1.15,
    num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True,
)

# Qwen3's chat format, enough for diffusers' `apply_chat_template(..., enable_thinking=False)`.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def _byte_symbols() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values (as in byte-level BPE)."""
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    cs = list(bs)
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return [chr(c) for c in cs]


def byte_tokenizer(*, model_max_length: int = 512) -> Any:
    """A Qwen2 tokenizer (the class FLUX.2 klein uses) over bytes, built without files."""
    from transformers import Qwen2Tokenizer

    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for sym in _byte_symbols():
        vocab[sym] = len(vocab)
    return Qwen2Tokenizer(
        vocab=vocab, merges=[], chat_template=CHAT_TEMPLATE, model_max_length=model_max_length,
        eos_token="<|im_end|>", pad_token="<|endoftext|>",
    )


def flux2_klein_components(arch: str = "tiny", *, seed: int = 0, device: str = "cpu", dtype: Any = None) -> dict[str, Any]:
    """``transformer``, ``vae``, ``text_encoder``, ``tokenizer``, ``scheduler`` with random weights.

    Full-size architectures are built directly on ``device`` in ``dtype`` (building 8B
    parameters on the CPU in float32 first would take minutes and 32 GB).
    """
    import torch
    from diffusers import AutoencoderKLFlux2, FlowMatchEulerDiscreteScheduler, Flux2Transformer2DModel
    from transformers import Qwen3Config, Qwen3ForCausalLM

    if arch not in ARCHS:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {sorted(ARCHS)}.")
    cfg = ARCHS[arch]
    dtype = dtype or torch.float32
    tokenizer = byte_tokenizer()
    te_cfg = dict(cfg["text_encoder"])
    te_cfg.setdefault("vocab_size", len(tokenizer))
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            torch.manual_seed(seed)
            transformer = Flux2Transformer2DModel(**cfg["transformer"])
            torch.manual_seed(seed)
            text_encoder = Qwen3ForCausalLM(Qwen3Config(**te_cfg))
            torch.manual_seed(seed)
            vae = AutoencoderKLFlux2(**cfg["vae"])
    finally:
        torch.set_default_dtype(previous)
    for module in (transformer, text_encoder, vae):
        module.eval()
    scheduler = FlowMatchEulerDiscreteScheduler(**SCHEDULER)
    return dict(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer)


def flux2_klein_pipeline(arch: str = "tiny", *, inpaint: bool = False, **kwargs: Any) -> Any:
    """A ready ``Flux2KleinPipeline`` (or the inpainting one) with random weights."""
    from diffusers import Flux2KleinInpaintPipeline, Flux2KleinPipeline

    cls = Flux2KleinInpaintPipeline if inpaint else Flux2KleinPipeline
    pipe = cls(**flux2_klein_components(arch, **kwargs), is_distilled=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# --- the bench ------------------------------------------------------------------------------


def _references(photo: Path | None, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    """``count`` references at ``size``: the photo (cut to the size's shape), else a smooth
    synthetic image (content does not change the timing)."""
    import cv2

    w, h = size
    if photo is not None:
        from ..imageio import load_photo

        image = load_photo(photo).image
        ih, iw = image.shape[:2]
        side = min(iw, ih * w / h)
        x0, cw, ch = int((iw - side) / 2), int(side), int(side * h / w)
        image = cv2.resize(np.ascontiguousarray(image[:ch, x0 : x0 + cw]), (w, h), interpolation=cv2.INTER_AREA)
    else:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        y, x = y / h, x / w
        image = (np.stack([x, y, 1 - x * y], axis=-1) * 255).astype(np.uint8)
    return [image] * count


def _face_mask(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[h // 5 : h * 3 // 5, w // 3 : w * 2 // 3] = 1.0  # a face-sized box
    return mask


def _estimate(name: str, refs: list[np.ndarray], *, size: tuple[int, int], batch: int,
              model: str | None = None) -> float | None:
    """What the memory plan estimates (with its margin) with everything on this GPU, for
    ``model`` (default: the backend's own model)."""
    import torch

    if not torch.cuda.is_available():
        return None
    from ..generate import store
    from ..generate.device import DeviceChoice, MemoryOptions, cuda_card, plan_memory
    from ..generate.registry import backend_class

    cls = backend_class(name)
    card = cuda_card()
    spec = store.spec(model or cls.model)
    choice = DeviceChoice("cuda", "bfloat16", card.total_gb, card)
    plan = plan_memory(choice, MemoryOptions(offload="none", vae_tiling=False), weights_gb=spec.weights_gb,
                       token_gb=spec.token_gb, tokens=cls().tokens(refs, size=size), pixels=size[0] * size[1], batch=batch)
    return plan.need_gb


def time_row(name: str, pipe: Any, refs: list[np.ndarray], *, size: tuple[int, int], batch: int, steps: int,
             repeat: int, model: str | None = None) -> dict:
    """One row: a warm-up call, then ``repeat`` timed calls of ``batch`` candidates each."""
    import torch

    from ..generate.pipeline import generate_candidates

    mask = _face_mask(refs[0]) if name == "face-locked" else None
    kwargs = dict(look={}, count=batch, backend=name, size=size, pipe=pipe, face_mask=mask, steps=steps, batch_size=batch)
    cuda = pipe.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    generate_candidates(refs, seed=0, **kwargs)  # warm-up: kernels, allocator, caches
    times = []
    for i in range(repeat):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        generate_candidates(refs, seed=(i + 1) * batch, **kwargs)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return {
        "backend": name,
        "references": len(refs),
        "batch": batch,
        "seconds_per_candidate": float(np.median(times)) / batch,
        "seconds_min_per_candidate": float(min(times)) / batch,
        "repeats": len(times),
        "peak_memory_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
        "estimated_gb": _estimate(name, refs, size=size, batch=batch, model=model) if cuda else None,
    }


def bench(arch: str, *, device: str, size: tuple[int, int], steps: int, repeat: int, photo: Path | None = None,
          budget_s: float = BUDGET_S) -> list[dict]:
    """Every row of ``MATRIX`` on one set of random ``arch`` components (the inpainting
    pipeline shares them), stopping at ``budget_s``."""
    import torch
    from diffusers import Flux2KleinInpaintPipeline

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    t_start = time.perf_counter()
    try:
        klein = flux2_klein_pipeline(arch, device=device, dtype=dtype)
    except torch.cuda.OutOfMemoryError as exc:  # a card smaller than the resident weights
        gc.collect()
        torch.cuda.empty_cache()
        return [{"skipped": f"out of GPU memory building the {arch} components: {exc}"}]
    inpaint = Flux2KleinInpaintPipeline(**klein.components, is_distilled=True)
    inpaint.set_progress_bar_config(disable=True)
    built = time.perf_counter() - t_start
    refs = _references(photo, 4, size)
    rows: list[dict] = [{"built_seconds": round(built, 2)}]
    try:
        for name, n_refs, batch in MATRIX:
            if time.perf_counter() - t_start > budget_s:
                rows.append({"backend": name, "references": n_refs, "batch": batch, "skipped": "time budget spent"})
                continue
            pipe = inpaint if name == "face-locked" else klein
            try:
                rows.append(time_row(name, pipe, refs[:n_refs], size=size, batch=batch, steps=steps, repeat=repeat,
                                     model=MODEL_OF_ARCH.get(arch)))
            except torch.cuda.OutOfMemoryError as exc:
                rows.append({"backend": name, "references": n_refs, "batch": batch, "skipped": f"out of GPU memory: {exc}"})
    finally:
        del klein, inpaint
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()
    return rows


def run(
    *,
    device: str | None = None,
    size: tuple[int, int] | None = None,
    steps: int = 4,
    repeat: int = 2,
    photo: Path | None = None,
    budget_s: float = BUDGET_S,
) -> dict:
    """Time both backends. ``size`` (width, height) of a candidate (default: the
    headshot's 4:5 canvas near 1 MP); ``repeat`` timed runs per row (at most 3)."""
    import torch

    from ..generate.pipeline import size_for_look

    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise DeviceError("The generate bench times full-size models and needs a CUDA GPU; none is visible.",
                          hint="Run it on a machine with an NVIDIA GPU, or leave --device out for the CPU check.")
    device = device or ("cuda" if has_cuda else "cpu")
    repeat = max(1, min(int(repeat), MAX_REPEAT))
    if device == "cuda":
        size = size or size_for_look("headshot")
        result: dict[str, Any] = {"device": "cuda", "gpu": torch.cuda.get_device_name(), "arch": "4b", "dtype": "bfloat16",
                                  "size": list(size), "steps": steps}
        result["rows"] = bench("4b", device="cuda", size=size, steps=steps, repeat=repeat, photo=photo, budget_s=budget_s)
        return result
    # No GPU: say so, and run the same matrix on the tiny stand-in (the code path, not the speed).
    size = size or (64, 80)
    return {
        "device": device,
        "skipped": "no GPU: the full-size figures need a CUDA GPU; the rows below are the tiny random model "
                   "on the CPU, which checks the code path and says nothing about real speed",
        "arch": "tiny",
        "size": list(size),
        "steps": min(steps, 2),
        "rows": bench("tiny", device=device, size=size, steps=min(steps, 2), repeat=1, photo=photo, budget_s=budget_s),
    }

"""FLUX.2 [klein] pipelines with randomly initialised weights, built offline in code.

Used by the tests (``tiny``: a few thousand parameters, runs in a fraction of a second on
the CPU) and by ``likeness bench generate`` (``4b``/``9b``: the real architectures at
full size, for speed and memory: a network's speed does not depend on its weight
values). Nothing here downloads: the tokenizer is a byte-level BPE built from the 256
byte symbols, which tokenises any text (one token per byte) with the same chat
template tokens the real Qwen3 tokenizer uses.
"""

from __future__ import annotations

from typing import Any

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
            # Three blocks (×4 down): at 64 px the latent grid is 16×16, so attention
            # sees 64 tokens per image, not the 1024 of a one-block VAE.
            sample_size=32, down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
            block_out_channels=(4, 4, 4), layers_per_block=1, latent_channels=1, norm_num_groups=1,
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

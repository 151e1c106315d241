"""Device, precision and memory plan for generation (issue 19, problems 3, 4 and 6),
and the tiny stand-in pipelines' fidelity to the real ones (bf16, 16-px VAE, tokenizer).

Cards are simulated (``device.Card``): no GPU is needed to check the choices made for one."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pytest

from likeness.errors import DeviceError, OptionError
from likeness.generate import store
from likeness.generate.device import Card, DeviceChoice, MemoryOptions, choose_dtype, plan_memory, sequence_tokens

HEADSHOT = (912, 1136)  # size_for_look("headshot")
SPEC = store.spec("flux2-klein-4b")


def _card(total_gb: float, *, bf16: bool) -> Card:
    # A card without native bf16 is a pre-Ampere one (T4, V100: 7.x) whose torch still
    # answers is_bf16_supported() True (emulated).
    return Card(total_gb, total_gb - 0.5, (8, 6) if bf16 else (7, 5), True)


def _plan(total_gb: float, *, bf16: bool, references: int, batch: int | None = None, options=None):
    card = _card(total_gb, bf16=bf16)
    choice = DeviceChoice("cuda", choose_dtype("cuda", card), card.total_gb, card)
    tokens = sequence_tokens(HEADSHOT, [HEADSHOT] * references)
    return plan_memory(choice, options or MemoryOptions(), weights_gb=SPEC.weights_gb, token_gb=SPEC.token_gb,
                       tokens=tokens, pixels=HEADSHOT[0] * HEADSHOT[1], batch=batch)


# (card GB, references) → (offload, batch) chosen by the card's free memory (total − 0.5 GB).
EXPECTED = {
    (12, 1): ("model", 1), (12, 4): ("sequential", 1),
    (16, 1): ("model", 2), (16, 4): ("model", 2),
    (24, 1): ("none", 2), (24, 4): ("none", 1),
    (80, 1): ("none", 2), (80, 4): ("none", 2),
}


@pytest.mark.parametrize("bf16", [True, False], ids=["bf16", "no-bf16"])
@pytest.mark.parametrize(("total_gb", "references"), sorted(EXPECTED))
def test_memory_plan_and_dtype_for_simulated_cards(total_gb, references, bf16):
    plan = _plan(total_gb, bf16=bf16, references=references)
    assert (plan.offload, plan.batch) == EXPECTED[total_gb, references]
    assert plan.dtype == ("bfloat16" if bf16 else "float16")  # fp16 below compute capability 8.0
    assert plan.need_gb <= plan.free_gb == pytest.approx(total_gb - 0.5)
    assert plan.vae_tiling == (plan.offload != "none")
    assert isinstance(plan.describe(), str)


def test_memory_plan_counts_references_and_batch():
    one, four = (sequence_tokens(HEADSHOT, [HEADSHOT] * n) for n in (1, 4))
    assert four - one == 3 * (HEADSHOT[0] // 16) * (HEADSHOT[1] // 16)
    # Batch 2 with 4 references: ~40k tokens per pass, over 4 GB of activations (issue 19).
    assert 2 * four > 40_000 and 2 * four * SPEC.token_gb > 4.0
    assert _plan(80, bf16=True, references=4).need_gb > _plan(80, bf16=True, references=1).need_gb
    assert _plan(80, bf16=True, references=4, batch=1).need_gb < _plan(80, bf16=True, references=4).need_gb
    assert sequence_tokens(HEADSHOT, [], inpaint=True) == 2 * (HEADSHOT[0] // 16) * (HEADSHOT[1] // 16) + 512


def test_memory_plan_keeps_the_callers_choice_and_refuses_what_cannot_fit():
    assert _plan(12, bf16=True, references=4, options=MemoryOptions(offload="model")).offload == "model"
    assert _plan(80, bf16=True, references=1, batch=4).batch == 4
    with pytest.raises(OptionError):
        _plan(24, bf16=True, references=1, options=MemoryOptions(offload="layers"))
    with pytest.raises(DeviceError) as err:
        _plan(4, bf16=True, references=4)
    assert err.value.data["need_gb"] > err.value.data["free_gb"]
    with pytest.raises(OptionError):
        plan_memory(DeviceChoice("cpu", "float32"), MemoryOptions(offload="model"), weights_gb={}, token_gb=0,
                    tokens=1, pixels=1)
    cpu = plan_memory(DeviceChoice("cpu", "float32"), MemoryOptions(), weights_gb={}, token_gb=0, tokens=1, pixels=1)
    assert (cpu.offload, cpu.batch, cpu.dtype) == ("none", 1, "float32")


def test_dtype_follows_compute_capability_not_is_bf16_supported():
    assert choose_dtype("cuda", Card(16, 15, (7, 5), True)) == "float16"  # T4: emulated bf16
    assert choose_dtype("cuda", Card(32, 31, (7, 0), True)) == "float16"  # V100
    assert choose_dtype("cuda", Card(24, 23, (8, 6), True)) == "bfloat16"  # RTX 3090
    assert choose_dtype("cuda", Card(80, 79, (9, 0), True)) == "bfloat16"  # H100
    assert choose_dtype("cpu") == "float32" and choose_dtype("mps") == "bfloat16"


def test_canvas_has_the_looks_framing_aspect_near_one_megapixel():
    from likeness.generate.pipeline import size_for_look
    from likeness.generate.prompts import build_prompt
    from likeness.looks import load_look
    from likeness.studio.frame import get_preset

    for frame in ("headshot", "square", "chest-up", "actor-8x10"):
        w, h = size_for_look({"framing": frame})
        preset = get_preset(frame)
        assert w % 16 == 0 and h % 16 == 0
        assert abs(w / h - preset.aspect) < 0.01 and 0.9 * 2**20 < w * h <= 2**20
    assert size_for_look({"framing": "headshot"}) == HEADSHOT
    look = load_look("corporate-grey")
    w, h = size_for_look(look)
    if "4:5" in build_prompt(look):  # the prompt and the canvas agree
        assert abs(w / h - 0.8) < 0.01
    assert size_for_look({}) == HEADSHOT  # no framing: the headshot's
    small = size_for_look({"framing": "id-35x45"})
    assert small[0] * small[1] <= get_preset("id-35x45").size[0] * get_preset("id-35x45").size[1]


# --- the tiny pipelines are the real classes, in bf16 too ----------------------------------------

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")


def test_tiny_pipelines_match_the_real_ones_and_run_in_bf16():
    from diffusers import Flux2KleinInpaintPipeline, Flux2KleinPipeline
    from transformers import Qwen2TokenizerFast

    from likeness.bench.generate import flux2_klein_pipeline
    from likeness.generate import generate_candidates
    from likeness.generate.loading import latent_multiple

    pipe = flux2_klein_pipeline("tiny", dtype=torch.bfloat16)
    assert isinstance(pipe, Flux2KleinPipeline) and latent_multiple(pipe) == 16  # the real VAE's multiple
    assert isinstance(pipe.tokenizer, Qwen2TokenizerFast)  # the class diffusers declares for it
    assert pipe.transformer.dtype == torch.bfloat16 and pipe.vae.dtype == torch.bfloat16
    ref = np.random.default_rng(0).integers(0, 256, (80, 64, 3), dtype=np.uint8)
    out = generate_candidates([ref, ref], look={"framing": "headshot"}, count=1, pipe=pipe, size=(64, 80), steps=2)[0]
    assert out.image.shape == (80, 64, 3) and out.plan.dtype == "bfloat16"
    assert 0 < out.image.mean() < 255  # numbers, not NaN turned black or white

    inpaint = Flux2KleinInpaintPipeline(**pipe.components, is_distilled=True)
    inpaint.set_progress_bar_config(disable=True)
    mask = np.zeros((80, 64), np.float32)
    mask[16:64, 16:48] = 1
    locked = generate_candidates([ref], look={}, count=1, pipe=inpaint, backend="face-locked", face_mask=mask,
                                 size=(64, 80), steps=2)[0]
    assert locked.image.shape == ref.shape and np.array_equal(locked.image[30:50, 26:38], ref[30:50, 26:38])

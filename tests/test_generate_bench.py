"""`likeness bench generate`: the prepared GPU command, exercised here on the tiny random
model (the same matrix and code path; full size needs a CUDA GPU)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: the bench builds full-size models")
def test_bench_without_gpu_says_so_and_runs_the_matrix_on_the_tiny_model():
    from likeness.bench.generate import MATRIX, run
    from likeness.errors import DeviceError

    with pytest.raises(DeviceError):
        run(device="cuda")  # the full-size figures need a GPU, and it says so
    result = run(repeat=5)
    assert result["skipped"].startswith("no GPU") and result["arch"] == "tiny"
    rows = [r for r in result["rows"] if "backend" in r]
    assert [(r["backend"], r["references"], r["batch"]) for r in rows] == list(MATRIX)
    assert all(r["seconds_per_candidate"] > 0 and r["repeats"] == 1 for r in rows)
    assert all(r["peak_memory_gb"] is None for r in rows)  # no GPU memory to report on the CPU


def test_bench_stops_at_its_time_budget():
    from likeness.bench.generate import bench

    rows = bench("tiny", device="cpu", size=(64, 80), steps=1, repeat=1, budget_s=0.0)
    assert all(r.get("skipped") == "time budget spent" for r in rows if "backend" in r)


def test_full_size_architectures_match_flux2_klein_4b():
    """The bench's stand-in has the real model's shapes (on the meta device: no memory)."""
    from diffusers import Flux2Transformer2DModel

    from likeness.bench.generate import ARCHS

    with torch.device("meta"):
        transformer = Flux2Transformer2DModel(**ARCHS["4b"]["transformer"])
    params = sum(p.numel() for p in transformer.parameters())
    assert 3.7e9 < params < 4.1e9  # FLUX.2 [klein] 4B


def test_bench_estimate_uses_the_memory_plan(monkeypatch):
    """The GPU rows carry the plan's estimate beside the measured peak (a simulated card here)."""
    from likeness.bench import generate as bench_mod
    from likeness.generate import device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device, "cuda_card", lambda: device.Card(80.0, 79.5, (9, 0), True))
    refs = bench_mod._references(None, 4, (912, 1136))
    one = bench_mod._estimate("flux2-klein", refs[:1], size=(912, 1136), batch=1)
    four = bench_mod._estimate("flux2-klein", refs, size=(912, 1136), batch=2)
    locked = bench_mod._estimate("face-locked", refs[:1], size=(912, 1136), batch=1)
    assert locked == pytest.approx(one)  # the source image conditions the inpainting like one reference
    assert 15 < one < four < 30  # weights ~15 GiB resident, plus activations


#: Peak GPU memory measured by `likeness bench generate` on an NVIDIA H200 (2026-12-04,
#: bf16, 912×1136, 4 steps): (backend, references, batch) -> GiB, per model.
H200_PEAKS_GB = {
    "flux2-klein-4b": {("flux2-klein", 1, 1): 17.32, ("flux2-klein", 1, 2): 18.94, ("flux2-klein", 4, 1): 17.51,
                       ("flux2-klein", 4, 2): 20.03, ("face-locked", 1, 1): 17.32, ("face-locked", 1, 2): 18.94},
    "flux2-klein-9b": {("flux2-klein", 1, 1): 34.73, ("flux2-klein", 1, 2): 36.35, ("flux2-klein", 4, 1): 35.76,
                       ("flux2-klein", 4, 2): 39.12, ("face-locked", 1, 1): 34.73, ("face-locked", 1, 2): 36.36},
}


@pytest.mark.parametrize("model", sorted(H200_PEAKS_GB))
def test_memory_plan_covers_the_peaks_measured_on_a_gpu(monkeypatch, model):
    """The plan's estimate for each model is above what the real card used, by under 30 %."""
    from likeness.bench import generate as bench_mod
    from likeness.generate import device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device, "cuda_card", lambda: device.Card(139.8, 139.0, (9, 0), True))
    refs = bench_mod._references(None, 4, (912, 1136))
    for (backend, n_refs, batch), peak in H200_PEAKS_GB[model].items():
        need = bench_mod._estimate(backend, refs[:n_refs], size=(912, 1136), batch=batch, model=model)
        assert peak < need < 1.3 * peak, (backend, n_refs, batch, need, peak)

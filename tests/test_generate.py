"""Generation: registry, prompts, model store, and the real FLUX.2 [klein] pipelines
built at tiny size with random weights (2 steps at 64×64 on the CPU). No network:
HF_HUB_OFFLINE is set before anything from the hub is imported."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from likeness.errors import ImageTooSmallError, InputError, ModelMissingError, OptionError
from likeness.generate import registry, store
from likeness.generate.composite import paste_face
from likeness.generate.device import DeviceChoice, MemoryPlan
from likeness.generate.prompts import build_prompt

LOOK = {
    "name": "boardroom",
    "generate": {"attire": "a navy suit jacket over a white shirt", "setting": "a softly blurred office",
                 "light": "soft window light from the left"},
    "framing": "head-and-shoulders",
}


def _photo(seed: int, h: int = 64, w: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path))
    return tmp_path / "models"


# --- import cost, prompts -------------------------------------------------------------


def test_importing_generate_does_not_import_torch():
    code = "import sys, likeness.generate as g; g.list_backends(); print('torch' in sys.modules, 'diffusers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_prompt_uses_every_look_entry_given():
    prompt = build_prompt(LOOK, references=3)
    for words in ("3 reference photos", "navy suit", "softly blurred office", "window light", "head-and-shoulders"):
        assert words in prompt
    assert "boardroom" not in prompt  # a Look's name is a label, not a description
    dotted = {"generate.attire": "a navy suit jacket over a white shirt", "generate.setting": "a softly blurred office",
              "generate.light": "soft window light from the left", "framing": {"preset": "head-and-shoulders"}}
    assert build_prompt(dotted, references=3) == prompt  # same words whatever the Look's shape
    attrs = type("Look", (), {"generate": type("G", (), {"attire": "a grey blazer"})(), "framing": None})()
    assert "grey blazer" in build_prompt(attrs) and "Background" not in build_prompt(attrs)


def test_prompt_with_empty_look_and_face_locked_mode():
    assert build_prompt({}) == build_prompt(None)
    assert "Wearing" not in build_prompt({}) and "identity" in build_prompt({})
    locked = build_prompt(LOOK, mode="face-locked")
    assert "stay exactly" in locked and "navy suit" in locked


def test_prompt_reads_a_real_look():
    looks = pytest.importorskip("likeness.looks")
    look = looks.load_look("executive-navy")
    prompt = build_prompt(look, references=4)
    assert look.generate.attire in prompt and look.generate.setting in prompt and "4:5" in prompt
    assert build_prompt(look.to_dict(), references=4) == prompt


def test_prompt_refuses_values_that_are_not_words():
    with pytest.raises(OptionError, match="generate.light"):
        build_prompt({"generate": {"light": {"key": 1.0}}})
    with pytest.raises(OptionError):
        build_prompt(LOOK, mode="sketch")


# --- registry ---------------------------------------------------------------------------


def test_registry_lists_backends_with_licences():
    infos = {b.name: b for b in registry.list_backends()}
    assert {"flux2-klein", "face-locked", "flux2-klein-9b"} <= set(infos)
    assert infos["flux2-klein"].default and infos["flux2-klein"].commercial_use
    assert infos["flux2-klein"].licence == "Apache-2.0" and infos["face-locked"].licence == "Apache-2.0"
    assert infos["face-locked"].source_type == registry.COMPOSITE
    assert infos["flux2-klein"].source_type == registry.TRAINED
    assert not infos["flux2-klein-9b"].commercial_use and "Non-Commercial" in infos["flux2-klein-9b"].licence
    assert sum(b.default for b in infos.values()) == 1
    with pytest.raises(OptionError, match="Unknown generation backend"):
        registry.get_backend("midjourney")


def test_non_commercial_backend_can_never_be_default(monkeypatch):
    assert registry.default_backend() == "flux2-klein"
    monkeypatch.setenv(registry.DEFAULT_ENV, "flux2-klein-9b")
    with pytest.raises(OptionError, match="forbid commercial use"):
        registry.default_backend()
    assert not any(b.default for b in registry.list_backends())


def test_new_backend_registers_without_changes_elsewhere(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @registry.register
    class QwenEdit(registry.Backend):
        name = "qwen-image-edit"
        licence = "Apache-2.0"
        commercial_use = True
        max_references = 3

    assert "qwen-image-edit" in {b.name for b in registry.list_backends()}
    with pytest.raises(TypeError, match="licence"):
        registry.register(type("NoLicence", (registry.Backend,), {"name": "x"}))


# --- model store ------------------------------------------------------------------------


def test_manifest_states_licence_revision_and_size():
    for spec in store.MANIFEST.values():
        assert spec.repository.count("/") == 1 and spec.licence and spec.licence_url
        assert spec.download_gb > 0 and spec.memory_gb > 0 and spec.files
        assert spec.revision is None or len(spec.revision) == 40
    assert store.spec("flux2-klein-4b").commercial_use and not store.spec("flux2-klein-9b").commercial_use


def test_missing_model_names_the_pull_command(home):
    assert store.home() == home and not any(m.pulled for m in store.list_models())
    with pytest.raises(ModelMissingError) as err:
        store.model_dir("flux2-klein-4b")
    assert "likeness models pull flux2-klein-4b" in str(err.value) and "16 GB" in str(err.value)
    assert err.value.data["pull_command"] == "likeness models pull flux2-klein-4b"
    with pytest.raises(ModelMissingError, match="likeness models pull flux2-klein-4b"):
        registry.get_backend("flux2-klein").load(device=DeviceChoice("cpu", "float32"),
                                                 plan=MemoryPlan("cpu", "float32", "none", 1, False))


def test_pull_records_checksums_and_verify_finds_tampering(home):
    def fake_download(spec, dest, revision):
        (dest / "vae").mkdir(parents=True)
        (dest / "vae" / "w.bin").write_bytes(b"weights")
        (dest / "model_index.json").write_text("{}")

    root = store.pull("flux2-klein-9b", download=fake_download)
    lock = json.loads((root / store.LOCK_FILE).read_text())
    assert set(lock["files"]) == {"vae/w.bin", "model_index.json"}
    assert lock["files"]["vae/w.bin"]["sha256"] == store.sha256_file(root / "vae" / "w.bin")
    assert store.verify("flux2-klein-9b").ok and store.model_dir("flux2-klein-9b") == root
    (root / "vae" / "w.bin").write_bytes(b"WEIGHTS")  # same size, other bytes
    report = store.verify("flux2-klein-9b")
    assert not report.ok and report.mismatched == ("vae/w.bin",)
    (root / "vae" / "w.bin").write_bytes(b"short")
    with pytest.raises(ModelMissingError, match="incomplete"):
        store.model_dir("flux2-klein-9b")


def test_paste_face_keeps_the_mask_core_exactly_and_paints_all_outside():
    photo, gen = _photo(1), _photo(2)
    mask = np.zeros((64, 64), np.float32)
    mask[20:40, 20:40] = 1.0
    mask[19, 20:40] = 0.5
    out = paste_face(gen, photo, mask, feather=4)
    core = np.zeros_like(mask, bool)
    core[24:36, 24:36] = True  # ≥ 4 px inside the mask's edge
    assert np.array_equal(out[core], photo[core])
    assert np.array_equal(out[mask == 0], gen[mask == 0])  # the seam lies inside: all painted outside
    seam = (mask == 1) & ~core
    assert not np.array_equal(out[seam], photo[seam])


# --- the real pipelines, tiny ---------------------------------------------------------------

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from likeness.bench.generate import flux2_klein_pipeline  # noqa: E402
from likeness.generate import generate_candidates  # noqa: E402


@pytest.fixture(scope="module")
def klein():
    return flux2_klein_pipeline("tiny")


@pytest.fixture(scope="module")
def inpaint(klein):
    from diffusers import Flux2KleinInpaintPipeline

    pipe = Flux2KleinInpaintPipeline(**klein.components, is_distilled=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _gen(pipe, **kw):
    args = dict(look=LOOK, count=1, size=(64, 64), pipe=pipe, steps=2)
    args.update(kw)
    refs = args.pop("references", [_photo(1), _photo(2)])
    return generate_candidates(refs, **args)


def test_flux2_klein_same_seed_same_image_other_seed_other_image(klein):
    a, b, c = _gen(klein, seed=7)[0], _gen(klein, seed=7)[0], _gen(klein, seed=8)[0]
    assert a.image.shape == (64, 64, 3) and a.image.dtype == np.uint8
    assert np.array_equal(a.image, b.image)
    assert np.abs(a.image.astype(int) - c.image.astype(int)).mean() > 1
    assert (a.seed, a.backend, a.source_type, a.model) == (7, "flux2-klein", "trainedAlgorithmicMedia", "flux2-klein-4b")
    assert "navy suit" in a.prompt and a.steps == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.seed = 3


def test_over_generation_in_batches_is_per_seed(klein):
    calls = []
    batched = _gen(klein, count=3, seed=10, batch_size=2, progress=lambda done, n: calls.append((done, n)))
    assert [c.seed for c in batched] == [10, 11, 12] and calls == [(2, 3), (3, 3)]
    alone = _gen(klein, seed=11)[0]
    # Same noise per seed whatever the batch; batched matmuls may round differently.
    assert np.abs(batched[1].image.astype(int) - alone.image.astype(int)).max() <= 2
    assert not np.array_equal(batched[0].image, batched[1].image)


def _core(mask: np.ndarray, feather: int) -> np.ndarray:
    import cv2

    return cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 5) >= feather


def test_face_locked_keeps_the_face_pixels_exactly(inpaint):
    from likeness.generate.composite import blend_width

    photo = _photo(3, h=96, w=80)
    mask = np.zeros((96, 80), np.float32)
    mask[24:64, 20:60] = 1.0
    mask[23, 20:60] = 0.5  # a soft edge is allowed; only mask == 1 is kept exactly
    core = _core(mask, blend_width(photo.shape)) & (mask == 1)
    out = _gen(inpaint, backend="face-locked", references=[photo], face_mask=mask, count=2, seed=1, size=(80, 96))
    for cand in out:
        assert cand.image.shape == photo.shape and cand.source_type == "compositeWithTrainedAlgorithmicMedia"
        assert np.array_equal(cand.image[core], photo[core]) and core.sum() > 500
        assert np.abs(cand.image[:10].astype(int) - photo[:10].astype(int)).mean() > 5  # backdrop repainted
        assert cand.enlarged == 1.0  # painted at the photo's own size
    again = _gen(inpaint, backend="face-locked", references=[photo], face_mask=mask, count=2, seed=1, size=(80, 96))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(again, out))
    hard = _gen(inpaint, backend="face-locked", references=[photo], face_mask=mask == 1, seed=1)[0]  # bool mask
    hard_core = _core((mask == 1).astype(np.float32), blend_width(photo.shape))
    assert np.array_equal(hard.image[hard_core], photo[hard_core])
    assert hard.enlarged == pytest.approx(96 / 64)  # painted at 64×64's area, enlarged to the photo: said so


def test_check_inputs_fail_early_with_the_bad_value(klein, inpaint):
    with pytest.raises(OptionError, match="multiple of 16"):
        _gen(klein, size=(100, 64))
    with pytest.raises(OptionError, match="count"):
        _gen(klein, count=0)
    with pytest.raises(OptionError, match="at most 4"):
        _gen(klein, references=[_photo(i) for i in range(5)])
    with pytest.raises(InputError, match="uint8"):
        _gen(klein, references=[_photo(1).astype(np.float32)])
    with pytest.raises(ImageTooSmallError):
        _gen(klein, references=[_photo(1, h=32, w=32)])
    with pytest.raises(OptionError, match="face_mask"):
        _gen(inpaint, backend="face-locked", references=[_photo(1)])
    with pytest.raises(OptionError, match="Flux2KleinInpaintPipeline"):
        _gen(klein, backend="face-locked", references=[_photo(1)], face_mask=np.eye(64, dtype=np.float32))
    with pytest.raises(InputError, match="face_mask is"):
        _gen(inpaint, backend="face-locked", references=[_photo(1)], face_mask=np.ones((32, 32), np.float32))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        _gen(inpaint, backend="face-locked", references=[_photo(1)], face_mask=np.full((64, 64), 255.0))


def test_pulled_model_loads_offline_from_the_store(home, klein, monkeypatch):
    from likeness.generate import loading
    from likeness.generate.device import SlowDeviceWarning

    monkeypatch.setattr(loading, "_CACHE", {})
    root = store.pull("flux2-klein-4b", download=lambda spec, dest, rev: klein.save_pretrained(dest))
    assert (root / "transformer").is_dir() and store.verify("flux2-klein-4b").ok
    with pytest.warns(SlowDeviceWarning):
        loaded = _gen(None, device="cpu", seed=7)[0]
    assert np.array_equal(loaded.image, _gen(klein, seed=7)[0].image)
    assert (loaded.plan.device, loaded.plan.dtype, loaded.plan.offload, loaded.plan.batch) == ("cpu", "float32", "none", 1)
    photo, mask = _photo(4), np.zeros((64, 64), np.float32)
    mask[16:48, 16:48] = 1
    with pytest.warns(SlowDeviceWarning):
        locked = _gen(None, device="cpu", backend="face-locked", references=[photo], face_mask=mask)[0]
    core = _core(mask, 2)
    assert np.array_equal(locked.image[core], photo[core])

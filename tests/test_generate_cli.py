"""`likeness generate` on the command line (issue 19, problem 7): a folder is expanded
as `likeness studio` does, and the CPU warning is shown by the CLI as one plain line
rather than passed to Python's warning machinery (file, line, category, source line).

One real run on the CPU with the tiny random model pulled into a temporary store."""

from __future__ import annotations

import json
import os
import warnings

os.environ["HF_HUB_OFFLINE"] = "1"

import cv2
import numpy as np
import pytest
from skimage import data

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from likeness.imageio import save_image  # noqa: E402


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    from typer.testing import CliRunner

    from likeness.bench.generate import flux2_klein_pipeline
    from likeness.cli import app
    from likeness.generate import loading, store

    root = tmp_path_factory.mktemp("cli")
    folder = root / "photos"
    folder.mkdir()
    img = cv2.resize(data.astronaut(), (768, 768), interpolation=cv2.INTER_AREA)
    for i, im in enumerate([img, img[:, ::-1]]):
        save_image(np.ascontiguousarray(im), folder / f"p{i}.jpg", quality=92)
    mp = pytest.MonkeyPatch()
    mp.setenv("LIKENESS_HOME", str(root / "home"))
    klein = flux2_klein_pipeline("tiny")
    store.pull("flux2-klein-4b", download=lambda spec, dest, rev: klein.save_pretrained(dest))
    out = root / "out"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = CliRunner().invoke(app, ["generate", str(folder), "--device", "cpu", "--count", "1",
                                              "--oversample", "1", "-o", str(out)])
    finally:
        loading.clear_cache()
        mp.undo()
    return result, out, list(caught)


def test_a_folder_is_expanded_into_its_photos(cli_run):
    result, out, _ = cli_run
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)  # 1: the random model's candidates are all rejected, as they should be
    report = json.loads((out / "report.json").read_text())
    assert [p["source"] for p in report["photos"]] == ["p0.jpg", "p1.jpg"]
    assert report["settings"]["device"]["device"] == "cpu" and report["settings"]["device"]["dtype"] == "float32"
    w, h = report["settings"]["size"]
    assert abs(w / h - 0.8) < 0.01  # corporate-grey's headshot framing


def test_the_cpu_warning_is_the_clis_one_line_not_a_python_warning(cli_run, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import likeness.generate
    from likeness.cli import app
    from likeness.cli.generate import plain_warnings
    from likeness.generate.device import SlowDeviceWarning, pick_device
    from likeness.generate.run import GenerateResult

    result, _, caught = cli_run
    assert result.exit_code in (0, 1)
    assert not [w for w in caught if issubclass(w.category, SlowDeviceWarning)]  # handled inside the CLI

    # The same with a stand-in for the library call: only the device choice, which warns.
    def fake_generate(paths, **kwargs):
        pick_device(kwargs["device"])
        return GenerateResult((), (), None, tmp_path, "flux2-klein", settings={})

    monkeypatch.setattr(likeness.generate, "generate", fake_generate)
    photo = save_image(data.astronaut(), tmp_path / "a.jpg")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = CliRunner().invoke(app, ["generate", str(photo), "--device", "cpu"])
    assert res.exit_code == 1 and not isinstance(res.exception, SlowDeviceWarning)  # 1: nothing delivered
    assert not [w for w in seen if issubclass(w.category, SlowDeviceWarning)]

    lines = []
    console = type("Console", (), {"print": lambda self, text, **kw: lines.append(text)})()
    with plain_warnings(console):
        warnings.warn("Generating on the CPU.", SlowDeviceWarning, stacklevel=1)
    assert len(lines) == 1 and "\n" not in lines[0]

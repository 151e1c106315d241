"""`likeness check` end to end through the real entry point (in-process, so the models
load once): exit codes 0/1/3/4, --json, and the message for a bad file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from likeness.cli import EXIT_FACE, EXIT_INPUT, EXIT_NOT_USABLE, main

from shared_eval import EVAL  # noqa: E402
IDS = EVAL / "identities"


def _run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["likeness", "check", *args])
    with pytest.raises(SystemExit) as exc:
        main()
        raise SystemExit(0)  # main() returns normally on success
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    junk = d / "broken.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    coffee = d / "coffee.jpg"
    Image.fromarray(data.coffee()).save(coffee, quality=95)
    astro = d / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(astro, quality=95)
    return {"junk": junk, "coffee": coffee, "astronaut": astro}


def test_good_set_exits_0_and_json_parses(monkeypatch, capsys, files):
    if not IDS.is_dir():
        pytest.skip("shared evaluation set not present")
    good = [str(IDS / "deepface__matt_damon" / f"0{i}.jpg") for i in (2, 4, 5)]
    code, out, _ = _run(monkeypatch, capsys, *good, str(files["junk"]), "--json")
    assert code == 0
    d = json.loads(out)
    assert d["verdict"] == "ready" and len(d["photos"]) == 4
    assert d["photos"][3]["error_code"] == "unreadable_image" and d["photos"][3]["usable"] is False
    assert d["ranking"] and set(d["references"]) <= set(d["ranking"])
    assert all(0 <= m["score"] <= 100 for m in d["photos"][0]["measures"].values())


def test_table_output(monkeypatch, capsys, files):
    if not IDS.is_dir():
        pytest.skip("shared evaluation set not present")
    code, out, _ = _run(monkeypatch, capsys, str(IDS / "deepface__matt_damon" / "04.jpg"), str(files["coffee"]))
    assert code == 0
    # The table is for people; its content is checked through --json (same run path).
    code, out, _ = _run(monkeypatch, capsys, str(IDS / "deepface__matt_damon" / "04.jpg"), str(files["coffee"]), "--json")
    photos = json.loads(out)["photos"]
    assert code == 0 and photos[0]["usable"] is True and photos[1]["error_code"] == "no_face"


def test_unusable_set_exits_1(monkeypatch, capsys, files):
    # a real face, but 512 px: 43 px between the eyes, under the 60 px a headshot needs
    code, out, _ = _run(monkeypatch, capsys, str(files["astronaut"]), "--json")
    assert code == EXIT_NOT_USABLE == 1
    d = json.loads(out)
    assert d["verdict"] == "not_enough"
    assert any("px between the eyes" in p for p in d["photos"][0]["problems"])
    assert d["advice"]


def test_bad_file_alone_exits_3_with_code(monkeypatch, capsys, files):
    code, out, _ = _run(monkeypatch, capsys, str(files["junk"]), "--json")
    assert code == EXIT_INPUT == 3
    photo = json.loads(out)["photos"][0]
    assert photo["error_code"] == "unreadable_image" and photo["source"].endswith("broken.jpg")
    assert photo["error"]  # the sentence a person reads


def test_missing_file_alone_exits_3(monkeypatch, capsys, tmp_path):
    # Fields, not console text: rich wraps the message at the terminal's width.
    code, out, _ = _run(monkeypatch, capsys, str(tmp_path / "nope.jpg"), "--json")
    assert code == EXIT_INPUT == 3
    photo = json.loads(out)["photos"][0]
    assert photo["error_code"] == "unreadable_image" and photo["usable"] is False
    assert photo["size"] == [0, 0] and photo["faces"] == 0


def test_no_face_exits_4(monkeypatch, capsys, files):
    code, out, err = _run(monkeypatch, capsys, str(files["coffee"]), "--json")
    assert code == EXIT_FACE == 4
    assert json.loads(out)["photos"][0]["error_code"] == "no_face"


def test_unknown_option_is_a_usage_error_not_a_traceback(monkeypatch, capsys, files):
    rc, out, err = _run(monkeypatch, capsys, str(files["astronaut"]), "--no-such-option")
    assert rc == 2
    assert "Traceback" not in err + out


def test_progress_bar_only_on_a_terminal(monkeypatch):
    """A pipe, a log or CI gets no bar (the callback is None); a terminal gets one."""
    import io

    from likeness.cli.progress import progress_bar

    monkeypatch.setattr("sys.stdout", io.StringIO())
    with progress_bar("x") as progress:
        assert progress is None

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Tty())
    with progress_bar("x") as progress:
        assert callable(progress)
        progress(1, 2)
    with progress_bar("x", enabled=False) as progress:
        assert progress is None

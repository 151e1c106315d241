"""Team mode: sources, locked Look, outputs, resume after an interruption."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from skimage import data

from likeness.errors import InputError, OptionError
from likeness.imageio import save_image
from likeness.team import read_source, run_team


def _person(folder: Path, *, flip: bool = False) -> None:
    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    folder.mkdir(parents=True)
    save_image(img[:, ::-1].copy() if flip else img, folder / "photo.jpg", quality=92)


@pytest.fixture(scope="module")
def team_src(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("team") / "src"
    _person(root / "ada_lovelace")
    _person(root / "grace-hopper", flip=True)
    (root / "no_photos").mkdir()
    return root


def test_read_source_folder_and_csv(team_src, tmp_path):
    ms = read_source(team_src)
    assert [m.slug for m in ms] == ["ada-lovelace", "grace-hopper", "no-photos"]
    assert ms[0].name == "Ada Lovelace" and len(ms[0].photos) == 1 and ms[2].photos == ()
    csv = tmp_path / "team.csv"
    csv.write_text(f"name,photos,title,department\nAda L,{team_src}/ada_lovelace,CTO,R&D\nGrace,{team_src}/grace-hopper/*.jpg,,\n")
    ms = read_source(csv)
    assert [(m.name, m.title, len(m.photos)) for m in ms] == [("Ada L", "CTO", 1), ("Grace", "", 1)]


def test_source_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_source(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="No people found"):
        read_source(tmp_path / "empty")
    bad = tmp_path / "bad.csv"
    bad.write_text("who,files\nA,x\n")
    with pytest.raises(InputError, match="needs the columns 'name' and 'photos'"):
        read_source(bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("name,photos\nJo Ann,a\njo-ann,b\n")
    with pytest.raises(InputError, match="would share the file name"):
        read_source(dup)


def test_team_run_outputs_lock_and_resume(team_src, tmp_path):
    out = tmp_path / "out"
    res = run_team(team_src, out, look="executive-navy", workers=1)
    status = {p["slug"]: p["status"] for p in res.people}
    assert status == {"ada-lovelace": "done", "grace-hopper": "done", "no-photos": "retake"}
    assert "Add 3–10 recent photos" in res.retakes[0]["reason"] or "No photos" in res.retakes[0]["reason"]
    for f in ("index.html", "headshots.zip", "team.csv", "consistency.json", "consistency.html", "team.lock.json"):
        assert (out / f).is_file(), f
    lock = json.loads((out / "team.lock.json").read_text())
    assert lock["look"]["name"] == "executive-navy"
    page = (out / "index.html").read_text()
    assert "Ada Lovelace" in page and "Retakes needed" in page
    c = res.consistency
    # Two framings of one face in the same Look: same eye line, head size and backdrop.
    assert c["after"]["eye_line_std"] < 0.01 and c["after"]["head_ratio_std"] < 0.02
    assert c["after"]["backdrop_delta_e_max"] < 1.0
    # A second run redoes nobody; a different Look needs --relock.
    again = run_team(team_src, out, workers=1)
    assert again.reused == 3
    with pytest.raises(OptionError, match="locked to the Look 'executive-navy'"):
        run_team(team_src, out, look="creative-warm", workers=1)


def _digest(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "people").rglob("*-headshot.jpg"))
    }


def test_interrupted_run_resumes_to_the_same_outputs(team_src, tmp_path):
    """Kill a team run after its first person, run it again: same files as an uninterrupted run."""
    ref = tmp_path / "ref"
    run_team(team_src, ref, workers=1)
    out = tmp_path / "killed"
    env = {**os.environ, "GLOG_minloglevel": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "likeness.cli", "team", str(team_src), "-o", str(out), "-j", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / "people").glob("*/result.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "index.html").exists(), "the run finished before it could be interrupted"
    res = run_team(team_src, out, workers=1)
    assert res.reused >= 1
    assert _digest(out) == _digest(ref) and len(_digest(ref)) == 2


def test_ray_local_gives_the_same_results_as_a_local_run(team_src, tmp_path):
    pytest.importorskip("ray")
    local = run_team(team_src, tmp_path / "local", workers=1)
    viaray = run_team(team_src, tmp_path / "ray", ray="local", workers=2)
    assert [(p["slug"], p["status"]) for p in viaray.people] == [(p["slug"], p["status"]) for p in local.people]
    assert _digest(tmp_path / "ray") == _digest(tmp_path / "local")

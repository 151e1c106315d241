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
import numpy as np
import pytest
from skimage import data

from likeness.errors import InputError, OptionError
from likeness.imageio import save_image
from likeness.team import read_source, run_team
from likeness.team.measure import LookMeasures, measure_image, spreads



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
    # The team measures are taken in the workers and kept with each result.
    assert all(set(p["look_measures"]) == {"before", "after"} for p in res.done)
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


def test_workers_are_capped_to_their_share_of_the_cores():
    """A pool worker starts with OpenMP/BLAS and OpenCV at cores ÷ workers threads."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from likeness.team.job import init_worker

    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker, initargs=(1,)) as pool:
        assert pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result() == "1"
        assert pool.submit(os.getenv, "OMP_NUM_THREADS").result() == "1"
        assert pool.submit(cv2.getNumThreads).result() == 1


# --- team measures ----------------------------------------------------------------


def test_no_white_balance_spread_is_read_off_the_eyes():
    """The sclera reading disagreed with itself (the two eyes of one face 3.1–4.6 ΔE
    apart): the light is measured by eval team's light test instead."""
    sp = spreads([LookMeasures(eye_line=0.4, backdrop_lab=(50.0, 0.0, 0.0)), LookMeasures(eye_line=0.41, backdrop_lab=(50.0, 0.0, 0.0))])
    assert not any(k.startswith("white_balance") for k in sp)
    # A result written by an earlier version (with the eye readings) still loads.
    old = LookMeasures.from_dict({"eye_line": 0.4, "neutral_ab": [1.0, 2.0], "neutral_note": ""})
    assert old.eye_line == 0.4


def test_a_face_cut_by_the_photos_edge_is_measured_on_the_cheek_it_has():
    """A cheek outside the photo (a face cut by its edge) is skipped, not a crash."""
    from likeness.faces import analyze
    from likeness.faces.regions import CHEEK_L

    img = data.astronaut()
    face = analyze(img, embed=False, subject_only=True)[0]
    cut = int(face.mesh[CHEEK_L, 0].mean()) - 30  # keep the image-left cheek only
    m = measure_image(img[:, :cut].copy(), face)
    assert m.skin_lab is not None
    whole = measure_image(img, face)
    assert abs(m.skin_lab[0] - whole.skin_lab[0]) < 15
    cheeks_out = face.mesh[:, :2] - 10 * img.shape[1]  # both cheeks outside: no skin reading
    from dataclasses import replace

    assert measure_image(img, replace(face, mesh=np.c_[cheeks_out, face.mesh[:, 2:]])).skin_lab is None


def test_bench_phone_photo_keeps_the_face_and_the_phone_size():
    from likeness.bench.team import PHONE, phone_photo
    from likeness.faces import analyze

    img = data.astronaut()[:, 64:448]  # portrait 384×512
    face = analyze(img, embed=False, subject_only=True)[0]
    big = phone_photo(img, face.box)
    assert big.shape[:2] == (PHONE[0], PHONE[1])  # portrait: 4032 high
    again = analyze(big, embed=False, subject_only=True)
    assert again and again[0].box[1] > 0 and again[0].box[3] < PHONE[0]

"""The studio verb as the user waits for it: ``likeness.studio()`` on five phone-size
photos (intake of all five, the best headshot, its review, the report), warm and as a
whole process from a cold start, beside a floor measured in the same run.

- *floor*: a fresh process that decodes all five photos, resizes one to 1600×2000 and
  encodes it (what any tool must pay); its CPU time. A plain process, as the issue
  measured it; beside it the same with the command line's process settings
  (:mod:`likeness.process`), which take about a quarter off its CPU time.
- *start*: a fresh process that starts as the verb does and does nothing else: it
  imports every module a ``studio()`` call imports and loads every network it runs
  (both lists recorded from a real call in the same run, so they follow the code).
  *floor with models* is that start followed by the floor's work in the same
  process: what any tool built on these embedded models must pay before its first
  decision. The cold process's CPU over it is the measure proposed for the issue's
  2.5× (the start alone costs about as much CPU as the floor; see ``run``).
- *cold*: a fresh process running ``likeness studio`` on the five photos, started from
  an environment without our settings, so that it starts itself again for huge pages as
  it does from a user's shell (:func:`likeness.process.relaunch`); wall and CPU time.
  The tuned floor, the start, the floor with models and the warm child are started
  with the environment the command line gives itself. The floors, the start and the
  cold process run interleaved, five times each, and their medians are reported, with each round's ratios beside them (one
  round's processes run within seconds of each other, so its ratio is spared the
  machine's slower swings: on the 2-core VM the same code read 2.64 and 2.94 against
  the floor with models in two runs three minutes apart, rounds 2.61–3.26).
- *one core*: a fresh process running ``likeness studio`` on one photo, pinned to one
  core (the issue's start-up comparison with an ID-photo pipeline: 2.9 s there), three
  times, beside the floor for that photo pinned the same way.
- *warm*: in one process set up as the command line's, with the models loaded,
  ``studio()`` on the five photos, and the render alone (:func:`make_headshot` of the
  chosen, already decoded photo).
- *passes*: how many decodes, detector, mesh, identity-embedding and segmentation
  model runs one ``studio()`` call makes (counted by wrapping the backends).

Used by ``likeness bench studio`` (its ``verb`` section).
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Targets (issue: "one way through the code").
WARM_RATIO_MAX = 1.5  # warm verb / render alone
COLD_CPU_RATIO_MAX = 2.5  # whole process CPU / floor process CPU
ONE_CORE_MAX_S = 2.9  # one photo, whole process on one core (the peer's slowest run)
COLD_RUNS = 5  # each whole-process figure is the median of this many runs
PERSON = "human__stock_emotions_a"  # one person, 8 photos, in ../shared/eval/identities
SIZE = (3000, 4000)  # phone-size, portrait
_TUNED = "LIKENESS_BENCH_TUNED"  # set: the floor's process is set up as the command line's


def phone_photos(folder: Path, *, n: int = 5, seed: int = 0) -> list[Path]:
    """``n`` phone-size JPEGs of one person: the eval set's photos of ``PERSON`` when
    present (enlarged to 3000×4000 with a sensor-like grain), else the astronaut."""
    import cv2
    import numpy as np
    from PIL import Image
    from skimage import data

    from ..imageio import load_photo

    src = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "identities" / PERSON
    images = [load_photo(p).image for p in sorted(src.glob("*.jpg"))[:n]] if src.is_dir() else []
    while len(images) < n:  # no eval set: the astronaut, mirrored every other time
        a = data.astronaut()
        images.append(a if len(images) % 2 == 0 else np.ascontiguousarray(a[:, ::-1]))
    rng = np.random.default_rng(seed)
    out = []
    for i, img in enumerate(images[:n]):
        h, w = img.shape[:2]
        k = max(SIZE[0] / w, SIZE[1] / h)
        big = cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC)
        y0, x0 = (big.shape[0] - SIZE[1]) // 2, (big.shape[1] - SIZE[0]) // 2
        big = big[y0 : y0 + SIZE[1], x0 : x0 + SIZE[0]].astype(np.float32)
        big += rng.normal(0, 2.0, big.shape[:2]).astype(np.float32)[..., None]
        p = folder / f"phone-{i + 1}.jpg"
        Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(p, quality=92)
        out.append(p)
    return out


def run(repeat: int = 3) -> dict[str, Any]:
    from ..process import launch_env, without_huge_pages

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        photos = [str(p) for p in phone_photos(t)]
        # A cold start as a user has it: the package's bytecode already compiled (pip
        # compiles it at install), so none of the measured processes compiles sources.
        # A user's shell: no settings of ours (the command line makes its own, and
        # starts itself again for huge pages: likeness.process).
        env = {k: v for k, v in without_huge_pages(os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["GLOG_minloglevel"] = "2"
        compileall.compile_dir(Path(__file__).resolve().parents[1], quiet=2)  # silent: stdout is the JSON
        # The floor as a plain process (the issue's) and with the command line's settings.
        plain = {k: v for k, v in env.items() if k not in ("OPENBLAS_NUM_THREADS", _TUNED)}
        ours = launch_env(env) or env  # started as the command line starts itself
        started = t / "started.json"  # what a studio() call imports and loads, recorded
        res = subprocess.run([sys.executable, "-m", "likeness.bench.verb", "record", str(started), tmp, *photos],
                             capture_output=True, text=True, env=env, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"benchmark child failed:\n{res.stderr[-2000:]}")
        me = [sys.executable, "-m", "likeness.bench.verb"]
        cli = [sys.executable, "-m", "likeness"]  # as the ``likeness`` command: it relaunches itself
        # The whole-process figures, interleaved COLD_RUNS times (medians: one run on a
        # shared machine can be a third off).
        procs: dict[str, list[dict[str, Any]]] = {"floor": [], "floor_tuned": [], "start": [], "floor_models": [],
                                                  "cold": []}
        for i in range(COLD_RUNS):
            procs["floor"].append(_process([*me, "floor", *photos], plain))
            procs["floor_tuned"].append(_process([*me, "floor", *photos], {**ours, _TUNED: "1"}))
            procs["start"].append(_process([*me, "start", str(started)], ours))
            procs["floor_models"].append(_process([*me, "start", str(started), *photos], ours))
            procs["cold"].append(_process([*cli, "studio", *photos, "-o", str(t / f"cold{i}")], env))
        floor, floor_tuned, start, floor_models, cold = (_median(procs[k]) for k in procs)
        core = {min(os.sched_getaffinity(0))}
        one = [_process([*cli, "studio", photos[0], "-o", str(t / f"one{i}")], env, cpus=core) for i in range(3)]
        one_floor = [_process([*me, "floor", photos[0]], env, cpus=core) for _ in range(3)]
        res = subprocess.run([*me, "warm", str(repeat), tmp, *photos], capture_output=True, text=True, env=ours,
                             check=False)
        if res.returncode != 0:
            raise RuntimeError(f"benchmark child failed:\n{res.stderr[-2000:]}")
        warm = json.loads(res.stdout.strip().splitlines()[-1])
    out = {
        "photos": f"5 × {SIZE[0]}×{SIZE[1]} JPEG q92 of one person",
        "floor_process": floor,
        "cold_process": cold,
        "cold_cpu_ratio": round(cold["cpu_s"] / floor["cpu_s"], 2),
        "floor_process_tuned": floor_tuned,
        "cold_cpu_ratio_vs_tuned_floor": round(cold["cpu_s"] / floor_tuned["cpu_s"], 2),
        # Starting as the verb does (its imports and model loads, no photo) costs
        # about as much CPU as the whole floor, which has neither: measured against
        # the floor alone, 2.5× leaves ~1.5 floors for five intakes, a render and a
        # review. The proposed measure: the cold process over the same start + floor.
        "start_process": start,
        "start_to_floor": round(start["cpu_s"] / floor["cpu_s"], 2),
        "floor_with_models_process": floor_models,
        "cold_cpu_ratio_vs_floor_with_models": round(cold["cpu_s"] / floor_models["cpu_s"], 2),
        # Each round's own ratios: their spread is the figure's noise on this machine.
        "cold_cpu_ratio_rounds": _rounds(procs["cold"], procs["floor"]),
        "cold_cpu_ratio_vs_floor_with_models_rounds": _rounds(procs["cold"], procs["floor_models"]),
        "one_photo_one_core": {
            "wall_s": sorted(r["wall_s"] for r in one),
            "floor_wall_s": sorted(r["wall_s"] for r in one_floor),
            "rc": max(r["rc"] for r in one),
        },
        **warm,
        "thresholds": {"warm_ratio": WARM_RATIO_MAX, "cold_cpu_ratio": COLD_CPU_RATIO_MAX,
                       "one_photo_one_core_s": ONE_CORE_MAX_S},
    }
    out["pass"] = bool(out["warm_ratio"] <= WARM_RATIO_MAX and out["cold_cpu_ratio"] <= COLD_CPU_RATIO_MAX
                       and cold["rc"] == 0)
    # The proposed measures in place of the two ratios above (render + intake for
    # the warm verb; the floor with the models' start for the cold process).
    out["pass_proposed"] = bool(out["warm_ratio_vs_render_and_intake"] <= WARM_RATIO_MAX
                                and out["cold_cpu_ratio_vs_floor_with_models"] <= COLD_CPU_RATIO_MAX and cold["rc"] == 0)
    return out


def _rounds(runs: list[dict[str, Any]], floors: list[dict[str, Any]]) -> list[float]:
    """CPU time of each run over the floor's in the same round, sorted."""
    return sorted(round(r["cpu_s"] / max(f["cpu_s"], 1e-6), 2) for r, f in zip(runs, floors, strict=True))


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall and CPU time of fresh-process runs (each ``_process``'s), with the
    worst exit code."""
    import statistics

    return {"wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
            "cpu_s_all": [r["cpu_s"] for r in runs], "rc": max(r["rc"] for r in runs)}


def _process(cmd: list[str], env: dict[str, str], *, cpus: set[int] | None = None) -> dict[str, Any]:
    """Wall and CPU time (user + system) of a fresh process, on ``cpus`` only if given."""
    pin = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    before = os.times()
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
                         preexec_fn=pin)
    wall = time.perf_counter() - t
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "rc": res.returncode}


def _floor(photos: list[str]) -> None:
    import cv2

    from ..imageio import load_photo, save_image

    imgs = [load_photo(p).image for p in photos]
    small = cv2.resize(imgs[0], (1600, 2000), interpolation=cv2.INTER_AREA)
    save_image(small, Path(photos[0]).with_name("floor.jpg"), quality=92)


def _record(path: str, tmp: str, photos: list[str]) -> None:
    """Write what one ``studio()`` call imports (module names) and which networks it
    loads (each loader's arguments), as JSON, for :func:`_start`."""
    from .. import cli  # noqa: F401 - the cold process is the command line
    from ..faces import sface, tflite, yunet
    from ..studio import studio

    nets: list[list[Any]] = []
    loaders: set[str] = set()
    net = tflite.net

    def recorded(name: str, **kw: Any) -> Any:
        if [name, kw] not in nets:
            nets.append([name, kw])
        return net(name, **kw)

    def loader(name: str, mod: Any, attr: str) -> None:
        fn = getattr(mod, attr)

        def wrapped() -> Any:
            loaders.add(name)
            return fn()

        setattr(mod, attr, wrapped)

    tflite.net = recorded
    loader("sface", sface, "_net")
    loader("yunet", yunet, "_detector")
    studio(photos, out=Path(tmp) / "recorded")
    mods = sorted(m for m in sys.modules if not m.startswith(("likeness.bench", "__main__")))
    Path(path).write_text(json.dumps({"modules": mods, "nets": nets, "loaders": sorted(loaders)}))


def _start(path: str, photos: list[str]) -> None:
    """Start as the verb does (its imports, its networks loaded), then the floor's
    work on ``photos`` if any."""
    import importlib

    from ..faces import sface, tflite, yunet

    started = json.loads(Path(path).read_text())
    for m in started["modules"]:
        try:
            importlib.import_module(m)
        except Exception:  # noqa: BLE001, S112 - a module only importable from its package's own import
            continue
    for name, kw in started["nets"]:
        tflite.net(name, **{k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()})
    if "sface" in started["loaders"]:
        sface._net()
    if "yunet" in started["loaders"]:
        yunet._detector()
    if photos:
        _floor(photos)


def _count(passes: dict[str, int]) -> None:
    """Wrap the model backends and the decoder so each call is counted."""
    from .. import imageio
    from ..faces import mediapipe_backend, sface
    from ..matting import mediapipe_selfie

    for name, mod, attr in (("decode", imageio, "_decode"), ("detect", mediapipe_backend, "detect"),
                            ("mesh", mediapipe_backend, "mesh"), ("embed", sface, "embed_chips"),
                            ("segment", mediapipe_selfie, "predict")):
        fn = getattr(mod, attr)

        def counted(*a, _fn=fn, _name=name, **k):
            passes[_name] += 1
            return _fn(*a, **k)

        setattr(mod, attr, counted)
        passes[name] = 0


def _warm(repeat: int, tmp: str, photos: list[str]) -> dict[str, Any]:
    import statistics

    from ..imageio import load_photo
    from ..intake.inspection import check
    from ..studio import studio
    from ..studio.pipeline import make_headshot
    from ..studio.session import STUDIO_SIDE

    out = Path(tmp)
    first = studio(photos, out=out / "warm-up")  # loads the models
    best = first.headshots[0].source
    face = next(p.face for p in first.sitting.photos if p.source == best)
    runs: dict[str, list[tuple[float, float]]] = {"verb": [], "unreviewed": [], "intake": [], "render": []}

    def timed(name: str, fn) -> None:  # (wall, CPU of this process): CPU is steadier on a busy machine
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs[name].append((time.perf_counter() - t, time.process_time() - c))

    for i in range(repeat):
        timed("verb", lambda i=i: studio(photos, out=out / f"verb{i}"))
        timed("unreviewed", lambda i=i: studio(photos, out=out / f"unreviewed{i}", verify=False))
        timed("intake", lambda: check(photos, decode=lambda p: load_photo(p, max_side=STUDIO_SIDE)))
        photo = load_photo(best, max_side=STUDIO_SIDE)  # decoded outside the timing
        timed("render", lambda i=i, photo=photo: make_headshot(photo, out / f"render{i}.jpg", face=face))
    passes: dict[str, int] = {}
    _count(passes)
    studio(photos, out=out / "counted")
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    return {
        "warm_verb_s": round(wall["verb"], 3),
        "warm_render_s": round(wall["render"], 3),
        "warm_intake_s": round(wall["intake"], 3),
        "warm_cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "warm_ratio": round(wall["verb"] / wall["render"], 2),
        "warm_cpu_ratio": round(cpu["verb"] / cpu["render"], 2),
        # The measure proposed in place of warm_ratio: decoding and checking five 12 MP
        # photos costs about as much as the render itself, so no verb that looks at all
        # five can come within 1.5× of the render alone. Against render + intake (the
        # decode and check of the five), it measures what the verb adds: enrolment,
        # review, report, retries.
        "warm_ratio_vs_render_and_intake": round(wall["verb"] / (wall["render"] + wall["intake"]), 2),
        "warm_cpu_ratio_vs_render_and_intake": round(cpu["verb"] / (cpu["render"] + cpu["intake"]), 2),
        # What the review (enrolment of the person's photos + the review of the render)
        # adds to the verb, as a share of the verb without it (target ≤ 0.30, issue 13):
        # in CPU (the work it adds) and in wall time (what the user waits for more; the
        # enrolment runs beside intake's decodes, part of the review beside the rest).
        "review_share": round(cpu["verb"] / cpu["unreviewed"] - 1.0, 3),
        "review_share_wall": round(wall["verb"] / wall["unreviewed"] - 1.0, 3),
        "passes_per_headshot": passes,
        "decodes_per_photo": round(passes["decode"] / len(photos), 2),
    }


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] != "floor" or os.environ.get(_TUNED):
        from ..process import tune

        tune()  # set up as the command line sets up its process
    if a[0] == "floor":
        _floor(a[1:])
    elif a[0] == "record":
        _record(a[1], a[2], a[3:])
    elif a[0] == "start":
        _start(a[1], a[2:])
    else:
        print(json.dumps(_warm(int(a[1]), a[2], a[3:])))

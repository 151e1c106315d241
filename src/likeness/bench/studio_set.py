"""`likeness bench studio --set`: a set of 24 headshots from five phone-size photos, as
the user waits for it, beside a floor and a single-headshot run measured in the same run.

Each figure is a whole fresh process (imports and model loads included), on the five
3000×4000 photos of one person that :func:`likeness.bench.verb.phone_photos` makes:

- *floor*: decode the five photos, resize and encode 24 JPEGs at 1600×2000 (what any
  tool making 24 images from them must pay);
- *single*: ``studio()`` as by default (the best photo's headshot, reviewed);
- *set*: ``studio(looks=SET_LOOKS, frames=headshot,square, best=2)``: 6 × 2 × 2 = 24
  images, each reviewed. The time to the first image is from the process's start to
  the first image's progress call; *per extra image* is the rest divided by 23 (wall,
  and the process's CPU time over all threads: on a shared machine the CPU figure is
  the steadier one). The finishing steps of each image (Look stages, write, review)
  are timed too.

Targets (issue 15): per extra image ≤ ``PER_IMAGE_MAX_S``; the whole set ≤
``SET_RATIO_MAX`` × the single-headshot run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PER_IMAGE_MAX_S = 0.35
SET_RATIO_MAX = 8.0
SET_LOOKS = ("actor-neutral", "bright-white", "classic-mono", "corporate-grey", "creative-warm", "executive-navy")
SET_FRAMES = ("headshot", "square")
SET_PHOTOS = 2
IMAGES = len(SET_LOOKS) * len(SET_FRAMES) * SET_PHOTOS


def run(repeat: int = 1) -> dict[str, Any]:
    """The three processes, ``repeat`` times each (medians reported)."""
    import statistics

    from .verb import phone_photos

    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "single": [], "set": []}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        photos = [str(p) for p in phone_photos(t)]
        env = {**os.environ, "GLOG_minloglevel": "2"}
        for i in range(repeat):
            for kind in runs:
                runs[kind].append(_process(kind, photos, t / f"{kind}{i}", env))

    def med(kind: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[kind]), 3)

    s = runs["set"][len(runs["set"]) // 2]
    out = {
        "photos": "5 × 3000×4000 JPEG q92 of one person",
        "set": {"looks": list(SET_LOOKS), "frames": list(SET_FRAMES), "photos": SET_PHOTOS, "images": IMAGES},
        "floor_wall_s": med("floor", "wall_s"), "floor_cpu_s": med("floor", "cpu_s"),
        "single_wall_s": med("single", "wall_s"), "single_cpu_s": med("single", "cpu_s"),
        "set_wall_s": med("set", "wall_s"), "set_cpu_s": med("set", "cpu_s"),
        "first_image_s": med("set", "first_image_s"),
        "per_extra_image_s": med("set", "per_extra_image_s"),
        "per_extra_image_cpu_s": med("set", "per_extra_image_cpu_s"),
        "delivered": s["delivered"], "refused": s["refused"],
        "per_image_stages_median_s": s["stages"],
        "repeat": repeat, "cpus": os.cpu_count(),
    }
    out["set_to_single"] = round(out["set_wall_s"] / out["single_wall_s"], 2)
    out["set_to_floor"] = round(out["set_wall_s"] / out["floor_wall_s"], 2)
    out["thresholds"] = {"per_extra_image_s": PER_IMAGE_MAX_S, "set_to_single": SET_RATIO_MAX}
    out["pass"] = bool(out["per_extra_image_s"] <= PER_IMAGE_MAX_S and out["set_to_single"] <= SET_RATIO_MAX
                       and all(r["rc"] == 0 for rs in runs.values() for r in rs))
    return out


def _process(kind: str, photos: list[str], out: Path, env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU time (user + system) of a fresh process, with what it reported."""
    before = os.times()
    t0 = time.time()
    res = subprocess.run([sys.executable, "-m", "likeness.bench.studio_set", kind, str(out), *photos],
                         capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    wall = time.time() - t0
    after = os.times()
    if res.returncode != 0:
        raise RuntimeError(f"benchmark child ({kind}) failed:\n{res.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    row = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "rc": res.returncode, **got}
    stamps = got.get("stamps") or []
    if stamps:
        row["first_image_s"] = round(stamps[0] - t0, 3)
        row["per_extra_image_s"] = round((stamps[-1] - stamps[0]) / max(1, len(stamps) - 1), 3)
        cpu_stamps = got["cpu_stamps"]
        row["per_extra_image_cpu_s"] = round((cpu_stamps[-1] - cpu_stamps[0]) / max(1, len(cpu_stamps) - 1), 3)
    return row


def _floor(out: Path, photos: list[str]) -> dict[str, Any]:
    import cv2

    from ..imageio import load_photo, save_image

    out.mkdir(parents=True, exist_ok=True)
    imgs = [load_photo(p).image for p in photos]
    for i in range(IMAGES):
        small = cv2.resize(imgs[i % len(imgs)], (1600, 2000), interpolation=cv2.INTER_AREA)
        save_image(small, out / f"floor{i}.jpg", quality=92)
    return {}


def _timed(stages: dict[str, list[float]]) -> None:
    """Wrap the per-image finishing steps so each call is timed."""
    from ..studio import pipeline, session

    for name, mod, attr in (("look_stages", pipeline, "finish"), ("write", pipeline, "write_headshot"),
                            ("review", session, "reviewed"), ("prepare", pipeline, "prepare")):
        fn = getattr(mod, attr)

        def timed(*a, _fn=fn, _name=name, **k):
            t = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                stages[_name].append(time.perf_counter() - t)

        setattr(mod, attr, timed)
        stages[name] = []


def _child(kind: str, out: Path, photos: list[str]) -> dict[str, Any]:
    import statistics

    if kind == "floor":
        return _floor(out, photos)
    from ..studio import studio

    if kind == "single":
        res = studio(photos, out=out)
        return {"delivered": len(res.headshots)}
    stamps: list[float] = []
    cpu_stamps: list[float] = []  # CPU time of the process (every thread)
    n = len(photos)

    def stamp(done: int, _total: int) -> None:
        if done > n:
            stamps.append(time.time())
            cpu_stamps.append(time.process_time())

    stages: dict[str, list[float]] = {}
    _timed(stages)
    res = studio(photos, out=out, looks=list(SET_LOOKS), frames=list(SET_FRAMES), best=SET_PHOTOS,
                 progress=stamp)
    report = json.loads(res.report_json.read_text())
    return {
        "stamps": stamps, "cpu_stamps": cpu_stamps, "delivered": len(res.headshots), "refused": len(report.get("rejected") or ()),
        "stages": {k: round(statistics.median(v), 4) for k, v in stages.items() if v},
        "stage_calls": {k: len(v) for k, v in stages.items()},
    }


if __name__ == "__main__":
    a = sys.argv[1:]
    print(json.dumps(_child(a[0], Path(a[1]), a[2:])))

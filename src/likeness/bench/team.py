"""`likeness bench team`: 50 people (photos reused) with 1 and 2 local workers and via Ray.

The floor is the bare work every person costs anyway: decode the photo, resize to
1600×2000 and encode a JPEG, in one process, measured in the same run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ..imageio import load_photo, save_image

PHONE = (4032, 3024)  # a 12 MP phone photo, landscape


def _sources(limit: int = 10) -> list[np.ndarray]:
    root = Path(__file__).resolve().parents[3].parent / "shared" / "eval"
    imgs = []
    for folder in ("photos/single", "identities"):
        base = root / folder
        if not base.exists():
            continue
        for p in sorted(base.rglob("*.jp*g")):
            img = load_photo(p).image
            if min(img.shape[:2]) >= 400:
                imgs.append(img)
            if len(imgs) >= limit:
                return imgs
    if not imgs:
        from skimage import data

        imgs = [data.astronaut()]
    return imgs


def make_team(dest: Path, *, people: int = 50) -> list[Path]:
    """``people`` folders, each with one phone-sized JPEG made from a real photo."""
    files = []
    for i, img in enumerate(_sources()):
        h, w = img.shape[:2]
        size = PHONE if w >= h else PHONE[::-1]
        s = max(size[0] / w, size[1] / h)
        big = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC)
        y0, x0 = (big.shape[0] - size[1]) // 2, (big.shape[1] - size[0]) // 2
        f = dest / "_src" / f"p{i}.jpg"
        f.parent.mkdir(parents=True, exist_ok=True)
        save_image(np.ascontiguousarray(big[y0 : y0 + size[1], x0 : x0 + size[0]]), f, quality=90)
        files.append(f)
    for k in range(people):
        d = dest / "team" / f"person-{k:03d}"
        d.mkdir(parents=True)
        os.symlink(files[k % len(files)], d / "photo.jpg")
    return files


def _floor(files: list[Path], people: int, tmp: Path) -> float:
    t0 = time.perf_counter()
    for k in range(people):
        img = load_photo(files[k % len(files)]).image
        save_image(cv2.resize(img, (1600, 2000), interpolation=cv2.INTER_AREA), tmp / "floor.jpg")
    return time.perf_counter() - t0


def run(*, repeat: int = 1, photo: Path | None = None, people: int = 50, ray: bool = True) -> dict:
    from ..team import run_team

    out: dict = {"people": people, "cpu_count": os.cpu_count(), "photo_size": list(PHONE)}
    with tempfile.TemporaryDirectory(prefix="likeness-bench-team-") as tmp:
        tmp = Path(tmp)
        files = make_team(tmp, people=people)
        out["floor_seconds"] = round(_floor(files, people, tmp), 2)
        runs = {"workers_1": {"workers": 1}, "workers_2": {"workers": 2}}
        if ray:
            try:
                import ray as _ray  # noqa: F401

                runs["ray_local"] = {"workers": 2, "ray": "local"}
            except ImportError:
                out["ray_local"] = "skipped: ray is not installed (pip install 'likeness[ray]')"
        results = {}
        for name, kw in runs.items():
            t0 = time.perf_counter()
            res = run_team(tmp / "team", tmp / f"out-{name}", look="corporate-grey", **kw)
            wall = time.perf_counter() - t0
            out[name] = {"seconds": round(wall, 2), "done": len(res.done), "per_person": round(wall / people, 3)}
            results[name] = {p["slug"]: (p["status"], p.get("file")) for p in res.people}
        if "workers_1" in out and "workers_2" in out:
            out["speedup_2_workers"] = round(out["workers_1"]["seconds"] / out["workers_2"]["seconds"], 2)
        if "ray_local" in results:
            out["ray_same_results"] = results["ray_local"] == results["workers_2"]
    out["targets"] = {"speedup_2_workers": ">= 1.7", "workers_2_seconds": "<= 60"}
    return out

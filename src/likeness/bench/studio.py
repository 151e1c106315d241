"""`likeness bench studio`: decode → finished 1600×2000 JPEG, beside the bare floor.

The floor, measured in the same process and run: full decode + resize to 1600×2000 +
JPEG encode of the same photo (what any tool must pay). The studio figure is
:func:`likeness.studio.pipeline.make_headshot` end to end (decode as small as the
framing allows, find the face, frame, matte, backdrop, light, retouch, grade, write
with metadata). Everything runs in a fresh subprocess so the peak memory (``ru_maxrss``)
is the studio's own; one untimed warm-up run loads the models first. The subprocess is
a library's caller, not the command line: none of the command line's process settings
(:mod:`likeness.process`: its allocator settings, huge pages) are made in it, as in
every run of this bench so far. Huge pages make the floor's decode faster still (its
12 MP photo is most of its time) than the render (stop 34: render 0.264–0.294 s over a
floor of 0.088–0.097 s, 3.0× with them; see the closing note).
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

TIME_MAX_S = 1.2
RATIO_MAX = 3.0
PEAK_MAX_MB = 1536


def test_photo(path: Path, *, side: int = 3464, seed: int = 0) -> Path:
    """A 12 MP JPEG (3464×3464) from scikit-image's astronaut: enlarged, with a fine
    sensor-like grain so it compresses and decodes like a real photo."""
    import cv2
    import numpy as np
    from PIL import Image
    from skimage import data

    big = cv2.resize(data.astronaut(), (side, side), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 2.0, big.shape[:2]).astype(np.float32)[..., None]
    big = np.clip(big.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(big).save(path, quality=92)
    return path


def run(repeat: int = 5, photo: Path | None = None, look: str = "corporate-grey", set: bool = False) -> dict[str, Any]:  # noqa: A002
    """The render of one 12 MP photo beside its floor, and (``verb``) the whole studio
    verb on five phone-size photos (:mod:`likeness.bench.verb`); with ``set``, a set of
    24 headshots instead (:mod:`likeness.bench.studio_set`)."""
    from . import verb

    if set:
        from . import studio_set

        return studio_set.run(repeat=min(repeat, 3))

    out = render_bench(repeat, photo, look)
    out["verb"] = verb.run(repeat=repeat)
    out["pass"] = bool(out["pass"] and out["verb"]["pass"])
    return out


def render_bench(repeat: int = 5, photo: Path | None = None, look: str = "corporate-grey") -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(photo) if photo else test_photo(Path(tmp) / "bench-12mp.jpg")
        cmd = [sys.executable, "-m", "likeness.bench.studio", str(src), str(repeat), look, tmp]
        from ..process import without_huge_pages

        env = {**without_huge_pages(os.environ), "GLOG_minloglevel": "2"}
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"benchmark child failed:\n{res.stderr[-2000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    out["photo"] = str(photo) if photo else "astronaut enlarged to 3464×3464 (12 MP), JPEG q92"
    out["thresholds"] = {"median_s": TIME_MAX_S, "ratio_to_floor": RATIO_MAX, "peak_rss_mb": PEAK_MAX_MB}
    out["pass"] = bool(
        out["median_s"] <= TIME_MAX_S and out["ratio_to_floor"] <= RATIO_MAX and out["peak_rss_mb"] <= PEAK_MAX_MB
    )
    return out


def _child(src: str, repeat: int, look: str, tmp: str) -> dict[str, Any]:
    import resource
    import statistics

    import cv2

    from ..imageio import load_photo, save_image
    from ..studio.pipeline import make_headshot

    out = Path(tmp)
    hs, r = make_headshot(src, out / "warm.jpg", look=look)  # loads the models
    floor, studio, stages = [], [], []
    for i in range(repeat):
        t = time.perf_counter()
        img = load_photo(src).image
        small = cv2.resize(img, (1600, 2000), interpolation=cv2.INTER_AREA)
        save_image(small, out / f"floor{i}.jpg", quality=92)
        floor.append(time.perf_counter() - t)
        del img, small
        t = time.perf_counter()
        hs, r = make_headshot(src, out / f"studio{i}.jpg", look=look)
        studio.append(time.perf_counter() - t)
        stages.append(r.timings)
    med, fl = statistics.median(studio), statistics.median(floor)
    names = stages[0].keys()
    return {
        "repeat": repeat,
        "median_s": round(med, 3),
        "floor_median_s": round(fl, 3),
        "ratio_to_floor": round(med / fl, 2),
        "all_s": [round(x, 3) for x in studio],
        "stages_median_s": {k: round(statistics.median(s[k] for s in stages), 4) for k in names},
        "output": [hs.width, hs.height],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    a = sys.argv[1:]
    print(json.dumps(_child(a[0], int(a[1]), a[2], a[3])))

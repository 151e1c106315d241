"""`likeness bench team`: 50 people (photos reused) with 1 and 2 local workers and via Ray.

The team is made of phone-size photos (4032×3024, 12 MP, portrait or landscape as the
source) that intake accepts, so every person costs a full studio run. The eval set has
no photo that large (the largest is 2500×1728): each phone photo is the largest
phone-shaped window of a real photo around its face, enlarged at most
``MAX_UPSCALE``×, and it is kept only if intake finds it usable (an enlargement that
reads as blur, a cut-off head or a washed-out face is left out, not counted as a retake).
The sources and their enlargement are reported beside the times.

A worker makes one person at a time on one core (``likeness.team.run``), so "1
worker" is one core and "2 workers" both.

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

from ..imageio import is_image_path, load_photo, save_image

PHONE = (4032, 3024)  # a 12 MP phone photo, landscape
MAX_UPSCALE = 3.0
SOURCES = 10


def _eval_root() -> Path:
    return Path(__file__).resolve().parents[3].parent / "shared" / "eval"


def _candidates(root: Path) -> list[Path]:
    """One photo per person (their largest), largest first: the least enlarged."""
    from PIL import Image

    groups = [sorted(p for p in d.iterdir() if is_image_path(p)) for d in sorted((root / "identities").glob("*/"))]
    groups += [[p] for p in sorted((root / "photos" / "single").glob("*")) if is_image_path(p)]
    sized = []
    for photos in groups:
        best = max(((Image.open(p).size, p) for p in photos), key=lambda t: t[0][0] * t[0][1], default=None)
        if best:
            sized.append((best[0][0] * best[0][1], best[1]))
    return [p for _, p in sorted(sized, key=lambda t: -t[0])]


def _window(w: int, h: int) -> tuple[int, int, tuple[int, int]]:
    """The largest phone-shaped (4:3) window of a w×h photo, and the phone size it becomes."""
    size = PHONE if w >= h else PHONE[::-1]
    aspect = size[0] / size[1]
    ww, wh = (round(h * aspect), h) if w / h > aspect else (w, round(w / aspect))
    return ww, wh, size


def phone_photo(image: np.ndarray, face_box: tuple[float, float, float, float]) -> np.ndarray:
    """The largest phone-shaped window of ``image`` around the face, at phone size."""
    h, w = image.shape[:2]
    ww, wh, size = _window(w, h)
    cx, cy = (face_box[0] + face_box[2]) / 2, (face_box[1] + face_box[3]) / 2
    x0 = int(np.clip(cx - ww / 2, 0, w - ww))
    y0 = int(np.clip(cy - 0.4 * wh, 0, h - wh))  # the face a little above the middle
    crop = image[y0 : y0 + wh, x0 : x0 + ww]
    interp = cv2.INTER_AREA if size[0] < ww else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(crop, size, interpolation=interp))


def make_sources(dest: Path, *, limit: int = SOURCES) -> list[dict]:
    """Up to ``limit`` phone photos of different people that intake accepts."""
    from PIL import Image

    from ..faces import analyze
    from ..intake.inspection import check

    made: list[dict] = []
    root = _eval_root()
    for src in _candidates(root) if root.exists() else []:
        with Image.open(src) as im:
            ww, _, size = _window(*im.size)
        scale = size[0] / ww
        if scale > MAX_UPSCALE:
            continue
        img = load_photo(src).image
        faces = analyze(img, embed=False, subject_only=True)
        if not faces:
            continue
        f = dest / "_src" / f"p{len(made)}.jpg"
        f.parent.mkdir(parents=True, exist_ok=True)
        save_image(phone_photo(img, faces[0].box), f, quality=90)
        if check([f]).photos[0].usable:
            made.append({"file": f, "source": src.relative_to(root).as_posix(), "upscale": round(scale, 2)})
        else:
            f.unlink()
        if len(made) >= limit:
            break
    if not made:  # no eval set here: the bundled sample, enlarged
        from skimage import data

        f = dest / "_src" / "p0.jpg"
        f.parent.mkdir(parents=True, exist_ok=True)
        big = cv2.resize(data.astronaut(), (PHONE[1], PHONE[1]), interpolation=cv2.INTER_CUBIC)
        save_image(big, f, quality=90)
        made.append({"file": f, "source": "skimage astronaut", "upscale": round(PHONE[1] / 512, 2)})
    return made


def make_team(dest: Path, *, people: int = 50) -> list[dict]:
    """``people`` folders, each with one phone-sized JPEG made from a real photo."""
    sources = make_sources(dest)
    for k in range(people):
        d = dest / "team" / f"person-{k:03d}"
        d.mkdir(parents=True)
        os.symlink(sources[k % len(sources)]["file"], d / "photo.jpg")
    return sources


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
        sources = make_team(tmp, people=people)
        out["sources"] = [{k: s[k] for k in ("source", "upscale")} for s in sources]
        out["floor_seconds"] = round(_floor([s["file"] for s in sources], people, tmp), 2)
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

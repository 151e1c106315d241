"""`likeness bench intake`: seconds per photo through ``check``, beside bare decoding.

Two sizes: a 12 MP JPEG (4000×3000, a phone photo) and a 250 px one (a web thumbnail).
For each, the median of ``repeat`` runs of:

- ``check_s``: ``likeness.intake.check([photo])``, everything a user waits for;
- ``no_identity_s``: the same without the identity embedding (SFace, owned by
  faces/identity.py);
- ``decode_full_s``: decoding the whole file to RGB (the floor for any tool that
  reads every pixel), and ``decode_reduced_s``: the reduced DCT-domain decode that
  intake actually does.

Without ``photo`` the 12 MP test photo is made from the largest photo of the shared
evaluation set (or scikit-image's astronaut when that is absent), upscaled.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

TARGET_12MP_S = 0.35
SIZE_12MP = (4000, 3000)
SIZE_SMALL = 250


def run(repeat: int = 5, photo: Path | None = None) -> dict:
    from ..imageio import load_photo
    from ..intake.inspection import ANALYSE_SIDE, check, inspect

    with tempfile.TemporaryDirectory(prefix="likeness-bench-") as tmp:
        big, source = (Path(photo), str(photo)) if photo else _make_12mp(Path(tmp))
        small = _make_small(load_photo(big).image, Path(tmp) / "small.jpg")
        check([big])  # load the models once: start-up is not per-photo cost
        out = {}
        for label, path in (("12mp", big), ("250px", small)):
            size = load_photo(path).original_size
            out[label] = {
                "size": list(size),
                "check_s": _median(lambda p=path: check([p]), repeat),
                "no_identity_s": _median(lambda p=path: inspect(load_photo(p, max_side=ANALYSE_SIDE), embed=False), repeat),
                "decode_full_s": _median(lambda p=path: load_photo(p), repeat),
                "decode_reduced_s": _median(lambda p=path: load_photo(p, max_side=ANALYSE_SIDE), repeat),
            }
    return {
        "photo": source,
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "target_12mp_s": TARGET_12MP_S,
        "pass": out["12mp"]["check_s"] <= TARGET_12MP_S,
        **out,
    }


def _median(fn: Callable[[], object], repeat: int) -> float:
    ts = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return round(statistics.median(ts), 4)


def _make_12mp(tmp: Path) -> tuple[Path, str]:
    """A 4000×3000 JPEG (quality 92) of a real face: a photo cropped to 4:3 and upscaled."""
    import cv2
    from PIL import Image

    src, name = _largest_eval_photo()
    if src is None:
        from skimage import data

        src, name = data.astronaut(), "skimage astronaut"
    h, w = src.shape[:2]
    tw, th = SIZE_12MP
    # crop to 4:3 around the upper middle (where the face is), then upscale
    if w / h > tw / th:
        cw = int(h * tw / th)
        src = src[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = int(w * th / tw)
        y0 = max(0, min(h - ch, int(0.1 * h)))
        src = src[y0 : y0 + ch]
    img = cv2.resize(src, SIZE_12MP, interpolation=cv2.INTER_CUBIC)
    path = tmp / "12mp.jpg"
    Image.fromarray(img).save(path, "JPEG", quality=92)
    return path, f"{name}, upscaled to {tw}×{th}"


def _make_small(img: np.ndarray, path: Path) -> Path:
    from PIL import Image

    im = Image.fromarray(img)
    im.thumbnail((SIZE_SMALL, SIZE_SMALL), Image.LANCZOS)
    im.save(path, "JPEG", quality=92)
    return path


def _largest_eval_photo() -> tuple[np.ndarray | None, str]:
    from PIL import Image

    from ..imageio import load_photo

    root = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "identities"
    if not root.is_dir():
        return None, ""
    best, area = None, 0
    for p in root.glob("*/*.jpg"):
        with Image.open(p) as im:
            a = im.size[0] * im.size[1]
        if a > area:
            best, area = p, a
    if best is None or area < 1_000_000:
        return None, ""
    return load_photo(best).image, f"{best.parent.name}/{best.name}"

"""`likeness bench coach`: server time per live-coaching preview frame, warm.

For 640×480 and 1280×720 JPEG previews (quality 80, made from a real photo of the
shared evaluation set, or scikit-image's astronaut when it is absent), each frame
goes through what the server does before it answers: decode, find and measure the
face, the directions, the coach's step. Reported: p50 and p95 over ``frames``
frames after ``WARM`` warm-up frames, for one session alone and for two sessions
coaching at once (two threads, as the server's two analysis slots; each also runs
the wardrobe reading the server does beside every ``WARDROBE_EVERY``-th frame, so
the frames are timed under that load, and the readings are timed apart), beside
the bare JPEG decode (the floor). One session is also timed with the detectors on
every frame (no tracking: the work per frame before it), and in process CPU time,
which a loaded machine disturbs less than wall time.
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np

TARGET_P95_S = 0.120  # 640×480, two sessions at once
SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}
WARM = 5


def _photo() -> tuple[np.ndarray, str]:
    from ..imageio import load_photo

    p = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "photos" / "single" / "face_recognition__obama-720p.jpg"
    if p.exists():
        return load_photo(p).image, f"photos/single/{p.name}"
    from skimage import data

    return data.astronaut(), "skimage astronaut"


def _frame(img: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> bytes:
    """A preview of ``size``: the photo cropped to its aspect, resized, with sensor noise."""
    import cv2
    from PIL import Image

    w, h = size
    ih, iw = img.shape[:2]
    if iw / ih > w / h:
        cw = int(ih * w / h)
        img = img[:, (iw - cw) // 2 : (iw - cw) // 2 + cw]
    else:
        ch = int(iw * h / w)
        img = img[:ch]
    out = cv2.resize(img, size, interpolation=cv2.INTER_AREA if img.shape[1] > w else cv2.INTER_CUBIC).astype(np.float32)
    out = np.clip(out + rng.normal(0, 1.5, out.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _session(frames: list[bytes], times: list[float], *, look: str, dress: list[float] | None = None,
             cpu: list[float] | None = None, track: bool = True) -> None:
    """One coached session: every frame as the server answers it (wall time into
    ``times``, the process's CPU time into ``cpu``: alone, it is this session's); with
    ``dress``, the wardrobe reading the server runs beside every ``WARDROBE_EVERY``-th
    frame, timed apart. ``track`` False: the detectors on every frame (the work per
    frame before tracking)."""
    from ..coach import CoachState, decode_frame, problems, read_frame, ready, step
    from ..coach.session import WARDROBE_EVERY
    from ..coach.wardrobe import advise

    state, r = CoachState(), None
    for i, data in enumerate(frames):
        t0, c0 = time.perf_counter(), time.process_time()
        image = decode_frame(data)
        r = read_frame(image, prior=r if track else None)
        state, _ = step(state, problems(r), ready=ready(r))
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
        if dress is not None and r.found and i % WARDROBE_EVERY == 0:
            t1 = time.perf_counter()
            advise(image, r.face, look=look)
            dress.append(time.perf_counter() - t1)


def _pct(ts: list[float]) -> dict:
    a = np.array(ts)
    return {"p50_s": round(float(np.percentile(a, 50)), 4), "p95_s": round(float(np.percentile(a, 95)), 4), "n": int(a.size)}


def run(repeat: int = 5, photo: Path | None = None, look: str = "corporate-grey") -> dict:
    """``repeat`` × 10 frames per measurement (at least 40)."""
    from ..coach import decode_frame
    from ..imageio import load_photo

    img, source = (load_photo(photo).image, str(photo)) if photo else _photo()
    n = max(40, 10 * repeat)
    rng = np.random.default_rng(0)
    out: dict = {}
    for label, size in SIZES.items():
        frames = [_frame(img, size, rng) for _ in range(8)]
        seq = [frames[i % len(frames)] for i in range(n)]
        _session(seq[:WARM], [], look=look)  # models loaded, caches warm
        alone, alone_cpu, untracked, untracked_cpu = [], [], [], []
        _session(seq, alone, look=look, cpu=alone_cpu)
        _session(seq, untracked, look=look, cpu=untracked_cpu, track=False)
        both: list[list[float]] = [[], []]
        dress: list[float] = []  # in the two-session run: the server's load, measured apart
        threads = [threading.Thread(target=_session, args=(seq, both[k]), kwargs={"look": look, "dress": dress})
                   for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        dec = []
        for data in seq[:20]:
            t0 = time.perf_counter()
            decode_frame(data)
            dec.append(time.perf_counter() - t0)
        out[label] = {"one_session": _pct(alone), "two_sessions": _pct(both[0] + both[1]), "decode_only": _pct(dec),
                      "one_session_cpu": _pct(alone_cpu), "one_session_detect_every_frame": _pct(untracked),
                      "one_session_detect_every_frame_cpu": _pct(untracked_cpu),
                      "wardrobe_reading": _pct(dress),
                      "jpeg_kb": round(float(np.mean([len(f) for f in frames])) / 1024, 1)}
    return {
        "photo": source, "look": look, "frames": n, "warm_frames": WARM, "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "target_p95_s_640x480_two_sessions": TARGET_P95_S,
        "pass": out["640x480"]["two_sessions"]["p95_s"] <= TARGET_P95_S,
        **out,
    }

"""Load test of ``likeness serve`` on loopback: many people at once, each uploading
photos and asking for headshots; every job must finish and nothing may be lost.

Reports p50/p95 latency of the API calls (by kind) and jobs per minute on this
machine. Bounded in time: it stops by itself at ``deadline_s`` and says so.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np


def _variants(n: int, photo: Path | None) -> list[bytes]:
    """``n`` different photos of one person (crops, sizes, light) so that no two
    uploads are the same file."""
    from PIL import Image, ImageEnhance

    from ..server.testing import astronaut, encode

    base = Image.open(photo).convert("RGB") if photo else Image.fromarray(astronaut())
    w, h = base.size
    out = []
    for i in range(n):
        c = 0.04 * (i % 4)
        img = base.crop((int(w * c), int(h * c * 0.5), int(w * (1 - c * 0.5)), int(h * (1 - c * 0.3))))
        side = 800 + 40 * (i % 5)  # enlarged enough to be usable, never the 2× that reads as blocky
        img = img.resize((side, int(side * img.height / img.width)), Image.Resampling.LANCZOS)
        img = ImageEnhance.Brightness(img).enhance(0.9 + 0.05 * (i % 5))
        out.append(encode(img, "JPEG", quality=88 + i % 8))
    return out


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def _idle_latency(url: str, photos: list[bytes]) -> dict[str, float]:
    """One person alone on the server: the floor the loaded numbers compare with."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        s = c.post("/api/sessions").json()
        h = {"Authorization": f"Bearer {s['token']}"}
        ups, gets = [], []
        for i, data in enumerate(photos):
            t = time.perf_counter()
            c.post(f"/api/sessions/{s['id']}/photos", files={"file": (f"{i}.jpg", data)}, headers=h)
            ups.append(time.perf_counter() - t)
            t = time.perf_counter()
            c.get(f"/api/sessions/{s['id']}", headers=h)
            gets.append(time.perf_counter() - t)
        c.delete(f"/api/sessions/{s['id']}", headers=h)
    return {"upload_p50": round(_pct(ups, 50), 1), "poll_p50": round(_pct(gets, 50), 1)}


#: The set each session asks for with ``set=True`` (2 Looks × 2 framings × the best 2
#: photos: 8 images a session, 160 in all, every one reviewed).
SET_REQUEST = {"looks": ["corporate-grey", "classic-mono"], "frames": ["headshot", "square"]}


def run(repeat: int = 5, photo: Path | None = None, *, sessions: int = 20, workers: int | None = None,
        deadline_s: float = 1200.0, home: Path | None = None, set: bool = False) -> dict[str, Any]:  # noqa: A002
    """``sessions`` people at once, each uploading ``repeat`` photos then starting the
    studio (``set``: a set, :data:`SET_REQUEST`); waits until every job is done (or
    the deadline passes)."""
    import httpx

    from ..server.testing import ServerProcess, wait_until

    tmp = tempfile.TemporaryDirectory(prefix="likeness-load-") if home is None else None
    home = Path(tmp.name if tmp else home) / "home"
    photos = _variants(repeat, Path(photo) if photo else None)
    server = ServerProcess(home, workers=workers or 2).start()
    lat: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    errors: list[str] = []
    done_at: dict[str, float] = {}
    deadline = time.monotonic() + deadline_s

    def timed(kind: str, fn):
        t = time.perf_counter()
        r = fn()
        with lock:
            lat[kind].append(time.perf_counter() - t)
        if r.status_code >= 400:
            with lock:
                errors.append(f"{kind}: {r.status_code} {r.text[:200]}")
        return r

    def person(k: int, results: dict[int, Any]) -> None:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            s = timed("create", lambda: c.post("/api/sessions")).json()
            h = {"Authorization": f"Bearer {s['token']}"}
            for i, data in enumerate(photos):
                timed("upload", lambda: c.post(f"/api/sessions/{s['id']}/photos", files={"file": (f"{i}.jpg", data)}, headers=h))
            timed("studio", lambda: c.post(f"/api/sessions/{s['id']}/studio", json=SET_REQUEST if set else {}, headers=h))
            while time.monotonic() < deadline:
                st = timed("poll", lambda: c.get(f"/api/sessions/{s['id']}", headers=h)).json()
                jobs = [j for j in st["jobs"] if j["kind"] == "studio"]
                if jobs and jobs[-1]["state"] in ("done", "failed") and all(p["state"] != "checking" for p in st["photos"]):
                    done_at[s["id"]] = time.monotonic()
                    results[k] = st
                    return
                time.sleep(1.0)

    try:
        wait_until(lambda: httpx.get(server.url + "/api/health").json()["models_ready"], timeout=120, what="models")
        idle = _idle_latency(server.url, photos)
        t0 = time.monotonic()
        results: dict[int, Any] = {}
        threads = [threading.Thread(target=person, args=(k, results)) for k in range(sessions)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        wall = time.monotonic() - t0
        health = httpx.get(server.url + "/api/health").json()
    finally:
        server.stop()
    import sqlite3

    con = sqlite3.connect(home / "likeness.db")
    events = con.execute("SELECT event, count(*) FROM job_events GROUP BY event").fetchall()
    per_job_done = con.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM job_events WHERE event='done' GROUP BY job_id)").fetchone()[0]
    kinds = dict(con.execute("SELECT kind, count(*) FROM jobs WHERE state='done' GROUP BY kind").fetchall())
    not_done = con.execute("SELECT count(*) FROM jobs WHERE state != 'done'").fetchone()[0]
    con.close()
    finished = [r for r in results.values() if r]
    studio_ok = sum(1 for r in finished if [j for j in r["jobs"] if j["kind"] == "studio"][-1]["state"] == "done")
    all_lat = [v for vs in lat.values() for v in vs]
    total_jobs = sum(kinds.values())
    out = {
        "sessions": sessions, "photos_per_session": repeat, "workers": workers or 2,
        "studio_request": SET_REQUEST if set else "one headshot",
        "wall_s": round(wall, 1), "timed_out": len(finished) < sessions,
        "sessions_finished": len(finished), "studio_done": studio_ok,
        "headshots": sum(len(r["headshots"]) for r in finished),
        "photos_checked": sum(sum(p["state"] == "checked" for p in r["photos"]) for r in finished),
        "jobs_done": kinds, "jobs_not_done": not_done, "max_completions_per_job": per_job_done,
        "jobs_per_minute": round(total_jobs / wall * 60, 1),
        "studio_per_minute": round(kinds.get("studio", 0) / wall * 60, 2),
        "latency_ms": {k: {"n": len(v), "p50": round(_pct(v, 50), 1), "p95": round(_pct(v, 95), 1), "max": round(max(v) * 1000, 1)}
                       for k, v in sorted(lat.items())},
        "idle_latency_ms": idle,
        "latency_all_ms": {"p50": round(_pct(all_lat, 50), 1), "p95": round(_pct(all_lat, 95), 1)},
        "http_errors": errors[:10], "n_http_errors": len(errors), "events": dict(events),
        "health_at_end": health,
        "median_session_s": round(statistics.median(t - t0 for t in done_at.values()), 1) if done_at else None,
    }
    if tmp:
        tmp.cleanup()
    return out

"""Stop the server hard in the middle of its queue, start it again: every job
completes exactly once, and no output is lost or doubled."""

from __future__ import annotations

import sqlite3
from collections import Counter

import httpx
import pytest

pytest.importorskip("uvicorn", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from likeness.server.testing import ServerProcess, astronaut_photo, wait_until


def _db(home):
    con = sqlite3.connect(f"file:{home / 'likeness.db'}?mode=ro", uri=True, timeout=30)
    con.row_factory = sqlite3.Row
    return con


def _states(home) -> Counter:
    con = _db(home)
    try:
        return Counter({r["state"]: r["n"] for r in con.execute("SELECT state, count(*) AS n FROM jobs GROUP BY state")})
    finally:
        con.close()


@pytest.mark.slow
def test_kill_mid_queue_then_every_job_completes_exactly_once(tmp_path):
    home = tmp_path / "home"
    server = ServerProcess(home, workers=2).start()
    sessions = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for k in range(2):
                s = c.post("/api/sessions").json()
                h = {"Authorization": f"Bearer {s['token']}"}
                for i, side in enumerate((900, 800, 860)):
                    data = astronaut_photo(side)
                    assert c.post(f"/api/sessions/{s['id']}/photos", files={"file": (f"{i}.jpg", data)}, headers=h).status_code == 201
                # Queued behind the checks; the studio refuses only when every photo is known unusable.
                assert c.post(f"/api/sessions/{s['id']}/studio", json={"frame": "square"}, headers=h).status_code == 202
                sessions.append((s["id"], h))
        # Kill while a studio job runs (its folder is half written) and others still wait.
        wait_until(lambda: _states(home)["running"] and _db(home).execute(
            "SELECT count(*) FROM jobs WHERE kind='studio' AND state='running'").fetchone()[0], timeout=180, every=0.05,
            what="a running studio job")
        server.kill()
    finally:
        server.stop()
    before = _states(home)
    assert before["running"] >= 1 and before["queued"] + before["running"] >= 2, before

    with ServerProcess(home, workers=2) as again, httpx.Client(base_url=again.url, timeout=60) as c:
        def all_done():
            st = _states(home)
            return not st["queued"] and not st["running"]

        wait_until(all_done, timeout=300, what="the queue to drain after the restart")
        for sid, h in sessions:
            s = c.get(f"/api/sessions/{sid}", headers=h).json()
            assert {p["state"] for p in s["photos"]} == {"checked"}
            studio = [j for j in s["jobs"] if j["kind"] == "studio"]
            assert len(studio) == 1 and studio[0]["state"] == "done", studio

    con = _db(home)
    jobs = {r["id"]: dict(r) for r in con.execute("SELECT * FROM jobs")}
    events = Counter((r["job_id"], r["event"]) for r in con.execute("SELECT job_id, event FROM job_events"))
    assert {j["state"] for j in jobs.values()} == {"done"}
    for jid in jobs:
        assert events[(jid, "done")] == 1, jid  # exactly once
    assert sum(events[(jid, "requeued")] for jid in jobs) == before["running"]
    for j in (j for j in jobs.values() if j["kind"] == "studio"):
        rows = con.execute("SELECT idx, file FROM headshots WHERE job_id=?", (j["id"],)).fetchall()
        assert rows and sorted(r["idx"] for r in rows) == list(range(len(rows)))  # none doubled
        assert all((home / "sessions" / j["session_id"] / r["file"]).is_file() for r in rows)
    con.close()

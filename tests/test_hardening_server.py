"""Hardening (issue 14), the web app: expiry at once, strict requests, IPv6 loopback,
a full disk (507, nothing orphaned, recovery), the user's file names in what the user
reads, and a fault injected in the middle of a real studio job."""

from __future__ import annotations

import errno
import io
import json
import os
import time

import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient
from sqlalchemy import update

from likeness.server import create_app
from likeness.server import testing
from likeness.server.testing import astronaut_jpeg, astronaut_photo, encode, session_idle, wait_until
from likeness.store import StoreSettings, leftovers
from likeness.store.db import sessions, teams

LOCAL = "http://127.0.0.1"


def new_session(c) -> tuple[str, dict[str, str]]:
    r = c.post("/api/sessions")
    assert r.status_code == 201, r.text
    return r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}


def upload(c, sid, h, data: bytes, name="photo.jpg"):
    return c.post(f"/api/sessions/{sid}/photos", files={"file": (name, data, "image/jpeg")}, headers=h)


def error_of(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    return err


@pytest.fixture()
def quiet(tmp_path):
    """An app without workers (no models): the request side only."""
    def make(**kw):
        app = create_app(StoreSettings(home=tmp_path / "home", workers=1, **kw), start_workers=False)
        return TestClient(app, base_url=LOCAL)

    return make


# --- item 1: expired sessions and teams ----------------------------------------------------


def test_expired_session_is_refused_and_purged_at_once(quiet):
    with quiet() as c:
        sid, h = new_session(c)
        pid = upload(c, sid, h, astronaut_jpeg()).json()["id"]
        store = c.app.state.store
        with store.db.write() as conn:
            conn.execute(update(sessions).where(sessions.c.id == sid).values(expires_at=time.time() - 5))
        error_of(c.get(f"/api/sessions/{sid}", headers=h), 410, "expired")
        assert leftovers(store, sid) == (0, 0)  # purged now, not at the next hourly purge
        error_of(upload(c, sid, h, astronaut_jpeg()), 404, "not_found")
        error_of(c.get(f"/api/sessions/{sid}/photos/{pid}/preview", headers=h), 404, "not_found")


def test_expired_team_is_refused_and_purged(quiet):
    with quiet() as c:
        t = c.post("/api/teams", json={"name": "Acme"}).json()
        th = {"Authorization": f"Bearer {t['admin_token']}"}
        member = c.post(f"/api/teams/{t['id']}/members", json={"names": ["Ann"]}, headers=th).json()[0]
        store = c.app.state.store
        with store.db.write() as conn:
            conn.execute(update(teams).where(teams.c.id == t["id"]).values(expires_at=time.time() - 5))
            conn.execute(update(sessions).where(sessions.c.id == member["session_id"]).values(expires_at=time.time() - 5))
        error_of(c.get(f"/api/teams/{t['id']}", headers=th), 410, "expired")
        assert store.team(t["id"]) is None and leftovers(store, member["session_id"]) == (0, 0)


# --- item 9: one photo per request --------------------------------------------------------


def test_many_file_parts_are_refused_not_dropped(quiet):
    with quiet() as c:
        sid, h = new_session(c)
        small = astronaut_jpeg()
        files = [("file", (f"p{i}.jpg", small, "image/jpeg")) for i in range(50)]
        error_of(c.post(f"/api/sessions/{sid}/photos", files=files, headers=h), 422, "one_photo_per_request")
        assert c.get(f"/api/sessions/{sid}", headers=h).json()["photos"] == []
        assert upload(c, sid, h, small).status_code == 201  # one part is fine


# --- item 10: IPv6 loopback ----------------------------------------------------------------


def test_ipv6_loopback_host_is_answered(quiet):
    with quiet() as c:
        assert c.get("http://[::1]:8000/api/health").status_code == 200
        assert c.get("http://localhost:8000/api/health").status_code == 200
        error_of(c.get("/api/health", headers={"Host": "evil.example"}), 400, "bad_host")
        error_of(c.get("/api/health", headers={"Host": "[::2]:8000"}), 400, "bad_host")
    from likeness.cli.serve import public_url  # the banner names the address really listened on

    assert public_url("::1", 8000) == "http://[::1]:8000/"
    assert public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"


# --- item 11: strict schemas and a limit on new sessions -----------------------------------


def test_requests_are_read_strictly(quiet):
    with quiet() as c:
        sid, h = new_session(c)
        err = error_of(c.post(f"/api/sessions/{sid}/studio", json={"all": "yes"}, headers=h), 422, "bad_input")
        assert err["fields"] == ["body.all"]
        error_of(c.post("/api/teams", json={"name": "Acme\x00Corp"}), 422, "bad_input")
        error_of(c.post("/api/teams", json={"name": "a" * 201}), 422, "bad_input")
        t = c.post("/api/teams", json={"name": "Acme"}).json()
        th = {"Authorization": f"Bearer {t['admin_token']}"}
        error_of(c.post(f"/api/teams/{t['id']}/members", json={"names": ["x" * (5 * 2**20)]}, headers=th), 422, "bad_input")
        error_of(c.post(f"/api/teams/{t['id']}/members", json={"names": ["Ann\u202eevil"]}, headers=th), 422, "bad_input")
        assert c.app.state.store.team_members(t["id"]) == []


def test_sessions_from_other_sites_and_floods_are_refused(quiet):
    with quiet(max_new_sessions=3) as c:
        error_of(c.post("/api/sessions", headers={"Origin": "https://evil.example"}), 403, "cross_origin")
        error_of(c.post("/api/sessions", headers={"Origin": "null"}), 403, "cross_origin")
        error_of(c.post("/api/teams", json={"name": "x"}, headers={"Origin": "https://evil.example"}), 403, "cross_origin")
        assert c.post("/api/sessions", headers={"Origin": LOCAL}).status_code == 201  # our own page
        assert c.post("/api/sessions").status_code == 201  # a script: no Origin
        assert c.post("/api/sessions").status_code == 201
        err = error_of(c.post("/api/sessions"), 429, "rate_limited")
        assert err["retry_after"] > 0


# --- item 3: a full disk while uploading ---------------------------------------------------


def test_upload_on_a_full_disk_is_507_leaves_nothing_and_recovers(quiet, monkeypatch):
    with quiet() as c:
        sid, h = new_session(c)
        real = os.replace

        def full(src, dst, *a, **k):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "replace", full)
        err = error_of(upload(c, sid, h, astronaut_jpeg()), 507, "disk_full")
        assert err["hint"] and str(c.app.state.settings.home) not in json.dumps(err)
        monkeypatch.setattr(os, "replace", real)
        store = c.app.state.store
        assert store.photos(sid) == [] and store.files.files_of(sid) == []
        assert upload(c, sid, h, astronaut_jpeg()).status_code == 201  # space freed: works again


# --- fault injection in a real studio job; item 8 on the same run --------------------------


@pytest.mark.slow
def test_disk_full_in_the_middle_of_a_studio_job(tmp_path):
    """The disk fills up after the run's first headshot is written: the job fails as
    disk_full (not internal), keeps no file, and once space is back the next job works.
    What the user reads names their own files, never the server's folders."""
    from skimage import data

    home = tmp_path / "home"
    app = create_app(StoreSettings(home=home, workers=2), studio_fn=testing.studio_with_faults)
    with TestClient(app, base_url=LOCAL) as c:
        store = app.state.store
        sid, h = new_session(c)
        assert upload(c, sid, h, astronaut_photo(), name="Me at the beach.jpg").status_code == 201
        cup = upload(c, sid, h, encode(data.coffee()), name="my cup.jpg").json()["id"]
        s = wait_until(lambda: session_idle(c, sid, h), timeout=180, what="the checks")
        stored = {p["name"]: p["file"] for p in store.photos(sid)}
        cup_check = next(p for p in s["photos"] if p["id"] == cup)["check"]
        assert cup_check["faces"] == 0 and "my cup.jpg" in cup_check["error"]  # item 8: the user's name
        text = json.dumps(s)
        assert str(home) not in text and not any(f in text for f in stored.values())

        (home / testing.FAULT_DISK_FULL).touch()
        job = c.post(f"/api/sessions/{sid}/studio", json={"frame": "square"}, headers=h).json()
        s = wait_until(lambda: session_idle(c, sid, h), timeout=300, what="the studio job")
        failed = next(j for j in s["jobs"] if j["id"] == job["id"])
        assert failed["state"] == "failed" and failed["error"]["code"] == "disk_full", failed["error"]
        assert str(home) not in json.dumps(failed["error"])
        assert not (home / "sessions" / sid / "runs" / job["id"]).exists()  # nothing orphaned
        assert not [p for p in store.files.files_of(sid) if "runs" in p.parts or p.name.startswith(".")]
        assert s["headshots"] == []

        (home / testing.FAULT_DISK_FULL).unlink()  # space is back
        again = c.post(f"/api/sessions/{sid}/studio", json={"frame": "square"}, headers=h).json()
        s = wait_until(lambda: session_idle(c, sid, h), timeout=300, what="the second studio job")
        done = next(j for j in s["jobs"] if j["id"] == again["id"])
        assert done["state"] == "done", done["error"]
        assert len(s["headshots"]) >= 1
        # item 8: the report (served and zipped) shows no server path and the user's names.
        raw = c.get(f"/api/sessions/{sid}/jobs/{again['id']}/report.json", headers=h)
        assert raw.status_code == 200
        assert str(home) not in raw.text and not any(f in raw.text for f in stored.values())
        rep = raw.json()
        assert {p["source"] for p in rep["photos"]} == {"Me at the beach.jpg", "my cup.jpg"}
        assert {x["source"] for x in rep["headshots"]} == {"Me at the beach.jpg"}
        assert all(not os.path.isabs(x.get("path", "")) for x in rep["headshots"])
        html = c.get(f"/api/sessions/{sid}/jobs/{again['id']}/report.html", headers=h).text
        assert str(home) not in html
        z = c.get(f"/api/sessions/{sid}/download.zip", headers=h)
        import zipfile

        with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
            assert str(home) not in zf.read("report.json").decode()


# --- item 5: an upload is decoded in full only once (by its check) ---------------------------


def test_an_upload_is_decoded_at_preview_size(monkeypatch):
    from PIL import Image

    import likeness.imageio as imageio
    from likeness.server import routes_sessions
    from likeness.server.testing import astronaut

    seen = []
    real = imageio.load_photo

    def spy(*a, **k):
        seen.append(real(*a, **k))
        return seen[-1]

    monkeypatch.setattr(imageio, "load_photo", spy)
    big = encode(Image.fromarray(astronaut()).resize((3000, 2000)), "JPEG", quality=85)
    fmt, size, preview = routes_sessions._decode(big, "big.jpg")
    assert fmt == "JPEG" and size == (3000, 2000)
    assert len(seen) == 1 and seen[0].image.shape[1] < 3000  # decoded at reduced scale in the DCT
    assert max(Image.open(io.BytesIO(preview)).size) == 640

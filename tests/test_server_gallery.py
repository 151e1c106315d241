"""The web API's gallery (issue 15): a studio job makes a set from looks × frames, a star
per headshot kept in the store and in report.json, and a zip of exactly the starred."""

from __future__ import annotations

import io
import zipfile

import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient

from likeness.server import create_app
from likeness.server.testing import astronaut_photo, new_session, session_idle, wait_until
from likeness.store import StoreSettings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp("gallery-home")
    app = create_app(StoreSettings(home=home, workers=2, max_photos=12, max_upload_bytes=8 * 2**20))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    return r.json()["error"]


def test_a_set_starred_and_downloaded(client):
    sid, h = new_session(client)
    assert client.post(f"/api/sessions/{sid}/photos", files={"file": ("me.jpg", astronaut_photo(), "image/jpeg")},
                       headers=h).status_code == 201
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the check")
    body = {"looks": ["corporate-grey", "classic-mono"], "frames": ["headshot", "square"], "best": 1}
    job = client.post(f"/api/sessions/{sid}/studio", json=body, headers=h)
    assert job.status_code == 202 and job.json()["payload"]["looks"] == body["looks"]
    s = wait_until(lambda: session_idle(client, sid, h), timeout=240, what="the set")
    run = next(j for j in s["jobs"] if j["id"] == job.json()["id"])
    assert run["state"] == "done", run["error"]
    assert run["total"] >= 4 and run["done"] == run["total"]  # progress per image
    shots = [x for x in s["headshots"] if x["job_id"] == run["id"]]
    report = client.get(f"/api/sessions/{sid}/jobs/{run['id']}/report.json", headers=h).json()
    assert len(shots) == len(report["headshots"]) and len(shots) + len(report["rejected"]) == 4
    assert {x["look"] for x in shots} <= {"corporate-grey", "classic-mono"} and len(shots) >= 2
    assert [g["look"] for g in report["looks"]] == ["corporate-grey", "classic-mono"]
    assert all(x["favourite"] is False for x in shots)
    _error(client.get(f"/api/sessions/{sid}/favourites.zip", headers=h), 404, "not_found")  # nothing starred yet

    starred = shots[:2]
    for x in starred:
        r = client.put(f"/api/sessions/{sid}/headshots/{x['id']}/favourite", json={"favourite": True}, headers=h)
        assert r.status_code == 200 and r.json()["favourite"] is True
    s = client.get(f"/api/sessions/{sid}", headers=h).json()
    assert {x["id"] for x in s["headshots"] if x["favourite"]} == {x["id"] for x in starred}
    report = client.get(f"/api/sessions/{sid}/jobs/{run['id']}/report.json", headers=h).json()
    assert sum(e["favourite"] for e in report["headshots"]) == 2
    assert sum(i["favourite"] for g in report["looks"] for i in g["images"]) == 2
    z = client.get(f"/api/sessions/{sid}/favourites.zip", headers=h)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert len(names) == 2
    full = [client.get(f"/api/sessions/{sid}/headshots/{x['id']}", headers=h) for x in starred]
    wanted = {f.headers["content-disposition"].split("filename=")[1].strip('"') for f in full}
    assert set(names) == wanted
    # unstar one: the zip follows
    client.put(f"/api/sessions/{sid}/headshots/{starred[0]['id']}/favourite", json={"favourite": False}, headers=h)
    z = client.get(f"/api/sessions/{sid}/favourites.zip", headers=h)
    assert len(zipfile.ZipFile(io.BytesIO(z.content)).namelist()) == 1
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_set_options_are_validated(client):
    sid, h = new_session(client)
    client.post(f"/api/sessions/{sid}/photos", files={"file": ("me.jpg", astronaut_photo(), "image/jpeg")}, headers=h)
    _error(client.post(f"/api/sessions/{sid}/studio", json={"looks": ["glamour-9000"]}, headers=h), 422, "bad_option")
    _error(client.post(f"/api/sessions/{sid}/studio", json={"looks": ["/etc/passwd"]}, headers=h), 422, "bad_option")
    _error(client.post(f"/api/sessions/{sid}/studio", json={"frames": ["poster"]}, headers=h), 422, "bad_input")
    _error(client.post(f"/api/sessions/{sid}/studio", json={"best": 0}, headers=h), 422, "bad_input")
    _error(client.put(f"/api/sessions/{sid}/headshots/nope12345678/favourite", json={"favourite": True}, headers=h),
           404, "not_found")
    _error(client.put(f"/api/sessions/{sid}/headshots/nope12345678/favourite", json={"favourite": "yes"}, headers=h),
           422, "bad_input")
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_new_attire_is_offered_only_with_a_pulled_model_and_a_gpu(client, monkeypatch, tmp_path):
    from types import SimpleNamespace

    from likeness.server.library import attire_status

    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path))  # an empty model store
    o = client.get("/api/options").json()
    assert o["attire"]["available"] is False and o["attire"]["reason"]
    pulled = [SimpleNamespace(name="flux2-klein-4b", pulled=True)]
    assert attire_status(models=pulled, gpu=lambda: True) == {"available": True, "reason": ""}
    no_gpu = attire_status(models=pulled, gpu=lambda: False)
    assert no_gpu["available"] is False and no_gpu["reason"]
    none = attire_status(models=[SimpleNamespace(name="flux2-klein-4b", pulled=False)], gpu=lambda: True)
    assert none["available"] is False and none["reason"] != no_gpu["reason"]
    # Only the non-commercial 9B pulled: the default backend (4B) still has no weights.
    other = attire_status(models=[SimpleNamespace(name="flux2-klein-9b", pulled=True)], gpu=lambda: True)
    assert other["available"] is False and "flux2-klein-4b" in other["reason"]


def test_a_set_is_cancelled_while_it_runs_and_the_session_goes_on(client):
    """Cancel on the page: the running job stops, ends as cancelled with no headshot and
    no file, an ended job cannot be cancelled again, and the next run works."""
    sid, h = new_session(client)
    assert client.post(f"/api/sessions/{sid}/photos", files={"file": ("me.jpg", astronaut_photo(), "image/jpeg")},
                       headers=h).status_code == 201
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the check")
    job = client.post(f"/api/sessions/{sid}/studio", json={"looks": ["all"], "best": 1}, headers=h).json()

    def started():
        j = client.get(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h).json()
        return j if j["state"] == "running" and j["done"] >= 2 else None

    wait_until(started, timeout=240, what="the set to start")
    r = client.delete(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled"
    s = client.get(f"/api/sessions/{sid}", headers=h).json()
    assert not [x for x in s["headshots"] if x["job_id"] == job["id"]]
    assert client.get(f"/api/sessions/{sid}/jobs/{job['id']}/report.json", headers=h).status_code == 404
    _error(client.delete(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h), 409, "job_ended")
    _error(client.delete(f"/api/sessions/{sid}/jobs/j{'0' * 31}", headers=h), 404, "not_found")
    again = client.post(f"/api/sessions/{sid}/studio", json={}, headers=h).json()
    s = wait_until(lambda: session_idle(client, sid, h), timeout=240, what="the next run")
    assert next(j for j in s["jobs"] if j["id"] == again["id"])["state"] == "done"
    client.delete(f"/api/sessions/{sid}", headers=h)

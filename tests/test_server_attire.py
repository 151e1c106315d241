"""New attire in the web gallery (issue 15): a studio request with ``attire`` runs the
generate path after the studio, in the same job and gallery; every generated image is
reviewed, refused ones are listed with their reasons, delivered ones are labelled as
generated, starrable and in favourites.zip. Where it cannot be offered the request is
refused with the page's one-line reason. On the CPU with nothing downloaded: the tiny
random FLUX.2 [klein] pipeline (its noise is refused) and a stand-in backend that
returns the person's own photo (delivered), both through the real ``generate_looks``."""

from __future__ import annotations

import io
import zipfile
from contextlib import contextmanager

import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("diffusers")

from fastapi.testclient import TestClient

from likeness.server import create_app, testing
from likeness.server.testing import astronaut_photo, new_session, session_idle, wait_until
from likeness.store import StoreSettings

ONE = {"looks": ["corporate-grey"], "frames": ["headshot"], "best": 1}


def _available() -> dict:
    return {"available": True, "reason": ""}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("attire-home")
    app = create_app(StoreSettings(home=home, workers=2, max_photos=12, max_upload_bytes=8 * 2**20),
                     attire=_available, generate_fn=testing.generate_for_tests)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c, home


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    return r.json()["error"]


def _session_with_photo(client) -> tuple[str, dict]:
    sid, h = new_session(client)
    r = client.post(f"/api/sessions/{sid}/photos", files={"file": ("me.jpg", astronaut_photo(), "image/jpeg")}, headers=h)
    assert r.status_code == 201, r.text
    return sid, h


def _run(client, sid, h, body: dict) -> tuple[dict, dict]:
    """Start a run, wait until it ends: (its job, the session)."""
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the check")
    r = client.post(f"/api/sessions/{sid}/studio", json=body, headers=h)
    assert r.status_code == 202, r.text
    s = wait_until(lambda: session_idle(client, sid, h), timeout=300, what="the run")
    return next(j for j in s["jobs"] if j["id"] == r.json()["id"]), s


@contextmanager
def _generator(home, flag: str):
    """The test generator in another mode while the block runs (``testing.generate_for_tests``)."""
    (home / flag).touch()
    try:
        yield
    finally:
        (home / flag).unlink()


def test_attire_is_refused_with_the_pages_reason_where_it_cannot_be_made(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "models-home"))  # an empty model store
    app = create_app(StoreSettings(home=tmp_path / "home", workers=1), start_workers=False, warm=None)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        attire = client.get("/api/options").json()["attire"]
        assert attire["available"] is False and attire["reason"]
        sid, h = _session_with_photo(client)
        err = _error(client.post(f"/api/sessions/{sid}/studio", json={**ONE, "attire": True}, headers=h), 409,
                     "attire_unavailable")
        assert err["message"] == attire["reason"] and err["hint"]
        assert client.get(f"/api/sessions/{sid}", headers=h).json()["jobs"] == []  # nothing queued, nothing dropped
        _error(client.post(f"/api/sessions/{sid}/studio", json={"attire": "yes"}, headers=h), 422, "bad_input")
        job = client.post(f"/api/sessions/{sid}/studio", json={**ONE, "attire": False}, headers=h)
        assert job.status_code == 202 and "attire_looks" not in job.json()["payload"]
        # A team keeps one Look for everyone: new attire is not offered to a member.
        team = client.post("/api/teams", json={"name": "Acme", "look": "executive-navy"}).json()
        member = client.post(f"/api/teams/{team['id']}/members", json={"names": ["Ada"]},
                             headers={"Authorization": f"Bearer {team['admin_token']}"}).json()[0]
        _error(client.post(f"/api/sessions/{member['session_id']}/studio", json={"attire": True},
                           headers={"Authorization": f"Bearer {member['token']}"}), 422, "bad_option")


def test_generated_candidates_are_reviewed_and_the_refused_listed_with_reasons(served):
    client, _home = served
    assert client.get("/api/options").json()["attire"] == {"available": True, "reason": ""}
    sid, h = _session_with_photo(client)
    run, s = _run(client, sid, h, {**ONE, "attire": True})
    assert run["state"] == "done", run["error"]
    assert run["payload"]["attire_looks"] == ["corporate-grey"]
    gen = run["result"]["generated"]
    assert gen["error"] is None and gen["looks"] == ["corporate-grey"]
    # The random-weight model paints noise: both candidates (count 1 × oversample 2) refused, each with its checks.
    assert gen["delivered"] == 0 and len(gen["rejected"]) == 2
    for r in gen["rejected"]:
        assert r["look"] == "corporate-grey" and r["reasons"] and r["likeness"] == 0.0
        assert r["review"]["passed"] is False and r["review"]["checks"]
        assert any(not c["passed"] for c in r["review"]["checks"].values())
    assert run["done"] == run["total"] and run["total"] >= 1 + 2  # progress covers the studio and the candidates
    shots = [x for x in s["headshots"] if x["job_id"] == run["id"]]
    assert shots and all(x["generated"] is False and x["info"]["generated"] is False for x in shots)
    report = client.get(f"/api/sessions/{sid}/jobs/{run['id']}/report.json", headers=h).json()
    refused = [e for e in report["rejected"] if e.get("generated")]
    assert len(refused) == 2 and all(e["reasons"] and e["made_by"] == "generate" for e in refused)
    assert report["generated"] == {"delivered": 0, "refused": 2}
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_a_generated_image_is_delivered_labelled_starred_and_zipped(served):
    from likeness.deliver import read_provenance

    client, home = served
    sid, h = _session_with_photo(client)
    with _generator(home, testing.GENERATE_ECHO):
        run, s = _run(client, sid, h, {**ONE, "attire": True})
    assert run["state"] == "done", run["error"]
    assert run["result"]["generated"]["delivered"] == 1 and run["result"]["generated"]["error"] is None
    shots = [x for x in s["headshots"] if x["job_id"] == run["id"]]
    made = [x for x in shots if x["generated"]]
    studio = [x for x in shots if not x["generated"]]
    assert len(made) == 1 and studio and run["result"]["headshots"] == len(shots)
    g = made[0]
    assert g["info"]["made_by"] == "generate" and g["info"]["source_type"] == "trainedAlgorithmicMedia"
    assert g["info"]["review"]["passed"] is True and g["info"]["review"]["checks"]
    assert g["look"] == "corporate-grey" and g["likeness"] >= 70
    assert g["source_photo"] == s["photos"][0]["id"]  # before/after against the photo it was made from
    assert all(x["info"]["source_type"] == "algorithmicallyEnhanced" for x in studio)
    assert g["idx"] not in {x["idx"] for x in studio}

    full = client.get(f"/api/sessions/{sid}/headshots/{g['id']}", headers=h)
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    name = full.headers["content-disposition"].split("filename=")[1].strip('"')
    assert "generated" in name
    img = home / "downloaded.jpg"
    img.write_bytes(full.content)
    assert read_provenance(img)["source_type"] == "trainedAlgorithmicMedia"  # the file says it too
    assert client.get(f"/api/sessions/{sid}/headshots/{g['id']}?preview=true", headers=h).status_code == 200

    for x in (g, studio[0]):
        r = client.put(f"/api/sessions/{sid}/headshots/{x['id']}/favourite", json={"favourite": True}, headers=h)
        assert r.status_code == 200 and r.json()["favourite"] is True
    assert r.json()["generated"] is False
    report = client.get(f"/api/sessions/{sid}/jobs/{run['id']}/report.json", headers=h).json()
    entry = next(e for e in report["headshots"] if e.get("generated"))
    assert entry["favourite"] is True and entry["source_type"] == "trainedAlgorithmicMedia"
    assert entry["review"]["passed"] is True
    assert entry in next(grp for grp in report["looks"] if grp["look"] == "corporate-grey")["images"]
    z = client.get(f"/api/sessions/{sid}/favourites.zip", headers=h)
    assert z.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert len(names) == 2 and name in names
    everything = zipfile.ZipFile(io.BytesIO(client.get(f"/api/sessions/{sid}/download.zip", headers=h).content))
    assert name in everything.namelist()
    assert b"generated" in everything.read("report.html")
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_cancel_while_generating_keeps_nothing_and_the_next_run_works(served):
    client, home = served
    sid, h = _session_with_photo(client)
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the check")
    (home / testing.GENERATING).unlink(missing_ok=True)
    with _generator(home, testing.GENERATE_SLOW):
        job = client.post(f"/api/sessions/{sid}/studio", json={**ONE, "attire": True}, headers=h).json()
        wait_until(lambda: (home / testing.GENERATING).exists(), timeout=300, what="the generation to start")
        r = client.delete(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled"
    s = client.get(f"/api/sessions/{sid}", headers=h).json()
    assert not [x for x in s["headshots"] if x["job_id"] == job["id"]]
    assert not (home / "sessions" / sid / "runs" / job["id"]).exists()
    again, _ = _run(client, sid, h, {**ONE, "attire": True})  # a fresh generation process takes over
    assert again["state"] == "done", again["error"]
    assert len(again["result"]["generated"]["rejected"]) == 2
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_a_generation_failure_costs_the_new_attire_not_the_studio_headshots(served):
    client, home = served
    sid, h = _session_with_photo(client)
    with _generator(home, testing.GENERATE_FAIL):
        run, s = _run(client, sid, h, {**ONE, "attire": True})
    assert run["state"] == "done", run["error"]
    gen = run["result"]["generated"]
    assert gen["error"]["code"] == "model_missing" and gen["error"]["hint"]  # said, never dropped silently
    assert gen["delivered"] == 0 and gen["rejected"] == []
    shots = [x for x in s["headshots"] if x["job_id"] == run["id"]]
    assert shots and not any(x["generated"] for x in shots)
    client.delete(f"/api/sessions/{sid}", headers=h)

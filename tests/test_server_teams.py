"""Teams over the API: a locked Look, invitations that open one session each, status
and retake list for the admin, team-wide studio, zip and CSV export, deletion."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient
from PIL import Image

from likeness.server import create_app
from likeness.server.testing import astronaut_photo, encode, session_idle, wait_until
from likeness.store import StoreSettings


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("team-home")


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(StoreSettings(home=home, workers=2)), base_url="http://127.0.0.1") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_team_lifecycle(client, home):
    from skimage import data

    assert client.post("/api/teams", json={"name": "Acme", "look": "nope"}).status_code == 422
    assert client.post("/api/teams", json={"name": "Acme", "look": "/etc/passwd"}).status_code == 422
    r = client.post("/api/teams", json={"name": "Acme sales", "look": "executive-navy", "frame": "square"})
    assert r.status_code == 201
    team = r.json()
    admin = bearer(team["admin_token"])
    inv = client.post(f"/api/teams/{team['id']}/members", json={"names": ["Ada", "Grace", "=HYPERLINK(\"x\")", "Linus"]}, headers=admin)
    assert inv.status_code == 201
    ada, grace, evil, linus = inv.json()
    assert ada["link"] == f"/#s={ada['session_id']}&t={ada['token']}"  # the token stays in the fragment
    ha, hg, hl = bearer(ada["token"]), bearer(grace["token"]), bearer(linus["token"])

    # Each member reaches only their own session; the admin token opens no session.
    assert client.get(f"/api/sessions/{grace['session_id']}", headers=ha).status_code == 404
    assert client.get(f"/api/sessions/{ada['session_id']}", headers=admin).status_code == 404
    assert client.get(f"/api/teams/{team['id']}", headers=ha).status_code == 404
    assert client.post(f"/api/teams/{team['id']}/members", json={"names": ["x"]}, headers=ha).status_code == 404
    me = client.get(f"/api/sessions/{ada['session_id']}", headers=ha).json()
    assert me["team"]["look"] == "executive-navy" and me["label"] == "Ada"

    assert client.post(f"/api/sessions/{ada['session_id']}/photos", files={"file": ("a.jpg", astronaut_photo())}, headers=ha).status_code == 201
    assert client.post(f"/api/sessions/{grace['session_id']}/photos", files={"file": ("c.jpg", encode(data.coffee()))}, headers=hg).status_code == 201
    assert client.post(f"/api/sessions/{linus['session_id']}/photos", files={"file": ("l.jpg", astronaut_photo(820))}, headers=hl).status_code == 201
    for m, h in ((ada, ha), (grace, hg), (linus, hl)):
        wait_until(lambda: session_idle(client, m["session_id"], h), timeout=120, what="checks")

    locked = client.post(f"/api/sessions/{ada['session_id']}/studio", json={"look": "bright-white"}, headers=ha)
    assert locked.status_code == 422 and "executive-navy" in locked.json()["error"]["message"]
    run = client.post(f"/api/teams/{team['id']}/studio", headers=admin).json()
    assert sorted(run["queued"]) == sorted([ada["session_id"], linus["session_id"]])
    assert {s["session_id"]: s["reason"] for s in run["skipped"]} == {
        grace["session_id"]: "no usable photo: needs a retake", evil["session_id"]: "no photos yet"}
    for m, h in ((ada, ha), (linus, hl)):
        wait_until(lambda: session_idle(client, m["session_id"], h), timeout=240, what="the team's headshots")

    t = client.get(f"/api/teams/{team['id']}", headers=admin).json()
    status = {m["name"]: m for m in t["members"]}
    assert status["Ada"]["status"] == "done" and status["Ada"]["headshots"] >= 1 and status["Ada"]["likeness"] >= 60
    assert status["Grace"]["status"] == "retake" and "face" in " ".join(status["Grace"]["retake"]).lower()
    assert status['=HYPERLINK("x")']["status"] == "invited"
    assert [m["name"] for m in t["retake"]] == ["Grace"]
    c = t["consistency"]  # two headshots of the team look, compared by likeness.team
    assert c["members"] == 2 and c["spreads"]["eye_line_std"] is not None and c["spreads"]["eye_line_std"] < 0.02
    assert isinstance(c["outliers"], dict)
    shot = client.get(f"/api/teams/{team['id']}/members/{ada['session_id']}/headshot", headers=admin)
    assert shot.status_code == 200 and Image.open(io.BytesIO(shot.content)).size[0] > 100
    mine = client.get(f"/api/sessions/{ada['session_id']}", headers=ha).json()["headshots"][0]
    assert mine["look"] == "executive-navy" and mine["frame"] == "square"

    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/teams/{team['id']}/export.csv", headers=admin).text)))
    assert [r["name"] for r in rows] == ["Ada", "Grace", "'=HYPERLINK(\"x\")", "Linus"]  # no formula reaches a spreadsheet
    z = zipfile.ZipFile(io.BytesIO(client.get(f"/api/teams/{team['id']}/export.zip", headers=admin).content))
    assert "team.csv" in z.namelist() and rows[0]["file"] in z.namelist()
    img = np.asarray(Image.open(z.open(rows[0]["file"])))
    assert img.shape[0] == img.shape[1]  # square framing, as the team's Look asked

    assert client.delete(f"/api/teams/{team['id']}/members/{evil['session_id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/teams/{team['id']}", headers=admin).status_code == 204
    con = sqlite3.connect(home / "likeness.db")
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM teams").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM photos").fetchone()[0] == 0
    con.close()
    assert not any((home / "sessions").iterdir())
    assert client.get(f"/api/sessions/{ada['session_id']}", headers=ha).status_code == 404

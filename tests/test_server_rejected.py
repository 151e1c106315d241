"""The API's ``keep_rejected``: a studio run keeps the renders the review refused, with
their reasons and every check's figure, retrievable over the API (the CLI's
``--keep-rejected``). Real models on scikit-image's astronaut; the review's defect
checks are made to refuse every render in the worker (``studio_refusing``), since the
studio no longer makes a refused render of any photo at hand (Katy Perry's press
photo, used before, is now delivered at the tighter framing)."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient
from PIL import Image
from skimage import data

from likeness.server import create_app
from likeness.server.testing import new_session, session_idle, studio_refusing, wait_until
from likeness.store import StoreSettings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(StoreSettings(home=tmp_path_factory.mktemp("server-rejected"), workers=1),
                     studio_fn=studio_refusing)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _run(client, sid, h, body):
    r = client.post(f"/api/sessions/{sid}/studio", json=body, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    wait_until(lambda: session_idle(client, sid, h), timeout=300, what="the studio run")
    return client.get(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h).json()


def test_keep_rejected_over_the_api(client):
    sid, h = new_session(client)
    buf = io.BytesIO()
    # Enlarged 2× as `likeness demo` does: the 512 px original is under intake's eye distance.
    Image.fromarray(data.astronaut()).resize((1024, 1024), Image.Resampling.LANCZOS).save(buf, format="JPEG", quality=95)
    up = client.post(f"/api/sessions/{sid}/photos", files={"file": ("astronaut.jpg", buf.getvalue(), "image/jpeg")},
                     headers=h)
    assert up.status_code == 201, up.text
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the photo check")
    # A strict boolean, as ``all``.
    bad = client.post(f"/api/sessions/{sid}/studio", json={"keep_rejected": "yes"}, headers=h)
    assert bad.status_code == 422

    job = _run(client, sid, h, {"keep_rejected": True})
    assert job["payload"]["keep_rejected"] is True
    assert job["state"] in ("done", "failed")
    listing = client.get(f"/api/sessions/{sid}/jobs/{job['id']}/rejected", headers=h)
    assert listing.status_code == 200, listing.text
    kept = listing.json()
    assert len(kept) >= 1
    for i, r in enumerate(kept):
        assert r["index"] == i and r["photo"] == up.json()["id"] and r["reasons"]
        assert any(c["passed"] is False for c in r["checks"].values())
    img = client.get(f"/api/sessions/{sid}/jobs/{job['id']}/rejected/0", headers=h)
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert min(Image.open(io.BytesIO(img.content)).size) >= 200
    assert client.get(f"/api/sessions/{sid}/jobs/{job['id']}/rejected/{len(kept)}", headers=h).status_code == 404
    if job["state"] == "done":
        assert job["result"]["rejected"] == len(kept)
    else:  # the run's report went with its files: the error does not point at it
        assert job["error"]["code"] and "report" not in job["error"]

    # Without it, nothing refused is kept.
    plain = _run(client, sid, h, {})
    assert plain["payload"].get("keep_rejected") is False
    assert client.get(f"/api/sessions/{sid}/jobs/{plain['id']}/rejected", headers=h).json() == []
    # Another session cannot see them.
    other, h2 = new_session(client)
    assert client.get(f"/api/sessions/{other}/jobs/{job['id']}/rejected", headers=h2).status_code == 404

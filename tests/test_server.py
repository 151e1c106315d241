"""The web API on the real library: the session flow, coaching, downloads, deletion,
security and every kind of bad upload (real models on real photos)."""

from __future__ import annotations

import io
import re
import sqlite3
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient
from PIL import Image

from likeness.server import create_app
from likeness.server.testing import astronaut, astronaut_jpeg, astronaut_photo, encode, new_session, session_idle, wait_until
from likeness.store import StoreSettings

STATIC = Path(__file__).resolve().parents[1] / "src" / "likeness" / "server" / "static"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("server-home")


@pytest.fixture(scope="module")
def client(home):
    app = create_app(StoreSettings(home=home, workers=2, max_photos=12, max_upload_bytes=8 * 2**20))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def upload(client, sid, headers, data: bytes, name="photo.jpg", ctype="image/jpeg"):
    return client.post(f"/api/sessions/{sid}/photos", files={"file": (name, data, ctype)}, headers=headers)


def idle(client, sid, headers, timeout=120):
    return wait_until(lambda: session_idle(client, sid, headers), timeout=timeout, what="the session's jobs")


def error_of(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and len(err["message"]) > 10, err
    return err


# --- the flow -------------------------------------------------------------------------


def test_session_flow_end_to_end(client, home):
    sid, h = new_session(client)
    astro = upload(client, sid, h, astronaut_photo(), name="../../../etc/passwd.jpg")
    assert astro.status_code == 201 and astro.json()["state"] == "checking"
    assert astro.json()["name"] == "passwd.jpg"  # display only; never a path
    assert upload(client, sid, h, astronaut_photo(820), name="second.jpg").status_code == 201  # same person
    s = idle(client, sid, h)
    p = next(p for p in s["photos"] if p["id"] == astro.json()["id"])
    assert p["state"] == "checked" and p["check"]["faces"] == 1 and p["usable"] is True, p["check"]
    assert p["check"]["measures"] and all(0 <= m["score"] <= 100 for m in p["check"]["measures"])
    prev = client.get(f"/api/sessions/{sid}/photos/{p['id']}/preview", headers=h)
    assert prev.status_code == 200 and Image.open(io.BytesIO(prev.content)).size == (640, 640)

    job = client.post(f"/api/sessions/{sid}/studio", json={"look": "corporate-grey", "frame": "square"}, headers=h)
    assert job.status_code == 202 and job.json()["kind"] == "studio"
    busy = client.post(f"/api/sessions/{sid}/studio", json={}, headers=h)
    assert busy.status_code in (202, 409)  # 409 while the first run is still going
    s = idle(client, sid, h, timeout=240)
    run = next(j for j in s["jobs"] if j["id"] == job.json()["id"])
    assert run["state"] == "done", run["error"]
    shots = [x for x in s["headshots"] if x["job_id"] == run["id"]]
    assert len(shots) >= 1 and shots[0]["frame"] == "square" and shots[0]["look"] == "corporate-grey"
    assert shots[0]["likeness"] is not None and shots[0]["likeness"] >= 60
    img = client.get(f"/api/sessions/{sid}/headshots/{shots[0]['id']}", headers=h)
    assert img.status_code == 200 and "attachment" in img.headers["content-disposition"]
    assert Image.open(io.BytesIO(img.content)).size == (shots[0]["width"], shots[0]["height"])
    small = client.get(f"/api/sessions/{sid}/headshots/{shots[0]['id']}?preview=true", headers=h)
    assert max(Image.open(io.BytesIO(small.content)).size) <= 800
    z = client.get(f"/api/sessions/{sid}/download.zip", headers=h)
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert z.status_code == 200 and sum(n.endswith(".jpg") for n in names) >= len(shots)
    if run["result"].get("report_json"):
        rep = client.get(f"/api/sessions/{sid}/jobs/{run['id']}/report.json", headers=h)
        assert rep.status_code == 200 and rep.json()
        assert "report.json" in names

    assert client.delete(f"/api/sessions/{sid}", headers=h).status_code == 204
    assert not (home / "sessions" / sid).exists()
    con = sqlite3.connect(home / "likeness.db")
    for table, col in (("sessions", "id"), ("photos", "session_id"), ("jobs", "session_id"), ("headshots", "session_id"), ("job_events", "session_id")):
        assert con.execute(f"SELECT count(*) FROM {table} WHERE {col}=?", (sid,)).fetchone()[0] == 0, table
    con.close()
    error_of(client.get(f"/api/sessions/{sid}", headers=h), 404, "not_found")


# --- bad and unusual uploads -----------------------------------------------------------


def _png_bomb(w=60000, h=60000) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("case,status,code", [
    ("not-an-image", 422, "unreadable_image"),
    ("truncated", 422, "unreadable_image"),
    ("empty", 422, "unreadable_image"),
    ("tiny", 422, "image_too_small"),
    ("bomb", 413, "image_too_large"),
    ("huge-pixels", 413, "image_too_large"),
    ("huge-file", 413, "too_large"),
])
def test_bad_uploads_are_refused_clearly(client, home, case, status, code):
    sid, h = new_session(client)
    data = {
        "not-an-image": lambda: b"%PDF-1.4 this is a document, not a photo" * 20,
        "truncated": lambda: astronaut_jpeg()[:20000],
        "empty": lambda: b"",
        "tiny": lambda: encode(astronaut()[:20, :20]),
        "bomb": _png_bomb,
        "huge-pixels": lambda: encode(Image.new("L", (10500, 10000), 128), "JPEG", quality=50),
        "huge-file": lambda: np.random.default_rng(0).integers(0, 255, 9 * 2**20, dtype=np.uint8).tobytes(),
    }[case]()
    err = error_of(upload(client, sid, h, data, name=f"{case}.jpg"), status, code)
    assert err["hint"]
    assert client.get(f"/api/sessions/{sid}", headers=h).json()["photos"] == []
    assert not list((home / "sessions").glob(f"{sid}/photos/*"))  # nothing refused is stored


def _variants() -> dict[str, bytes]:
    a = astronaut()
    img = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° to view": wrong for these upright pixels
    out = {
        "grey": encode(img.convert("L")),
        "cmyk": encode(img.convert("CMYK")),
        "rgba-png": encode(img.convert("RGBA"), "PNG"),
        "16-bit-png": encode(Image.fromarray((a.mean(2) * 257).astype(np.uint16)), "PNG"),
        "wrong-exif-orientation": encode(img, "JPEG", exif=exif.tobytes()),
        "large-24mp": encode(img.resize((6000, 6000)), "JPEG", quality=80),
    }
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        out["heic"] = encode(img, "HEIF")
    except ImportError:
        pass
    return out


def test_unusual_formats_are_decoded_and_coached(client):
    variants = _variants()
    if "heic" not in variants:
        pytest.skip("pillow-heif cannot write HEIC here")  # pragma: no cover
    sid, h = new_session(client)
    ids = {}
    for name, data in variants.items():
        r = upload(client, sid, h, data, name=f"{name}.img")
        assert r.status_code == 201, (name, r.text)
        ids[r.json()["id"]] = name
    s = idle(client, sid, h)
    by = {ids[p["id"]]: p for p in s["photos"]}
    assert {p["state"] for p in by.values()} == {"checked"}, {k: p["check"] for k, p in by.items()}
    for name in ("grey", "cmyk", "rgba-png", "16-bit-png", "heic", "large-24mp"):
        assert by[name]["check"]["faces"] == 1, (name, by[name]["check"])
    assert by["heic"]["format"] == "HEIF" and by["large-24mp"]["width"] == 6000
    rot = by["wrong-exif-orientation"]
    assert (rot["width"], rot["height"]) == (512, 512)
    prev = client.get(f"/api/sessions/{sid}/photos/{rot['id']}/preview", headers=h)
    arr = np.asarray(Image.open(io.BytesIO(prev.content)))
    # The preview shows what the EXIF says (turned), so the person sees why coaching complains.
    assert np.abs(arr.astype(int) - np.rot90(astronaut(), -1)).mean() < 12
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_no_face_and_several_faces_are_coached(client):
    from skimage import data

    sid, h = new_session(client)
    cup = upload(client, sid, h, encode(data.coffee()), name="coffee.jpg").json()["id"]
    two = upload(client, sid, h, encode(np.concatenate([astronaut(), astronaut()], axis=1)), name="two.jpg").json()["id"]
    s = idle(client, sid, h)
    by = {p["id"]: p for p in s["photos"]}
    assert by[cup]["usable"] is False and by[cup]["check"]["faces"] == 0
    assert any("face" in t.lower() for t in by[cup]["check"]["problems"] + [by[cup]["check"]["error"]])
    assert by[two]["check"]["faces"] == 2
    client.delete(f"/api/sessions/{sid}/photos/{two}", headers=h)
    err = error_of(client.post(f"/api/sessions/{sid}/studio", json={}, headers=h), 422, "not_enough_photos")
    assert "face" in (err["message"] + err["hint"]).lower()
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_studio_options_are_validated(client):
    sid, h = new_session(client)
    error_of(client.post(f"/api/sessions/{sid}/studio", json={}, headers=h), 422, "not_enough_photos")
    upload(client, sid, h, astronaut_jpeg())
    err = error_of(client.post(f"/api/sessions/{sid}/studio", json={"look": "glamour-9000"}, headers=h), 422, "bad_option")
    assert "corporate-grey" in err["hint"]
    for path in ("/etc/passwd", "../../likeness.db", "~nobody/x.toml", "corporate-grey.toml"):
        error_of(client.post(f"/api/sessions/{sid}/studio", json={"look": path}, headers=h), 422, "bad_option")
    err = error_of(client.post(f"/api/sessions/{sid}/studio", json={"frame": "poster"}, headers=h), 422, "bad_input")
    assert "frame" in err["message"] and "headshot" in err["message"]
    error_of(client.post(f"/api/sessions/{sid}/studio", json={"look": "corporate-grey", "colour": "red"}, headers=h), 422, "bad_input")
    error_of(client.post(f"/api/sessions/{sid}/studio", content=b"{not json", headers={**h, "Content-Type": "application/json"}), 422, "bad_input")
    client.delete(f"/api/sessions/{sid}", headers=h)


def test_photo_count_limit(client):
    sid, h = new_session(client)
    small = encode(Image.fromarray(astronaut()).resize((128, 128)))
    for _ in range(12):
        assert upload(client, sid, h, small).status_code == 201
    err = error_of(upload(client, sid, h, small), 409, "too_many_photos")
    assert err["limit"] == 12
    client.delete(f"/api/sessions/{sid}", headers=h)


# --- security ------------------------------------------------------------------------


def test_tokens_scope_sessions(client):
    a, ha = new_session(client)
    b, hb = new_session(client)
    pid = upload(client, a, ha, astronaut_jpeg()).json()["id"]
    error_of(client.get(f"/api/sessions/{a}"), 401, "auth_required")
    for method, path in (("GET", f"/api/sessions/{a}"), ("GET", f"/api/sessions/{a}/photos/{pid}"),
                         ("GET", f"/api/sessions/{a}/photos/{pid}/preview"), ("DELETE", f"/api/sessions/{a}/photos/{pid}"),
                         ("DELETE", f"/api/sessions/{a}"), ("GET", f"/api/sessions/{a}/download.zip")):
        error_of(client.request(method, path, headers=hb), 404, "not_found")  # b's token opens nothing of a
    error_of(client.get(f"/api/sessions/{b}/photos/{pid}", headers=hb), 404, "not_found")  # nor through b's own id
    error_of(client.get("/api/sessions/..%2F..%2Fetc", headers=ha), 404, "not_found")
    assert client.get(f"/api/sessions/{a}", headers=ha).status_code == 200
    for sid, h in ((a, ha), (b, hb)):
        client.delete(f"/api/sessions/{sid}", headers=h)


def test_security_headers_and_offline_page(client):
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
    api = client.get("/api/health")
    assert api.headers["cache-control"] == "no-store" and api.json()["ok"]
    for f in STATIC.iterdir():
        text = f.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("http://www.w3.org/2000/svg", "")), f.name
        assert client.get(f"/static/{f.name}").status_code == 200
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS-rebinding guard


def test_openapi_documents_every_route(client):
    spec = client.get("/openapi.json").json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    for route in client.app.routes:
        if getattr(route, "include_in_schema", False) and route.path.startswith("/api/"):
            for m in route.methods - {"HEAD"}:
                assert (m, route.path) in ops
    assert len(ops) >= 20
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert spec["components"]["schemas"]["Frame"]["enum"] == list(__import__("likeness.studio.frame", fromlist=["PRESETS"]).PRESETS)


def test_options_list_looks_and_framings(client):
    o = client.get("/api/options").json()
    names = [l["name"] for l in o["looks"]]
    assert o["default_look"] in names and len(names) >= 3
    assert {f["name"] for f in o["frames"]} >= {"headshot", "square", "chest-up", "actor-8x10", "id-35x45", "us-2x2"}


def test_delete_while_the_studio_runs_leaves_nothing(client, home):
    import time

    sid, h = new_session(client)
    upload(client, sid, h, astronaut_photo())
    job = client.post(f"/api/sessions/{sid}/studio", json={}, headers=h).json()

    def running():
        j = client.get(f"/api/sessions/{sid}/jobs/{job['id']}", headers=h).json()
        return j["state"] == "running"

    wait_until(running, timeout=120, every=0.05, what="the studio job to start")
    t = time.monotonic()
    assert client.delete(f"/api/sessions/{sid}", headers=h).status_code == 204
    assert time.monotonic() - t < 20  # the worker is stopped, not waited for
    time.sleep(1.5)  # a stopped job must not write anything afterwards
    assert not (home / "sessions" / sid).exists()
    con = sqlite3.connect(home / "likeness.db")
    assert con.execute("SELECT count(*) FROM jobs WHERE session_id=?", (sid,)).fetchone()[0] == 0
    con.close()
    assert client.get("/api/health").json()["ok"]

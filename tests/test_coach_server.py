"""The live-coaching API on the real models: frames → directions and capture, the
burst → the sharpest frame stored as an upload, the state dropped on close."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="`likeness serve` needs it (pip install likeness[serve])")
pytest.importorskip("sqlalchemy", reason="`likeness serve` needs it (pip install likeness[serve])")

from fastapi.testclient import TestClient
from PIL import Image

from likeness.server import create_app
from likeness.server.testing import EVAL_SINGLE, astronaut, new_session, session_idle, wait_until
from likeness.store import StoreSettings


def _jpeg(img: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="module")
def good() -> np.ndarray:
    """A frontal, evenly lit face with its shoulders, as a camera preview (≤ 640 px)."""
    p = EVAL_SINGLE / "face_recognition__obama-720p.jpg"
    if p.exists():
        img = np.asarray(Image.open(p).convert("RGB"))
    else:  # pragma: no cover - without the eval set
        img = cv2.resize(astronaut(), (900, 900), interpolation=cv2.INTER_LANCZOS4)
    k = 640 / max(img.shape[:2])
    return cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(StoreSettings(home=tmp_path_factory.mktemp("coach-home"), workers=1, max_photos=12))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _frame(client, sid, headers, data: bytes, look: str = "corporate-grey"):
    return client.post(f"/api/sessions/{sid}/coach/frame?look={look}", content=data,
                       headers={**headers, "Content-Type": "image/jpeg"})


def test_good_frames_capture_and_a_tilt_is_directed(client, good):
    sid, h = new_session(client)
    answers = [_frame(client, sid, h, _jpeg(good)).json() for _ in range(3)]
    assert [a["capture"] for a in answers] == [False, False, True], answers
    assert all(a["direction"] is None and a["light"] == "green" for a in answers), answers
    assert isinstance(answers[-1]["next"], str) and answers[-1]["seconds"] > 0
    M = cv2.getRotationMatrix2D((good.shape[1] / 2, good.shape[0] / 3), 28, 1.0)
    tilted = cv2.warpAffine(good, M, (good.shape[1], good.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    first = _frame(client, sid, h, _jpeg(tilted)).json()
    second = _frame(client, sid, h, _jpeg(tilted)).json()
    assert "roll" in first["problems"] and first["direction"] is None  # one odd frame is not said yet
    assert second["direction"]["key"] == "roll" and not second["capture"] and second["light"] != "green", second
    assert client.delete(f"/api/sessions/{sid}/coach", headers=h).status_code == 204


def test_burst_keeps_the_sharpest_frame_as_an_upload(client, good):
    sid, h = new_session(client)
    big = cv2.resize(good, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    blurred = cv2.GaussianBlur(big, (0, 0), 4)
    files = [("file", (f"b{i}.jpg", _jpeg(img, 92), "image/jpeg")) for i, img in enumerate([blurred, big, blurred])]
    r = client.post(f"/api/sessions/{sid}/coach/capture", files=files, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kept"] == 1 and body["sharpness"][1] > max(body["sharpness"][0], body["sharpness"][2]), body
    assert body["photo"]["width"] == big.shape[1] and body["photo"]["name"].startswith("camera-")
    wait_until(lambda: session_idle(client, sid, h), timeout=120, what="the capture's check")
    photos = client.get(f"/api/sessions/{sid}", headers=h).json()["photos"]
    assert len(photos) == 1 and photos[0]["state"] == "checked" and photos[0]["check"]["measures"], photos


def test_bad_frames_and_bursts_are_refused_with_codes(client, good):
    sid, h = new_session(client)
    r = _frame(client, sid, h, b"not a jpeg")
    assert r.status_code == 422 and r.json()["error"]["code"] == "unreadable_image", r.text
    r = _frame(client, sid, h, _jpeg(good), look="no-such-look")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_option", r.text
    r = client.post(f"/api/sessions/{sid}/coach/frame", content=_jpeg(good), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 401, r.text
    files = [("file", (f"b{i}.jpg", _jpeg(good), "image/jpeg")) for i in range(6)]
    r = client.post(f"/api/sessions/{sid}/coach/capture", files=files, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_capture", r.text



def test_a_large_logo_is_told_in_the_wardrobe_advice(client):
    """A real portrait with a logo drawn on the chest: the coach's wardrobe advice has
    the ``logo`` key and a sentence; the same photo as it is has no print advice."""
    import time

    from shared_eval import need

    from likeness.coach.wardrobe import regions, skin_distance
    from likeness.eval.coach_prints import add_logo
    from likeness.faces.subject import find_faces, pick_subject

    img = np.asarray(Image.open(need("portraits", "images", "00163.jpg")).convert("RGB"))
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    r = regions(img, face)
    cloth = r.clothing & (skin_distance(img, np.array(r.skin, np.float32)) > 20)
    drawn = add_logo(img, cloth, r.face_height, np.random.default_rng(0), centre_x=float(face.center[0]),
                     face_w=float(face.width), chin_y=r.chin_y)

    def wardrobe(sid, h, data) -> list[dict]:
        a = _frame(client, sid, h, data)
        assert a.status_code == 200, a.text
        return a.json()["wardrobe"]

    sid, h = new_session(client)
    data, t0 = _jpeg(drawn), time.monotonic()
    told = wait_until(lambda: wardrobe(sid, h, data), timeout=60, what="the wardrobe advice")  # read beside the frames
    took = time.monotonic() - t0
    assert "logo" in [w["key"] for w in told] and all(isinstance(w["text"], str) and w["text"] for w in told)
    sid, h = new_session(client)
    data = _jpeg(img)
    wardrobe(sid, h, data)  # starts the reading
    time.sleep(2 * took + 1)
    assert not {"logo", "lettering"} & {w["key"] for w in wardrobe(sid, h, data)}

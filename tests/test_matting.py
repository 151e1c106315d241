"""Matting stage: real mediapipe model on real photos (astronaut, ../shared/eval)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import InputError, OptionError
from likeness.matting import Matte, MatteSettings, foreground, matte, segment
from likeness.matting.closed_form import snap_edge
from likeness.matting.refine import guided_filter

from shared_eval import EVAL  # noqa: E402


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="module")
def astro_matte(astronaut) -> Matte:
    return matte(astronaut)


def _needs_eval():
    if not (EVAL / "portraits" / "images").is_dir():
        pytest.skip("../shared/eval is not here")


def _read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


# --- contract -------------------------------------------------------------------------


def test_matte_contract(astronaut, astro_matte):
    m = astro_matte
    h, w = astronaut.shape[:2]
    assert m.alpha.shape == (h, w) and m.alpha.dtype == np.float32
    assert m.raw.shape == (h, w) and m.raw.dtype == np.float32
    assert m.foreground.shape == (h, w, 3) and m.foreground.dtype == np.float32
    for a in (m.alpha, m.raw, m.foreground):
        assert np.isfinite(a).all() and a.min() >= 0.0 and a.max() <= 1.0
    # The astronaut covers a good part of the photo, and the top corners are background.
    share = float((m.alpha >= 0.5).mean())
    assert 0.3 < share < 0.8
    assert m.alpha[:40, :40].max() < 0.5 and m.alpha[:40, -40:].max() < 0.5
    # Her face (about x 190–260, y 70–140 in the 512 px photo) and suit are person.
    assert m.alpha[70:140, 190:260].min() > 0.9
    assert m.alpha[300:450, 60:250].min() > 0.9
    # Soft edge, but not a blur: few pixels are neither 0 nor 1.
    assert float(((m.alpha > 0) & (m.alpha < 1)).mean()) < 0.1


def test_segment_is_probability(astronaut, astro_matte):
    p = segment(astronaut)
    assert p.shape == astronaut.shape[:2] and p.dtype == np.float32
    assert 0.0 <= p.min() and p.max() <= 1.0
    np.testing.assert_allclose(p, astro_matte.raw, atol=1e-5)


def test_deterministic(astronaut, astro_matte):
    again = matte(astronaut)
    np.testing.assert_array_equal(again.alpha, astro_matte.alpha)
    np.testing.assert_array_equal(again.foreground, astro_matte.foreground)


def test_the_foreground_alone_is_the_mattes_own(astronaut, astro_matte):
    # The studio asks for the matte without its foreground and works that out beside
    # the cut-out's clean-up: it must be the very values the matte would have given.
    bare = matte(astronaut, settings=MatteSettings(foreground=False))
    np.testing.assert_array_equal(bare.alpha, astro_matte.alpha)
    assert bare.foreground.dtype == np.float32
    assert not np.array_equal(bare.foreground, astro_matte.foreground)  # the image itself
    np.testing.assert_array_equal(foreground(astronaut, bare.alpha), astro_matte.foreground)


def test_bad_inputs_fail_loudly(astronaut):
    with pytest.raises(InputError):
        matte(astronaut.astype(np.float32))
    with pytest.raises(InputError):
        matte(astronaut[..., 0])
    with pytest.raises(InputError):
        matte(astronaut, face_box=(300, 10, 200, 100))  # x1 < x0
    with pytest.raises(InputError):
        segment(np.zeros((8, 8, 3), np.uint8))
    bad_settings = (dict(refine_size=10), dict(radius=0.0), dict(eps=0.0), dict(edge_gain=0.5), dict(snap_size=16), dict(snap_band=0))
    for bad in bad_settings:
        with pytest.raises(OptionError):
            MatteSettings(**bad)


def test_a_prior_replaces_the_segmentation(astronaut, astro_matte):
    from likeness.eval.matting import iou

    same = matte(astronaut, prior=segment(astronaut, face_box=None))
    assert iou(same.alpha >= 0.5, astro_matte.alpha >= 0.5) > 0.98
    nobody = matte(astronaut, prior=np.zeros((64, 64), np.float32))
    assert (nobody.alpha >= 0.5).mean() < 0.01
    half = cv2.resize(segment(astronaut), (256, 256), interpolation=cv2.INTER_AREA)  # any size of the image's shape
    assert iou(matte(astronaut, prior=half).alpha >= 0.5, astro_matte.alpha >= 0.5) > 0.97
    for bad in (np.zeros((64, 64, 3), np.float32), np.zeros((64, 64), np.uint8), np.zeros((64, 128), np.float32)):
        with pytest.raises(InputError):
            matte(astronaut, prior=bad)


def test_the_studio_mattes_its_frame_better_than_the_crop_alone():
    """The studio's crop matted from the whole photo's segmentation and the crop's own
    together, against the crop's alone (where the model sees a person cut by the
    frame's edges)."""
    _needs_eval()
    from likeness.eval.matting import _framed, iou

    images = sorted((EVAL / "portraits" / "images").glob("*.jpg"))  # 60: ~20 s
    got = {"studio": [], "crop_only": []}
    for p in images:
        image = _read(p)
        truth = cv2.imread(str(EVAL / "portraits" / "masks" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 127
        framed = _framed(image, truth)
        if framed is None:
            continue
        for way in got:
            got[way].append(iou(*framed[way]))
    assert len(got["studio"]) >= 40
    assert np.mean(got["studio"]) > np.mean(got["crop_only"]) + 0.004, {k: np.mean(v) for k, v in got.items()}
    assert np.percentile(got["studio"], 10) >= np.percentile(got["crop_only"], 10)


def test_the_studio_keeps_a_turban_the_crops_own_view_misses():
    """The crop's own view takes a turban above a face cut by the frame for background
    (framed IoU 0.7755 with the plain geometric mean); the whole photo's view keeps it."""
    _needs_eval()
    from likeness.eval.matting import _framed, iou

    p = EVAL / "portraits" / "images" / "01100.jpg"
    if not p.exists():
        pytest.skip("the turban portrait is not in ../shared/eval")
    truth = cv2.imread(str(EVAL / "portraits" / "masks" / "01100.png"), cv2.IMREAD_GRAYSCALE) > 127
    framed = _framed(_read(p), truth)
    assert framed is not None
    assert iou(*framed["studio"]) > 0.95
    assert iou(*framed["studio"]) > iou(*framed["crop_only"]) + 0.1


def test_headwear_is_a_wide_cap_above_the_face_not_a_piece_beside_it():
    """A piece only the whole photo's view calls person is taken from it when it is a
    cap above the eyes within the face's columns; a chair back beside the head, a small
    patch above it and the frame's padding are left to both views' agreement."""
    from likeness.studio.prior import crop_prior, headwear

    h, w = 400, 320
    box = (100.0, 120.0, 220.0, 260.0)  # face box: 120 × 140
    own = np.zeros((h, w), np.float32)
    own[120:, 90:230] = 0.95  # the crop's view: the face and body, no cap
    photo = own.copy()
    photo[60:150, 100:220] = 0.9  # a turban over the forehead
    photo[100:300, 230:300] = 0.9  # a chair back beside the head
    cap = headwear(photo, own, box)
    assert cap.dtype == bool and cap.shape == (h, w)
    assert cap[70, 160] and not cap[200, 260] and not cap[130, 260]

    small = own.copy()
    small[100:120, 140:170] = 0.9  # 30 × 20 px: 0.036 of the face's area
    assert not headwear(small, own, box).any()

    padding = np.ones((h, w), np.float32)
    padding[:110] = 0.0  # the frame reaches past the photo's top edge
    assert not headwear(photo, own, box, valid=padding).any()

    merged = crop_prior(np.zeros((h, w, 3), np.uint8), box, photo)  # own: background
    assert merged.shape == (h, w)
    assert merged[70, 160] == pytest.approx(0.9)  # the turban from the photo's view


def test_import_loads_no_model():
    code = "import sys, likeness.matting; print('mediapipe' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- pieces ---------------------------------------------------------------------------


def test_fast_guided_filter_is_he_guided_filter(astronaut):
    """At the fit size our colour guided filter equals OpenCV's reference filter."""
    p = segment(astronaut)
    ours = guided_filter(astronaut, p, radius=8, eps=1e-2)
    ref = cv2.ximgproc.guidedFilter(astronaut.astype(np.float32) / 255, p, 8, 1e-2)
    assert np.abs(ours - ref).max() < 1e-4


def test_snap_edge_lands_on_the_colour_edge(astronaut, astro_matte):
    """The astronaut cut out with a hard mask and put on flat green: the colour edge is
    exactly the mask's edge. Given a blurred probability whose 0.5 contour is pushed
    3 px outwards (the model's kind of error), snapping moves the contour back."""
    truth = astro_matte.alpha >= 0.5
    comp = np.where(truth[..., None], astronaut, np.array([30, 200, 40], np.uint8))
    grown = cv2.dilate(truth.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    prob = cv2.GaussianBlur(grown.astype(np.float32), (0, 0), 3)
    snapped = snap_edge(comp, prob, size=512, band=5)
    assert snapped.shape == prob.shape and snapped.dtype == np.float32
    assert snapped.min() >= 0.0 and snapped.max() <= 1.0
    # Away from the edge it keeps the model's decision.
    far = cv2.erode((prob >= 0.5).astype(np.uint8), np.ones((25, 25), np.uint8)) > 0
    assert (snapped[far] == 1.0).all()

    def iou(a, b):
        return (a & b).sum() / (a | b).sum()

    before, after = iou(prob >= 0.5, truth), iou(snapped >= 0.5, truth)
    assert before < 0.98 and after > 0.995
    # Nothing to snap: an empty probability comes back as zeros.
    assert not snap_edge(comp, np.zeros_like(prob), size=256, band=3).any()


def test_snapping_helps_on_real_portraits():
    """Closed-form edge snapping against the guided filter alone, on real labelled photos."""
    _needs_eval()
    from likeness.eval.matting import boundary_f, iou

    images = sorted((EVAL / "portraits" / "images").glob("*.jpg"))[:10]
    off = MatteSettings(snap_size=None)
    ious, bfs = {True: [], False: []}, {True: [], False: []}
    for p in images:
        image = _read(p)
        truth = cv2.imread(str(EVAL / "portraits" / "masks" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 127
        for snap, settings in ((True, MatteSettings()), (False, off)):
            pred = matte(image, settings=settings).alpha >= 0.5
            ious[snap].append(iou(pred, truth))
            bfs[snap].append(boundary_f(pred, truth))
    assert np.mean(bfs[True]) > np.mean(bfs[False]) + 0.01
    assert np.mean(ious[True]) > np.mean(ious[False])
    assert sum(a > b for a, b in zip(ious[True], ious[False])) >= 6


def test_foreground_has_no_green_fringe(astronaut, astro_matte):
    """The astronaut composited on green: the estimated foreground in the mixing band
    must not keep the green (the raw pixels there do)."""
    a = astro_matte.alpha[..., None]
    green = np.array([0.0, 0.8, 0.1], np.float32)
    comp = (astronaut.astype(np.float32) / 255 * a + green * (1 - a)) * 255
    comp = np.round(comp).astype(np.uint8)
    m = matte(comp)
    band = (m.alpha > 0.1) & (m.alpha < 0.9)
    assert band.sum() > 500

    def green_excess(x):
        return float((x[..., 1] - (x[..., 0] + x[..., 2]) / 2)[band].mean())

    raw = green_excess(comp.astype(np.float32) / 255)
    est = green_excess(m.foreground)
    assert raw > 0.15  # the fringe is really there in the pixels
    assert est < 0.35 * raw and est < 0.08
    # And foreground=False gives the pixels back unchanged (the fringe stays).
    plain = matte(comp, settings=MatteSettings(foreground=False))
    assert green_excess(plain.foreground) > 0.9 * raw


def test_tight_crop_when_person_is_small(astronaut, astro_matte):
    """A small person on a big grey canvas: the tight-crop pass runs and the matte
    matches the one of the close-up."""
    canvas = np.full((1200, 1500, 3), 128, np.uint8)
    y, x = 500, 600
    canvas[y : y + 512, x : x + 512] = astronaut
    m = matte(canvas)
    assert m.cropped
    got = m.alpha[y : y + 512, x : x + 512] >= 0.5
    ref = astro_matte.alpha >= 0.5
    assert (got & ref).sum() / (got | ref).sum() > 0.9
    outside = np.ones(canvas.shape[:2], bool)
    outside[y - 20 : y + 532, x - 20 : x + 532] = False
    assert (m.alpha[outside] >= 0.5).mean() < 0.001


# --- quality on real labelled photos --------------------------------------------------


def test_portrait_iou_beats_raw_model():
    _needs_eval()
    from likeness.eval.matting import iou
    from likeness.matting.mediapipe_selfie import predict

    images = sorted((EVAL / "portraits" / "images").glob("*.jpg"))[:10]
    ours, raw = [], []
    for p in images:
        image = _read(p)
        truth = cv2.imread(str(EVAL / "portraits" / "masks" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 127
        ours.append(iou(matte(image).alpha >= 0.5, truth))
        raw.append(iou(predict(image) >= 0.5, truth))
    assert np.mean(ours) >= 0.965
    assert min(ours) >= 0.9
    assert np.mean(ours) > np.mean(raw)


def test_eval_json_on_a_subset():
    _needs_eval()
    import json

    from likeness.eval.matting import run

    calls = []
    r = run(EVAL, progress=lambda d, t: calls.append((d, t)), limit=5)
    json.dumps(r)  # JSON-able
    assert calls[-1] == (10, 10)
    p, h = r["portraits"], r["hair"]
    assert p["n"] == 5 and h["n"] == 5
    for k in ("mean_iou", "p10_iou", "boundary_f"):
        assert 0 <= p[k] <= 1 and 0 <= p["baseline"][k] <= 1
    assert p["mean_iou"] >= 0.96 and p["p10_iou"] >= 0.93
    assert p["boundary_f"] > p["baseline"]["boundary_f"]
    assert h["hair_recall"] >= 0.94 and "hair_recall" in h["baseline"]
    # the hair masks are 512 px, enlarged: the recall within the label's step counts fewer edge pixels
    assert h["hair_recall"] < h["hair_recall_within_label_step"] <= 1
    assert r["seconds_per_image"] > 0
    assert set(r["framed"]) == {"studio", "photo_only", "crop_only"}
    assert r["framed"]["studio"]["n"] >= 4 and 0.9 <= r["framed"]["studio"]["mean_iou"] <= 1

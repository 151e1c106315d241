"""Intake on real photos with the real embedded models: measures, coaching, identity,
selection, verdict, JSON, and the degradation evaluation on a tiny subset."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from likeness.intake import check
from likeness.intake import inspection as check_mod
from likeness.types import Verdict, to_jsonable

from shared_eval import EVAL  # noqa: E402
IDS = EVAL / "identities"


def _need_eval() -> None:
    if not IDS.is_dir():
        pytest.skip("shared evaluation set not present")


def _jpeg(img: np.ndarray, path: Path, quality: int = 95) -> Path:
    Image.fromarray(img).save(path, "JPEG", quality=quality)
    return path


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory) -> Path:
    return _jpeg(data.astronaut(), tmp_path_factory.mktemp("astro") / "astronaut.jpg")


@pytest.fixture(scope="module")
def matt() -> list[Path]:
    _need_eval()
    return [IDS / "deepface__matt_damon" / f"0{i}.jpg" for i in (1, 2, 3, 4, 5)]


@pytest.fixture(scope="module")
def matt_sitting(matt):
    return check(matt)


def test_astronaut_measures(astronaut):
    s = check([astronaut])
    p = s.photos[0]
    assert not p.error and p.faces == 1
    m = p.measures
    for key in ("sharpness", "brightness", "overexposure", "eyes_open", "eyes_visible", "mouth_occlusion",
                "single_face", "head_margins", "roll", "yaw", "compression"):
        assert m[key].ok, (key, m[key])
    assert m["sharpness"].raw > 0.45 and 0 <= m["sharpness"].score <= 100
    assert abs(m["roll"].raw) < 10 and abs(m["yaw"].raw) < 15
    # 512 px: about 43 px between the eyes, under the 60 px a headshot needs
    assert 35 < m["inter_eye"].raw < 55 and not m["inter_eye"].ok
    assert "px between the eyes" in m["inter_eye"].advice
    assert p.face.box[2] <= 512 and p.face.embedding is not None and p.face.embedding.shape == (128,)
    assert s.verdict == Verdict.NOT_ENOUGH and not s.ranking


def test_clean_photo_passes_and_ranks(matt_sitting):
    s = matt_sitting
    assert all(p.usable and not p.problems for p in s.photos), [p.problems for p in s.photos]
    assert s.verdict == Verdict.READY and s.people == 1
    assert len(s.ranking) == 5 and s.best is s.photos[s.ranking[0]]
    assert 2 <= len(s.references) <= 4 and s.references[0] == s.ranking[0]
    assert set(s.references) <= set(s.ranking)
    ranks = [s.photos[i].rank for i in s.ranking]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 80
    # coordinates are in the original photo's pixels
    for p in s.photos:
        w, h = p.size
        x0, y0, x1, y1 = p.face.box
        assert 0 <= x0 < x1 <= w * 1.05 and 0 <= y0 < y1 <= h * 1.05


def _degraded(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from likeness.eval.intake import _linear, _srgb
    from likeness.faces import analyze
    from likeness.imageio import load_photo

    src = IDS / "deepface__matt_damon" / "04.jpg"
    img = load_photo(src).image
    face = analyze(img, embed=False, subject_only=True)[0]
    if name == "blur":
        out = cv2.GaussianBlur(img, (0, 0), 0.03 * face.inter_eye)
    else:  # three stops under
        out = _srgb(_linear(img) / 8.0)
    return src, _jpeg(out, tmp_path / f"{name}.jpg")


def test_blurred_photo_fails_sharpness_with_advice(tmp_path):
    _need_eval()
    src, blurred = _degraded(tmp_path, "blur")
    a, b = (check([p]).photos[0] for p in (src, blurred))
    assert a.measures["sharpness"].ok and not b.measures["sharpness"].ok
    assert b.measures["sharpness"].raw < 0.8 * a.measures["sharpness"].raw
    assert "blurry" in b.measures["sharpness"].advice and b.measures["sharpness"].advice in b.problems
    assert not b.usable


def test_dark_photo_fails_exposure(tmp_path):
    _need_eval()
    _, dark = _degraded(tmp_path, "dark")
    p = check([dark]).photos[0]
    assert not p.measures["brightness"].ok and p.measures["brightness"].raw < 0.45
    assert "too dark" in p.measures["brightness"].advice
    assert p.measures["sharpness"].ok  # darkness is not reported as blur


def test_two_faces_flagged():
    _need_eval()
    p = check([EVAL / "photos" / "group" / "human__group-4.jpg"]).photos[0]
    assert p.faces >= 2 and not p.measures["single_face"].ok
    assert p.measures["single_face"].raw >= 0.45
    assert "another face" in p.measures["single_face"].advice
    assert 0 <= p.subject < p.faces


def test_impostor_flagged_in_set(matt):
    impostor = IDS / "deepface__mark_zuckerberg" / "01.jpg"
    s = check(matt[:3] + [impostor])
    flags = [p.other_person for p in s.photos]
    assert flags == [False, False, False, True]
    assert s.people == 2 and s.verdict == Verdict.USABLE
    assert 3 not in s.ranking and 3 not in s.references
    assert any("different person" in t for t in s.photos[3].problems)
    assert any("2 different people" in a for a in s.advice)
    assert s.photos[3].identity_distance > s.photos[0].identity_distance


def test_bad_files_become_entries(matt, tmp_path):
    junk = tmp_path / "notes.jpg"
    junk.write_text("not a photo")
    s = check([matt[0], junk, tmp_path / "missing.jpg"])
    assert s.photos[0].usable
    assert s.photos[1].error_code == "unreadable_image" and "not a photo" in s.photos[1].error
    assert s.photos[2].error and "no such file" in s.photos[2].error
    assert s.ranking == (0,) and s.verdict == Verdict.USABLE  # one good photo: usable, add more


def test_no_face_and_limits(tmp_path):
    img = _jpeg(data.coffee(), tmp_path / "coffee.jpg")
    s = check([img])
    assert s.photos[0].error_code == "no_face" and s.verdict == Verdict.NOT_ENOUGH and s.people == 0
    from likeness.errors import InputError, OptionError

    with pytest.raises(InputError):
        check([])
    with pytest.raises(OptionError):  # too many photos is a usage problem (exit 2)
        check([img] * 31)


def test_json_serialisable(matt_sitting):
    from likeness.cli.check import sitting_json

    text = json.dumps(to_jsonable(matt_sitting))
    assert "sharpness" in text
    d = json.loads(json.dumps(sitting_json(matt_sitting)))
    assert d["verdict"] == "ready" and len(d["photos"]) == 5
    m = d["photos"][0]["measures"]["sharpness"]
    assert set(m) == {"score", "raw", "ok", "unit", "advice"} and 0 <= m["score"] <= 100


def test_small_face_is_decoded_larger(tmp_path):
    """A big photo with a small face is measured at the face's own resolution."""
    _need_eval()
    from likeness.imageio import load_photo

    img = load_photo(IDS / "deepface__matt_damon" / "04.jpg").image  # 1000×1500, IED ≈ 300
    canvas = np.full((3000, 4000, 3), 200, np.uint8)
    small = cv2.resize(img, (300, 450), interpolation=cv2.INTER_AREA)  # IED ≈ 90 px
    canvas[1000:1450, 1800:2100] = small
    path = _jpeg(canvas, tmp_path / "far.jpg")
    p = check_mod.inspect_path(path)
    assert not p.error
    assert 70 < p.measures["inter_eye"].raw < 110 and p.measures["inter_eye"].ok
    assert p.measures["sharpness"].ok


def test_compression_measure(tmp_path):
    _need_eval()
    from likeness.imageio import load_photo

    img = load_photo(IDS / "deepface__matt_damon" / "04.jpg").image
    raws = []
    for q in (95, 15):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=q)
        p = check_mod.inspect(load_photo(buf.getvalue(), max_side=check_mod.ANALYSE_SIDE, name=f"q{q}.jpg"),
                              embed=False)
        raws.append(p.measures["compression"])
    assert raws[0].ok and not raws[1].ok and raws[1].raw > 2 * raws[0].raw
    assert "compressed" in raws[1].advice


def _blockiness_by_columns(image, face, period):
    """The blockiness of ``likeness.intake.photo`` written plainly, column by column."""
    from likeness.intake.photo import SMOOTH_STEP

    h, w = image.shape[:2]
    x0, y0, x1, y1 = (round(t) for t in face.box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    step = max(1, (y1 - y0) // 160)
    box = image[y0:y1, x0:x1]
    luma = np.array([0.299, 0.587, 0.114], np.float32)
    out = []
    for axis, origin in ((1, x0), (0, y0)):
        g = (box[::step] if axis == 1 else box[:, ::step].transpose(1, 0, 2)).astype(np.float32) @ luma
        d = np.abs(np.diff(g, axis=1))
        best = 0.0
        for k in range(period):
            cols = [j for j in range(3, d.shape[1] - 3) if (j + origin + 1) % period == k]
            near = sum(d[:, [j + o for j in cols]] for o in (-3, -2, -1, 1, 2, 3)) / 6.0
            smooth = near < SMOOTH_STEP
            if smooth.sum() >= 50:
                best = max(best, float(d[:, cols][smooth].mean() / max(near[smooth].mean(), 0.3)))
        out.append(best)
    return float(np.mean(out))


def test_blockiness_reads_every_grid_offset_as_written_plainly(astronaut_rgb):
    """The summed-once neighbourhoods give what the plain per-column reading gives, to
    the bit, at every crop offset of the JPEG grid and at two periods."""
    from likeness.faces.subject import find_faces
    from likeness.intake.photo import blockiness

    buf = io.BytesIO()
    Image.fromarray(astronaut_rgb).save(buf, "JPEG", quality=20)
    img = np.asarray(Image.open(buf).convert("RGB"))
    seen = []
    for dx, dy in ((0, 0), (3, 5), (7, 1)):
        crop = np.ascontiguousarray(img[dy:, dx:])
        face = find_faces(crop)[0]
        for period in (8, 5):
            got = blockiness(crop, face, period=period)
            assert got == _blockiness_by_columns(crop, face, period), (dx, dy, period)
            seen.append(got)
    assert max(seen) > 2.5  # quality 20 shows its grid


def test_eval_intake_tiny_subset():
    _need_eval()
    from likeness.eval.intake import run

    r = run(EVAL, limit=2, only=["blur", "eye_bar", "second_face"])
    assert r["photos"] == 2 and set(r["degradations"]) == {"blur", "eye_bar", "second_face"}
    for name, d in r["degradations"].items():
        assert {"flag_rate", "clean_flag_rate", "n", "measure", "params"} <= set(d)
        assert d["n"] == 2 and d["flag_rate"] == 1.0, (name, d)
    json.dumps(r)


def test_subject_found_by_identity_among_several_faces(matt, tmp_path):
    """A friend's bigger face beside yours: the set's identity says which face is you."""
    from likeness.eval.intake import second_face
    from likeness.faces import analyze
    from likeness.imageio import load_photo

    me = load_photo(matt[3]).image
    me_face = analyze(me, embed=False, subject_only=True)[0]
    friend = load_photo(IDS / "deepface__mark_zuckerberg" / "05.jpg").image
    friend_face = analyze(friend, embed=False, subject_only=True)[0]
    pair = second_face(me, me_face, np.random.default_rng(0), width_vs_subject=1.4, donor=(friend, friend_face))
    path = _jpeg(pair, tmp_path / "with_friend.jpg")
    s = check(matt[:3] + [path])
    p = s.photos[3]
    assert p.faces >= 2 and p.subject != 0  # not the largest face
    from likeness.intake.identity import SAME_PERSON

    assert not p.other_person and p.identity_distance < SAME_PERSON  # the identity model's own bound
    assert not p.measures["single_face"].ok and s.people == 1



def test_red_alone_at_its_ceiling_is_not_washed_out_but_a_face_two_stops_over_is(tmp_path):
    """Fair skin under flash clips red alone and keeps its detail (a usable red-carpet
    photo); a face 2 EV over clips red on darker skin too, and more (refused)."""
    from likeness.eval.intake import exposure
    from likeness.faces.subject import find_subject
    from likeness.imageio import load_photo

    target = EVAL / "photos" / "single" / "deepface__target.jpg"
    if not target.is_file() or not IDS.is_dir():
        pytest.skip("shared evaluation set not present")
    assert check([target]).photos[0].measures["overexposure"].ok
    p = load_photo(IDS / "face_recognition__joe_biden" / "01.jpg")
    over = _jpeg(exposure(p.image, find_subject(p), None, ev=2.0), tmp_path / "over.jpg")
    m = check([over]).photos[0].measures["overexposure"]
    assert not m.ok and m.raw > 0.3


def test_black_and_white_photo_is_flagged_and_told_its_headshot_will_be_too(astronaut_rgb, tmp_path):
    grey = cv2.cvtColor(cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    p = check([_jpeg(grey, tmp_path / "grey.jpg")]).photos[0]
    colour = check([_jpeg(astronaut_rgb, tmp_path / "colour.jpg")]).photos[0]
    m = p.measures["color_cast"]
    assert colour.measures["color_cast"].ok and not m.ok
    # The studio makes a black-and-white headshot from it, so intake does not refuse it
    # for its colour, and its advice says what the headshot will be.
    assert m.advice in p.problems and "black-and-white" in m.advice and "headshot" in m.advice
    failed = {k for k, v in p.measures.items() if not v.ok} - {k for k, v in colour.measures.items() if not v.ok}
    assert failed == {"color_cast"} and p.usable == colour.usable

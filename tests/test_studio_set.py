"""A set from one click (issue 15): every chosen Look × framing from the best photos,
the Look-independent work done once per photo and framing, every image reviewed, the
report grouped by Look with a favourite per image; unknown names are usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from likeness.errors import OptionError
from likeness.studio import gallery, pipeline
from likeness.studio.options import StudioSettings

from shared_eval import need

PERSON = "identities", "human__stock_emotions_a"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))


def test_resolve_set_defaults_and_all():
    plan = gallery.resolve_set(looks="all")
    assert [lk.name for lk in plan.looks] == gallery.builtin_looks()
    assert [p.name for p in plan.frames] == ["headshot", "square"]
    assert plan.photos == 2 and plan.size == len(plan.looks) * 4
    two = gallery.resolve_set(looks="corporate-grey,classic-mono,corporate-grey", frames=["square"], best=3)
    assert [lk.name for lk in two.looks] == ["corporate-grey", "classic-mono"]  # duplicates once
    assert [p.name for p in two.frames] == ["square"] and two.size == 6


@pytest.mark.parametrize("kw", [{"looks": "no-such-look"}, {"frames": "headshot,nope"}, {"best": 0},
                                {"looks": "corporate-grey,,classic-mono"}])
def test_resolve_set_refuses_unknown_names(kw):
    with pytest.raises(OptionError):
        gallery.resolve_set(**kw)


@pytest.mark.parametrize("opt", [["--looks", "no-such-look"], ["--frames", "headshot,nope"]])
def test_cli_unknown_look_or_frame_is_a_usage_error(opt, tmp_path):
    from likeness.cli import EXIT_USAGE

    p = tmp_path / "a.jpg"
    Image.fromarray(data.astronaut()).save(p)
    res = subprocess.run([sys.executable, "-m", "likeness.cli", "studio", str(p), *opt, "-o", str(tmp_path / "o")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == EXIT_USAGE
    assert not (tmp_path / "o").exists()  # refused before anything is written


def test_finish_refuses_a_photo_prepared_for_another_framing():
    from likeness.faces.subject import find_subject
    from likeness.types import Photo

    img = np.ascontiguousarray(np.repeat(np.repeat(data.astronaut(), 2, 0), 2, 1))
    photo = Photo(image=img, source="astronaut", format="PNG", original_size=(1024, 1024))
    face = find_subject(photo)
    st = StudioSettings.resolve(frame="headshot")
    prep = pipeline.prepare(img, face, preset=st.preset)
    r = pipeline.finish(prep, settings=st)
    assert r.image.shape[:2] == (st.preset.size[1], st.preset.size[0])
    with pytest.raises(OptionError):
        pipeline.finish(prep, settings=StudioSettings.resolve(frame="square"))
    # Looks of the same retouch strength share one retouched photo.
    pipeline.finish(prep, settings=StudioSettings.resolve(look="bright-white", frame="headshot"))
    assert len(prep._retouched) == 1


def test_a_retouch_started_beside_the_matte_is_the_one_finish_would_make():
    """prepare(retouch=) runs the retouch on a worker beside the matte: the headshot
    is the same, pixel for pixel, as with the retouch worked out in finish()."""
    from concurrent.futures import Future

    from likeness.faces.subject import find_subject
    from likeness.types import Photo

    img = np.ascontiguousarray(np.repeat(np.repeat(data.astronaut(), 2, 0), 2, 1))
    face = find_subject(Photo(image=img, source="astronaut", format="PNG", original_size=(1024, 1024)))
    st = StudioSettings.resolve(frame="headshot")
    early = pipeline.prepare(img, face, preset=st.preset, retouch=st.retouch)
    assert [type(v) for v in early._retouched.values()] == [Future]
    late = pipeline.prepare(img, face, preset=st.preset)
    assert late._retouched == {}
    a, b = pipeline.finish(early, settings=st), pipeline.finish(late, settings=st)
    assert isinstance(early._retouched[round(st.retouch, 4)], np.ndarray)  # the result is kept, not the future
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(pipeline.render(img, face, settings=st).image, a.image)


def test_a_set_shares_the_look_independent_work_and_reviews_every_image(tmp_path, monkeypatch):
    from likeness.matting import mediapipe_selfie
    from likeness.studio import studio

    photos = sorted(need(*PERSON).glob("*.jpg"))[:4]
    calls = {"prepare": 0, "finish": 0, "segment": 0}
    for mod, name in ((pipeline, "prepare"), (pipeline, "finish"), (mediapipe_selfie, "predict")):
        fn = getattr(mod, name)

        def counted(*a, _fn=fn, _k="segment" if name == "predict" else name, **k):
            calls[_k] += 1
            return _fn(*a, **k)

        monkeypatch.setattr(mod, name, counted)
    seen: list[tuple[int, int]] = []
    res = studio(photos, looks="corporate-grey,classic-mono", out=tmp_path / "o", keep_rejected=True,
                 progress=lambda d, t: seen.append((d, t)))
    report = json.loads(res.report_json.read_text())
    chosen = {Path(h["source"]).name for h in report["headshots"]} | {Path(r["source"]).name for r in report["rejected"]}
    n_photos = len(chosen)
    assert n_photos == 2  # the best two, different in pose or expression
    # once per photo and framing, not per image
    assert calls["prepare"] == n_photos * 2
    assert calls["finish"] == n_photos * 2 * 2
    # every image reviewed; refused ones listed with reasons and not delivered
    assert len(report["headshots"]) + len(report["rejected"]) == 8
    for h in report["headshots"]:
        assert h["review"]["passed"] is True and h["favourite"] is False
        assert (res.out_dir / h["file"]).is_file()
    for r in report["rejected"]:
        assert r["reasons"] and r["file"].startswith("rejected/")
        assert not (res.out_dir / Path(r["file"]).name).exists()
    # grouped by Look, in the order asked
    assert [g["look"] for g in report["looks"]] == ["corporate-grey", "classic-mono"]
    assert sum(len(g["images"]) for g in report["looks"]) == len(report["headshots"])
    assert all(i["look"] == g["look"] for g in report["looks"] for i in g["images"])
    assert report["set"] == {"looks": ["corporate-grey", "classic-mono"], "frames": ["headshot", "square"], "photos": 2}
    # progress per image, up to the total
    done, total = seen[-1]
    assert done == total == len(photos) + 8
    assert len({d for d, _t in seen if d > len(photos)}) == 8
    assert res.contact_sheet is not None and res.contact_sheet.is_file()


def test_pick_photos_skips_near_duplicates():
    from likeness.types import Face, PhotoCheck, Pose, Sitting

    def pc(yaw, expr):
        return PhotoCheck(source=f"{yaw}{expr}", size=(10, 10), faces=1, expression=expr,
                          face=Face(box=(0, 0, 1, 1), score=1.0, pose=Pose(yaw, 0.0, 0.0)))

    s = Sitting(photos=(pc(0, "neutral"), pc(1, "neutral"), pc(0, "smile"), pc(15, "neutral")), verdict=None,
                summary="", advice=(), ranking=(0, 1, 2, 3), references=(), identity=None, people=1)
    assert gallery.pick_photos(s, s.ranking, 2) == [0, 2]
    assert gallery.pick_photos(s, s.ranking, 3) == [0, 2, 3]
    assert gallery.pick_photos(s, (0, 1), 2) == [0]


def test_bench_set_is_an_option_of_the_studio_and_serve_benches():
    from likeness.bench import serve, studio_set
    from likeness.cli import EXIT_USAGE
    from likeness.server.schemas import StudioIn

    assert StudioIn(**serve.SET_REQUEST).looks == serve.SET_REQUEST["looks"]  # a request the server takes

    assert studio_set.IMAGES == 24  # 6 Looks × 2 framings × 2 photos, as the issue measures
    assert all(lk in gallery.builtin_looks() for lk in studio_set.SET_LOOKS)
    res = subprocess.run([sys.executable, "-m", "likeness.cli", "bench", "team", "--set"], capture_output=True,
                         text=True, check=False)
    assert res.returncode == EXIT_USAGE


def test_set_candidates_put_spares_after_the_picks():
    from likeness.types import Face, PhotoCheck, Pose, Sitting

    def pc(yaw, expr):
        return PhotoCheck(source=f"{yaw}{expr}", size=(10, 10), faces=1, expression=expr,
                          face=Face(box=(0, 0, 1, 1), score=1.0, pose=Pose(yaw, 0.0, 0.0)))

    s = Sitting(photos=(pc(0, "neutral"), pc(1, "neutral"), pc(0, "smile")), verdict=None,
                summary="", advice=(), ranking=(0, 1, 2), references=(), identity=None, people=1)
    assert gallery.set_candidates(s, s.ranking, 2) == ([0, 2, 1], 2)


def test_a_photo_the_review_refuses_for_itself_is_replaced_by_a_spare(tmp_path, monkeypatch):
    """The first Look of the best photo fails a check no Look can change (here: a
    second face): its other Looks are not made, and the next photo takes its place."""
    from dataclasses import replace

    from likeness.studio import results, studio

    photos = sorted(need(*PERSON).glob("*.jpg"))[:4]
    real = results.reviewed
    bad: list[str] = []

    def reviewed(hs, r, reference, st):
        out = real(hs, r, reference, st)
        bad.append(bad[0] if bad else hs.source)  # the first photo reviewed is the one refused
        if hs.source == bad[0]:
            rv = dict(out.review, passed=False, reasons=["There is a second face in the picture."])
            rv["checks"] = {**rv["checks"], "one_face": {**rv["checks"]["one_face"], "passed": False}}
            out = replace(out, review=rv)
        return out

    monkeypatch.setattr(results, "reviewed", reviewed)
    res = studio(photos, looks="corporate-grey,classic-mono,bright-white", frames="headshot", out=tmp_path / "o")
    report = json.loads(res.report_json.read_text())
    delivered = {h["source"] for h in report["headshots"]}
    assert bad[0] not in delivered
    assert len(delivered) == 2  # the spare took the refused photo's place
    refused = [r for r in report["rejected"] if r["source"] == bad[0]]
    assert len(refused) == 1  # only its first Look was made
    assert not any(p.name.startswith(Path(bad[0]).stem + "-") for p in res.out_dir.iterdir())


def test_beside_runs_on_its_worker_or_inline_when_one_thread_was_asked_for():
    import threading

    import cv2

    from likeness import beside

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        assert beside.submit(lambda: threading.current_thread().name).result().startswith("likeness-beside")
        # a step on the worker that submits another runs it there, at once (no wait on itself)
        nested = beside.submit(lambda: beside.submit(lambda: threading.current_thread().name).result())
        assert nested.result(timeout=10).startswith("likeness-beside")
        cv2.setNumThreads(1)  # a team worker: one thread per process
        assert beside.submit(lambda: threading.current_thread().name).result() == threading.current_thread().name
        failed = beside.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result()
    finally:
        cv2.setNumThreads(before)


def test_a_set_the_review_refuses_whole_still_writes_its_report(tmp_path, monkeypatch):
    """Every image of the set refused: an error (nothing delivered), and the report that
    says what was tried, with each refused image's reasons."""
    from likeness.errors import NotEnoughPhotosError
    from likeness.review import Check, gate
    from likeness.studio import studio

    monkeypatch.setattr(gate, "defect_checks", lambda *a, **k: {
        "islands": Check(False, 2.0, 0.3, "The cut-out has stray pieces apart from you (2.0 % of the picture).")})
    src = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).resize((1024, 1024), Image.Resampling.LANCZOS).save(src, quality=95)
    out = tmp_path / "o"
    with pytest.raises(NotEnoughPhotosError) as err:
        studio([src], looks="corporate-grey", frames="headshot", out=out)
    report = json.loads((out / "report.json").read_text())
    assert err.value.data["report"] == str(out / "report.json")
    assert report["headshots"] == [] and len(report["rejected"]) == 1
    assert report["rejected"][0]["reasons"] and report["rejected"][0]["look"] == "corporate-grey"
    assert not [p for p in out.iterdir() if p.suffix == ".jpg"]

"""`likeness eval fairness`: skin-tone bands, per-band figures with intervals, the summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likeness.eval import fairness
from likeness.eval.fairness_stages import figures


def test_ita_and_band_edges():
    assert fairness.ita((50.0, 10.0, 20.0)) == pytest.approx(0.0)
    assert fairness.ita((70.0, 12.0, 20.0)) == pytest.approx(math.degrees(math.atan(1.0)))
    assert fairness.band_of(60.0) == "light"
    assert fairness.band_of(41.0) == "medium"  # the edge belongs to the band below
    assert fairness.band_of(10.5) == "medium"
    assert fairness.band_of(10.0) == "dark"
    assert fairness.band_of(-40.0) == "dark"
    assert fairness.band_of(None) is None and fairness.band_of(float("nan")) is None
    assert set(fairness.BAND_EDGES) == {name for _, name in fairness.BANDS}


def test_figures_carry_count_and_a_bootstrap_interval():
    rows = [{"intake_refused": i % 4 == 0, "intake_flagged": False, "intake_failed": ["sharpness"] if i % 4 == 0 else [],
             "matting_iou": 0.95 + 0.001 * i} for i in range(40)]
    f = figures(rows, {"review_genuine": [True] * 19 + [False]})
    r = f["intake_refused"]
    assert r["n"] == 40 and r["value"] == pytest.approx(0.25)
    assert r["ci90"][0] < 0.25 < r["ci90"][1]
    m = f["matting_iou_mean"]
    assert m["ci90"][0] <= m["value"] <= m["ci90"][1] and m["n"] == 40
    assert f["matting_iou_p10"]["value"] < m["value"]
    assert f["review_genuine"]["value"] == pytest.approx(0.95) and f["review_genuine"]["n"] == 20
    assert f["studio_skin_de_p95"] == {"value": None, "n": 0}
    assert f["intake_flag_rate_by_measure"] == {"sharpness": 0.25}


def test_summary_names_the_worst_band_and_its_gap():
    rows = []
    skin = np.array([0.30, 0.18, 0.12], np.float32)
    greyer = np.array([0.26, 0.19, 0.15], np.float32)  # the dark band's skin changes colour
    for band, iou, de in (("light", 0.98, 1.0), ("medium", 0.97, 1.5), ("dark", 0.93, 4.0)):
        for i in range(10):
            rows.append({"photo": f"{band}{i}", "person": f"{band}{i // 2}", "set": "identities", "band": band,
                         "glasses": False, "matting_iou": iou, "studio_skin_de": de, "intake_refused": False,
                         "studio_skin_before": _lab(skin), "studio_gains": [1.0, 1.0, 1.0],
                         "studio_skin_after": _lab(greyer if band == "dark" else skin * 1.2)})
    res = fairness.summarize(rows, {}, seconds=0.0, settings={})
    s = res["summary"]["matting_iou_mean"]
    assert s["worst_band"] == "dark" and s["best_band"] == "light"
    assert s["gap"] == pytest.approx(0.05) and s["within"] is False
    assert res["summary"]["studio_skin_de_p95"]["worst_band"] == "dark"
    assert res["skin_de_p95_within_target"] == {"light": True, "medium": True, "dark": False}
    assert res["passed"] is False
    assert res["bands"]["dark"]["people"] == 5 and res["bands"]["dark"]["photos"] == 10


def test_html_page_has_a_row_per_figure(tmp_path):
    from likeness.eval.fairness_html import write

    rows = [{"photo": f"p{i}", "person": f"p{i}", "set": "portraits", "band": b, "glasses": None, "matting_iou": 0.97}
            for i, b in enumerate(["light", "medium", "dark"] * 3)]
    res = fairness.summarize(rows, {}, seconds=0.0, settings={"portrait_step": 3})
    page = write(res, tmp_path / "f.html").read_text()
    assert page.count("<tr>") >= len(fairness.FIGURES) + 1
    assert "matting_iou_mean" in page


def test_skin_is_balanced_by_the_studios_white_balance():
    """A strong blue cast on the astronaut moves the raw cheek colour far more than the
    balanced one: the band is read after the studio's white balance."""
    from skimage import data

    from likeness.color import (
        delta_e,
        linear_to_srgb,
        srgb_to_linear,
        to_float,
        to_uint8,
    )
    from likeness.faces import analyze

    img = np.ascontiguousarray(data.astronaut())
    face = analyze(img, embed=False, subject_only=True)[0]
    base, score = fairness.balanced_skin_lab(img, face)
    assert base is not None and isinstance(score, float)
    cool = to_uint8(linear_to_srgb(srgb_to_linear(to_float(img)) * np.float32([0.85, 1.0, 1.15])))
    moved, _ = fairness.balanced_skin_lab(cool, face)
    from likeness.faces.view import face_view

    raw = delta_e(np.array(face_view(img, face).skin_lab()), np.array(face_view(cool, face).skin_lab()))
    assert float(delta_e(np.array(base), np.array(moved))) < 0.6 * float(raw)
    assert fairness.band_of(fairness.ita(base)) in {"light", "medium"}


def test_eval_fairness_is_registered():
    from likeness.cli.eval import EVALS

    assert "fairness" in EVALS


def _lab(lin):
    from likeness.color import linear_to_srgb, rgb_to_lab

    return [float(v) for v in rgb_to_lab(linear_to_srgb(np.float32(lin))[None, None])[0, 0]]


def test_a_deliberate_brightening_is_not_a_skin_tone_shift():
    """The fill lifting a shaded cheek (a linear-light gain) reads 0 on the skin-tone
    figure the target is judged on, though the raw ΔE is large; a change of the skin's
    colour at the same brightness still reads."""
    from likeness.color import delta_e
    from likeness.eval.fairness_stages import _skin_de_light_removed

    lab = _lab
    skin = np.array([0.30, 0.18, 0.12], np.float32)  # a medium skin, linear RGB
    lifted = {"studio_skin_before": lab(skin), "studio_skin_after": lab(skin * 1.6), "studio_gains": [1.0, 1.0, 1.0]}
    assert float(delta_e(np.array(lifted["studio_skin_before"]), np.array(lifted["studio_skin_after"]))) > 5
    assert _skin_de_light_removed(lifted, same_brightness=True) < 0.3
    assert _skin_de_light_removed(lifted) > 5
    greyer = skin ** 0.8 * (float(skin @ [0.2126, 0.7152, 0.0722]) / float(skin**0.8 @ [0.2126, 0.7152, 0.0722]))
    shifted = dict(lifted, studio_skin_after=lab(greyer))
    assert _skin_de_light_removed(shifted, same_brightness=True) > 2


def test_the_skin_target_is_judged_on_skin_tone():
    """A band whose only change is the fill's brightening passes the skin target."""
    skin = np.array([0.30, 0.18, 0.12], np.float32)
    rows = [{"photo": f"p{i}", "person": f"p{i}", "set": "portraits", "band": b, "glasses": None,
             "studio_skin_de": 9.0,
             "studio_skin_before": _lab(skin), "studio_skin_after": _lab(skin * 1.6),
             "studio_gains": [1.0, 1.0, 1.0]} for i, b in enumerate(["light", "medium", "dark"] * 4)]
    res = fairness.summarize(rows, {}, seconds=0.0, settings={})
    assert fairness.SKIN_TARGET_FIGURE == "studio_skin_tone_de_p95"
    assert all(isinstance(v, bool) for v in res["skin_de_p95_within_target"].values())
    assert res["per_band"]["dark"]["studio_skin_de_p95"]["value"] == 9.0
    assert res["per_band"]["dark"]["studio_skin_tone_de_p95"]["value"] < 2.0
    assert res["skin_de_p95_within_target"] == {"light": True, "medium": True, "dark": True}


def test_single_person_genuine_leaves_out_photos_with_bystanders():
    from likeness.eval.fairness_stages import _review_figures

    res = {"genuine": 8, "genuine_failures": [{"photo": "a/01.jpg"}, {"photo": "a/05.jpg"}],
           "other_faces_in_genuine": {"count": 1, "photos": ["a/01.jpg"]}}
    f = _review_figures(res)
    assert f["review_genuine"].count(False) == 2 and len(f["review_genuine"]) == 8
    assert f["review_genuine_single_person"].count(False) == 1 and len(f["review_genuine_single_person"]) == 7


def test_refusals_judged_right_are_not_counted_as_wrong():
    from likeness.eval.fairness_stages import RIGHT_REFUSALS

    right = next(iter(RIGHT_REFUSALS))
    rows = [{"photo": right, "intake_refused": True}, {"photo": "portraits/x.jpg", "intake_refused": True},
            {"photo": "portraits/y.jpg", "intake_refused": False}, {"photo": "portraits/z.jpg", "intake_refused": False}]
    f = figures(rows, {})
    assert f["intake_refused"]["value"] == pytest.approx(0.5)
    assert f["intake_wrongly_refused"]["value"] == pytest.approx(0.25) and f["intake_wrongly_refused"]["n"] == 4

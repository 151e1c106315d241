"""The gated `generate`: candidates from a tiny random pipeline go through the real review."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import OptionError
from likeness.imageio import save_image

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen")
    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    paths = []
    for i, im in enumerate([img, img[:, ::-1].copy()]):
        paths.append(save_image(np.ascontiguousarray(im), d / f"p{i}.jpg", quality=92))
    return paths


def test_unknown_backend_fails_before_work(photos, tmp_path):
    from likeness.generate import generate

    with pytest.raises(OptionError, match="backend|Backend"):
        generate(photos, backend="no-such-model", out=tmp_path)


def test_random_pipeline_candidates_are_rejected_with_reasons(photos, tmp_path):
    """A random-weight model paints noise: the review must reject every candidate and
    deliver nothing, listing why (this is the gate working, not the model)."""
    from likeness.generate import generate
    from likeness.bench.generate import flux2_klein_pipeline

    pipe = flux2_klein_pipeline("tiny")
    res = generate(photos, count=1, oversample=2, out=tmp_path, pipe=pipe, size=(64, 64), steps=2, seed=3)
    assert res.headshots == () and len(res.rejected) == 2
    assert all(r.reasons for r in res.rejected)
    assert any("face" in " ".join(r.reasons).lower() for r in res.rejected)
    assert res.report_html.is_file() and "seed 3" in res.report_json.read_text()


def test_face_locked_keeps_the_real_face_and_passes_the_likeness_gate(photos, tmp_path):
    from likeness.faces import analyze, distance
    from likeness.generate import generate
    from likeness.bench.generate import flux2_klein_pipeline
    from likeness.imageio import load_photo
    from likeness.review import enroll, review

    pipe = flux2_klein_pipeline("tiny", inpaint=True)
    res = generate(photos[:1], backend="face-locked", count=1, oversample=1, out=tmp_path, pipe=pipe,
                   size=(64, 64), steps=2, seed=0)
    cand = res.headshots[0] if res.headshots else None
    if cand is None:  # the noise backdrop may fail light/texture checks; likeness must not be the reason
        assert not any("look like" in s.lower() or "likeness" in s.lower() for s in res.rejected[0].reasons), res.rejected
        assert res.rejected[0].likeness >= 70
    else:
        img = load_photo(cand.path).image
        ref = load_photo(photos[0]).image
        from likeness.faces.identity import THRESHOLD_FAR_1E3

        # the real face kept: far inside the identity model's FAR-1e-3 distance
        assert distance(analyze(img)[0].embedding, analyze(ref)[0].embedding) < 0.3 * THRESHOLD_FAR_1E3
        assert cand.source_type == "compositeWithTrainedAlgorithmicMedia"
        assert review(img, enroll([ref])).likeness >= 70


def test_candidates_are_framed_as_the_look_says_and_never_enlarged():
    from likeness.generate.run import frame_candidate
    from likeness.review import enroll, review
    from likeness.studio.frame import get_preset

    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    framed, plan = frame_candidate(img, "headshot")
    preset = get_preset("headshot")
    assert plan is not None and plan.preset.name == "headshot"
    h, w = framed.shape[:2]
    assert abs(w / h - preset.aspect) < 0.01 and h <= min(preset.size[1], 1024)  # 4:5, no enlargement
    assert h == pytest.approx(min(preset.size[1], plan.height), abs=1)
    # The framing gate passes it against the plan, and fails the square original.
    ref = enroll([img])
    assert review(framed, ref, look="headshot", plan=plan).checks["framing"].passed
    assert not review(img, ref, look="headshot").checks["framing"].passed
    # No face: the candidate goes to the review as it is (which rejects it).
    noise = np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)
    same, none = frame_candidate(noise, "headshot")
    assert none is None and same is noise

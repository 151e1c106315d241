"""White balance (studio/white_balance.py): the estimate moves with the light, a wrong
estimate is bounded, the correction keeps a grey's brightness, a card replaces it."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from likeness.color import LUMA_709, gamma_to_linear
from likeness.eval.light_test import CASTS, in_light
from likeness.faces import analyze
from likeness.looks.settings import LightSettings as LS
from likeness.studio import light as L
from likeness.studio import white_balance as wb


@pytest.fixture(scope="module")
def astro():
    img = np.ascontiguousarray(data.astronaut())
    return img, analyze(img, embed=False, subject_only=True)[0]


def _estimate(img, face):
    work = img.astype(np.float32) / 255
    h, w = img.shape[:2]
    box = L._mesh_box(face, (w, h))
    y0, y1, x0, x1 = box
    fm = L._face_mask(face, (x1 - x0, y1 - y0), origin=(x0, y0)) > 0.5
    skin = gamma_to_linear(work[y0:y1, x0:x1][fm]).mean(0)
    return wb.estimate_light(work, face_box=box, alpha=np.ones((h, w), np.float32), skin=skin), skin


@pytest.mark.parametrize("room", list(CASTS))
def test_the_estimate_moves_with_the_light(astro, room):
    """A room's light shifts the estimate by the room's colour (what removes a cast);
    the earlier grey search from a neutral start did not (59 % of a cast was left)."""
    img, face = astro
    plain, _ = _estimate(img, face)
    lit, _ = _estimate(in_light(img, CASTS[room]), face)
    c = np.log(np.array(CASTS[room]))
    shift = np.array([c[0] - c[1], c[2] - c[1]])
    got = np.subtract(lit.chroma, plain.chroma)
    assert np.linalg.norm(got - shift) < 0.35 * np.linalg.norm(shift), (got, shift)


def test_a_strong_colour_is_bounded(astro):
    """A scene far from neutral (a coloured backdrop fills it) is corrected by BOUND at most."""
    img, face = astro
    est, _ = _estimate(in_light(img, (1.8, 1.0, 0.55)), face)
    assert est.bounded
    assert np.linalg.norm(est.applied) <= wb.BOUND + 1e-6
    assert np.linalg.norm(est.chroma) > wb.BOUND


def test_the_correction_keeps_a_greys_brightness(astro):
    img, face = astro
    est, skin = _estimate(in_light(img, CASTS["green"]), face)
    g = wb.correction(est, skin=skin, strength=1.0)
    light = est.rgb
    assert g.dtype == np.float32 and g.shape == (3,)
    # A grey lit by the estimated light comes out neutral at nearly the same luminance.
    out = light * g
    assert np.ptp(out / out.mean()) < 0.02
    assert abs(float(LUMA_709 @ out) / float(LUMA_709 @ light) - 1) < 0.1


def test_a_card_replaces_the_estimate_and_the_exposure(astro):
    img, face = astro
    work = img.astype(np.float32) / 255
    alpha = np.ones(img.shape[:2], np.float32)
    rel = L.relight(work, alpha, np.full_like(work, 0.5), face,
                    settings=LS(card=(1.2, 1.0, 0.8), fill=0, match=0, wrap=0))
    assert rel.measures["card"] == 1.0
    assert "exposure_gain" not in rel.measures and "cast_r" not in rel.measures
    g = np.array([rel.measures[f"gain_{c}"] for c in "rgb"])
    assert np.allclose(g, (1.2, 1.0, 0.8), atol=1e-4)


@pytest.mark.parametrize("room", list(CASTS))
def test_no_room_is_made_worse_on_the_astronaut(astro, room):
    """Through the light stage: the skin after correcting the cast photo is closer to
    the corrected plain photo than the cast photo was to the plain one."""
    from likeness.color import delta_e, rgb_to_lab

    img, face = astro

    def skin(x):
        work = x.astype(np.float32) / 255
        alpha = np.ones(x.shape[:2], np.float32)
        rel = L.relight(work, alpha, np.full_like(work, 0.5), face, settings=LS(fill=0, match=0, wrap=0, exposure=0))
        out = L.composite(x, alpha=alpha, correction=np.zeros_like(work), relit=rel, backdrop=np.full_like(work, 0.5))
        y0, y1, x0, x1 = L._mesh_box(face, (x.shape[1], x.shape[0]))
        fm = L._face_mask(face, (x1 - x0, y1 - y0), origin=(x0, y0)) > 0.5
        return rgb_to_lab(x[y0:y1, x0:x1][fm].mean(0) / 255), rgb_to_lab(out[y0:y1, x0:x1][fm].mean(0) / 255)

    p_before, p_after = skin(img)
    c_before, c_after = skin(in_light(img, CASTS[room]))
    before, after = delta_e(c_before, p_before), delta_e(c_after, p_after)
    assert after < 0.6 * before, (room, before, after)

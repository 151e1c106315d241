"""Backdrop, light and grade: each stage alone, on real pixels, with numbers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import color, data

from likeness.errors import OptionError
from likeness.faces import analyze
from likeness.studio import light as L
from likeness.studio.backdrop import make_backdrop
from likeness.studio.grade import grade
from likeness.looks.settings import BackdropSettings as BS
from likeness.looks.settings import GradeSettings as GS
from likeness.looks.settings import LightSettings as LS

SIZE = (320, 400)


@pytest.fixture(scope="module")
def astro():
    img = np.ascontiguousarray(data.astronaut())
    return img, analyze(img, embed=False, subject_only=True)[0]


# --- backdrop ----------------------------------------------------------------------


def test_solid_is_the_colour():
    bd = make_backdrop(SIZE, settings=BS(kind="solid", color="#336699", grain=0)).image
    assert bd.shape == (400, 320, 3) and bd.dtype == np.float32
    assert np.allclose(bd.reshape(-1, 3).mean(0) * 255, [0x33, 0x66, 0x99], atol=1.0)
    assert bd.std(axis=(0, 1)).max() < 1e-3


def test_vertical_gradient_runs_top_to_bottom():
    bd = make_backdrop(SIZE, settings=BS(kind="vertical", color="#ffffff", color2="#000000", grain=0)).image
    rows = bd.mean((1, 2))
    assert rows[0] > 0.9 and rows[-1] < 0.1 and np.all(np.diff(rows) <= 1e-4)


def test_radial_is_lighter_behind_the_head_than_in_the_corners():
    bd = make_backdrop(SIZE, settings=BS(kind="radial", color="#c0c0c0", color2="#202020", grain=0), head=(0.5, 0.35)).image
    assert bd[140, 160].mean() > bd[0, 0].mean() + 0.3


def test_canvas_is_mottled_and_seeded():
    s = BS(kind="canvas", color="#8a8d91", color2="#4a4d52", mottle=0.6, seed=3)
    a, b = make_backdrop(SIZE, settings=s).image, make_backdrop(SIZE, settings=s).image
    c = make_backdrop(SIZE, settings=BS(kind="canvas", color="#8a8d91", color2="#4a4d52", mottle=0.6, seed=4)).image
    assert np.array_equal(a, b)  # same seed, same pixels
    assert np.abs(a - c).mean() > 0.005  # another seed, another canvas
    # Mottled at mid frequencies (blotches), not just noise: blurred spread stays.
    lum = cv2.GaussianBlur(a.mean(2), (0, 0), 6)
    assert 0.01 < lum.std() < 0.2
    assert 0x4a / 255 - 0.03 < a.mean() < 0x8a / 255 + 0.08


def test_blur_backdrop_takes_the_person_out():
    h, w = 400, 320
    photo = np.zeros((h, w, 3), np.uint8)
    photo[:] = (30, 60, 200)  # blue background
    alpha = np.zeros((h, w), np.float32)
    alpha[100:400, 90:230] = 1
    photo[alpha > 0] = (230, 40, 30)  # a red "person"
    bd = make_backdrop((w, h), settings=BS(kind="blur", blur=0.05, grain=0), photo=photo, alpha=alpha).image
    inside = bd[150:380, 110:210].reshape(-1, 3).mean(0)
    assert inside[2] > 0.6 and inside[0] < 0.25  # filled with background blue, no red bleed


def test_image_backdrop_scales_to_cover(tmp_path):
    pic = np.zeros((100, 300, 3), np.uint8)
    pic[:, :150] = (255, 0, 0)
    pic[:, 150:] = (0, 0, 255)
    Image.fromarray(pic).save(tmp_path / "pic.png")
    bd = make_backdrop(SIZE, settings=BS(kind="image", image=str(tmp_path / "pic.png"), blur=0, grain=0)).image
    assert bd[:, :100, 0].mean() > 0.9 and bd[:, -100:, 2].mean() > 0.9  # cover: centred crop


def test_vignette_and_shadow_darken_where_they_should():
    plain = make_backdrop(SIZE, settings=BS(kind="solid", color="#a0a0a0", grain=0)).image
    vig = make_backdrop(SIZE, settings=BS(kind="solid", color="#a0a0a0", vignette=0.8, grain=0)).image
    assert vig[0, 0].mean() < plain[0, 0].mean() - 0.05 and abs(vig[200, 160].mean() - plain[200, 160].mean()) < 0.01
    alpha = np.zeros((400, 320), np.float32)
    alpha[120:, 100:220] = 1
    sh = make_backdrop(SIZE, settings=BS(kind="solid", color="#a0a0a0", shadow=1.0, grain=0), alpha=alpha).image
    assert sh[300, 235].mean() < plain[300, 235].mean() - 0.02  # beside the subject
    assert abs(sh[20, 20].mean() - plain[20, 20].mean()) < 0.01  # far away: untouched


def test_bad_backdrop_settings_are_refused():
    with pytest.raises(OptionError, match="kind"):
        BS(kind="marble")
    with pytest.raises(OptionError, match="colour"):
        BS(color="grey")
    with pytest.raises(OptionError, match="picture"):
        BS(kind="image")


# --- light -------------------------------------------------------------------------


def _apply_light(img, face, settings):
    work = img.astype(np.float32) / 255
    alpha = np.ones(img.shape[:2], np.float32)
    bd = np.full_like(work, 0.5)
    rel = L.relight(work, alpha, bd, face, settings=settings)
    return L.composite(img, alpha=alpha, correction=np.zeros_like(work), relit=rel, backdrop=bd), rel


def _skin_lab(img, face):
    mask = np.zeros(img.shape[:2], np.uint8)
    cheeks = face.mesh[[50, 280, 101, 330, 205, 425], :2].astype(int)
    for x, y in cheeks:
        cv2.circle(mask, (int(x), int(y)), 6, 1, -1)
    return color.rgb2lab(img[mask > 0][None].astype(np.float64) / 255)[0].mean(0)


def _neutral(img, face):
    """The astronaut with her measured cast fully removed: a 'neutral' photo."""
    out, _ = _apply_light(img, face, LS(white_balance=1.0, fill=0, match=0, wrap=0, exposure=0))
    return out


def test_light_leaves_skin_of_a_neutral_photo_alone(astro):
    img, face = astro
    neutral = _neutral(img, face)
    out, rel = _apply_light(neutral, face, LS(fill=0, wrap=0))  # default WB, match, exposure
    de = np.linalg.norm(_skin_lab(out, face) - _skin_lab(neutral, face))
    assert de < 2.5, f"skin moved by ΔE {de:.2f} on a neutral photo"


@pytest.mark.parametrize("gains", [(0.85, 1.0, 1.25), (1.15, 1.0, 0.82)], ids=["cool", "warm"])
def test_white_balance_removes_a_cast_and_only_the_cast(astro, gains):
    """A warm cast used to pass grey walls and shirts as skin and stayed in the photo."""
    img, face = astro
    neutral = _neutral(img, face)
    lin = (neutral.astype(np.float32) / 255) ** 2.2 * np.array(gains, np.float32)
    cast = (np.clip(lin, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)
    out, rel = _apply_light(cast, face, LS(white_balance=1.0, fill=0, match=0, wrap=0, exposure=0))
    ref = _skin_lab(neutral, face)
    before = np.linalg.norm(_skin_lab(cast, face) - ref)
    after = np.linalg.norm(_skin_lab(out, face) - ref)
    assert before > 6 and after < 0.4 * before, (before, after)
    assert (rel.measures["cast_b"] > 1.1) == (gains[2] > 1)


def test_fill_evens_one_sided_light_and_zero_fill_does_nothing(astro):
    img, face = astro
    h, w = img.shape[:2]
    ramp = np.clip((350 - np.arange(w)) / 150, 0.35, 1.0).astype(np.float32)  # darker image-right
    lin = (img.astype(np.float32) / 255) ** 2.2 * ramp[None, :, None]
    side = (lin ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)
    u0 = L.face_uniformity(side, face)
    lit, rel = _apply_light(side, face, LS(white_balance=0, fill=0.7, match=0, wrap=0, exposure=0))
    u1 = L.face_uniformity(lit, face)
    assert u0 < 0.8 and u1 > u0 + 0.1, (u0, u1)
    same, _ = _apply_light(side, face, LS(white_balance=0, fill=0, match=0, wrap=0, exposure=0))
    assert np.abs(same.astype(int) - side).max() <= 1


# --- grade -------------------------------------------------------------------------


def test_neutral_grade_is_identity_and_looks_change_what_they_say(astro):
    img, _ = astro
    same = grade(img, settings=GS(sharpen=0))
    assert np.abs(same.astype(int) - img).max() <= 1
    mono = grade(img, settings=GS(mono=True, sharpen=0))
    assert np.abs(mono[..., 0].astype(int) - mono[..., 2]).max() <= 1
    warm = grade(img, settings=GS(warmth=0.8, sharpen=0)).astype(float)
    assert (warm[..., 0] - warm[..., 2]).mean() > (img[..., 0].astype(float) - img[..., 2]).mean() + 5
    dull = grade(img, settings=GS(saturation=0.5, sharpen=0.3)).astype(float)
    chroma = lambda x: (x.max(2) - x.min(2)).mean()  # noqa: E731
    assert chroma(dull) < 0.6 * chroma(img.astype(float))
    punchy = grade(img, settings=GS(contrast=0.4, sharpen=0))
    assert punchy.std() > img.std() * 1.05
    sharp = grade(img, settings=GS(sharpen=1.0))
    lap = lambda x: cv2.Laplacian(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()  # noqa: E731
    assert lap(sharp) > lap(img) * 1.15
    with pytest.raises(OptionError):
        GS(saturation=3.0)


# --- shrink (fast area reduction) --------------------------------------------------


@pytest.mark.parametrize("size", [(197, 197), (150, 150), (300, 211)])
def test_shrink_matches_area_filter_and_keeps_geometry(size):
    img = np.ascontiguousarray(data.astronaut())  # 512×512
    from likeness.studio.ops import shrink, shrink_scale

    got = shrink(img, size).astype(np.float32)
    fx, fy = shrink_scale(img.shape, size)
    tw, th = round(size[0] / fx), round(size[1] / fy)  # what is left after the trim
    assert 0 <= 512 - tw < 512 / size[0] and 0 <= 512 - th < 512 / size[1]
    ref = cv2.resize(img[:th, :tw], size, interpolation=cv2.INTER_AREA).astype(np.float32)
    assert got.shape == ref.shape
    # The same picture (a one-pixel shift alone gives 9–14 levels on this photo); the
    # steps differ from one area step by rounding and a little blur or alias.
    assert np.abs(got - ref).mean() < 3.0
    # A bright dot lands where shrink_scale says (centre convention, sub-pixel).
    dot = np.zeros((512, 512), np.float32)
    dot[400:404, 410:414] = 1.0
    small = shrink(dot, size)
    ys, xs = np.nonzero(small > 0)
    w = small[ys, xs]
    assert abs((xs * w).sum() / w.sum() - ((411.5 + 0.5) * fx - 0.5)) < 0.35
    assert abs((ys * w).sum() / w.sum() - ((401.5 + 0.5) * fy - 0.5)) < 0.35


def test_matte_leaves_out_other_peoples_heads():
    """A bystander's head beside the subject (apart from her, above her chin) and a
    face found in the frame are cut out of the matte; a split-off shoulder stays."""
    from likeness.studio.cutout import cut_others, keep_subject

    a = np.zeros((400, 320), np.float32)
    a[80:220, 110:210] = 1.0  # the subject's head
    a[260:400, 40:280] = 1.0  # her shoulders, split from the head by a microphone
    a[60:200, 0:60] = 1.0  # a bystander's head at the frame's edge, large
    box = (120.0, 100.0, 200.0, 200.0)
    kept = keep_subject(a, box, chin_y=205.0)
    assert kept[300, 150] == 1.0 and kept[130, 160] == 1.0
    assert kept[130, 30] == 0.0
    assert keep_subject(a, box)[130, 30] == 1.0  # without the chin: kept as a "large part"
    cut = cut_others(a, box, [(5.0, 90.0, 55.0, 150.0)])
    assert cut[120, 30] == 0.0 and cut[150, 160] == 1.0


def test_a_tight_frame_keeps_the_crown_by_lowering_the_eyes():
    """A photo that ends just below the chin: the 'headshot' frame is tighter than the
    preset, and its eye line goes down so the top of the head stays inside, at the same
    head share (headroom first)."""
    from skimage import data

    from likeness.faces import analyze
    from likeness.studio import frame as F

    img = np.ascontiguousarray(data.astronaut())
    face = analyze(img, embed=False, subject_only=True)[0]
    tight = np.ascontiguousarray(img[: int(face.mesh[152, 1]) + 25, 100:400])
    f2 = analyze(tight, embed=False, subject_only=True)[0]
    p = F.plan(f2, (tight.shape[1], tight.shape[0]), preset="headshot")
    assert F.Fallback.TIGHTER in p.fallbacks and not p.top_cut
    assert p.top <= p.head.crown - 0.5 * F.CROWN_ROOM * p.height  # the crown is inside, with room
    assert p.eye_share > F.get_preset("headshot").eye_line

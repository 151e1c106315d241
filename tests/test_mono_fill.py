"""The level-keeping fill (``[light] fill_keeps_level``): it evens a side-lit face as
much as a plain fill of the same strength, but lowers the lighter side as it lifts
the darker one, so the face keeps its overall lightness (issue 15: classic-mono needs
more fill than the default to look as even, and a plain fill lifted its skin's
lightness past the default's)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import OptionError
from likeness.faces import analyze
from likeness.looks import from_dict as look_from_dict
from likeness.looks import list_looks, load_look
from likeness.looks.settings import LightSettings as LS
from likeness.studio import light as L


@pytest.fixture(scope="module")
def side_lit():
    """The astronaut lit from the image-left: the image-right half of her face in shade."""
    img = np.ascontiguousarray(data.astronaut())
    face = analyze(img, embed=False, subject_only=True)[0]
    w = img.shape[1]
    ramp = np.clip((350 - np.arange(w)) / 150, 0.35, 1.0).astype(np.float32)
    lin = (img.astype(np.float32) / 255) ** 2.2 * ramp[None, :, None]
    return (lin ** (1 / 2.2) * 255 + 0.5).astype(np.uint8), face


def _light(img, face, **kw):
    work = img.astype(np.float32) / 255
    alpha = np.ones(img.shape[:2], np.float32)
    bd = np.full_like(work, 0.5)
    rel = L.relight(work, alpha, bd, face, settings=LS(white_balance=0, match=0, wrap=0, exposure=0, **kw))
    return L.composite(img, alpha=alpha, correction=np.zeros_like(work), relit=rel, backdrop=bd)


def _face_level(img, face) -> float:
    """Mean linear luminance over the face (the mesh's hull)."""
    m = np.zeros(img.shape[:2], np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(face.mesh[:, :2].astype(np.float32)).astype(np.int32), 1)
    return float(L.luminance(img)[m > 0].mean())


def test_a_level_keeping_fill_evens_the_face_and_keeps_its_level(side_lit):
    img, face = side_lit
    u0, level0 = L.face_uniformity(img, face), _face_level(img, face)
    dark0, light0 = sorted(L.face_sides(img, face))
    plain = _light(img, face, fill=0.45)
    kept = _light(img, face, fill=0.45, fill_keeps_level=True)
    # As even as the plain fill (the same gap closed between the sides)...
    assert u0 < 0.8
    assert L.face_uniformity(kept, face) > u0 + 0.05
    assert abs(L.face_uniformity(kept, face) - L.face_uniformity(plain, face)) < 0.02
    # ...but the plain fill brightens the face and the level-keeping one does not.
    assert _face_level(plain, face) > 1.05 * level0
    assert _face_level(kept, face) == pytest.approx(level0, rel=0.02)
    # The darker side is still lifted, and the lighter side lowered to pay for it.
    dark, light = sorted(L.face_sides(kept, face))
    assert dark > 1.03 * dark0 and light < 0.98 * light0, (dark0, dark, light0, light)


def test_without_the_flag_the_fill_only_lifts(side_lit):
    """The default (false) is the fill every other Look has: nothing darkened."""
    img, face = side_lit
    plain = _light(img, face, fill=0.45)
    assert np.array_equal(plain, _light(img, face, fill=0.45, fill_keeps_level=False))
    assert (plain.astype(int) - img >= -1).all()


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_fill_keeps_level_must_be_true_or_false(value):
    with pytest.raises(OptionError) as exc:
        LS(fill_keeps_level=value)
    assert exc.value.data.get("field") == "fill_keeps_level"
    with pytest.raises(OptionError):
        look_from_dict({"light": {"fill_keeps_level": value}})  # as a Look file gives it
    with pytest.raises(OptionError):
        LS.from_dict({"fill_keep_level": True})  # a misspelt key is refused, not ignored


def test_only_classic_mono_keeps_the_level():
    """The default and every colour Look keep the plain fill (their output unchanged)."""
    kept = {look.name for look in list_looks() if look.light.fill_keeps_level}
    assert kept == {"classic-mono"}
    assert load_look("corporate-grey").light.fill_keeps_level is False

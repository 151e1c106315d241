"""The review's light match reads the face's light, not its skin tone."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from likeness.review import light
from likeness.review.result import ReviewSettings


def _candidate(face_l: float, ev: float):
    """A candidate whose coloured backdrop (brightness judged only) is ``ev`` stops brighter
    than its cheeks (L* ``face_l``)."""
    skin = (face_l, 12.0, 16.0)
    stats = SimpleNamespace(skin=skin, backdrop=(80.0, 20.0, 0.0), backdrop_y=light._y(skin) * 2**ev, mono=False)
    return SimpleNamespace(stats=stats)


def _ref(skin_l: float | None):
    return SimpleNamespace(skin=None if skin_l is None else (skin_l, 12.0, 16.0))


def test_typical_skin_reads_as_before():
    assert light.skin_headroom(_ref(light.TYPICAL_SKIN_L)) == pytest.approx(0.0, abs=1e-9)
    assert light.skin_headroom(_ref(None)) == 0.0


def test_same_light_passes_for_a_darker_skin_and_fails_for_a_lighter_one():
    s = ReviewSettings()
    ev = s.light_ev + 0.4  # over the limit as measured on the cheeks
    dark = light.check(_candidate(35.0, ev), _ref(48.0), s)
    lighter = light.check(_candidate(35.0, ev), _ref(75.0), s)
    unknown = light.check(_candidate(35.0, ev), _ref(None), s)
    assert dark.passed and not lighter.passed and not unknown.passed
    # The figure reported is the reading at the person's own lightness.
    assert dark.value == pytest.approx(ev - light.skin_headroom(_ref(48.0)), abs=0.01)
    assert light.skin_headroom(_ref(48.0)) > 0.5 and light.skin_headroom(_ref(75.0)) < 0


def test_headroom_is_the_ratio_of_reflectances_in_stops():
    ref = _ref(50.0)
    want = math.log2(light._y((light.TYPICAL_SKIN_L, 0, 0)) / light._y((50.0, 0, 0)))
    assert light.skin_headroom(ref) == pytest.approx(want)

"""The colour module: the sRGB curve, its power-law approximation, Lab and ΔE2000."""

from __future__ import annotations

import numpy as np
import pytest

from likeness import color


def test_srgb_curve_known_values_and_round_trip():
    assert color.srgb_to_linear(np.float32(0.5)) == pytest.approx(0.21404, abs=1e-4)
    assert color.srgb_to_linear(np.uint8(255)) == pytest.approx(1.0)
    assert color.srgb_to_linear(np.float32(0.04)) == pytest.approx(0.04 / 12.92, rel=1e-5)  # linear toe
    x = np.random.default_rng(0).uniform(0, 1, (16, 16, 3)).astype(np.float32)
    lin = color.srgb_to_linear(x)
    assert lin.dtype == np.float32 and lin.shape == x.shape
    assert np.abs(color.linear_to_srgb(lin) - x).max() < 1e-5


def test_gamma_approximation_stays_close_to_the_srgb_curve():
    x = np.linspace(0.0, 1, 5001, dtype=np.float32)
    diff = np.abs(color.linear_to_gamma(color.srgb_to_linear(x)) - x)
    assert diff.max() < 0.035 and diff[x >= 0.2].max() < 0.0135  # the bounds the module states
    # a gain in linear light is a gain of g^(1/GAMMA) on gamma-encoded values
    g = np.float32(1.3)
    assert np.allclose(color.linear_to_gamma(color.gamma_to_linear(x * 0.5) * g), x * 0.5 * g ** (1 / color.GAMMA), atol=1e-5)


def test_delta_e_2000_reference_pairs():
    # Sharma, Wu & Dalal (2005), table 1, pairs 1, 7 and 17
    assert color.delta_e((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert color.delta_e((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, abs=1e-4)
    assert color.delta_e((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)
    many = color.delta_e(np.zeros((5, 3)) + (50, 0, 0), np.array([[50, -1, 2]]), kL=2)
    assert isinstance(many, np.ndarray) and many.shape == (5,)


def test_lab_of_white_and_uint8_float_edges():
    lab = color.rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0]], np.uint8))
    assert lab.shape == (2, 3) and lab[0, 0] == pytest.approx(100, abs=0.01) and lab[1, 0] == pytest.approx(0, abs=0.01)
    assert np.allclose(color.lab_to_rgb(lab), [[1, 1, 1], [0, 0, 0]], atol=1e-3)
    u = np.array([0, 128, 255], np.uint8)
    assert np.array_equal(color.to_uint8(color.to_float(u)), u)


def test_a_colour_brought_to_anothers_luminance_keeps_its_chromaticity():
    skin = np.array([0.30, 0.18, 0.12], np.float32)  # a shaded cheek, linear light
    lit = color.rgb_to_lab(color.linear_to_srgb(skin * 1.6)[None, None])[0, 0]  # the same skin, filled
    out = color.at_luminance_of(skin, lit)
    assert float(color.LUMA_709 @ out) == pytest.approx(float(color.LUMA_709 @ (skin * 1.6)), rel=1e-2)
    np.testing.assert_allclose(out / out.sum(), skin / skin.sum(), rtol=1e-5)
    # Compared at equal brightness, the fill's lift is no change of colour.
    back = color.rgb_to_lab(color.linear_to_srgb(out)[None, None])[0, 0]
    assert color.delta_e(back, lit) < 1.0 < 5 < color.delta_e(color.rgb_to_lab(color.linear_to_srgb(skin)[None, None])[0, 0], lit)

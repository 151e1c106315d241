"""The light test reads the real photos' skin change with the white balance off too:
on Lacamoire's eval-team photo (a pale blue-grey wall, a blue shirt) the studio's white
balance reads a bluish light and warms him, and the split shows that share."""

from __future__ import annotations

import pytest

from likeness.eval.light_test import light_test

from shared_eval import need


@pytest.fixture(scope="module")
def lacamoire(tmp_path_factory):
    """Lacamoire's eval-team photo through the studio's light test."""
    photo = need("identities", "face_recognition__alex_lacamoire", "02.jpg")
    return light_test([photo], tmp_path_factory.mktemp("light"), chart=False)


def test_the_real_photo_change_is_split_from_the_white_balance(lacamoire):
    """The plain photo's skin change is given with the white balance off too, per
    person, so the share the white balance adds can be read."""
    (row,) = lacamoire["plain_rows"]
    assert row["person"] == "face_recognition__alex_lacamoire"
    assert all(isinstance(row[k], float) for k in ("change", "change_without_wb", "wb_change"))
    assert row["change_without_wb"] < row["change"]  # his shirt and wall read as a bluish light
    a = lacamoire["all"]
    assert isinstance(a["plain_change_without_wb_p90"], float) and a["plain_change_without_wb_p90"] >= 0
    assert a["plain_wb_change_p90"] == row["wb_change"] > 0


def test_the_colour_change_leaves_brightness_out(lacamoire):
    """The skin's change is also read at equal brightness (the fill lifting a shaded
    cheek is light, not a change of skin tone), per person and over the team."""
    (row,) = lacamoire["plain_rows"]
    assert isinstance(row["colour_change"], float) and 0 <= row["colour_change"]
    assert lacamoire["all"]["plain_colour_change_p90"] == row["colour_change"]

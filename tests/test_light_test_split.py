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


def test_one_persons_skin_reads_more_alike_in_the_headshots_than_in_photos_from_other_rooms(tmp_path):
    """The real-photo figure of ``consistency``: the astronaut's photo as taken in a
    warm and in a cool room differs on the skin; the studio's white balance brings the
    three headshots' skin closer together than the three photos'."""
    import cv2
    from PIL import Image
    from skimage import data

    from likeness.eval.light_test import CASTS, consistency, in_light

    person = tmp_path / "eval" / "identities" / "astronaut"
    person.mkdir(parents=True)
    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    for name, gains in (("plain", (1.0, 1.0, 1.0)), ("warm", CASTS["warm"]), ("cool", CASTS["cool"])):
        Image.fromarray(in_light(img, gains)).save(person / f"{name}.jpg", quality=95)
    out = consistency(tmp_path / "eval", tmp_path / "work")
    row = out["per_person"]["astronaut"]
    assert row["photos"] == 3
    assert row["spread_photos"] > 3.0 and row["spread_headshots"] < row["spread_photos"] / 2
    assert out["all"]["people"] == 1 and out["all"]["shrank"] == 1
    assert out["half_a"]["people"] + out["half_b"]["people"] == 1

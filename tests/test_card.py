"""Grey card and colour chart (studio/card.py): found, read, used by the studio and the team."""

from __future__ import annotations


import cv2
import numpy as np
import pytest
from skimage import data

from likeness.errors import InputError, OptionError
from likeness.eval.light_test import CASTS, in_light
from likeness.imageio import save_image
from likeness.looks.settings import LightSettings
from likeness.studio.card import _colourful, find_card, find_chart, find_grey_card, place_chart, render_chart


def _held(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return place_chart(img, render_chart(int(0.32 * w)), center=(0.27 * w, 0.78 * h), angle=9.0, tilt=0.1)


def _expected(gains) -> np.ndarray:
    g = 1 / np.array(gains)
    return g / g[1]


@pytest.mark.parametrize("room", ["plain", *CASTS])
def test_a_held_chart_is_found_and_gives_the_rooms_light(room):
    gains = (1.0, 1.0, 1.0) if room == "plain" else CASTS[room]
    card = find_chart(in_light(_held(data.astronaut()), gains))
    assert card is not None and card.kind == "chart"
    g = np.array(card.gains())
    assert np.allclose(g / g[1], _expected(gains), rtol=0.04), (g, _expected(gains))
    assert 0.85 < g[1] * gains[1] < 1.15  # exposure: the greys back at their nominal level


def test_no_chart_in_a_plain_portrait():
    assert find_chart(data.astronaut()) is None


@pytest.mark.parametrize("room", ["plain", *CASTS])
def test_the_detector_runs_only_where_a_charts_colours_are(room):
    """The cheap look lets a small chart through under every light, and not a
    chart-free photo of ordinary colours."""
    img = cv2.resize(data.astronaut(), (1024, 1024))
    small = place_chart(img, render_chart(128), center=(300, 800), angle=-7.0, tilt=0.1)
    lit = in_light(small, (1.0, 1.0, 1.0) if room == "plain" else CASTS[room])
    assert _colourful(lit) and find_chart(lit) is not None
    assert not _colourful(cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB))
    assert not _colourful(in_light(data.coffee(), (1.0, 1.0, 1.0)))


def test_a_grey_card_photo_gives_the_light_and_exposure():
    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(data.coffee(), (0, 0), 3)
    h, w = scene.shape[:2]
    grey = round((0.18 ** (1 / 2.2)) * 255)  # an 18 % card
    cv2.rectangle(scene, (w // 4, h // 4), (w // 2, 3 * h // 4), (grey, grey, grey), -1)
    lit = in_light(scene, (1.1, 1.0, 0.82)).astype(np.int16) + rng.integers(-1, 2, scene.shape)
    card = find_grey_card(np.clip(lit, 0, 255).astype(np.uint8))
    assert card is not None and card.kind == "grey card"
    g = np.array(card.gains())
    assert np.allclose(g / g[1], _expected((1.1, 1.0, 0.82)), rtol=0.05)


def test_a_card_photo_without_a_card_is_an_error():
    with pytest.raises(InputError):
        find_card([], card_photo=("card.jpg", data.astronaut()))


def test_a_chart_in_the_set_is_used_without_being_asked():
    use = find_card([("a.jpg", data.astronaut()), ("b.jpg", _held(data.astronaut()))])
    assert use is not None and use.source == "b.jpg" and len(use.gains) == 3


def test_card_gains_are_validated():
    with pytest.raises(OptionError):
        LightSettings(card=(1.0, 2.0))
    with pytest.raises(OptionError):
        LightSettings(card=(1.0, 1.0, 40.0))
    assert LightSettings(card=[1, 1, 1]).card == (1.0, 1.0, 1.0)


def test_team_csv_card_column(tmp_path):
    from likeness.team import read_source

    person = tmp_path / "ada"
    person.mkdir()
    save_image(data.astronaut(), person / "a.jpg")
    save_image(_held(data.astronaut()), tmp_path / "card.jpg")
    (tmp_path / "team.csv").write_text("name,photos,card\nAda,ada,card.jpg\nBob,ada,\n")
    members = read_source(tmp_path / "team.csv")
    assert members[0].card == tmp_path / "card.jpg" and members[1].card is None
    (tmp_path / "bad.csv").write_text("name,photos,card\nAda,ada,nothere.jpg\n")
    with pytest.raises(InputError):
        read_source(tmp_path / "bad.csv")


def test_studio_and_team_use_the_card(tmp_path):
    """`--card PHOTO`: the headshot is corrected from the card, and the team report
    names who was."""
    from likeness.studio.session import studio
    from likeness.team import run_team
    from likeness.team.source import Member

    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    warm = in_light(img, CASTS["warm"])
    save_image(warm, tmp_path / "photo.jpg", quality=92)
    save_image(_held(warm), tmp_path / "card.jpg", quality=92)
    res = studio([tmp_path / "photo.jpg"], out=tmp_path / "out", card=tmp_path / "card.jpg", verify=False)
    assert res.headshots[0].measures.get("card") == 1.0
    plain = studio([tmp_path / "photo.jpg"], out=tmp_path / "out2", verify=False)
    assert "card" not in plain.headshots[0].measures
    team = run_team([Member(name="Ada", slug="ada", photos=(tmp_path / "photo.jpg",), card=tmp_path / "card.jpg"),
                     Member(name="Bob", slug="bob", photos=(tmp_path / "photo.jpg",))],
                    tmp_path / "team", workers=1)
    assert team.consistency["corrected_from_card"] == ["Ada"]


def test_the_studio_finds_a_chart_in_the_set_beside_intake(tmp_path, monkeypatch):
    """Without a card photo, each photo is searched for a chart on the worker thread as
    it is decoded, and the first one found (in the photos' order) corrects the light."""
    import threading

    from likeness.studio import card as card_module
    from likeness.studio.session import studio

    real, threads = card_module.find_chart, []

    def counted(image):
        threads.append(threading.current_thread().name)
        return real(image)

    monkeypatch.setattr(card_module, "find_chart", counted)
    img = in_light(cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC), CASTS["warm"])
    save_image(img, tmp_path / "a.jpg", quality=92)
    save_image(_held(img), tmp_path / "b.jpg", quality=92)
    res = studio([tmp_path / "a.jpg", tmp_path / "b.jpg"], out=tmp_path / "out", verify=False)
    assert res.headshots and res.headshots[0].measures.get("card") == 1.0
    assert len(threads) == 2  # each photo searched once
    if cv2.getNumThreads() > 1:
        assert all(name.startswith("likeness-beside") for name in threads)

"""Looks: the built-ins load and validate; user Looks; clear errors for bad ones."""

from __future__ import annotations

import pytest

from likeness.errors import OptionError
from likeness.looks import list_looks, load_look, looks_names

BUILTIN = ["actor-neutral", "bright-white", "classic-mono", "corporate-grey", "creative-warm", "executive-navy"]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_builtins_load_and_are_complete():
    looks = {lk.name: lk for lk in list_looks()}
    assert set(BUILTIN) <= set(looks)
    for name in BUILTIN:
        lk = looks[name]
        assert lk.version and lk.description and lk.source.startswith("built-in")
        d = lk.to_dict()
        assert d["name"] == name and d["frame"]["preset"] and 0 <= d["retouch"]["strength"] <= 1
        assert set(d) >= {"backdrop", "light", "grade", "generate"}
        assert lk.generate.attire and lk.generate.setting and lk.generate.light
    assert looks["classic-mono"].grade.mono and looks["actor-neutral"].frame == "actor-8x10"


def test_unknown_look_lists_the_valid_names():
    with pytest.raises(OptionError) as exc:
        load_look("glamour")
    assert all(n in exc.value.hint for n in BUILTIN)
    assert exc.value.data["valid"] == looks_names()


def test_user_look_from_home_and_from_a_path(home, tmp_path):
    (home / "looks").mkdir(parents=True)
    (home / "looks" / "team-teal.toml").write_text(
        'name = "team-teal"\nversion = "2.1"\n[backdrop]\nkind = "solid"\ncolor = "#1f7a7a"\n[retouch]\nstrength = 0.2\n'
    )
    assert "team-teal" in looks_names()
    lk = load_look("team-teal")
    assert lk.version == "2.1" and lk.backdrop.color == "#1f7a7a" and lk.retouch == 0.2
    assert lk.frame == "headshot" and lk.grade.sharpen == 0.5  # defaults fill the rest
    p = tmp_path / "mine.toml"
    p.write_text('version = "1"\n[frame]\npreset = "square"\n[grade]\nmono = true\n')
    mine = load_look(str(p))
    assert mine.name == "mine" and mine.frame == "square" and mine.grade.mono


@pytest.mark.parametrize(
    "text, match",
    [
        ('[backdrop]\nkind = "marble"\n', "backdrop kind"),
        ('[grade]\nsaturation = 5\n', "saturation"),
        ('[grade]\nsparkle = 1\n', "sparkle"),
        ('[frame]\npreset = "poster"\n', "framing"),
        ('colour = "red"\n', "colour"),
        ('[retouch]\nstrength = 2\n', "strength"),
        ('[backdrop\n', "TOML"),
    ],
)
def test_bad_look_files_are_refused_with_the_reason(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(OptionError, match=match):
        load_look(str(p))


def test_missing_look_file():
    with pytest.raises(OptionError, match="does not exist"):
        load_look("nowhere/look.toml")

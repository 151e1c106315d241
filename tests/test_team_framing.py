"""The team framing is chosen before rendering, from every member's photo, so that every
delivered member is framed alike (issue 13): real models on the astronaut, once whole
and once cut just below the chin (too little body for the Look's framing)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from skimage import data

from likeness.imageio import save_image
from likeness.studio import frame as framing
from likeness.team.framing import _face, choose, member_view, team_preset


@pytest.fixture(scope="module")
def team_src(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("team-framing") / "src"
    img = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    for name, part in (("whole", img), ("short", img[:550])):
        (root / name).mkdir(parents=True)
        save_image(part.copy(), root / name / "photo.jpg", quality=92)
    return root


@pytest.fixture(scope="module")
def views(team_src):
    return {d.name: member_view([str(d / "photo.jpg")]) for d in sorted(team_src.iterdir())}


def test_every_members_photo_supports_the_team_framing(views):
    assert all(v is not None for v in views.values())
    short_face, short_size = _face(views["short"])
    # Alone, the short photo would be framed tighter than the Look's framing.
    alone = framing.plan(short_face, short_size, preset="headshot")
    assert framing.Fallback.TIGHTER in alone.fallbacks and alone.head_share > 0.52
    tf = choose(views, "headshot")
    assert not tf.misfits and tf.head > 0.5 and tf.eye_line >= 0.40
    p = team_preset("headshot", tf.to_dict())
    for v in views.values():
        face, size = _face(v)
        pl = framing.plan(face, size, preset=p)
        assert abs(pl.head_share - tf.head) < 0.002 and abs(pl.eye_share - tf.eye_line) < 0.002
        assert framing.Fallback.TIGHTER not in pl.fallbacks


def test_a_photo_no_framing_fits_is_a_misfit_before_any_work(views):
    face, size = _face(views["short"])
    # The same face in a photo ending at the chin: no team framing keeps the chin.
    tight = dict(views["short"], size=[size[0], int(face.mesh[152, 1]) + 2])
    tf = choose({**views, "chin": tight}, "headshot")
    assert set(tf.misfits) == {"chin"} and "retake" in tf.misfits["chin"]


def test_team_spreads_cover_every_delivered_member(team_src, tmp_path):
    from likeness.team import run_team

    res = run_team(team_src, tmp_path / "out", workers=1)
    assert [p["status"] for p in res.people] == ["done", "done"]
    c = res.consistency
    assert c["after"]["n"] == len(res.done) == 2 and c["framed_tighter"] == []
    assert c["framing"]["head"] > 0.5
    assert all(p["framed_as_team"] for p in res.done)
    assert c["after"]["eye_line_std"] < 0.01 and c["after"]["head_ratio_std"] < 0.02
    # The views are kept: a second run redoes no one.
    assert run_team(team_src, tmp_path / "out", workers=1).reused == 2

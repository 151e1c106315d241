"""``generate_looks``: the generate path for several Looks at once (the web gallery's new
attire): intake and enrolment once, each Look in its own folder, progress over all,
every candidate reviewed. The stand-in backend returns the person's own photo."""

from __future__ import annotations

import pytest

from likeness.errors import OptionError

pytest.importorskip("diffusers")


def test_several_looks_share_one_intake_and_each_is_reviewed(tmp_path, monkeypatch):
    from likeness.generate import run
    from likeness.server import testing

    photo = tmp_path / "me.jpg"
    photo.write_bytes(testing.astronaut_photo())
    calls, seen = [], []
    real = run.prepare
    monkeypatch.setattr(run, "prepare", lambda *a, **k: calls.append(1) or real(*a, **k))
    res = run.generate_looks([photo], looks=["corporate-grey", "classic-mono"], out=tmp_path / "gen",
                             backend=testing._echo_backend(), pipe=testing._ECHO, size=(512, 640),
                             progress=lambda d, t: seen.append((d, t)))
    assert calls == [1] and res.backend == "echo-for-tests"
    assert [r.settings["look"] for r in res.results] == ["corporate-grey", "classic-mono"]
    assert any(r.headshots for r in res.results)  # the person's own face passes the review
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # count 1 × oversample 2 per Look
    for r in res.results:
        assert r.out_dir == tmp_path / "gen" / r.settings["look"] and r.report_json.is_file()
        assert len(r.headshots) + len(r.rejected) >= 1
        for h in r.headshots:
            assert h.review["passed"] is True and h.review["checks"] and h.path.parent == r.out_dir
            assert h.source_type == "trainedAlgorithmicMedia"
        for x in r.rejected:
            assert x.reasons and x.review["checks"]
    with pytest.raises(OptionError):
        run.generate_looks([photo], looks=[], out=tmp_path / "none")
    with pytest.raises(OptionError):
        run.generate_looks([photo], looks=["corporate-grey", "corporate-grey"], out=tmp_path / "none")

"""Hardening (issue 14), the command line: the output folder is checked before any
work and an earlier run is never lost silently; a full disk, a read-only data folder
and a folder already in use are one clear message with exit code 6; too many photos
is a usage problem (exit 2)."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest
from PIL import Image

import likeness.cli as cli
from likeness.cli import EXIT_USAGE, main


def run_cli(monkeypatch, *args) -> int:
    monkeypatch.setattr(sys, "argv", ["likeness", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code or 0


class IntakeRan(Exception):
    """Raised when the pipeline starts although the command should have stopped first."""


@pytest.fixture()
def no_work(monkeypatch):
    def intake(*_a, **_k):
        raise IntakeRan("the photos were read before the output folder was checked")

    from likeness.intake import inspection

    # The studio verb reads its photos through intake's check (imported when it runs).
    monkeypatch.setattr(inspection, "check", intake)


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    from skimage import data

    p = tmp_path_factory.mktemp("photos") / "astronaut.jpg"
    Image.fromarray(data.astronaut()).resize((1024, 1024), Image.Resampling.LANCZOS).save(p, quality=95)
    return p


# --- item 6: an output folder that cannot be used, found before any work -------------------


def test_output_path_that_is_a_file_or_under_one_is_usage(tmp_path, monkeypatch, photo, no_work):
    f = tmp_path / "taken.txt"
    f.write_text("mine")
    assert run_cli(monkeypatch, "studio", photo, "-o", f) == EXIT_USAGE
    assert run_cli(monkeypatch, "studio", photo, "-o", f / "sub") == EXIT_USAGE
    assert f.read_text() == "mine"


def test_read_only_output_folder_is_refused_before_any_work(tmp_path, monkeypatch, photo, no_work):
    import likeness.deliver.outdir as outdir

    def read_only(*_a, **_k):  # root ignores chmod: the folder says "read-only" here instead
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(outdir.tempfile, "mkstemp", read_only)
    assert run_cli(monkeypatch, "studio", photo, "-o", tmp_path / "ro") == EXIT_USAGE


# --- item 2: an earlier run in the folder ----------------------------------------------------


def _earlier_run(out: Path) -> None:
    out.mkdir()
    for n in ("old-1.jpg", "old-2.jpg", "contact-sheet.jpg", "report.html"):
        (out / n).write_bytes(b"earlier")
    (out / "report.json").write_text(json.dumps({"headshots": [{"file": "old-1.jpg"}, {"file": "old-2.jpg"}],
                                                 "contact_sheet": "contact-sheet.jpg"}))
    (out / "notes.txt").write_text("the user's own file")


def test_an_earlier_run_is_refused_without_overwrite(tmp_path, monkeypatch, photo, no_work):
    out = tmp_path / "out"
    _earlier_run(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert run_cli(monkeypatch, "studio", photo, "-o", out) == EXIT_USAGE
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing lost


@pytest.mark.slow
def test_overwrite_replaces_the_earlier_run_and_the_report_matches_the_folder(tmp_path, monkeypatch, photo):
    out = tmp_path / "out"
    _earlier_run(out)
    assert run_cli(monkeypatch, "studio", photo, "-o", out, "--overwrite") == 0
    report = json.loads((out / "report.json").read_text())
    listed = {h["file"] for h in report["headshots"]}
    images = {p.name for p in out.iterdir() if p.suffix == ".jpg" and p.name != report["contact_sheet"]}
    assert listed == images and len(listed) == 1
    assert (out / "notes.txt").exists() and not (out / "old-1.jpg").exists()
    # A second run without --overwrite is refused and leaves this run as it is.
    assert run_cli(monkeypatch, "studio", photo, "-o", out) == EXIT_USAGE
    assert json.loads((out / "report.json").read_text()) == report


# --- item 3: a full disk in the middle of a run ----------------------------------------------


@pytest.mark.slow
def test_a_full_disk_during_studio_is_exit_6_and_leaves_no_file(tmp_path, monkeypatch, photo):
    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)  # every output is written through fsync
    out = tmp_path / "out"
    assert run_cli(monkeypatch, "studio", photo, "-o", out) == cli.EXIT_STORAGE
    assert list(out.iterdir()) == []  # no headshot, no temporary file


# --- item 7: read-only data folder, folder in use --------------------------------------------


def _read_only_db(monkeypatch, home: Path) -> None:
    # SQLite's read-only mode refuses writes for root too (chmod would not).
    monkeypatch.setenv("LIKENESS_DB_URL", f"sqlite:///file:{home / 'likeness.db'}?mode=ro&uri=true")


def test_forget_on_a_read_only_database_is_exit_6(tmp_path, monkeypatch):
    pytest.importorskip("sqlalchemy")
    from likeness.store import Store, StoreSettings

    home = tmp_path / "home"
    store = Store(StoreSettings(home=home))
    sid = store.create_session()[0]["id"]
    store.close()
    _read_only_db(monkeypatch, home)
    assert run_cli(monkeypatch, "forget", sid, "--home", home) == cli.EXIT_STORAGE
    monkeypatch.delenv("LIKENESS_DB_URL")
    store = Store(StoreSettings(home=home))
    assert store.session(sid) is not None  # nothing was half-deleted
    store.close()


def test_serve_on_a_data_folder_it_cannot_write_is_exit_6(tmp_path, monkeypatch):
    pytest.importorskip("uvicorn")
    home = tmp_path / "home"
    home.mkdir()
    _read_only_db(monkeypatch, home)  # no database yet, and none can be made
    assert run_cli(monkeypatch, "serve", "--home", home, "--port", 1) == cli.EXIT_STORAGE


def test_serve_on_a_folder_in_use_is_exit_6(tmp_path, monkeypatch):
    pytest.importorskip("uvicorn")
    from likeness.server.app import _lock_home

    home = tmp_path / "home"
    home.mkdir()
    fd = _lock_home(home)  # another `likeness serve` holds it
    try:
        assert run_cli(monkeypatch, "serve", "--home", home, "--port", 1) == cli.EXIT_STORAGE
    finally:
        os.close(fd)


# --- item 12: too many photos is a usage problem ---------------------------------------------


def test_two_hundred_photos_is_usage(tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        (folder / f"p{i:03d}.jpg").write_bytes(b"\xff\xd8")
    assert run_cli(monkeypatch, "studio", folder, "-o", tmp_path / "out") == EXIT_USAGE

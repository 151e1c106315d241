"""Hardening (issue 14), the storage and decoding side: a full disk or a read-only
database is a StorageError, forgetting leaves no byte of a session in the database
files, an expired session is refused, and a photo's header cannot claim pixels its
file cannot hold."""

from __future__ import annotations

import errno
import io
import sqlite3
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

import likeness.errors as errors  # names used at run time: on older code each test fails on its own
from likeness.imageio import load_photo

pytest.importorskip("sqlalchemy", reason="the store needs it (pip install likeness[serve])")

from sqlalchemy import event, update

import likeness.store as store_mod
from likeness.store import Store, StoreSettings, forget_session
from likeness.store.db import sessions


def _store(tmp_path, **kw) -> Store:
    return Store(StoreSettings(home=tmp_path / "home", **kw))


def _photo(store: Store, sid: str, name: str) -> dict:
    return store.add_photo(sid, name=name, data=b"\xff\xd8 not decoded here", fmt="JPEG", size=(900, 900),
                           preview_jpeg=b"\xff\xd8 preview")


# --- item 4: forget leaves no trace in the database files ------------------------------------


def test_forget_leaves_no_byte_of_the_session_in_the_database_files(tmp_path):
    store = _store(tmp_path)
    try:
        keep = store.create_session()[0]["id"]
        _photo(store, keep, "someone-else.jpg")
        row, _ = store.create_session()
        sid, name = row["id"], "Holiday-Secret-Zq7.jpg"
        _photo(store, sid, name)
        gone = _photo(store, keep, "Removed-Alone-Xk3.jpg")
        store.remove_photo(keep, gone["id"])  # one photo deleted from a session that stays
        forget_session(store, sid)
        home = store.settings.home
        for f in sorted(home.glob("likeness.db*")):
            raw = f.read_bytes()
            assert sid.encode() not in raw, f.name
            assert name.encode() not in raw, f.name
            assert b"Removed-Alone-Xk3" not in raw, f.name  # (its id stays in the session's job log)
        # The other session is intact and still readable.
        assert [p["name"] for p in store.photos(keep)] == ["someone-else.jpg"]
    finally:
        store.close()


# --- item 1: expiry is enforced when the token is used ---------------------------------------


def test_an_expired_session_is_refused_at_once(tmp_path):
    store = _store(tmp_path)
    try:
        row, token = store.create_session()
        assert store.authorize_session(row["id"], token)["id"] == row["id"]
        with store.db.write() as conn:
            conn.execute(update(sessions).where(sessions.c.id == row["id"]).values(expires_at=time.time() - 5))
        with pytest.raises(store_mod.ExpiredError) as err:
            store.authorize_session(row["id"], token)
        assert err.value.http_status == 410 and err.value.code == "expired"
        with pytest.raises(Exception) as wrong:  # a wrong token still learns nothing about expiry
            store.authorize_session(row["id"], "not-the-token")
        assert type(wrong.value).__name__ == "NotFoundError"
    finally:
        store.close()


# --- item 3: a full database / a full disk are StorageErrors -------------------------------


def test_a_full_database_raises_disk_full_and_keeps_no_file(tmp_path):
    store = _store(tmp_path)
    try:
        sid = store.create_session()[0]["id"]
        pages = sqlite3.connect(store.settings.home / "likeness.db").execute("PRAGMA page_count").fetchone()[0]

        # SQLite's own "disk full": no more pages than the file has now (a real SQLITE_FULL).
        @event.listens_for(store.db.engine, "connect")
        def _cap(dbapi_conn, _record):
            dbapi_conn.execute(f"PRAGMA max_page_count={pages + 1}")

        store.db.engine.dispose()
        with pytest.raises(errors.DiskFullError) as err:
            for i in range(200):
                _photo(store, sid, f"photo-{i:03d}-" + "x" * 150 + ".jpg")
        assert err.value.http_status == 507 and err.value.code == "disk_full"
        rows = {p["file"] for p in store.photos(sid)}
        on_disk = {p.name for p in (store.files.session_dir(sid) / "photos").iterdir()}
        assert on_disk == rows  # the refused photo left no file behind
    finally:
        store.close()


def test_a_full_disk_while_writing_a_file_leaves_nothing(tmp_path, monkeypatch):
    import os

    store = _store(tmp_path)
    try:
        sid = store.create_session()[0]["id"]
        real = os.replace

        def full(src, dst, *a, **k):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "replace", full)
        with pytest.raises(errors.DiskFullError):
            _photo(store, sid, "a.jpg")
        monkeypatch.setattr(os, "replace", real)
        assert store.photos(sid) == []
        assert store.files.files_of(sid) == []  # no stub, no .part file
        _photo(store, sid, "a.jpg")  # space is back: it works again
        assert len(store.photos(sid)) == 1
    finally:
        store.close()


@pytest.mark.parametrize("exc,cls", [
    (OSError(errno.ENOSPC, "No space left on device"), "DiskFullError"),
    (OSError(errno.EROFS, "Read-only file system"), "StorageError"),
    (OSError(errno.EACCES, "Permission denied"), "StorageError"),
    (sqlite3.OperationalError("database or disk is full"), "DiskFullError"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "StorageError"),
    (OSError(errno.ENOENT, "No such file"), "NoneType"),
    (ValueError("a bug"), "NoneType"),
])
def test_storage_errors_are_recognised(exc, cls):
    mapped = errors.storage_error(exc)
    assert type(mapped).__name__ == cls
    if mapped is not None:
        assert isinstance(mapped, errors.StorageError) and mapped.http_status in (503, 507)


# --- item 5: pixel counts a file cannot hold ----------------------------------------------


def _forged_jpeg(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 130, 140)).save(buf, "JPEG", quality=50)
    data = bytearray(buf.getvalue())
    i = data.index(b"\xff\xc0")  # baseline SOF: length, precision, height, width
    data[i + 5:i + 9] = struct.pack(">HH", h, w)
    return bytes(data)


def _forged_png(w: int, h: int) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\0" * (1 + 3 * w) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize("make", [lambda: _forged_jpeg(11000, 9000), lambda: _forged_png(9999, 9999)],
                         ids=["jpeg-689-bytes-99mp", "png-9999x9999"])
def test_a_header_claiming_implausible_pixels_is_refused_unread(make):
    data = make()
    assert len(data) < 100_000
    with pytest.raises(errors.ImageTooLargeError) as err:
        load_photo(data, name="bomb.jpg")
    assert type(err.value).__name__ == "ImplausibleImageError"
    assert err.value.code == "implausible_image" and err.value.http_status == 413
    assert err.value.data["bytes"] == len(data)


def test_large_real_photos_are_still_accepted():
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((6000, 6000))  # 36 MP, smooth: few bytes per pixel
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    photo = load_photo(buf.getvalue(), max_side=800)
    assert photo.original_size == (6000, 6000) and isinstance(photo.image, np.ndarray)

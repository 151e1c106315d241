"""Deliver: formats, colour profile, DPI, XMP provenance, EXIF stripping, atomic
writes, contact sheet, report, local keys and C2PA signing."""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from likeness import __version__
from likeness.deliver import (
    KeysMissingError,
    SigningError,
    contact_sheet,
    init_keys,
    key_info,
    read_provenance,
    write_image,
    write_report,
)
from likeness.deliver.provenance import KeysExistError
from likeness.errors import InputError, OptionError
from likeness.imageio import load_photo

from shared_eval import EVAL  # noqa: E402
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
SETTINGS = {
    "look": {"name": "corporate-grey", "version": 3},
    "frame": "headshot",
    "retouch": {"strength": 0.35},
    "seed": 7,
    "note": 'quotes " \' <tags> & newlines\nkept',
}


@dataclass(frozen=True)
class _Retouch:
    strength: float
    keep_texture: bool = True


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut())  # 512×512 RGB uint8


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """An empty LIKENESS_HOME so no test sees (or writes) the user's real keys."""
    monkeypatch.setenv("LIKENESS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# --- formats, profile, DPI, XMP --------------------------------------------------------


@pytest.mark.parametrize("suffix, tol", [(".jpg", 4.0), (".png", 0.0), (".webp", 6.0)])
def test_each_format_writes_decodes_with_icc_dpi_xmp(tmp_path, astronaut, home, suffix, tol):
    out = write_image(astronaut, tmp_path / f"head{suffix}", dpi=(300, 300), settings=SETTINGS)
    assert out == tmp_path / f"head{suffix}" and out.stat().st_size > 10_000
    back = load_photo(out).image
    assert back.shape == astronaut.shape
    assert np.abs(back.astype(float) - astronaut).mean() <= tol  # PNG exact, lossy close

    prov = read_provenance(out)
    assert "srgb" in prov["icc"].lower()
    assert prov["dpi"] == [300, 300]
    if suffix != ".webp":  # WebP has no DPI field; it lives in the XMP only
        assert tuple(round(d) for d in Image.open(out).info["dpi"]) == (300, 300)
    assert prov["digital_source_type"] == IPTC + "algorithmicallyEnhanced"
    assert prov["creator_tool"] == f"Likeness {__version__}"
    assert prov["settings"] == SETTINGS  # round-trips exactly, escaping included
    assert prov["exif_tags"] == []
    assert prov["c2pa"] is None


@pytest.mark.parametrize("code", ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"])
def test_source_types_recorded_and_unknown_refused(tmp_path, astronaut, home, code):
    out = write_image(astronaut, tmp_path / "g.jpg", source_type=IPTC + code)  # full URI accepted
    raw = out.read_bytes()
    assert f'Iptc4xmpExt:DigitalSourceType="{IPTC}{code}"'.encode() in raw
    assert read_provenance(out)["source_type"] == code
    frozen = write_image(astronaut[:64, :64].copy(), tmp_path / "d.png", source_type=code, settings=_Retouch(0.25))
    assert read_provenance(frozen)["settings"] == {"strength": 0.25, "keep_texture": True}  # dataclass settings
    with pytest.raises(OptionError, match="source type"):
        write_image(astronaut, tmp_path / "x.jpg", source_type="digitalCapture")
    assert not (tmp_path / "x.jpg").exists()


def test_bad_inputs_are_refused_before_writing(tmp_path, astronaut):
    with pytest.raises(InputError, match="RGB uint8"):
        write_image(astronaut.astype(np.float32) / 255, tmp_path / "a.jpg")
    with pytest.raises(OptionError, match=".gif"):
        write_image(astronaut, tmp_path / "a.gif")
    with pytest.raises(OptionError, match="quality"):
        write_image(astronaut, tmp_path / "a.jpg", quality=0)
    with pytest.raises(OptionError, match="dpi"):
        write_image(astronaut, tmp_path / "a.jpg", dpi=(0, 300))
    assert list(tmp_path.iterdir()) == []


# --- privacy: no camera EXIF ever reaches an output --------------------------------------

SERIAL, OWNER, MAKER = "SN-7Q4ZK91-PRIVATE", "Jane Q. Private-Owner", b"MAKERNOTE-SECRET-0042"


def _camera_jpeg(image: np.ndarray) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PrivateCam", "PC-1000"  # Make, Model
    exif[0x0131] = "CameraFirmware 9.9"  # Software
    ifd = exif.get_ifd(0x8769)  # Exif IFD
    ifd[0xA431] = SERIAL  # BodySerialNumber
    ifd[0xA430] = OWNER  # CameraOwnerName
    ifd[0x927C] = MAKER  # MakerNote
    gps = exif.get_ifd(0x8825)  # GPSInfo IFD
    gps[1], gps[2] = "N", (48.0, 51.0, 29.88)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.2)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=95, exif=exif)
    return buf.getvalue()


def _assert_no_camera_metadata(path: Path, needles: list[bytes]) -> None:
    raw = path.read_bytes()
    for needle in needles:
        assert needle not in raw, needle
    assert b"Exif\x00\x00" not in raw and b"eXIf" not in raw
    exif = Image.open(path).getexif()
    assert len(exif) == 0 and len(exif.get_ifd(0x8825)) == 0 and len(exif.get_ifd(0x8769)) == 0


def test_gps_serial_owner_never_reach_output(tmp_path, astronaut, home):
    src = tmp_path / "camera.jpg"
    src.write_bytes(_camera_jpeg(astronaut))
    # The input really carries them (else this test could not fail).
    raw_in = src.read_bytes()
    for needle in (SERIAL.encode(), OWNER.encode(), MAKER, b"PrivateCam"):
        assert needle in raw_in
    exif_in = Image.open(src).getexif()
    assert exif_in.get_ifd(0x8825)[1] == "N" and exif_in.get_ifd(0x8769)[0xA431] == SERIAL

    photo = load_photo(src)
    for suffix in (".jpg", ".png", ".webp"):
        out = write_image(photo.image, tmp_path / f"out{suffix}", settings={"source": "camera.jpg"})
        _assert_no_camera_metadata(out, [SERIAL.encode(), OWNER.encode(), MAKER, b"PrivateCam", b"PC-1000"])
        assert read_provenance(out)["exif_tags"] == []


def test_real_camera_photo_exif_stripped(tmp_path, home):
    src = EVAL / "identities" / "deepface__angelina_jolie" / "01.jpg"
    if not src.exists():
        pytest.skip("shared eval set not present")
    exif_in = Image.open(src).getexif()
    serial = str(exif_in.get_ifd(0x8769).get(0xA431, ""))
    assert len(exif_in.get_ifd(0x8825)) > 0 and serial  # GPS + body serial in the original
    make = str(exif_in.get(0x010F)).strip("\x00 ")
    out = write_image(load_photo(src, max_side=800).image, tmp_path / "real.jpg")
    _assert_no_camera_metadata(out, [serial.encode(), make.encode()])


# --- atomic writes -------------------------------------------------------------------------


def test_atomic_write_leaves_no_temp_and_keeps_old_file_on_failure(tmp_path, astronaut, home, monkeypatch):
    target = tmp_path / "sub" / "final.jpg"
    write_image(astronaut, target)  # creates the folder
    assert [p.name for p in target.parent.iterdir()] == ["final.jpg"]
    before = target.read_bytes()

    import errno
    import os

    from likeness.errors import DiskFullError

    def broken_replace(a, b):
        raise OSError(errno.ENOSPC, "disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(DiskFullError):
        write_image(astronaut[::2, ::2].copy(), target, quality=50)
    assert [p.name for p in target.parent.iterdir()] == ["final.jpg"]  # no .part left
    assert target.read_bytes() == before  # the old file is intact, not half-new


# --- contact sheet ---------------------------------------------------------------------------


def test_contact_sheet_grid_shape_background_and_labels(astronaut):
    tall = np.ascontiguousarray(astronaut[:, 128:384])  # 512×256 portrait
    images = [astronaut, tall, astronaut[::4, ::4].copy(), tall, astronaut]
    sheet = contact_sheet(images, [f"Look {i} · frame" for i in range(5)], columns=3, cell=200)
    gap, strip = 10, 10 + 2 * 3  # cell/20 and font (cell/20) + padding
    assert sheet.dtype == np.uint8 and sheet.shape == (2 * (200 + strip) + 3 * gap, 3 * 200 + 4 * gap, 3)
    assert tuple(sheet[2, 2]) == (118, 118, 118)  # neutral grey margin
    # The portrait is letter-boxed in its square cell: grey at the sides, pixels in the middle.
    x0 = gap + 200 + gap
    assert tuple(sheet[gap + 100, x0 + 5]) == (118, 118, 118)
    mid = sheet[gap + 50 : gap + 150, x0 + 60 : x0 + 140].astype(float)
    ref = np.asarray(Image.fromarray(tall).resize((100, 200)))[50:150, 10:90].astype(float)
    assert np.abs(mid.mean((0, 1)) - ref.mean((0, 1))).max() < 6
    label = sheet[gap + 200 : gap + 200 + strip, gap : gap + 200]
    assert (label.min(-1) > 200).sum() > 30  # light text drawn on the grey strip
    assert sheet.shape == contact_sheet(images, [""] * 5, columns=3, cell=200).shape
    with pytest.raises(InputError, match="labels"):
        contact_sheet(images, ["only one"])
    with pytest.raises(InputError, match="at least one"):
        contact_sheet([], [])


# --- report ------------------------------------------------------------------------------------


def test_report_json_and_self_contained_escaped_html(tmp_path, astronaut, home):
    write_image(astronaut, tmp_path / "heads" / "a b&c.jpg")
    evil = '<script>alert("x")</script>'
    report = {
        "look": {"name": f"Grey {evil}", "version": 2},
        "headshots": [
            {
                "file": "heads/a b&c.jpg",
                "source": f"/photos/{evil}.jpg",
                "look": "corporate-grey",
                "frame": "headshot",
                "likeness": np.float32(91.26),
                "identity_distance": np.float64(0.2113),
                "source_type": "algorithmicallyEnhanced",
                "notes": [f"note {evil}"],
                "measures": {"sharpness": 0.93, "texture": np.float32(0.71)},
            }
        ],
        "photos": [
            {"source": "/photos/dark.jpg", "usable": False, "problems": ["Too dark: face a window."],
             "measures": {"exposure": {"name": "exposure", "score": 22.0, "raw": 0.18, "ok": False, "advice": "x"}}},
            {"source": "/photos/good.jpg", "usable": True, "problems": [], "measures": {}},
        ],
        "skipped": [["/photos/group.jpg", f"several faces {evil}"]],
        "settings": {"seed": 1, "retouch": 0.3},
    }
    json_path, html_path = write_report(tmp_path, report, title=f"Team {evil}")
    assert json_path == tmp_path / "report.json" and html_path == tmp_path / "report.html"
    data = json.loads(json_path.read_text())
    assert data["headshots"][0]["likeness"] == pytest.approx(91.26, abs=1e-3)
    assert data["skipped"][0][0] == "/photos/group.jpg"

    page = html_path.read_text()
    assert "<script" not in page.lower() and page.count("&lt;script&gt;") >= 5
    assert not re.search(r"<link|@import|url\(|(src|href)=\"(https?:)?//", page)  # nothing external
    assert 'src="heads/a%20b%26c.jpg"' in page  # relative, URL-quoted
    assert ">91<" in page and "0.211" in page and "Too dark: face a window." in page
    assert "Not used" in page and "Usable" in page and "Enhanced photo" in page
    assert not list(tmp_path.glob(".*.part"))


# --- keys and C2PA -----------------------------------------------------------------------------


def test_sign_without_keys_names_the_fix(tmp_path, astronaut, home):
    with pytest.raises(KeysMissingError) as err:
        write_image(astronaut, tmp_path / "s.jpg", sign=True)
    assert "likeness keys init" in str(err.value) and err.value.code == "keys_missing"
    assert not (tmp_path / "s.jpg").exists()


def test_keys_init_sign_and_validate_c2pa(tmp_path, astronaut, home):
    pytest.importorskip("c2pa")
    keys = tmp_path / "keys"
    info = init_keys(keys)
    assert {p.name for p in keys.iterdir()} == {"ca.pem", "ca.key", "signer.pem", "signer.key"}
    assert (keys / "signer.key").stat().st_mode & 0o077 == 0  # private key: owner only
    assert info.issuer != info.subject and key_info(keys).fingerprint_sha256 == info.fingerprint_sha256
    with pytest.raises(KeysExistError):
        init_keys(keys)

    for suffix in (".jpg", ".png", ".webp"):
        out = write_image(astronaut, tmp_path / f"signed{suffix}", source_type="compositeWithTrainedAlgorithmicMedia",
                          settings=SETTINGS, sign=True, keys_dir=keys)
        prov = read_provenance(out, keys_dir=keys)
        cred = prov["c2pa"]
        assert cred["validation_state"] == "Trusted", cred
        assert cred["actions"] == ["c2pa.created", "c2pa.edited"]
        assert cred["digital_source_types"] == [IPTC + "compositeWithTrainedAlgorithmicMedia"]
        assert cred["settings"] == SETTINGS and prov["settings"] == SETTINGS  # XMP survives signing
        assert cred["signer"]["common_name"] == "Likeness local signer"

    # Without this machine's CA as anchor the signature is intact but nobody vouches for it.
    anon = read_provenance(tmp_path / "signed.jpg", keys_dir=tmp_path / "nowhere")["c2pa"]
    assert anon["validation_state"] == "Valid" and "signingCredential.untrusted" in anon["failures"]

    # One changed pixel byte breaks the hard binding.
    raw = bytearray((tmp_path / "signed.jpg").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "tampered.jpg").write_bytes(bytes(raw))
    assert read_provenance(tmp_path / "tampered.jpg", keys_dir=keys)["c2pa"]["validation_state"] == "Invalid"


def test_sign_without_c2pa_installed_is_a_clear_error(tmp_path, astronaut, home, monkeypatch):
    pytest.importorskip("cryptography")
    init_keys(tmp_path / "keys")
    monkeypatch.setitem(sys.modules, "c2pa", None)  # `import c2pa` now raises ImportError
    with pytest.raises(SigningError, match="c2pa-python"):
        write_image(astronaut, tmp_path / "s.jpg", sign=True, keys_dir=tmp_path / "keys")
    assert not (tmp_path / "s.jpg").exists()
    plain = write_image(astronaut, tmp_path / "plain.png")
    assert read_provenance(plain)["c2pa"] is None


def test_keys_cli(tmp_path, home):
    pytest.importorskip("cryptography")
    from typer.testing import CliRunner

    from likeness.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["keys", "init", "--dir", str(tmp_path / "k"), "--json", "--name", "Studio Nord"])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(app, ["keys", "show", "--dir", str(tmp_path / "k"), "--json"])
    assert shown.exit_code == 0, shown.output
    a, b = json.loads(made.output), json.loads(shown.output)
    assert a["fingerprint_sha256"] == b["fingerprint_sha256"] and "O=Studio Nord" in b["subject"]
    missing = runner.invoke(app, ["keys", "show", "--dir", str(tmp_path / "none")])
    assert isinstance(missing.exception, KeysMissingError)


def test_xmp_attributes_survive_quotes_markup_and_newlines():
    """Settings and the tool name are XML attributes: quotes, markup, ampersands,
    newlines and tabs are written escaped and read back as they were."""
    from likeness.deliver.metadata import build_xmp, parse_xmp

    settings = {"note": "a \"quoted\" <tag> & it's\nsecond line\ttab"}
    back = parse_xmp(build_xmp(source_type="algorithmicallyEnhanced", creator_tool="t & <x>", settings=settings))
    assert back["settings"] == settings and back["creator_tool"] == "t & <x>"

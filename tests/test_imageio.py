"""Safe decoding: every kind of bad or unusual input from DEVELOPERS.md's list."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms
from skimage import data

from likeness.errors import ImageReadError, ImageTooLargeError, ImageTooSmallError
from likeness.imageio import load_photo, save_image


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_jpeg_roundtrip(astronaut):
    p = load_photo(_encode(Image.fromarray(astronaut), "JPEG", quality=95))
    assert p.image.dtype == np.uint8 and p.image.shape == astronaut.shape
    assert np.abs(p.image.astype(int) - astronaut).mean() < 3
    assert p.format == "JPEG" and p.original_size == (512, 512)


def test_truncated_jpeg_rejected(astronaut):
    raw = _encode(Image.fromarray(astronaut), "JPEG")
    with pytest.raises(ImageReadError) as exc:
        load_photo(raw[: len(raw) // 2], name="half.jpg")
    assert "truncated" in exc.value.message and "half.jpg" in exc.value.message
    assert "again" in exc.value.hint


def test_non_image_rejected(tmp_path):
    f = tmp_path / "notes.jpg"
    f.write_text("this is not a photo")
    with pytest.raises(ImageReadError) as exc:
        load_photo(f)
    assert "not a photo we can read" in exc.value.message
    assert "JPEG" in exc.value.hint


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageReadError, match="no such file"):
        load_photo(tmp_path / "nope.jpg")
    with pytest.raises(ImageReadError, match="folder"):
        load_photo(tmp_path)


def _png_header_only(w: int, h: int) -> bytes:
    """A tiny PNG whose header claims w×h pixels: a decompression bomb's signature."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_decompression_bomb_rejected_before_decoding():
    with pytest.raises(ImageTooLargeError) as exc:
        load_photo(_png_header_only(40_000, 40_000), name="bomb.png")
    assert "1600 megapixels" in exc.value.message and exc.value.http_status == 413
    assert "megapixels" in exc.value.hint


def test_pixel_limit_is_configurable(astronaut):
    with pytest.raises(ImageTooLargeError, match="512×512 pixels"):
        load_photo(_encode(Image.fromarray(astronaut), "PNG"), max_pixels=100_000)
    # Just under the default limit in the header, but larger than the pixel budget asked.
    with pytest.raises(ImageTooLargeError, match="12000×9000"):
        load_photo(_png_header_only(12_000, 9_000), max_pixels=50_000_000)


def test_tiny_image_rejected():
    with pytest.raises(ImageTooSmallError, match="only 20×20"):
        load_photo(_encode(Image.new("RGB", (20, 20)), "PNG"))


def test_grey_scale(astronaut):
    grey = Image.fromarray(astronaut).convert("L")
    p = load_photo(_encode(grey, "PNG"))
    assert p.image.shape == (512, 512, 3)
    assert np.array_equal(p.image[..., 0], p.image[..., 2])
    assert "grey-scale photo" in p.notes


def test_cmyk_jpeg(astronaut):
    cmyk = Image.fromarray(astronaut).convert("CMYK")
    p = load_photo(_encode(cmyk, "JPEG", quality=95))
    assert p.image.shape == (512, 512, 3)
    # The suit stays white and the flag stays red after the round trip.
    assert np.abs(p.image.astype(int) - astronaut).mean() < 12


def test_sixteen_bit_grey(astronaut):
    grey16 = (astronaut.mean(2) * 257).astype(np.uint16)
    p = load_photo(_encode(Image.fromarray(grey16), "PNG"))
    assert p.image.dtype == np.uint8
    assert abs(float(p.image[..., 0].mean()) - float(astronaut.mean())) < 2
    assert any("16-bit" in n for n in p.notes)


def test_rgba_placed_on_white(astronaut):
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[:100, :100, 3] = 0
    p = load_photo(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert p.image.shape == (512, 512, 3)
    assert (p.image[:100, :100] == 255).all()
    assert np.array_equal(p.image[200:, 200:], astronaut[200:, 200:])


def test_palette_png(astronaut):
    pal = Image.fromarray(astronaut).convert("P", palette=Image.Palette.ADAPTIVE)
    p = load_photo(_encode(pal, "PNG"))
    assert p.image.shape == (512, 512, 3)


@pytest.mark.parametrize("orientation,expect", [(1, "same"), (3, "rot180"), (6, "rot270"), (8, "rot90")])
def test_exif_orientation_applied(astronaut, orientation, expect):
    img = Image.fromarray(astronaut[:, :400])  # not square, so rotations show in the shape
    exif = Image.Exif()
    exif[0x0112] = orientation
    p = load_photo(_encode(img, "JPEG", quality=95, exif=exif.tobytes()))
    want = {
        "same": astronaut[:, :400],
        "rot180": np.rot90(astronaut[:, :400], 2),
        "rot270": np.rot90(astronaut[:, :400], -1),
        "rot90": np.rot90(astronaut[:, :400], 1),
    }[expect]
    assert p.image.shape == want.shape
    assert np.abs(p.image.astype(int) - want).mean() < 4
    assert p.original_size == (want.shape[1], want.shape[0])


def _adobe_rgb_like_icc() -> bytes:
    """A minimal ICC v2 matrix/TRC profile with Adobe RGB (1998) primaries, gamma 2.2."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    name = b"Wide test RGB\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(name)) + name + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curv = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563) + b"\0\0"
    tags = [
        (b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.6097, 0.3111, 0.0195)), (b"gXYZ", xyz(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", xyz(0.1492, 0.0632, 0.7446)), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, blob = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(blob), len(body))
        blob += body
    size = offset + len(blob)
    header = (
        struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
        + b"\0" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + blob


def test_icc_profile_converted_to_srgb(astronaut):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    p = load_photo(_encode(Image.fromarray(astronaut), "PNG", icc_profile=srgb.tobytes()))
    assert not any("converted to sRGB" in n for n in p.notes)
    assert np.array_equal(p.image, astronaut)
    # Pixels in a wider colour space are converted: saturated colours grow more saturated.
    p = load_photo(_encode(Image.fromarray(astronaut), "JPEG", quality=95, icc_profile=_adobe_rgb_like_icc()))
    assert any("'Wide test RGB' converted to sRGB" in n for n in p.notes), p.notes
    sat = lambda a: (a.max(2).astype(int) - a.min(2)).mean()  # noqa: E731
    assert sat(p.image) > sat(astronaut) + 3


def test_heic_decodes_when_supported(astronaut):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    try:
        raw = _encode(Image.fromarray(astronaut), "HEIF", quality=90)
    except (OSError, ValueError, KeyError) as exc:  # wheel built without an encoder
        pytest.skip(f"no HEIF encoder here: {exc}")
    p = load_photo(raw, name="phone.heic")
    assert p.image.shape == (512, 512, 3) and np.abs(p.image.astype(int) - astronaut).mean() < 8


def test_reduced_jpeg_decode_is_at_least_requested_size(astronaut):
    big = Image.fromarray(astronaut).resize((2048, 2048))
    p = load_photo(_encode(big, "JPEG", quality=90), max_side=600)
    assert 600 <= max(p.image.shape[:2]) <= 2048
    assert p.original_size == (2048, 2048) and p.scale == p.image.shape[1] / 2048


def test_save_image_formats(tmp_path, astronaut):
    for suffix in (".jpg", ".png", ".webp"):
        out = save_image(astronaut, tmp_path / f"a{suffix}", dpi=(300, 300))
        back = Image.open(out)
        assert back.size == (512, 512)
        assert back.info.get("icc_profile"), suffix
    with pytest.raises(ValueError, match="unsupported output format"):
        save_image(astronaut, tmp_path / "a.gif")

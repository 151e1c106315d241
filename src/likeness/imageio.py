"""Safe image decoding and encoding: the only place that opens user files.

Decoding applies EXIF orientation, converts embedded colour profiles to sRGB and
normalises every pixel format (grey, palette, CMYK, 16-bit, alpha) to RGB ``uint8``.
A pixel limit is checked from the header *before* any pixel is decoded, so a
decompression bomb costs nothing; truncated files and non-images are rejected with a
message that says what to do.
"""

from __future__ import annotations

import io
import os
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from .atomic import atomic_write
from .errors import ImageReadError, ImageTooLargeError, ImageTooSmallError, ImplausibleImageError
from .types import Photo

#: Default pixel limit: 100 MP covers every phone and most DSLRs (a 50 MP phone photo
#: is 8160×6144) and keeps a bomb from allocating gigabytes.
MAX_PIXELS = int(os.environ.get("LIKENESS_MAX_PIXELS", 100_000_000))
#: Larger than any photo a user has: anything bigger than this on one side is a bomb.
MAX_SIDE = 30_000
MIN_SIDE = 32
MAX_FILE_BYTES = 80 * 1024 * 1024
#: Below this many pixels any file size is accepted (decoding costs little).
PLAUSIBLE_FREE_PIXELS = 16_000_000
#: Fewest bytes per pixel a real photo above that size takes: lossy formats (JPEG, WebP,
#: HEIC) hold a phone photo in 0.1–0.5 B/px and a hard-compressed one in 0.03; lossless
#: ones (PNG, TIFF) in 1–3. A file far below these only *claims* its pixels (a forged
#: header, or a flat image made to cost seconds of decoding): it is refused unread.
MIN_BYTES_PER_PIXEL = {"lossy": 0.01, "lossless": 0.05}
_LOSSY = {"JPEG", "MPO", "WEBP", "HEIF", "AVIF"}

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated photo is an error, never grey
# We check the limit ourselves (with a clear message); Pillow's own check stays as a
# backstop at twice our limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_SUFFIXES = ".jpg .jpeg .png .webp .heic .heif .tif .tiff .bmp".split()


@lru_cache(maxsize=1)
def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:  # optional: HEIC then gets a clear "convert to JPEG" message
        return False
    pillow_heif.register_heif_opener()
    return True


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    """The ICC profile we embed in every output (sRGB), byte-identical in every run.

    LittleCMS stamps a freshly built profile with the current time, which would make
    the same image encode to different bytes in two processes; the creation date is
    fixed and the (optional) profile ID cleared instead.
    """
    raw = bytearray(_srgb_profile().tobytes())
    raw[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
    raw[84:100] = bytes(16)
    return bytes(raw)


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in _SUFFIXES


def load_photo(
    src: str | os.PathLike | bytes | BinaryIO,
    *,
    max_pixels: int = MAX_PIXELS,
    max_side: int | None = None,
    name: str | None = None,
) -> Photo:
    """Decode a photo safely to RGB ``uint8``.

    ``max_side`` asks for a reduced image whose longer side is at least ``max_side``
    where possible: JPEGs are then decoded at 1/2, 1/4 or 1/8 scale directly in the
    DCT (several times faster than a full decode and a resize).
    """
    _register_heif()
    source = name or (str(src) if isinstance(src, (str, os.PathLike)) else "upload")
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.exists():
            raise ImageReadError(f"{source}: no such file.", hint="Check the path.", file=source)
        if path.is_dir():
            raise ImageReadError(f"{source} is a folder, not a photo.", hint="Give the photo files.", file=source)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageTooLargeError(
                f"{source} is {path.stat().st_size / 2**20:.0f} MB, more than the "
                f"{MAX_FILE_BYTES // 2**20} MB limit.",
                hint="Export it as a JPEG of normal size and try again.",
                file=source,
            )
        fp: BinaryIO = open(path, "rb")
    elif isinstance(src, bytes):
        fp = io.BytesIO(src)
    else:
        fp = src
    try:
        return _decode(fp, source, max_pixels=max_pixels, max_side=max_side)
    finally:
        if isinstance(src, (str, os.PathLike)):
            fp.close()


def oriented_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """(width, height) of a photo file after its EXIF orientation, from the header
    alone; None when the header cannot tell (:func:`load_photo` then says why)."""
    _register_heif()
    try:
        with Image.open(path) as img:
            w, h = img.size
            orientation = int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - any failure is reported by the real decode
        return None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _decode(fp: BinaryIO, source: str, *, max_pixels: int, max_side: int | None) -> Photo:
    head = fp.read(32)
    nbytes = fp.seek(0, os.SEEK_END)
    fp.seek(0)
    try:
        img = Image.open(fp)
    except UnidentifiedImageError:
        if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc") and not _register_heif():
            raise ImageReadError(
                f"{source} is a HEIC photo and HEIC support is not installed.",
                hint="Install pillow-heif, or export the photo as JPEG.",
                file=source,
            ) from None
        raise ImageReadError(
            f"{source} is not a photo we can read (JPEG, PNG, WebP or HEIC).",
            hint="Export it as a JPEG and try again.",
            file=source,
        ) from None
    except Image.DecompressionBombError as exc:
        raise _too_large(source, None, max_pixels, detail=str(exc)) from None
    except OSError as exc:
        raise ImageReadError(f"{source} could not be read ({exc}).", hint="Export it again as a JPEG.", file=source) from None

    w, h = img.size
    if w * h > max_pixels or max(w, h) > MAX_SIDE:
        raise _too_large(source, (w, h), max_pixels)
    _check_plausible(source, img.format or "unknown", (w, h), nbytes)
    if min(w, h) < MIN_SIDE:
        raise ImageTooSmallError(
            f"{source} is only {w}×{h} pixels.",
            hint="Use a photo of at least 600 pixels on its short side.",
            file=source,
            size=[w, h],
        )
    fmt = img.format or "unknown"
    notes: list[str] = []
    icc = img.info.get("icc_profile")
    exif_orientation = 1
    try:
        exif_orientation = int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the photo
        notes.append("EXIF block unreadable; orientation assumed upright")

    if max_side and fmt == "JPEG" and max(w, h) > max_side:
        # draft() picks the largest DCT scale that keeps the requested size.
        scale = max_side / max(w, h)
        img.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        truncated = "truncated" in str(exc).lower() or "broken" in str(exc).lower()
        raise ImageReadError(
            f"{source} is {'truncated' if truncated else 'damaged'} and cannot be read"
            f"{'' if truncated else f' ({exc})'}.",
            hint="Copy the photo again from your phone or camera, or export it again.",
            file=source,
        ) from None
    except Image.DecompressionBombError:
        raise _too_large(source, (w, h), max_pixels) from None

    if getattr(img, "n_frames", 1) > 1:
        notes.append("multi-frame file: first frame used")
    img = _to_rgb(img, notes, icc)
    if exif_orientation != 1:
        img = _orient(img, exif_orientation)
        notes.append(f"EXIF orientation {exif_orientation} applied")
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageReadError(f"{source} decoded to an unexpected layout {arr.shape}.", file=source)
    ow, oh = (h, w) if exif_orientation in (5, 6, 7, 8) else (w, h)
    return Photo(
        image=np.ascontiguousarray(arr),
        source=source,
        format=fmt,
        original_size=(ow, oh),
        scale=arr.shape[1] / ow,
        notes=tuple(notes),
    )


def _check_plausible(source: str, fmt: str, size: tuple[int, int], nbytes: int) -> None:
    """Refuse a file whose byte size cannot hold the pixels its header claims, before
    any pixel is decoded (a 689-byte JPEG claiming 99 MP would otherwise cost seconds)."""
    pixels = size[0] * size[1]
    if pixels <= PLAUSIBLE_FREE_PIXELS:
        return
    floor = MIN_BYTES_PER_PIXEL["lossy" if fmt in _LOSSY else "lossless"]
    if nbytes >= pixels * floor:
        return
    raise ImplausibleImageError(
        f"{source} claims {size[0]}×{size[1]} pixels ({pixels / 1e6:.0f} MP) but holds only "
        f"{nbytes / 1e6:.2f} MB: that is not a photo we can use.",
        hint="Export the photo again from your phone or camera as a normal JPEG.",
        file=source, size=list(size), bytes=nbytes,
    )


def _too_large(source: str, size: tuple[int, int] | None, max_pixels: int, *, detail: str = "") -> ImageTooLargeError:
    if size:
        what = f"{size[0]}×{size[1]} pixels"
    else:  # Pillow's own bomb check fired first; its message carries the pixel count
        m = re.search(r"\((\d+) pixels\)", detail)
        what = f"{int(m.group(1)) / 1e6:.0f} megapixels" if m else "too many pixels"
    return ImageTooLargeError(
        f"{source} has {what}, more than the {max_pixels / 1e6:.0f} MP limit.",
        hint=f"Resize it to under {max_pixels / 1e6:.0f} megapixels (a normal phone photo is 12) and try again.",
        file=source,
        size=list(size) if size else None,
    )


_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def _orient(img: Image.Image, orientation: int) -> Image.Image:
    for op in _TRANSPOSE.get(orientation, []):
        img = img.transpose(op)
    return img


def _to_rgb(img: Image.Image, notes: list[str], icc: bytes | None) -> Image.Image:
    """Normalise any Pillow mode to RGB 8-bit, converting the colour profile to sRGB."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img).astype(np.float64)
        peak = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
        a = np.clip(a / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        img = Image.fromarray(a, "L")
        notes.append(f"{'16-bit' if peak > 255 else mode} grey converted to 8-bit")
        mode = "L"
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notes.append("transparent areas placed on white")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba).convert("RGB")
        mode = "RGB"
    if icc and mode in ("RGB", "CMYK", "L"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            desc = (ImageCms.getProfileDescription(src) or "").strip()
            if "srgb" not in desc.lower() or mode != "RGB":
                img = ImageCms.profileToProfile(img, src, _srgb_profile(), outputMode="RGB")
                notes.append(f"colour profile '{desc}' converted to sRGB")
                mode = "RGB"
        except (OSError, ImageCms.PyCMSError):
            notes.append("embedded colour profile unreadable; assumed sRGB")
    if mode == "CMYK":
        notes.append("CMYK converted to RGB")
    elif mode == "L":
        notes.append("grey-scale photo")
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


#: File suffix → Pillow format of every image the project writes.
WRITE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


def save_image(
    image: np.ndarray,
    path: str | os.PathLike,
    *,
    quality: int = 92,
    dpi: tuple[int, int] | None = None,
) -> Path:
    """Encode RGB ``uint8`` (:func:`encode`: sRGB profile, no camera EXIF, nothing
    private) and write it atomically. The format follows the suffix (.jpg, .png,
    .webp). Delivered headshots go through ``likeness.deliver.write_image``, which
    adds the provenance (IPTC source type, settings, C2PA) to the same encoder."""
    path = Path(path)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected uint8 H×W×3 RGB, got {image.dtype} {image.shape}")
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported output format {path.suffix!r}: use .jpg, .png or .webp")
    return atomic_write(path, encode(image, fmt, quality=quality, dpi=dpi))


def encode(image: np.ndarray, fmt: str, *, quality: int, dpi: tuple[int, int] | None = None,
           xmp: bytes | None = None) -> bytes:
    """Encode to bytes with sRGB ICC, DPI and (optionally) XMP and nothing else (no
    EXIF): the one image encoder of the project."""
    img = Image.fromarray(np.ascontiguousarray(image), "RGB")
    kw: dict[str, Any] = {"icc_profile": srgb_icc_bytes()}
    if dpi:
        kw["dpi"] = (int(dpi[0]), int(dpi[1]))
    if xmp is not None and fmt != "PNG":
        kw["xmp"] = xmp
    buf = io.BytesIO()
    if fmt == "JPEG":
        # 4:4:4 chroma at high quality: 4:2:0 smears coloured edges (lips, ties).
        img.save(buf, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2, **kw)
    elif fmt == "PNG":
        if xmp is not None:  # Pillow's PNG writer has no xmp= argument: the standard iTXt chunk
            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
            kw["pnginfo"] = info
        # Level 3: ~3× faster than 6 for ~10 % more bytes on a 3 MP headshot.
        img.save(buf, "PNG", compress_level=3, **kw)
    elif fmt == "WEBP":  # no DPI field: it lives in the XMP (tiff:XResolution)
        kw.pop("dpi", None)
        img.save(buf, "WEBP", quality=quality, method=4, **kw)
    else:
        raise ValueError(f"unsupported output format {fmt!r}: JPEG, PNG or WEBP")
    return buf.getvalue()

"""Write a delivered image: pixels + sRGB profile + DPI + XMP, optionally C2PA-signed.

Outputs are encoded from pixels, so nothing from the camera file (GPS, serial
numbers, owner name, maker notes, thumbnails) can reach them: there is no EXIF at all.
Every file is written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms

from .. import __version__
from ..atomic import atomic_write
from ..errors import ImageReadError, InputError, OptionError
from ..imageio import WRITE_FORMATS, encode
from .metadata import build_xmp, parse_xmp, source_type_code

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def creator_tool() -> str:
    return f"Likeness {__version__}"


def write_image(
    image: np.ndarray,
    path: Path,
    *,
    source_type: str = "algorithmicallyEnhanced",
    dpi: tuple[int, int] | None = None,
    quality: int = 92,
    settings: dict | None = None,
    sign: bool = False,
    keys_dir: Path | None = None,
) -> Path:
    """Encode RGB ``uint8`` to ``path`` (.jpg/.jpeg, .png or .webp) with provenance.

    ``source_type`` is the IPTC DigitalSourceType code ("algorithmicallyEnhanced"
    for studio, "compositeWithTrainedAlgorithmicMedia" for face-locked,
    "trainedAlgorithmicMedia" for generated). ``settings`` (Look, framing, retouch
    strength, seed, ...) are recorded as JSON in the XMP and, when signed, in the
    C2PA manifest. ``sign=True`` embeds a C2PA manifest signed with the key made by
    ``likeness keys init`` (in ``keys_dir``, default ``$LIKENESS_HOME/keys``).
    """
    path = Path(path)
    fmt = _check_inputs(image, path, quality=quality, dpi=dpi)
    code = source_type_code(source_type)
    mime = MIME[fmt]
    if sign:  # fail before any work when signing cannot happen
        from .provenance import _c2pa, _load_keys, keys_home

        _load_keys(Path(keys_dir) if keys_dir else keys_home())
        _c2pa()
    xmp = build_xmp(source_type=code, creator_tool=creator_tool(), settings=settings, dpi=dpi, mime=mime)
    data = encode(image, fmt, quality=quality, dpi=dpi, xmp=xmp)
    if sign:
        from .provenance import manifest_definition, sign_bytes

        manifest = manifest_definition(source_type=code, title=path.name, mime=mime, settings=settings)
        data = sign_bytes(data, mime=mime, manifest=manifest, keys_dir=keys_dir)
    return atomic_write(path, data)


def _check_inputs(image: Any, path: Path, *, quality: int, dpi: tuple[int, int] | None) -> str:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        what = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise InputError(
            f"Cannot write {path.name}: expected an RGB uint8 H×W×3 image, got {what}.",
            hint="Convert at the stage boundary (RGB, uint8).",
        )
    if min(image.shape[:2]) < 1:
        raise InputError(f"Cannot write {path.name}: the image is empty {image.shape}.")
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OptionError(
            f"Cannot write {path.name}: unsupported format {path.suffix or '(no suffix)'!r}.",
            hint="Use a .jpg, .png or .webp file name.",
            suffix=path.suffix,
        )
    if not (isinstance(quality, (int, np.integer)) and 1 <= quality <= 100):
        raise OptionError(f"quality must be an integer from 1 to 100, not {quality!r}.", hint="92 is a good default.")
    if dpi is not None and (len(dpi) != 2 or not all(isinstance(d, (int, np.integer)) and 1 <= d <= 10_000 for d in dpi)):
        raise OptionError(f"dpi must be two integers from 1 to 10000, not {dpi!r}.", hint="Print presets use (300, 300).")
    return fmt


def read_provenance(path: Path, *, keys_dir: Path | None = None) -> dict[str, Any]:
    """What an output says about itself: source type, tool, settings, DPI, colour
    profile, any EXIF tags (there should be none) and the C2PA state when signed."""
    path = Path(path)
    try:
        data = path.read_bytes()
        img = Image.open(io.BytesIO(data))
    except (OSError, Image.UnidentifiedImageError) as exc:
        raise ImageReadError(f"{path.name} could not be read ({exc}).", hint="Check the path.", file=str(path)) from None
    fmt = img.format or ""
    packet = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    out: dict[str, Any] = {"file": str(path), "format": fmt, "size": list(img.size)}
    out.update(parse_xmp(packet))
    dpi = img.info.get("dpi") or out.get("xmp_dpi")
    out["dpi"] = [round(float(d)) for d in dpi] if dpi else None
    icc = img.info.get("icc_profile")
    out["icc"] = _icc_description(icc) if icc else None
    exif = img.getexif()
    out["exif_tags"] = sorted(int(t) for t in exif) + sorted(int(t) for t in exif.get_ifd(0x8825))
    out["c2pa"] = None
    if fmt in MIME:
        from .provenance import read_c2pa

        out["c2pa"] = read_c2pa(data, mime=MIME[fmt], keys_dir=keys_dir)
    return out


def _icc_description(icc: bytes) -> str:
    try:
        return (ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))) or "").strip()
    except (OSError, ImageCms.PyCMSError):
        return "unreadable"

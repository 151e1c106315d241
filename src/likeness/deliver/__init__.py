"""Deliver: export with provenance, contact sheets and reports.

- :func:`write_image` encodes pixels to JPEG/PNG/WebP with an sRGB profile, DPI, XMP
  (IPTC DigitalSourceType, creator tool, settings) and optionally a C2PA manifest
  signed with the local key from ``likeness keys init``; never any camera EXIF.
- :func:`read_provenance` reads all of that back (tests, review, ``keys show``).
- :func:`contact_sheet` and :func:`write_report` make what the user looks at.

Imports are light: Pillow and numpy only; c2pa and cryptography load on first use.
"""

from __future__ import annotations

from .export import read_provenance, write_image
from .metadata import SOURCE_TYPES
from .provenance import KeyInfo, KeysMissingError, SigningError, init_keys, key_info, keys_home
from .report import write_report
from .sheet import contact_sheet

__all__ = [
    "SOURCE_TYPES",
    "KeyInfo",
    "KeysMissingError",
    "SigningError",
    "contact_sheet",
    "init_keys",
    "key_info",
    "keys_home",
    "read_provenance",
    "write_image",
    "write_report",
]

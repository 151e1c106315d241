"""Decode a photo no larger than its headshot needs, and find its subject.

Used by :func:`likeness.studio.pipeline.make_headshot` when it is given a file. The
``studio()`` verb decodes each photo once itself (intake reads the same pixels) and
hands the decoded :class:`~likeness.types.Photo` down, so nothing is decoded twice.
"""

from __future__ import annotations

import math
import os

from ..faces.subject import ANALYSE_SIDE, find_subject
from ..imageio import load_photo, oriented_size
from ..types import Face, Photo
from . import frame as framing

#: Photos up to this size are decoded once, in full, when the face is still to be
#: found: a headshot (head half the 2000 px frame) needs the full pixels unless the
#: head is ≥ 2000 px tall, which a 12 MP phone photo hardly has; decoding a reduced
#: copy first to find the face would cost a second decode (35 ms at 12 MP).
FULL_DECODE_PIXELS = 16_000_000


def decode_for(source: str | os.PathLike | Photo, *, face: Face | None = None, preset: framing.FramePreset):
    """Decode ``source`` no larger than the framing needs. Returns (photo, face in its
    pixels, plan). ``face`` may be given in original-photo pixels (from intake): the
    plan is then made from the file's header and the photo decoded once. Without it,
    a photo of up to ``FULL_DECODE_PIXELS`` is decoded once in full; a larger one is
    first decoded reduced to find the face."""
    if isinstance(source, Photo):
        photo = source
        f = face.scaled(photo.scale) if face is not None else find_subject(photo)
        return photo, f, framing.plan(f, photo.size, preset=preset)
    size = oriented_size(source)
    if face is None and size is not None and size[0] * size[1] <= FULL_DECODE_PIXELS:
        return decode_for(load_photo(source), preset=preset)
    if face is None or size is None:
        small = load_photo(source, max_side=ANALYSE_SIDE)
        f = face.scaled(small.scale) if face is not None else find_subject(small)
        size, k = small.original_size, small.scale
        face = f.scaled(1.0 / k)
    else:
        small, k = None, 1.0
    fp = framing.plan(face, size, preset=preset)
    # Photo px the crop spans at full size vs the output's height: decode just enough.
    need = min(1.0, preset.size[1] / fp.height)
    side = math.ceil(max(size) * need * 1.02)
    if small is not None and side <= max(small.size):
        return small, face.scaled(k), fp.scaled(k)
    big = load_photo(source, max_side=side)
    return big, face.scaled(big.scale), fp.scaled(big.scale)

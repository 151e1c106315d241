"""Decoding for the studio: a set's photos once each (:class:`SetDecoder`), and one photo
no larger than its headshot needs (:func:`decode_for`).

``decode_for`` is used by :func:`likeness.studio.pipeline.make_headshot` when it is
given a file. The ``studio()`` verb decodes each photo once itself with a
:class:`SetDecoder` (intake reads the same pixels) and hands the decoded
:class:`~likeness.types.Photo` down, so nothing is decoded twice.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from ..beside import here_if_waiting, submit
from ..faces.subject import ANALYSE_SIDE, find_subject
from ..imageio import load_photo, oriented_size
from ..types import Face, Photo
from . import frame as framing

if TYPE_CHECKING:
    from .card import CardUse

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


#: Photos decoded ahead of the one intake reads: two, so that the next decodes are
#: queued on the worker before the review's reading of the photo intake has just
#: finished (with one, intake waited 25–70 ms for each photo's decode).
AHEAD = 2


class SetDecoder:
    """Decodes a set's photos once each, at most ``side`` px, as intake asks for them
    (``decode(path)``, in order); they stay in ``photos`` (by path) until the studio
    drops them.

    libjpeg decodes on one core, so as intake takes up one photo the next one's decode
    starts on the worker thread (:mod:`likeness.beside`); with ``charts``, each photo's
    search for a colour chart follows it there (:meth:`chart`). A decode the worker has
    not begun when intake asks for its photo (the worker is still reading earlier
    photos for the review) is taken back and done on the calling thread.

    Cold ``likeness studio`` on 5 × 12 MP photos, interleaved pairs, wall time: the
    decodes beside 1.81 → 1.63 s (8 pairs), the chart searches beside 1.75 → 1.62 s
    (10 pairs), a decode taken back 1.69 → 1.60 s (8 pairs). Decoding two photos ahead
    (``AHEAD``), with chart searches and the review's readings taken back where the
    worker has not begun them (:func:`~likeness.beside.here_if_waiting`), warm verb
    (5 repeats, 4 interleaved pairs, 6 Dec): 1.20/1.25/1.22/1.17 → 1.19/1.20/1.07/1.14 s."""

    def __init__(self, files: Sequence[Path], *, side: int, charts: bool) -> None:
        self.photos: dict[str, Photo] = {}
        self._side = side
        self._files = list(files)
        self._at = {str(f): i for i, f in enumerate(files)}
        self._ahead: dict[str, Future] = {}
        self._charts: dict[str, Future] | None = {} if charts else None

    def __call__(self, path: Path) -> Photo:
        key = str(path)
        if key not in self.photos:
            early = self._ahead.pop(key, None)
            # Where the worker has not got to it (it is reading photos for the review): decoded here.
            self.photos[key] = (here_if_waiting(early, load_photo, path, max_side=self._side) if early is not None
                                else load_photo(path, max_side=self._side))
        at = self._at.get(key, len(self._files))
        for nxt in self._files[at + 1 : at + 1 + AHEAD]:
            if str(nxt) not in self.photos and str(nxt) not in self._ahead:
                self._ahead[str(nxt)] = submit(load_photo, nxt, max_side=self._side)
        if self._charts is not None and key not in self._charts:
            from .card import find_chart

            self._charts[key] = submit(find_chart, self.photos[key].image)
        return self.photos[key]

    def chart(self) -> CardUse | None:
        """The first usable chart of the photos decoded, in their order
        (:func:`.card.first_chart`), or None."""
        from .card import find_chart, first_chart

        done = self._charts or {}
        return first_chart((Path(k).name, here_if_waiting(done[k], find_chart, self.photos[k].image)
                            if k in self.photos else done[k].result()) for k in done)

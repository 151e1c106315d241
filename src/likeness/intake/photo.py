"""Measures of the photo around the face: JPEG blockiness, how the frame cuts the
head, and other faces. (The face's own measures read the canonical view: :mod:`.quality`.)"""

from __future__ import annotations

import numpy as np

from ..color import LUMA_601
from ..faces.regions import FACE_OVAL
from ..types import Face


def blockiness(image: np.ndarray, face: Face, *, period: int) -> float:
    """JPEG blockiness inside the face box: in smooth areas, the luma step across the
    block grid over the steps beside it (0 when it cannot be read).

    Heavy compression flattens each block, so where the picture is smooth all the
    change gathers on the block edges; texture (hair, beard) is left out because it
    hides the grid. The grid offset is unknown when a photo was cropped after
    compression, so the strongest of the ``period`` offsets is taken (clean photos read
    1.2–2.6, quality ≤ 20 reads above 4).
    """
    if period < 3:
        return 0.0
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(round(t)) for t in face.box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if y1 - y0 < 4 * period or x1 - x0 < 4 * period:
        return 0.0
    step = max(1, (y1 - y0) // 160)  # rows/columns subsampled on big faces (cost)
    box = image[y0:y1, x0:x1]
    out = []
    for axis, origin in ((1, x0), (0, y0)):
        # Only the subsampled rows (or columns) are read: converting the whole box costs more.
        g = (box[::step] if axis == 1 else box[:, ::step].transpose(1, 0, 2)).astype(np.float32) @ LUMA_601
        d = np.abs(np.diff(g, axis=1))
        n = d.shape[1]
        # The mean step of the three columns each side of every column j (3 ≤ j < n − 3),
        # at index j − 3, summed once for all offsets (10 → 7.6 ms on a 12 MP face).
        near = (d[:, : n - 6] + d[:, 1 : n - 5] + d[:, 2 : n - 4] + d[:, 4 : n - 2] + d[:, 5 : n - 1] + d[:, 6:]) / 6.0
        best = 0.0
        for k in range(period):
            # The columns whose step lies on grid offset k (step j lies between pixels
            # origin + j and origin + j + 1), from the first one with three beside it.
            first = 3 + (k - origin - 4) % period
            if first >= n - 3:
                continue
            around = near[:, first - 3 :: period]
            smooth = around < SMOOTH_STEP
            if smooth.sum() < 50:
                continue
            best = max(best, float(d[:, first : n - 3 : period][smooth].mean() / max(around[smooth].mean(), 0.3)))
        out.append(best)
    return float(np.mean(out))


#: Mean luma step (0–255) below which a neighbourhood counts as smooth.
SMOOTH_STEP = 3.0


def head_margins(face: Face, size: tuple[int, int]) -> tuple[float, str]:
    """(smallest margin in face heights, which side) between the head and the frame.

    Face height = forehead top (mesh 10) to chin (152). The top is measured from a
    point 0.2 face heights above mesh 10 along the face's own up axis (the scalp:
    a tight crop through the hair is fine, one through the forehead is not); the
    sides from the face outline (cheekbones to jaw), the bottom from the chin.
    """
    w, h = size
    m = face.mesh[:, :2]
    top, chin = m[10], m[152]
    up = top - chin
    fh = float(np.linalg.norm(up)) + 1e-6
    crown = top + 0.2 * up
    oval = m[FACE_OVAL]
    margins = {
        "top": min(crown[1], top[1]) / fh,
        "bottom": (h - oval[:, 1].max()) / fh,
        "left": oval[:, 0].min() / fh,
        "right": (w - oval[:, 0].max()) / fh,
    }
    side = min(margins, key=margins.get)
    return float(margins[side]), side


def second_face(others: list[Face], subject: Face) -> float:
    """Size of the largest other face relative to the subject's (width ratio)."""
    return float(max(f.width for f in others) / max(subject.width, 1e-6)) if others else 0.0

"""Lettering on clothing: a printed word pulls the eye from the face and dates a
headshot. (A lone logo: :mod:`.logo`.)

The clothing (:class:`~likeness.coach.wardrobe.Regions`) is seen at a fixed scale
(the face ``NORM_FACE_PX`` tall, :func:`cloth_view`) and eroded away from its edges
(the silhouette, the neck and the lapels' outer line are not prints). Stable regions
(MSER) there are kept when they are character-sized and stand out from the cloth
right around them by ``MIN_CONTRAST`` grey levels, or by ``MIN_CHROMA`` on a colour
axis (blue letters on a black top have little grey contrast). *Lettering*: at least
``MIN_LETTERS`` such characters of one ink (all lighter or all darker than the
cloth, on one channel), of similar height, following one another on one line (a
word), unless the line is a row of identical marks, of slits (a coiled necklace,
folds: ``SLIT``) or the cloth is covered with such marks (dots, lace, a knit:
``ALIKE``, ``PATTERN``).

A plain suit or shirt has folds, seams and buttons, but no row of letter-sized
high-contrast marks. The limits were set on the calibration half of ``likeness eval
coach`` (the originals against words drawn onto the same clothes).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

NORM_FACE_PX = 200.0
MIN_FACE_PX = 60.0  # a smaller face: the print cannot be read
LETTER_H = (0.05, 0.30)  # character height, face heights
MIN_CONTRAST = 35.0  # grey levels between a mark and the cloth around it
MIN_CHROMA = 20.0  # the same on a colour axis (L*a*b* a* or b*, 8-bit: ~1 unit a level)
MIN_LETTERS = 3
EDGE = 0.06  # face heights of cloth left out along its edges
KERN = 1.3  # a mark this many times wider than tall is two letters run together
ALIKE = 0.12  # letters of a word differ in width, height or fill by more than this (coefficient of variation)
SLIT = 0.35  # a line whose marks are, at the median, narrower than this for their height is slits, not a word
PATTERN = 4.0  # more letter-sized marks than this many per letter on the line: a pattern (dots, lace), not a word


@dataclass(frozen=True)
class Print:
    judged: bool  # the clothing was large and sharp enough to read a print
    letters: int = 0  # characters on the longest line found
    marks: int = 0  # letter-sized marks of that ink anywhere on the cloth (a pattern has many)

    @property
    def lettering(self) -> bool:
        return self.letters >= MIN_LETTERS and self.marks <= PATTERN * self.letters


@dataclass(frozen=True)
class ClothView:
    """The clothing's bounding box at the fixed scale: the face ``NORM_FACE_PX`` tall."""

    rgb: np.ndarray  # uint8 h×w×3
    cloth: np.ndarray  # bool h×w: the clothing
    inner: np.ndarray  # bool h×w: the clothing ``EDGE`` away from its edges and the frame's
    origin: tuple[int, int] = (0, 0)  # the box's top-left corner in the photo (x, y)
    scale: float = 1.0  # view px per photo px


def cloth_view(image: np.ndarray, clothing: np.ndarray, face_height: float, *, norm: float = NORM_FACE_PX) -> ClothView | None:
    """The clothing at a fixed scale (the face ``norm`` px tall); None when it is too
    small or too far to read."""
    if face_height < MIN_FACE_PX or clothing.sum() < 400:
        return None
    ys, xs = np.nonzero(clothing)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    k = norm / face_height
    size = (max(8, round((x1 - x0) * k)), max(8, round((y1 - y0) * k)))
    rgb = cv2.resize(np.ascontiguousarray(image[y0:y1, x0:x1]), size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    mask = cv2.resize(clothing[y0:y1, x0:x1].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    e = max(3, int(EDGE * norm) | 1)
    inner = cv2.erode(np.pad(mask, 1), np.ones((e, e), np.uint8))[1:-1, 1:-1] > 0  # the frame's border is an edge too
    if inner.sum() < 200 * (norm / NORM_FACE_PX) ** 2:
        return None
    return ClothView(rgb=rgb, cloth=mask > 0, inner=inner, origin=(int(x0), int(y0)), scale=k)


def find_print(image: np.ndarray, clothing: np.ndarray, face_height: float) -> Print:
    """Printed letters on the clothing (``clothing``: bool H×W)."""
    view = cloth_view(image, clothing, face_height)
    if view is None:
        return Print(judged=False)
    lab = cv2.cvtColor(view.rgb, cv2.COLOR_RGB2Lab)
    channels = ((cv2.cvtColor(view.rgb, cv2.COLOR_RGB2GRAY), MIN_CONTRAST),
                (np.ascontiguousarray(lab[..., 1]), MIN_CHROMA), (np.ascontiguousarray(lab[..., 2]), MIN_CHROMA))
    lo, hi = (v * NORM_FACE_PX for v in LETTER_H)
    letters, spread = 0, 0
    for channel, least in channels:  # grey, and the two colour axes (blue ink on a black top has little grey contrast)
        marks = _marks(channel, view.cloth, view.inner)
        for sign in (1, -1):  # one word has one ink: lighter or darker than the cloth
            chars = [m for m in marks if lo <= m[3] <= hi and m[2] <= 2.2 * m[3] and m[4] >= least and m[6] == sign]
            line = _longest_line(chars)
            if line > letters:
                letters, spread = line, len(chars)
    return Print(judged=True, letters=letters, marks=spread)


def _marks(gray: np.ndarray, cloth: np.ndarray, inner: np.ndarray) -> list[tuple]:
    """MSER regions on the cloth and mostly inside its eroded ``inner`` part (a print
    may run up to a seam): (x, y, w, h, contrast, fill), duplicates (the same mark at
    several thresholds) merged."""
    mser = cv2.MSER_create(5, 12, int(2 * (LETTER_H[1] * NORM_FACE_PX) ** 2))  # a word's run-together letters
    regions, boxes = mser.detectRegions(gray)
    g = gray.astype(np.float32)
    h, w = gray.shape
    out = []
    for pts, (x, y, bw, bh) in zip(regions, boxes):
        if bh < 4 or bw < 2 or cloth[pts[:, 1], pts[:, 0]].mean() < 0.98 or inner[pts[:, 1], pts[:, 0]].mean() < 0.6:
            continue
        inside = float(g[pts[:, 1], pts[:, 0]].mean())
        pad = max(2, bh // 4)
        ring = g[max(0, y - pad) : min(h, y + bh + pad), max(0, x - pad) : min(w, x + bw + pad)]
        rmask = cloth[max(0, y - pad) : min(h, y + bh + pad), max(0, x - pad) : min(w, x + bw + pad)].copy()
        sub = np.zeros_like(rmask)
        sub[pts[:, 1] - max(0, y - pad), pts[:, 0] - max(0, x - pad)] = True
        around = rmask & ~cv2.dilate(sub.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        if around.sum() < 4:
            continue
        d = inside - float(np.median(ring[around]))
        out.append((int(x), int(y), int(bw), int(bh), abs(d), len(pts) / float(bw * bh), 1 if d > 0 else -1))
    out.sort(key=lambda m: -m[4])
    kept: list[tuple] = []
    for m in out:
        if not any(_iou(m, q) > 0.5 for q in kept):
            kept.append(m)
    return kept


def _weight(mark: tuple) -> int:
    """Letters in a mark: two when it is clearly wider than tall (two letters run
    together by kerning or a bold face; an O or a dot is as wide as tall), else one."""
    return 2 if mark[2] >= KERN * mark[3] else 1


def _iou(a, b) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def _longest_line(chars: list[tuple]) -> int:
    """The most characters chained side by side: similar heights, centres level, gaps
    under one character height (a word, also on a slant of up to ~20°)."""
    n = len(chars)
    if n < 2:
        return sum(_weight(c) for c in chars)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        xi, yi, wi, hi = chars[i][:4]
        for j in range(i + 1, n):
            xj, yj, wj, hj = chars[j][:4]
            if max(hi, hj) > 1.6 * min(hi, hj) or _iou(chars[i], chars[j]) > 0.2:
                continue
            gap = max(xi, xj) - min(xi + wi, xj + wj)
            dy = abs((yi + hi / 2) - (yj + hj / 2))
            if -0.3 * min(wi, wj) <= gap <= 1.0 * max(hi, hj) and dy <= 0.35 * max(hi, hj):
                parent[root(i)] = root(j)
    groups: dict[int, list[tuple]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(chars[i])
    # a mark wider than a letter is letters run together (kerning, a bold face); a row of
    # identical marks (dots, eyelets, a knit's loops) is a pattern, not a word
    return max((_in_a_row(g) for g in groups.values() if not _alike(g) and not _slits(g)), default=0)


def _in_a_row(marks: list[tuple]) -> int:
    """Letters read left to right: a mark that overlaps the one before it by more than
    kerning does is not another letter (two folds' shadows, one above the other, are
    chained through a third, but a word's letters follow one another)."""
    n, end, last_w = 0, -np.inf, 0
    for m in sorted(marks, key=lambda m: m[0]):
        if m[0] >= end - 0.3 * min(last_w, m[2]):
            n, end, last_w = n + _weight(m), m[0] + m[2], m[2]
    return n


def _slits(marks: list[tuple]) -> bool:
    """Marks mostly far narrower than tall: the gaps between a coiled necklace's turns
    or a hoodie's folds, not letters (only I and l are that narrow)."""
    return bool(np.median([m[2] / m[3] for m in marks]) < SLIT)


def _alike(marks: list[tuple]) -> bool:
    """Marks so alike in width, height and fill that they are a repeated motif."""
    if len(marks) < 3:
        return False
    a = np.array([m[2:4] + (m[5],) for m in marks], np.float64)
    spread = a.std(0) / np.maximum(a.mean(0), 1e-6)
    return bool((spread < ALIKE).all())

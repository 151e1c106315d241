"""A grey card or colour chart held in a photo: the light's colour and exposure read
from a known neutral, in place of an estimate.

- :func:`find_chart`: a 24-patch ColorChecker-style chart (OpenCV's ``cv2.mcc``
  detector, opencv-contrib). Its six grey patches give the light. Searched in every
  photo of a person's set: the chart's 24 coloured patches are too distinctive to be
  mistaken for a wall or a shirt.
- :func:`find_grey_card`: a plain grey card, only in a photo the user says is a card
  photo (``--card PHOTO``, the team CSV's ``card`` column): a plain grey card cannot be
  told apart from a grey wall, so it is never looked for in the set itself.
- :func:`card_gains`: linear-light gains (r, g, b) that make the card grey at its
  nominal lightness; :func:`render_chart` draws a chart (tests, ``eval team``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from ..color import LUMA_709, srgb_to_linear, to_float, to_uint8
from .ops import shrink

#: The 24 patches of the classic ColorChecker, sRGB (D65), rows of six; the last row is
#: the greys, white to black.
CHART_SRGB = np.array([
    (115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177), (103, 189, 170),
    (214, 126, 44), (80, 91, 166), (193, 90, 99), (94, 60, 108), (157, 188, 64), (224, 163, 46),
    (56, 61, 150), (70, 148, 73), (175, 54, 60), (231, 199, 31), (187, 86, 149), (8, 133, 161),
    (243, 243, 242), (200, 200, 200), (160, 160, 160), (122, 122, 121), (85, 85, 85), (52, 52, 52),
], np.uint8)
#: The grey patches used for the light: the white and the black are left out (the
#: white clips first, the black is mostly flare and noise).
_GREYS = (19, 20, 21, 22)
#: A grey card reflects 18 %: its nominal linear value.
GREY_CARD = 0.18
#: Longer side the chart is searched at (the detector's time grows with the pixels).
SEARCH_SIDE = 1024
#: Step between the adaptive-threshold windows the chart detector tries (OpenCV's
#: default, 9 windows from 23 to 153 px). Swept on 23 eval photos × 5 lights: charts a
#: fifth of the photo wide are found at 1.00 with steps 16 and 32, but charts an
#: eighth wide at 0.95 (16) against 0.88 (32), for 86 against 71 ms a search. Kept.
MCC_WIN_STEP = 16
#: The cheap look for a chart's colours before the detector runs (:func:`_colourful`).
GATE_SIDE, GATE_HUES, GATE_SHARE = 320, 4, 0.015
#: Bounds on a card's gains: a card reading beyond them is a misdetection or a clipped,
#: unusable card, not a light.
GAIN_RANGE = (0.4, 2.5)


@dataclass(frozen=True)
class Card:
    """A neutral found in a photo: ``kind`` ("chart" or "grey card"), its grey as
    measured (linear RGB, per patch), the nominal values it should have, and where."""

    kind: str
    measured: np.ndarray  # n×3 linear RGB
    nominal: np.ndarray  # n, linear grey values
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the photo's pixels
    cost: float = 0.0

    def gains(self) -> tuple[float, float, float] | None:
        """See :func:`card_gains`."""
        return card_gains(self)


def card_gains(card: Card) -> tuple[float, float, float] | None:
    """Linear-light gains (r, g, b) that turn the card's greys into their nominal
    values (white balance and exposure in one), or None when the card is unusable
    (clipped, or gains beyond ``GAIN_RANGE``)."""
    m = np.asarray(card.measured, np.float64)
    ok = (m.max(1) < 0.95) & (m.min(1) > 0.003)
    if not ok.any():
        return None
    # Least squares per channel through the origin: gain·measured ≈ nominal.
    g = (m[ok] * card.nominal[ok, None]).sum(0) / (m[ok] ** 2).sum(0)
    if not (np.all(g > GAIN_RANGE[0]) and np.all(g < GAIN_RANGE[1])):
        return None
    return tuple(float(v) for v in g)


_local = threading.local()


def _detector():
    """The chart detector of this thread (it keeps what it found: not shared)."""
    det = getattr(_local, "detector", None)
    if det is None:
        det = _local.detector = cv2.mcc.CCheckerDetector_create()
    return det


def _params():
    p = cv2.mcc.DetectorParameters_create()
    p.adaptiveThreshWinSizeStep = MCC_WIN_STEP
    return p


def find_chart(image: np.ndarray) -> Card | None:
    """The 24-patch chart in ``image`` (RGB, uint8 or float), or None."""
    h, w = image.shape[:2]
    f = min(1.0, SEARCH_SIDE / max(h, w))
    # Shrink first, in the photo's own type, by halves (converting 12 MP to float, or
    # one area step of 4×, costs ~0.1 s a photo on every studio run).
    small = shrink(image, (max(1, round(w * f)), max(1, round(h * f)))) if f < 1 else image
    rgb = small if small.dtype == np.uint8 else to_uint8(to_float(small))  # no float round trip (4 ms)
    if not _colourful(rgb):
        return None
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    det = _detector()
    if not det.process(bgr, cv2.mcc.MCC24, 1, False, _params()):
        return None
    checkers = det.getListColorChecker()
    if not checkers:
        return None
    c = checkers[0]
    # getChartsRGB: per patch and channel (R, G, B: the detector converts the BGR it
    # is given) a row of (pixels, mean, stddev, max, min), in 0–255 sRGB values.
    charts = np.asarray(c.getChartsRGB(), np.float64).reshape(-1, 3, 5)
    if len(charts) != 24:
        return None
    mean_rgb = charts[:, :, 1] / 255.0
    greys = list(_GREYS)
    measured = srgb_to_linear(mean_rgb[greys].astype(np.float32)).astype(np.float64)
    nominal = srgb_to_linear(CHART_SRGB[greys].astype(np.float32) / 255.0) @ LUMA_709
    box = np.asarray(c.getBox(), np.float64).reshape(-1, 2) / f
    x0, y0 = np.floor(box.min(0)).astype(int)
    x1, y1 = np.ceil(box.max(0)).astype(int)
    return Card("chart", measured, np.asarray(nominal, np.float64), (int(x0), int(y0), int(x1), int(y1)), float(c.getCost()))


def _colourful(rgb: np.ndarray) -> bool:
    """Whether ``rgb`` (uint8) has, somewhere, the saturated colours of a chart side by
    side: at least ``GATE_HUES`` of six hue sectors each covering ``GATE_SHARE`` of a
    window a tenth, a fifth or two fifths of the picture wide (at ``GATE_SIDE`` px).
    It costs 6 ms where the detector costs 80–130 (it enlarges every search to 1000 px).
    On 101 eval photos × 3 chart sizes × 5 lights it let through every chart the
    detector finds (765); on 41 other photos with charts placed elsewhere, all 416; it
    lets a third of chart-free photos through (33 of 101, 8 of 41): colourful clothes."""
    h, w = rgb.shape[:2]
    f = GATE_SIDE / max(h, w)
    s = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else rgb
    hsv = cv2.cvtColor(s, cv2.COLOR_RGB2HSV_FULL)
    vivid = (hsv[..., 1] > 0.3 * 255) & (hsv[..., 2] > 0.15 * 255)
    sector = hsv[..., 0].astype(np.int32) * 6 // 256
    side = max(s.shape[:2])
    for win in (round(side / 10), round(side / 5), round(side / 2.5)):
        hues = sum((cv2.blur((vivid & (sector == k)).astype(np.float32), (max(3, win),) * 2) > GATE_SHARE).astype(np.uint8)
                   for k in range(6))
        if int(hues.max()) >= GATE_HUES:
            return True
    return False


def find_grey_card(image: np.ndarray) -> Card | None:
    """The largest plain, near-neutral, even quadrilateral covering 1–40 % of ``image``
    (a card photo: the card fills much of the frame), or None. Only for a photo the
    user says shows a card."""
    rgb = to_float(image)
    h, w = rgb.shape[:2]
    f = min(1.0, 800 / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    lin = srgb_to_linear(small)
    # Flat pixels: almost no gradient after a light blur (sensor noise out). A card is
    # flat inside and set off from its surroundings by its edge, which is not flat.
    s = cv2.GaussianBlur(small, (0, 0), 1.5)
    grad = np.sqrt(cv2.Sobel(s, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(s, cv2.CV_32F, 0, 1) ** 2).max(2) / 8
    flat = cv2.erode((grad < 0.006).astype(np.uint8), np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    area = small.shape[0] * small.shape[1]
    best = None
    for i in range(1, n):
        a = stats[i, cv2.CC_STAT_AREA]
        if not 0.01 * area <= a <= 0.4 * area:
            continue
        mask = (labels == i).astype(np.uint8)
        cnts, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.convexHull(cnts[0])
        quad = cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True)
        if len(quad) != 4 or a < 0.85 * cv2.contourArea(hull):
            continue
        px = lin[mask > 0]
        mean = px.mean(0)
        # Even (a card is flat and uniformly lit) and not a coloured surface: a
        # chromaticity within a generous band of neutral (a strong cast is allowed).
        if px.std(0).max() > 0.15 * mean.max() or np.abs(np.log(np.maximum(mean[[0, 2]], 1e-4) / max(mean[1], 1e-4))).max() > 0.6:
            continue
        if best is None or a > best[0]:
            x, y, bw, bh = stats[i, :4]
            box = (int(x / f), int(y / f), int((x + bw) / f), int((y + bh) / f))
            best = (a, mean, box)
    if best is None:
        return None
    return Card("grey card", best[1][None].astype(np.float64), np.array([GREY_CARD]), best[2])


def render_chart(width: int) -> np.ndarray:
    """A 24-patch chart (RGB uint8), ``width`` px wide: black frame, patches in rows of
    six, each patch 0.8 of its cell."""
    cell = width / 6.4
    h = int(round(cell * 4.4))
    img = np.full((h, width, 3), 20, np.uint8)
    for k, c in enumerate(CHART_SRGB):
        r, col = divmod(k, 6)
        x0, y0 = 0.2 * cell + col * cell + 0.1 * cell, 0.2 * cell + r * cell + 0.1 * cell
        cv2.rectangle(img, (int(x0), int(y0)), (int(x0 + 0.8 * cell), int(y0 + 0.8 * cell)), tuple(int(v) for v in c), -1)
    return img


def place_chart(image: np.ndarray, chart: np.ndarray, *, center: tuple[float, float], angle: float, tilt: float = 0.0) -> np.ndarray:
    """``image`` (RGB uint8) with ``chart`` pasted at ``center`` (px), rotated by
    ``angle`` degrees, its top edge foreshortened by ``tilt`` (0–0.3: a chart held
    tipped back)."""
    ch, cw = chart.shape[:2]
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    dx = tilt * cw / 2
    dst = np.float32([[dx, 0], [cw - dx, 0], [cw, ch], [0, ch]]) - np.float32([cw / 2, ch / 2])
    t = np.deg2rad(angle)
    rot = np.float32([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    dst = dst @ rot.T + np.float32(center)
    m = cv2.getPerspectiveTransform(src, dst)
    h, w = image.shape[:2]
    warped = cv2.warpPerspective(chart, m, (w, h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
    a = (mask.astype(np.float32) / 255)[..., None]
    return (image * (1 - a) + warped * a + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class CardUse:
    """A card found for a person: the gains it gives and where it was found."""

    gains: tuple[float, float, float]
    kind: str
    source: str  # the file it was found in

    @property
    def note(self) -> str:
        return f"White balance and exposure from the {self.kind} in {self.source}."

    def apply(self, look):
        """``look`` with this card's gains in its light settings."""
        from dataclasses import replace

        return replace(look, light=replace(look.light, card=self.gains))


def find_card(photos, *, card_photo=None) -> CardUse | None:
    """The card for a person's set. ``photos``: (name, RGB image) pairs of the set,
    searched for a 24-patch chart (first found wins); ``card_photo``: (name, image) of
    a photo the user says shows a card, searched for a chart, then a plain grey card,
    and an error when neither is there (the user expects it to be used)."""
    from ..errors import InputError

    if card_photo is not None:
        name, image = card_photo
        card = find_chart(image) or find_grey_card(image)
        gains = card.gains() if card is not None else None
        if gains is None:
            raise InputError(
                f"No usable grey card or colour chart found in {name}.",
                hint="Photograph the card flat-on, filling a good part of the frame, in the same light as the "
                "person, not over-exposed; or leave out the card photo.",
                file=str(name),
            )
        return CardUse(gains, card.kind, str(name))
    return first_chart((name, find_chart(image)) for name, image in photos)


def first_chart(found: Iterable[tuple[str, Card | None]]) -> CardUse | None:
    """The first usable chart among a set's photos, in their order: (name,
    :func:`find_chart`'s result) pairs, read one at a time (the studio searches each
    photo beside intake and hands the results here)."""
    for name, card in found:
        gains = card.gains() if card is not None else None
        if gains is not None:
            return CardUse(gains, card.kind, str(name))
    return None

"""Synthetic prints and necklines for the wardrobe half of `likeness eval coach`.

Lettering: a word in one of OpenCV's Hershey fonts, capital height ``LETTER_H`` face
heights, in a colour ``INK_CONTRAST`` grey levels from the cloth under it, blurred a
little (a print, not a pixel-sharp overlay), placed where it lies wholly on the
clothing. Logo: a large mark on the chest (:func:`add_logo`). Neckline: the clothing
above a chosen row painted with the person's own skin colour (a lower neckline), with the cloth's shading kept.
"""

from __future__ import annotations

import cv2
import numpy as np

WORDS = ("SPORT", "NYC", "BRAND", "LOVE", "TEAM 23", "HELLO", "ATHLETIC", "GAME ON", "CITY", "ROCK")
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_PLAIN)
LETTER_H = (0.08, 0.18)  # capital height, face heights
LOGO_H = (0.3, 0.8)  # across, face heights: a chest print
INK_CONTRAST = 80.0


def _ink(img: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> tuple[int, int, int]:
    """A print colour clearly lighter or darker than the cloth under it."""
    g = float(np.median(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[where])) if where.any() else 128.0
    target = g + INK_CONTRAST if g < 128 else g - INK_CONTRAST
    base = rng.uniform(0, 1, 3)
    base = base / max(base.mean(), 1e-3) * target / 255.0
    return tuple(int(v) for v in np.clip(base * 255, 0, 255))


def _place(clothing: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> tuple[int, int] | None:
    """A top-left corner where a ``size`` (w, h) box lies wholly on the clothing."""
    w, h = size
    ys, xs = np.nonzero(clothing)
    if ys.size == 0:
        return None
    for _ in range(60):
        i = int(rng.integers(ys.size))
        x, y = int(xs[i]) - w // 2, int(ys[i]) - h // 2
        if x < 0 or y < 0 or y + h > clothing.shape[0] or x + w > clothing.shape[1]:
            continue
        if clothing[y : y + h, x : x + w].mean() > 0.98:
            return x, y
    return None


def _stamp(img: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int], face_height: float) -> np.ndarray:
    a = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(0.5, 0.004 * face_height))[..., None]
    return np.clip(img * (1 - a) + np.array(colour, np.float32) * a, 0, 255).astype(np.uint8)


def add_lettering(img: np.ndarray, clothing: np.ndarray, face_height: float, rng: np.random.Generator) -> np.ndarray | None:
    """A word printed on the clothing; None when no place fits it."""
    word = str(rng.choice(WORDS))
    font = int(rng.choice(FONTS))
    cap = float(rng.uniform(*LETTER_H)) * face_height
    for _ in range(3):
        (tw, th), base = cv2.getTextSize(word, font, 1.0, 1)
        scale = cap / max(th, 1)
        thick = max(1, round(scale * rng.uniform(1.5, 3.0)))
        (tw, th), base = cv2.getTextSize(word, font, scale, thick)
        pos = _place(clothing, (tw + 2 * thick, th + base + 2 * thick), rng)
        if pos is not None:
            mask = np.zeros(clothing.shape, np.uint8)
            cv2.putText(mask, word, (pos[0] + thick, pos[1] + th + thick), font, scale, 1, thick, cv2.LINE_AA)
            return _stamp(img, mask > 0, _ink(img, mask > 0, rng), face_height)
        cap *= 0.7
    return None


LOGO_KINDS = ("disc", "shield", "swoosh", "star", "ring", "glyph", "badge", "triangle")
LOGO_GLYPHS = "NMAKRZXWHE"
#: Print colours: saturated hues, white and black; one at least ``LOGO_DE`` (ΔE76) from the cloth is drawn.
LOGO_PALETTE = ((220, 30, 40), (250, 200, 20), (30, 90, 200), (20, 150, 70), (240, 120, 20), (140, 40, 160),
                (0, 170, 200), (235, 235, 235), (25, 25, 25), (200, 20, 110))
LOGO_DE = 35.0
LOGO_BELOW_CHIN = 0.45


def _logo_mask(kind: str, s: int, rng: np.random.Generator) -> np.ndarray:
    """A filled mark of ``kind`` in an ``s``×``s`` uint8 square (1 = ink)."""
    m = np.zeros((s, s), np.uint8)
    c, r = (s // 2, s // 2), s // 2 - 1
    t = np.linspace(0, 2 * np.pi, 10, endpoint=False) - np.pi / 2
    if kind == "disc":
        cv2.circle(m, c, r, 1, -1, cv2.LINE_AA)
    elif kind == "ring":
        cv2.circle(m, c, r - max(1, r // 6), 1, max(2, r // 3), cv2.LINE_AA)
    elif kind == "badge":  # a rounded square
        k = max(2, s // 6)
        cv2.rectangle(m, (k, 0), (s - 1 - k, s - 1), 1, -1)
        cv2.rectangle(m, (0, k), (s - 1, s - 1 - k), 1, -1)
        for x, y in ((k, k), (s - 1 - k, k), (k, s - 1 - k), (s - 1 - k, s - 1 - k)):
            cv2.circle(m, (x, y), k, 1, -1, cv2.LINE_AA)
    elif kind == "glyph":  # one bold capital
        ch = str(rng.choice(list(LOGO_GLYPHS)))
        font = int(rng.choice(FONTS[:4]))
        (tw, th), _ = cv2.getTextSize(ch, font, 1.0, 1)
        scale = 0.85 * s / max(th, tw, 1)
        thick = max(2, round(0.16 * s))
        (tw, th), base = cv2.getTextSize(ch, font, scale, thick)
        cv2.putText(m, ch, ((s - tw) // 2, (s + th) // 2), font, scale, 1, thick, cv2.LINE_AA)
    else:
        if kind == "shield":
            pts = [(0.1, 0.05), (0.9, 0.05), (0.9, 0.5), (0.5, 0.97), (0.1, 0.5)]
        elif kind == "swoosh":  # a crescent: an outer arc back along an inner one
            a = np.linspace(0.15 * np.pi, 0.95 * np.pi, 24)
            outer = [(0.5 + 0.48 * np.cos(x), 0.2 + 0.6 * np.sin(x)) for x in a]
            inner = [(0.5 + 0.42 * np.cos(x), 0.2 + 0.32 * np.sin(x)) for x in a[::-1]]
            pts = outer + inner
        elif kind == "triangle":
            pts = [(0.5, 0.03), (0.97, 0.9), (0.03, 0.9)]
        else:  # star
            rad = np.where(np.arange(10) % 2 == 0, 0.49, 0.22)
            pts = list(zip(0.5 + rad * np.cos(t), 0.52 + rad * np.sin(t)))
        cv2.fillPoly(m, [(np.array(pts) * (s - 1)).round().astype(np.int32)], 1, cv2.LINE_AA)
    return m


def _logo_place(clothing: np.ndarray, gray: np.ndarray, s: int, centre_x: float, face_w: float, top: int,
                rng: np.random.Generator) -> tuple[int, int] | None:
    """A top-left corner for an ``s`` px logo on the chest (the centre line or either
    side's chest), wholly on the clothing and on the most even cloth of a few tries (a
    print is on one garment, not across a lapel)."""
    best, spread = None, np.inf
    ys = np.nonzero(clothing.any(1))[0]
    ys = ys[ys >= top]
    if ys.size == 0:
        return None
    for _ in range(40):
        off = 0.0 if rng.random() < 0.5 else float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.6) * face_w)
        x = int(centre_x + off + rng.uniform(-0.1, 0.1) * face_w) - s // 2
        y = int(rng.integers(ys.min(), max(ys.min() + 1, ys.max() - s + 1)))
        if x < 0 or y < 0 or x + s > clothing.shape[1] or y + s > clothing.shape[0]:
            continue
        if clothing[y : y + s, x : x + s].mean() < 0.98:
            continue
        sd = float(gray[y : y + s, x : x + s].std())
        if sd < spread:
            best, spread = (x, y), sd
    return best


def add_logo(img: np.ndarray, clothing: np.ndarray, face_height: float, rng: np.random.Generator, *,
             centre_x: float | None = None, face_w: float | None = None, chin_y: float | None = None) -> np.ndarray | None:
    """A large mark printed on the chest: a disc, shield, swoosh, star, ring, badge,
    triangle or one bold capital, ``LOGO_H`` face heights across, in a colour clearly
    unlike the cloth, slightly turned and perspective-warped, carrying the cloth's own
    light and weave; its top ``LOGO_BELOW_CHIN`` face heights or more under the chin
    (``chin_y``; a print sits on the chest, below the collar); None when no place on the
    clothing fits it."""
    from ..color import rgb_to_lab

    if centre_x is None:
        centre_x = float(np.nonzero(clothing)[1].mean()) if clothing.any() else img.shape[1] / 2
    face_w = face_w or 0.8 * face_height
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    s = int(float(rng.uniform(*LOGO_H)) * face_height)
    kind = str(rng.choice(LOGO_KINDS))
    pos = None
    while s >= LOGO_H[0] * face_height and s >= 8:
        top = 0 if chin_y is None else int(chin_y + LOGO_BELOW_CHIN * face_height)
        pos = _logo_place(clothing, gray, s, centre_x, face_w, top, rng)
        if pos is not None:
            break
        s = int(s * 0.85)
    if pos is None:
        return None
    x, y = pos
    mark = _logo_mask(kind, s, rng).astype(np.float32)
    j = 0.08 * s  # a slightly turned, tilted print: the square's corners moved a little
    src = np.float32([[0, 0], [s, 0], [s, s], [0, s]])
    dst = src + rng.uniform(-j, j, (4, 2)).astype(np.float32)
    mark = cv2.warpPerspective(mark, cv2.getPerspectiveTransform(src, dst), (s, s), flags=cv2.INTER_LINEAR)
    alpha = np.zeros(clothing.shape, np.float32)
    alpha[y : y + s, x : x + s] = mark
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, 0.005 * face_height)) * clothing
    under = alpha > 0.5
    if not under.any():
        return None
    cloth_lab = np.median(rgb_to_lab(img[y : y + s, x : x + s][clothing[y : y + s, x : x + s]]), axis=0)
    pal = [c for c in LOGO_PALETTE if np.linalg.norm(rgb_to_lab(np.array(c, np.uint8)) - cloth_lab) >= LOGO_DE]
    colour = np.array(pal[int(rng.integers(len(pal)))] if pal else LOGO_PALETTE[0], np.float32)
    # the cloth's light (folds, the key's fall-off) and its weave, carried onto the ink
    smooth = cv2.GaussianBlur(gray, (0, 0), max(1.0, 0.03 * face_height))
    shade = np.clip(smooth / max(float(np.median(smooth[under])), 1.0), 0.6, 1.4)
    ink = colour[None, None] * shade[..., None] + 0.5 * (gray - cv2.GaussianBlur(gray, (0, 0), 1.5))[..., None]
    out = img.astype(np.float32) * (1 - alpha[..., None]) + ink * alpha[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def lower_neckline(img: np.ndarray, clothing: np.ndarray, skin_rgb: np.ndarray, row: int) -> np.ndarray:
    """The clothing above ``row`` painted with the skin colour, its shading kept."""
    out = img.astype(np.float32)
    sel = clothing.copy()
    sel[row:] = False
    if sel.any():
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        shade = g[sel] / max(float(np.median(g[sel])), 1.0)
        out[sel] = np.clip(skin_rgb[None, :] * np.clip(shade, 0.95, 1.05)[:, None], 0, 255)
    return out.astype(np.uint8)

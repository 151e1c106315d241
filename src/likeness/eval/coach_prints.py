"""Synthetic prints and necklines for the wardrobe half of `likeness eval coach`.

Lettering: a word in one of OpenCV's Hershey fonts, capital height ``LETTER_H`` face
heights, in a colour ``INK_CONTRAST`` grey levels from the cloth under it, blurred a
little (a print, not a pixel-sharp overlay), placed where it lies wholly on the
clothing. Logo: a filled shape (disc, triangle, star, ring, bar) ``LOGO_H`` face
heights across, likewise. Neckline: the clothing above a chosen row painted with the
person's own skin colour (a lower neckline), with the cloth's shading kept.
"""

from __future__ import annotations

import cv2
import numpy as np

WORDS = ("SPORT", "NYC", "BRAND", "LOVE", "TEAM 23", "HELLO", "ATHLETIC", "GAME ON", "CITY", "ROCK")
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_PLAIN)
LETTER_H = (0.08, 0.18)  # capital height, face heights
LOGO_H = (0.18, 0.35)
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


def add_logo(img: np.ndarray, clothing: np.ndarray, face_height: float, rng: np.random.Generator) -> np.ndarray | None:
    """A filled shape printed on the clothing; None when no place fits it."""
    s = int(float(rng.uniform(*LOGO_H)) * face_height)
    pos = _place(clothing, (s, s), rng)
    if pos is None or s < 6:
        return None
    x, y = pos
    c, r = (x + s // 2, y + s // 2), s // 2
    mask = np.zeros(clothing.shape, np.uint8)
    kind = str(rng.choice(["disc", "triangle", "star", "ring", "bar"]))
    if kind == "disc":
        cv2.circle(mask, c, r, 1, -1, cv2.LINE_AA)
    elif kind == "ring":
        cv2.circle(mask, c, r, 1, max(2, r // 3), cv2.LINE_AA)
    elif kind == "bar":
        cv2.rectangle(mask, (x, y + s // 3), (x + s, y + 2 * s // 3), 1, -1)
    else:
        n = 3 if kind == "triangle" else 10
        t = np.linspace(0, 2 * np.pi, n, endpoint=False) - np.pi / 2
        rad = np.full(n, r, np.float64) if kind == "triangle" else np.where(np.arange(n) % 2 == 0, r, 0.45 * r)
        pts = np.stack([c[0] + rad * np.cos(t), c[1] + rad * np.sin(t)], 1).round().astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, cv2.LINE_AA)
    return _stamp(img, mask > 0, _ink(img, mask > 0, rng), face_height)


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

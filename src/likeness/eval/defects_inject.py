"""Synthetic defects for ``likeness eval defects``: each puts one fault a viewer sees at
once into a clean studio render (uint8 image, float matte at the image's size, the
face in image px), changing the matte as the studio's own failure would have it.
Each returns ``(image, matte)`` (``crown_cut``: ``(image, matte, face, top_cut,
valid)``), or None where the defect cannot be shown on this render (say, an old
background the same colour as the backdrop: nothing would be visible).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..color import delta_e, rgb_to_lab
from ..faces import regions as R
from ..review.scene import _head
from ..types import Face


def _backdrop_rgb(img: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The backdrop behind the subject: normalised convolution of the backdrop pixels
    (at 256 px: the backdrop is smooth), back at the image's size."""
    h, w = alpha.shape
    k = 256 / max(h, w)
    sw, sh = max(8, round(w * k)), max(8, round(h * k))
    m = (cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_AREA) < 0.02).astype(np.float32)
    f = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
    sig = 0.05 * max(sw, sh)
    num = cv2.GaussianBlur(f * m[..., None], (0, 0), sig)
    den = cv2.GaussianBlur(m, (0, 0), sig)[..., None]
    mean = (f * m[..., None]).sum((0, 1)) / max(m.sum(), 1.0)
    small = np.where(den > 1e-3, num / np.maximum(den, 1e-6), mean).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _crown_row(alpha: np.ndarray, face: Face) -> int | None:
    ax, _, _, hw, _ = _head(face)
    cols = alpha[:, int(max(0, ax - 0.5 * hw)) : int(ax + 0.5 * hw + 1)]
    rows = np.nonzero((cols > 0.5).any(1))[0]
    return int(rows[0]) if len(rows) else None


def _old_background(framed, valid, alpha, rows: slice) -> np.ndarray | None:
    bg = (alpha < 0.05) & (valid > 0.99)
    bg[rows.stop:] = False
    px = framed[bg]
    return None if len(px) < 100 else np.median(px, axis=0).astype(np.float32)


def _visible(a_rgb: np.ndarray, b_rgb: np.ndarray, limit: float) -> bool:
    return float(delta_e(rgb_to_lab(np.uint8(np.clip(a_rgb, 0, 255))), rgb_to_lab(np.uint8(np.clip(b_rgb, 0, 255))))) >= limit


def background_patch(img, alpha, face: Face, framed, valid, *, rng, visible: float = 8.0):
    if framed is None or valid is None:
        return None
    h, w = alpha.shape
    _ax, eye_y, _chin, _hw, hh = _head(face)
    s = int(0.08 * w)
    src = ((alpha < 0.05) & (valid > 0.99)).astype(np.uint8)
    src = cv2.erode(src, np.ones((s + 1, s + 1), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ys, xs = np.nonzero(src)
    if not len(ys):
        return None
    i = int(rng.integers(len(ys)))
    sy, sx = ys[i] - s // 2, xs[i] - s // 2
    patch = framed[sy : sy + s, sx : sx + s].astype(np.float32)
    y = int(np.clip(eye_y - 0.3 * hh, s // 2, h - s // 2 - 1))
    row = np.nonzero(alpha[y] > 0.5)[0]
    if not len(row):
        return None
    # Beside the hair: the patch's centre on the backdrop, on a random side with room
    # (a frame the hair fills to its edge has none there; clipped back into the frame
    # the patch would sit inside the hair, another defect).
    first = 1 if rng.random() < 0.5 else -1
    for side in (first, -first):
        x = int(row.max() + 0.35 * s) if side > 0 else int(row.min() - 0.35 * s)
        x = int(np.clip(x, s // 2, w - s // 2 - 1))
        if alpha[y, x] < 0.5:
            break
    else:
        return None
    y0, x0 = y - s // 2, x - s // 2
    m = np.zeros((s, s), np.float32)
    cv2.ellipse(m, (s // 2, s // 2), (s // 2 - 1, int(s * 0.4)), float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    m = cv2.GaussianBlur(m, (0, 0), 1.0)
    out, a = img.astype(np.float32), alpha.copy()
    region = out[y0 : y0 + s, x0 : x0 + s]
    if not _visible(np.median(patch.reshape(-1, 3), 0), np.median(region.reshape(-1, 3), 0), visible):
        return None
    out[y0 : y0 + s, x0 : x0 + s] = m[..., None] * patch + (1 - m[..., None]) * region
    a[y0 : y0 + s, x0 : x0 + s] = np.maximum(a[y0 : y0 + s, x0 : x0 + s], m)
    return np.uint8(np.clip(out + 0.5, 0, 255)), a


def other_person(img, alpha, face: Face, other):
    """Another render's head, scaled to 0.8 of the subject's, cut by a side edge."""
    oimg, oa = other.image, cv2.resize(other.alpha, (other.image.shape[1], other.image.shape[0]))
    oax, oeye, ochin, ohw, ohh = _head(other.face)
    top = _crown_row(oa, other.face) or 0
    y0, y1 = int(max(0, top - 5)), int(min(oimg.shape[0], ochin + 0.15 * ohh))
    x0, x1 = int(max(0, oax - 1.4 * ohw)), int(min(oimg.shape[1], oax + 1.4 * ohw))
    crop, ca = oimg[y0:y1, x0:x1].astype(np.float32), oa[y0:y1, x0:x1]
    ax, eye_y, _chin, hw, hh = _head(face)
    k = 0.8 * hw / max(ohw, 1e-6)
    cw, ch = max(4, int((x1 - x0) * k)), max(4, int((y1 - y0) * k))
    crop, ca = cv2.resize(crop, (cw, ch)), cv2.resize(ca, (cw, ch))
    h, w = alpha.shape
    ty = int(eye_y - (oeye - y0) * k + 0.1 * hh)
    side = -1 if ax > w / 2 else 1  # the side with more room
    out, a = img.astype(np.float32), alpha.copy()
    for cut in (0.45, 0.55, 0.65):
        tx = int(-cut * cw) if side < 0 else int(w - (1 - cut) * cw)
        ys, xs = slice(max(0, ty), min(h, ty + ch)), slice(max(0, tx), min(w, tx + cw))
        cy, cx = slice(ys.start - ty, ys.stop - ty), slice(xs.start - tx, xs.stop - tx)
        if not ((ca[cy, cx] > 0.5) & (alpha[ys, xs] > 0.5)).any():
            break
    m = ca[cy, cx][..., None]
    out[ys, xs] = m * crop[cy, cx] + (1 - m) * out[ys, xs]
    a[ys, xs] = np.maximum(a[ys, xs], ca[cy, cx])
    return np.uint8(np.clip(out + 0.5, 0, 255)), a


def crown_cut(img, alpha, face: Face, valid):
    """The frame moved in so its top runs a quarter of the way from the hair's top to the eyes."""
    h, w = alpha.shape
    ax, eye_y, _chin, _hw, _hh = _head(face)
    t0 = _crown_row(alpha, face)
    if t0 is None or t0 <= 2:
        return None
    yc = int(t0 + 0.3 * (eye_y - t0))
    hc = h - yc
    wc = round(hc * w / h)
    xc = int(np.clip(ax - wc / 2, 0, w - wc))
    k = h / hc

    def crop(x):
        return cv2.resize(x[yc:, xc : xc + wc], (w, h), interpolation=cv2.INTER_LINEAR)

    def tp(p):
        p = np.array(p, np.float64, copy=True)
        p[..., 0] = (p[..., 0] - xc) * k
        p[..., 1] = (p[..., 1] - yc) * k
        return p

    mesh = None
    if face.mesh is not None:
        mesh = face.mesh.astype(np.float64).copy()
        mesh[:, :2] = tp(mesh[:, :2])
        mesh[:, 2] *= k
    b = face.box
    box = ((b[0] - xc) * k, (b[1] - yc) * k, (b[2] - xc) * k, (b[3] - yc) * k)
    f = replace(face, box=box, mesh=mesh, landmarks5=None if face.landmarks5 is None else tp(face.landmarks5), embedding=None)
    return crop(img), crop(alpha), f, False, None if valid is None else crop(valid)


def fringe(img, alpha, face: Face, framed, valid, *, visible: float = 8.0):
    """A ring of the old background's colour just outside the hair's matte edge."""
    if framed is None or valid is None:
        return None
    h, _w = alpha.shape
    _ax, _eye_y, chin, _hw, _hh = _head(face)
    old = _old_background(framed, valid, alpha, slice(0, int(chin)))
    if old is None:
        return None
    fg = (alpha > 0.5).astype(np.uint8)
    r = max(2, int(0.006 * h))
    ring = ((cv2.dilate(fg, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0) & (fg == 0))
    ring[int(chin):] = False
    if ring.sum() < 50:
        return None
    bd = _backdrop_rgb(img, alpha)
    if not _visible(old, np.median(bd[ring], 0), visible):
        return None
    o = 0.75 * cv2.GaussianBlur(ring.astype(np.float32), (0, 0), 0.5 * r)[..., None]
    out = img.astype(np.float32) * (1 - o) + old * o
    return np.uint8(np.clip(out + 0.5, 0, 255)), alpha


def flat_edge(img, alpha, face: Face):
    """The top of the hair cut along a straight line a tenth of the head down."""
    h, w = alpha.shape
    _ax, _eye_y, _chin, _hw, hh = _head(face)
    t0 = _crown_row(alpha, face)
    if t0 is None or t0 <= 2:
        return None
    line = t0 + 0.1 * hh
    yy = np.arange(h, dtype=np.float32)[:, None]
    keep = np.clip((yy - line) / 1.5, 0, 1) * np.ones((1, w), np.float32)
    bd = _backdrop_rgb(img, alpha)
    out = keep[..., None] * img.astype(np.float32) + (1 - keep[..., None]) * bd
    out = np.where(alpha[..., None] > 0.01, out, img.astype(np.float32))
    return np.uint8(np.clip(out + 0.5, 0, 255)), alpha * keep


def occlusion(img, alpha, face: Face):
    """A hand-coloured shape (the cheeks' colour, a little redder, shaded) over the mouth."""
    m = face.mesh
    if m is None:
        return None
    h, w = alpha.shape
    cheeks = np.zeros((h, w), np.uint8)
    for idx in (R.CHEEK_R, R.CHEEK_L):
        cv2.fillPoly(cheeks, [np.round(m[idx, :2]).astype(np.int32)], 1)
    if cheeks.sum() < 20:
        return None
    skin = np.median(img[cheeks > 0], axis=0).astype(np.float32) * np.array([1.0, 0.94, 0.92], np.float32)
    cx, cy = m[[13, 14], :2].mean(0)
    mw = float(np.linalg.norm(m[61, :2] - m[291, :2]))
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (int(cx), int(cy)), (int(0.8 * mw), int(0.5 * mw)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.04 * mw))[..., None]
    yy = (np.arange(h, dtype=np.float32)[:, None, None] - cy) / max(mw, 1.0)
    hand = skin * (1.0 - 0.08 * np.clip(yy, -1, 1))
    out = mask * hand + (1 - mask) * img.astype(np.float32)
    return np.uint8(np.clip(out + 0.5, 0, 255)), alpha

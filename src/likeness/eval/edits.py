"""Synthetic failures (and harmless changes) of real photos, to measure the review.

Each edit imitates one complaint about AI headshots on a real photo and its face
(from ``likeness.faces.analyze``); all regions come from the face mesh:

- :func:`lighten_skin` — "it lightened my skin": L* of the face skin raised until the
  median cheek colour has moved by exactly ``delta_e`` ΔE2000 (bisection on the
  measured result); eyes, brows and lips untouched, edges feathered. Also on two other
  regions (``REGIONS``): the skin mask grown by 0.1 inter-eye distances, and the whole
  face oval with a soft edge.
- :func:`plastic_skin` — "plastic skin": a strong edge-preserving (surface) blur on
  the face skin: two bilateral passes, σ_space 0.1 inter-eye distances, σ_colour 35/255.
- :func:`recolour_iris` — "changed my eye colour": the iris ring's hue turned to blue
  (245°) for warm (brown/hazel) irises, to brown (60°) for cool ones, chroma at least
  14, lightness kept; pupil and lids untouched.
- :func:`add_face` — "two faces": another person's face (an elliptical, feathered cut
  around their face box) pasted at 0.6–1.0× the subject's face width, fully inside
  the frame, its face box off the subject's (smaller, down to 0.4×, when the frame
  has no room: a tight 250 px crop).
- :func:`relight` — harmless changes a studio makes (exposure, white balance, an
  S-curve with saturation, a one-sided fill, downsizing + JPEG 80): these must pass.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..color import rgb_to_lab, to_uint8
from ..types import Face

BENIGN = ("exposure", "white_balance", "contrast", "fill", "jpeg")


def _rgb(lab: np.ndarray) -> np.ndarray:
    return to_uint8(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB))


def _crop_box(image: np.ndarray, face: Face, margin: float = 0.25) -> tuple[int, int, int, int]:
    """The face mesh's bounding box grown by ``margin`` of its size (edits work there)."""
    p = face.mesh[:, :2]
    (x0, y0), (x1, y1) = p.min(0), p.max(0)
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    h, w = image.shape[:2]
    return int(max(0, x0 - mx)), int(max(0, y0 - my)), int(min(w, x1 + mx + 1)), int(min(h, y1 + my + 1))


def _on_crop(image: np.ndarray, face: Face, fn) -> np.ndarray:
    """Run ``fn(crop, face_in_crop)`` on the face's crop and paste the result back."""
    from dataclasses import replace

    x0, y0, x1, y1 = _crop_box(image, face)
    mesh = face.mesh.copy()
    mesh[:, 0] -= x0
    mesh[:, 1] -= y0
    out = image.copy()
    out[y0:y1, x0:x1] = fn(np.ascontiguousarray(image[y0:y1, x0:x1]), replace(face, mesh=mesh))
    return out


#: Where :func:`lighten_skin` may act: the face mesh's skin mask (the review's own), that
#: mask grown by 0.1 inter-eye distances, or the whole face oval with a soft edge.
REGIONS = ("skin", "skin_grown", "face")


def _skin(image: np.ndarray, face: Face, feather: float, *, region: str = "skin"):
    from ..faces.masks import skin_masks
    from ..faces.regions import FACE_OVAL

    m = skin_masks(face.mesh, image.shape[:2])
    if region == "face":  # eyes, lips and nose too, the edge blurred on both sides
        oval = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(oval, [np.round(face.mesh[FACE_OVAL, :2] * 16).astype(np.int32)], 1, shift=4)
        return np.clip(cv2.GaussianBlur(oval.astype(np.float32), (0, 0), max(0.8, 0.08 * m.inter_eye)), 0, 1), m
    mask = m.skin
    if region == "skin_grown":
        r = max(1, int(round(0.1 * m.inter_eye)))
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    elif region != "skin":
        raise ValueError(f"unknown region {region!r}; one of {REGIONS}")
    sig = max(0.8, feather * m.inter_eye)
    return np.clip(cv2.GaussianBlur(mask, (0, 0), sig), 0, 1) * mask, m


def lighten_skin(image: np.ndarray, face: Face, *, delta_e: float = 5.0, darker: bool = False,
                 region: str = "skin") -> tuple[np.ndarray, float]:
    """(edited image, ΔE2000 of the median cheek colour actually reached); ``darker``:
    L* lowered instead of raised, by the same measured amount. ``region``: one of
    ``REGIONS`` (the others than "skin" show how much the review's no-source skin lock
    depends on the edit's edge lying on its own skin outline)."""
    reached = []

    def fn(crop, f):
        out, de = _lighten(crop, f, delta_e, sign=-1.0 if darker else 1.0, region=region)
        reached.append(de)
        return out

    out = _on_crop(image, face, fn)
    return out, reached[0]


def _lighten(image: np.ndarray, face: Face, delta_e: float, *, sign: float = 1.0,
             region: str = "skin") -> tuple[np.ndarray, float]:
    from ..color import delta_e as de2000

    alpha, m = _skin(image, face, 0.04, region=region)
    cheeks = m.cheeks > 0
    lab = rgb_to_lab(image)
    base = np.median(lab[cheeks], axis=0)

    def reach(dl: float) -> float:  # ΔE of the cheeks after 8-bit rounding, cheeks only
        moved = lab[cheeks].copy()
        moved[:, 0] = np.clip(moved[:, 0] + sign * alpha[cheeks] * dl, 0, 100)
        return float(de2000(base, np.median(rgb_to_lab(_rgb(moved[None]))[0], axis=0)))

    # ΔE grows almost linearly with the shift: a few secant steps reach it.
    x0, f0, x1 = 0.0, -delta_e, 6.0
    de = reach(x1)
    for _ in range(12):
        if abs(de - delta_e) < 0.05:
            break
        f1 = de - delta_e
        x2 = x1 - f1 * (x1 - x0) / (f1 - f0) if f1 != f0 else x1 + 1.0
        x0, f0, x1 = x1, f1, float(np.clip(x2, 0.0, 60.0))
        de = reach(x1)
    moved = lab.copy()
    moved[..., 0] = np.clip(moved[..., 0] + sign * alpha * x1, 0, 100)
    out = _rgb(moved)
    de = float(de2000(base, np.median(rgb_to_lab(out)[cheeks], axis=0)))
    return out, de


def plastic_skin(image: np.ndarray, face: Face) -> np.ndarray:
    return _on_crop(image, face, _plastic)


def _plastic(image: np.ndarray, face: Face) -> np.ndarray:
    alpha, m = _skin(image, face, 0.06)
    # A surface blur this wide is slow at full size: run it where the eyes are ≤ 64 px
    # apart and bring it back up (what it removes is fine detail anyway).
    k = min(1.0, 64.0 / max(m.inter_eye, 1e-6))
    x = image if k == 1.0 else cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    for _ in range(2):
        x = cv2.bilateralFilter(x, -1, 35, max(2.0, 0.1 * m.inter_eye * k))
    if k < 1.0:
        x = cv2.resize(x, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_CUBIC)
    out = image.astype(np.float32) * (1 - alpha[..., None]) + x.astype(np.float32) * alpha[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def recolour_iris(image: np.ndarray, face: Face) -> tuple[np.ndarray, float]:
    """(edited image, hue it was turned to in degrees)."""
    hues = []

    def fn(crop, f):
        out, hue = _recolour(crop, f)
        hues.append(hue)
        return out

    out = _on_crop(image, face, fn)
    return out, hues[0]


def _recolour(image: np.ndarray, face: Face) -> tuple[np.ndarray, float]:
    from ..faces.regions import EYE_L, EYE_R, IRIS

    h, w = image.shape[:2]
    m = face.mesh[:, :2]
    eye = np.zeros((h, w), np.uint8)
    for idx in (EYE_R, EYE_L):
        cv2.fillPoly(eye, [np.round(m[idx] * 16).astype(np.int32)], 1, shift=4)
    ring = np.zeros((h, w), np.float32)
    for c, rim in IRIS:
        r = float(np.linalg.norm(m[list(rim)] - m[c], axis=1).mean())
        x0, y0 = int(max(0, m[c, 0] - r - 2)), int(max(0, m[c, 1] - r - 2))
        x1, y1 = int(min(w, m[c, 0] + r + 3)), int(min(h, m[c, 1] + r + 3))
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.hypot(xx - m[c, 0], yy - m[c, 1])
        soft = max(0.6, 0.15 * r)
        a = np.clip((r - d) / soft, 0, 1) * np.clip((d - 0.3 * r) / soft, 0, 1)
        ring[y0:y1, x0:x1] = np.maximum(ring[y0:y1, x0:x1], a)
    alpha = ring * (eye > 0)
    lab = rgb_to_lab(image)
    sel = alpha > 0.5
    if not sel.any():
        return image.copy(), 0.0
    a_med, b_med = np.median(lab[sel][:, 1]), np.median(lab[sel][:, 2])
    hue = float(np.degrees(np.arctan2(b_med, a_med))) % 360
    target = 245.0 if (hue < 150 or hue > 330) else 60.0
    chroma = np.maximum(np.hypot(lab[..., 1], lab[..., 2]), 14.0)
    new = lab.copy()
    new[..., 1], new[..., 2] = chroma * np.cos(np.radians(target)), chroma * np.sin(np.radians(target))
    out = lab * (1 - alpha[..., None]) + new * alpha[..., None]
    return _rgb(out), target


def add_face(image: np.ndarray, face: Face, donor: np.ndarray, donor_face: Face, *, seed: int) -> np.ndarray:
    """Paste ``donor_face`` (of ``donor``) at 0.6–1.0× the subject's face width, fully in
    the frame and off the subject's face box; where the frame has no such room the
    paste shrinks (down to 0.4×) and then overlaps the subject's face least."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = donor_face.box
    cw, ch = x1 - x0, y1 - y0
    X0, Y0 = int(max(0, x0 - 0.25 * cw)), int(max(0, y0 - 0.45 * ch))
    X1, Y1 = int(min(donor.shape[1], x1 + 0.25 * cw)), int(min(donor.shape[0], y1 + 0.25 * ch))
    crop = donor[Y0:Y1, X0:X1]
    fx0, fy0 = x0 - X0, y0 - Y0  # the donor's face box inside the crop
    bx0, by0, bx1, by1 = face.box
    share = rng.uniform(0.6, 1.0)
    best = None  # (overlap share of the pasted face box, px, py, s, pw, ph)
    while True:
        s = share * face.width / max(cw, 1e-6)
        pw, ph = min(w, max(8, round(crop.shape[1] * s))), min(h, max(8, round(crop.shape[0] * s)))
        for _ in range(200):
            px, py = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
            qx0, qy0 = px + fx0 * s, py + fy0 * s  # the pasted *face* box
            ov = (max(0.0, min(qx0 + cw * s, bx1) - max(qx0, bx0)) * max(0.0, min(qy0 + ch * s, by1) - max(qy0, by0))
                  / max(cw * ch * s * s, 1e-6))
            if best is None or ov < best[0]:
                best = (ov, px, py, s, pw, ph)
            if ov == 0:
                break
        if best[0] <= 0.1 or share <= 0.4:
            break
        share = max(0.4, share * 0.9)
    _, px, py, s, pw, ph = best
    patch = cv2.resize(crop, (pw, ph), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    a = np.clip((1 - ((xx - pw / 2) / (pw / 2)) ** 2 - ((yy - ph / 2) / (ph / 2)) ** 2) * 4, 0, 1)[..., None]
    out = image.astype(np.float32)
    out[py : py + ph, px : px + pw] = out[py : py + ph, px : px + pw] * (1 - a) + patch.astype(np.float32) * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def relight(image: np.ndarray, kind: str, *, face: Face | None = None) -> np.ndarray:
    """A harmless whole-image change of one of the ``BENIGN`` kinds. ``jpeg`` shrinks
    to 70 % but never below 64 px between the eyes of ``face`` (a delivered headshot is
    not smaller than that), then saves at JPEG quality 80."""
    from ..color import linear_to_srgb, srgb_to_linear, to_float, to_uint8

    x = to_float(image)
    lin = srgb_to_linear(x)

    def back(v):
        return to_uint8(linear_to_srgb(v))

    if kind == "exposure":
        return back(lin * 1.4)  # +0.5 EV
    if kind == "white_balance":
        return back(lin * np.array([1.12, 1.0, 0.86], np.float32))  # warmer
    if kind == "contrast":  # S-curve, then 10 % more saturation
        y = x + 0.3 * (x * x * (3 - 2 * x) - x)
        g = y.mean(2, keepdims=True)
        return to_uint8(g + 1.1 * (y - g))
    if kind == "fill":  # one side of the picture lifted by up to 30 % (0.4 EV)
        return back(lin * np.linspace(1.3, 1.0, image.shape[1], dtype=np.float32)[None, :, None])
    if kind == "jpeg":
        k = 0.7 if face is None else float(np.clip(64.0 / max(face.inter_eye, 1e-6), 0.7, 1.0))
        small = image if k == 1.0 else cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", small[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
        return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])
    raise ValueError(f"unknown benign change {kind!r}; one of {BENIGN}")

"""`likeness eval intake DIR`: do the quality measures catch known degradations?

Real photos from ``DIR/identities`` (at least ``MIN_SIDE`` px on their short side) are
degraded in ten known ways, each strong enough that a person would retake the photo
(parameters in ``DEGRADATIONS`` and in the JSON). Every degraded photo is encoded as
a JPEG (quality 95; the compression degradation uses its own quality) and goes
through the same path as a user's photo (:func:`likeness.intake.check.inspect`).
Per degradation the JSON gives ``flag_rate`` (share of degraded photos that the
matching measure fails) and ``clean_flag_rate`` (share of the untouched originals
that the same measure fails), so a measure cannot pass by failing everything.
A degraded photo in which no face is found counts as *not* flagged (and is counted
in ``no_face``): losing the face is not the measure working.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..imageio import is_image_path, load_photo
from ..types import Face, PhotoCheck

MIN_SIDE = 600
SEED = 7

#: name → (matching measure, parameters). Lengths are in inter-eye distances (IED)
#: of the face in the original photo, so the strength is the same on every photo size.
DEGRADATIONS: dict[str, tuple[str, dict]] = {
    "blur": ("sharpness", {"gaussian_sigma_ied": 0.035}),
    "jpeg": ("compression", {"jpeg_quality": 12}),
    "underexposed": ("brightness", {"ev": -3.0}),
    "overexposed": ("overexposure", {"ev": 2.0}),
    "side_light": ("illumination", {"ev_across_face": -3.0, "side": "random"}),
    "roll": ("roll", {"degrees": 30.0, "sign": "random"}),
    "head_cut": ("head_margins", {"top_cut_at": "mid-forehead (even photos)", "side_cut_at": "outer eye corner − 0.25 IED (odd)"}),
    "small_face": ("inter_eye", {"inter_eye_px": 30}),
    "eye_bar": ("eyes_visible", {"height_ied": 0.55, "width_ied": 1.9, "colour": "near-black"}),
    "second_face": ("single_face", {"width_vs_subject": 0.8, "from": "another identity of the set"}),
}


# --- degradations (pure functions of the full-resolution RGB image) ------------------


def _linear(img: np.ndarray) -> np.ndarray:
    x = img.astype(np.float32) / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    x = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def blur(img, face, rng, *, gaussian_sigma_ied):
    return cv2.GaussianBlur(img, (0, 0), gaussian_sigma_ied * face.inter_eye)


def exposure(img, face, rng, *, ev):
    return _srgb(_linear(img) * 2.0**ev)


def side_light(img, face, rng, *, ev_across_face, side):
    """Light falls off across the face (like a lamp or window on one side only)."""
    m = face.mesh
    x0, x1 = m[234, 0], m[454, 0]  # face sides at the cheekbones
    xs = np.arange(img.shape[1], dtype=np.float32)
    t = np.clip((xs - x0) / max(x1 - x0, 1.0), 0, 1)
    t = t * t * (3 - 2 * t)  # smooth ramp over the face, flat outside
    if rng.random() < 0.5:
        t = 1 - t
    gain = 2.0 ** (ev_across_face * t)
    return _srgb(_linear(img) * gain[None, :, None])


def roll(img, face, rng, *, degrees, sign):
    ang = degrees * (1 if rng.random() < 0.5 else -1)
    c = tuple(float(v) for v in face.center)
    M = cv2.getRotationMatrix2D(c, ang, 1.0)
    return cv2.warpAffine(img, M, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def head_cut(img, face, rng, *, top_cut_at, side_cut_at, index=0):
    m = face.mesh
    h, w = img.shape[:2]
    if index % 2 == 0:
        brow = m[[105, 334], 1].mean()
        y = int(round((m[10, 1] + brow) / 2))  # mid-forehead: crown and hair gone
        return img[max(0, y) :]
    ied = face.inter_eye
    if rng.random() < 0.5:  # cut the image-left side of the head
        x = int(round(m[33, 0] - 0.25 * ied))
        return img[:, max(0, x) :]
    x = int(round(m[263, 0] + 0.25 * ied))
    return img[:, : min(w, x)]


def small_face(img, face, rng, *, inter_eye_px):
    k = inter_eye_px / face.inter_eye
    if k >= 1:
        return img
    size = (max(32, round(img.shape[1] * k)), max(32, round(img.shape[0] * k)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def eye_bar(img, face, rng, *, height_ied, width_ied, colour):
    a, b = face.eye_centers()
    c = (a + b) / 2
    ang = float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))
    ied = face.inter_eye
    box = cv2.boxPoints(((float(c[0]), float(c[1])), (width_ied * ied, height_ied * ied), ang))
    out = img.copy()
    cv2.fillConvexPoly(out, np.round(box).astype(np.int32), (18, 18, 20), lineType=cv2.LINE_AA)
    return out


def second_face(img, face, rng, *, width_vs_subject, donor: tuple[np.ndarray, Face]):
    """Paste another person's face (feathered oval) beside the subject's."""
    dimg, dface = donor
    k = width_vs_subject * face.width / dface.width
    x0, y0, x1, y1 = dface.box
    pw, ph = (x1 - x0) * 0.75, (y1 - y0) * 0.9
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.1 * (y1 - y0)
    sx0, sy0 = int(max(0, cx - pw)), int(max(0, cy - ph))
    patch = dimg[sy0 : int(cy + ph), sx0 : int(cx + pw)]
    patch = cv2.resize(patch, (max(8, round(patch.shape[1] * k)), max(8, round(patch.shape[0] * k))), interpolation=cv2.INTER_AREA)
    ph_, pw_ = patch.shape[:2]
    alpha = np.zeros((ph_, pw_), np.float32)
    cv2.ellipse(alpha, (pw_ // 2, ph_ // 2), (int(pw_ * 0.42), int(ph_ * 0.46)), 0, 0, 360, 1.0, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, 0.04 * pw_))[..., None]
    h, w = img.shape[:2]
    fx0, fy0, fx1, fy1 = face.box
    room_l, room_r = fx0, w - fx1
    # Beside the subject, on the side with more room, at the same height; a photo too
    # tight for a whole second face gets a wider canvas (as a wider shot would be).
    out = img
    gap = 0.15 * face.width
    if max(room_l, room_r) < pw_ + gap:
        extra = int(pw_ + gap - max(room_l, room_r)) + 1
        pad = ((0, 0), (extra, 0), (0, 0)) if room_l >= room_r else ((0, 0), (0, extra), (0, 0))
        out = np.pad(img, pad, mode="edge")
        if room_l >= room_r:
            fx0, fx1, room_l = fx0 + extra, fx1 + extra, room_l + extra
        w = out.shape[1]
    else:
        out = img.copy()
    px = int(fx0 - gap - pw_) if room_l >= room_r else int(fx1 + gap)
    py = int(np.clip((fy0 + fy1) / 2 - ph_ / 2, 0, max(0, out.shape[0] - ph_)))
    px = int(np.clip(px, 0, w - pw_))
    region = out[py : py + ph_, px : px + pw_].astype(np.float32)
    a = alpha[: region.shape[0], : region.shape[1]]
    out[py : py + ph_, px : px + pw_] = (region * (1 - a) + patch[: region.shape[0], : region.shape[1]] * a).astype(np.uint8)
    return out


_FUNCS: dict[str, Callable] = {
    "blur": blur, "jpeg": lambda img, face, rng, **k: img, "underexposed": exposure, "overexposed": exposure,
    "side_light": side_light, "roll": roll, "head_cut": head_cut, "small_face": small_face,
    "eye_bar": eye_bar, "second_face": second_face,
}


def degrade(name: str, img: np.ndarray, face: Face, *, seed: int, index: int = 0, donor=None) -> tuple[np.ndarray, int]:
    """(degraded RGB image, JPEG quality to save it with)."""
    _, params = DEGRADATIONS[name]
    rng = np.random.default_rng(seed)
    kw = {k: v for k, v in params.items() if k != "jpeg_quality"}
    if name == "head_cut":
        kw["index"] = index
    if name == "second_face":
        kw = {"width_vs_subject": params["width_vs_subject"], "donor": donor}
    out = _FUNCS[name](img, face, rng, **kw)
    return out, int(params.get("jpeg_quality", 95))


def _jpeg(img: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def photos(root: Path, *, min_side: int = MIN_SIDE) -> list[Path]:
    out = []
    for p in sorted((root / "identities").glob("*/*")):
        if is_image_path(p):
            with Image.open(p) as im:
                if min(im.size) >= min_side:
                    out.append(p)
    return out

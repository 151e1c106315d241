"""Camera frames for `likeness eval coach`: a real photo seen as a camera preview,
with a known problem applied, and the frame-to-frame jitter of a live camera.

The *view* is a crop of the photo around the face, as the camera would frame a
person sitting for a headshot (head at ``head_share`` of the frame height, eyes at
42 % from the top, portrait 3:4 or landscape 4:3), scaled so its longer side is
``PREVIEW`` px. Problems that move the camera (too far, head cut off) are other
crops of the same photo; the others are applied to the view: roll (rotation), yaw
(the face mesh turned in 3-D and the picture warped with it), one-sided light and
under-exposure (the intake degradations of :mod:`.intake`), motion blur, and closed
eyes (each eye's opening filled with the lid skin above it, lashes drawn). Lengths
are in inter-eye distances, so the strength is the same on every photo.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from ..faces.regions import EYE_L, EYE_R
from ..types import Face
from . import intake as degr

PREVIEW = 640

#: problem → (direction key the coach must say first, parameters)
PROBLEMS: dict[str, tuple[str, dict]] = {
    "roll": ("roll", {"degrees": 25.0, "sign": "random"}),
    "yaw": ("yaw", {"degrees": 45.0, "sign": "further the way the face already turns (random when within 3° of frontal)",
                    "how": "the 3-D mesh rotated rigidly about its centre, projected straight on; piecewise-affine warp, near side drawn last"}),
    "too_far": ("too_far", {"head_share": 0.11}),
    "cut_off": ("cut_off", {"even": "eyes at 10 % of the frame height (crown cut)",
                            "odd": "a side edge through the cheek, 1/4 of the face width in (random side)"}),
    "side_light": ("side_light", dict(degr.DEGRADATIONS["side_light"][1])),
    "underexposed": ("dark", dict(degr.DEGRADATIONS["underexposed"][1])),
    "motion_blur": ("blur", {"length_ied": 0.3, "angle": "random"}),
    "eyes_closed": ("eyes_closed", {"lids": "skin shaded from above the eye to below it, lash line"}),
}
JITTER = {"shift_frame": 0.006, "gain": 0.04, "noise_sigma": 1.5, "jpeg_quality": 80}


def view(img: np.ndarray, face: Face, *, head_share: float, portrait: bool, eyes_y: float = 0.42,
         eyes_x: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(preview, 2×3 matrix photo → preview) of a camera framing the face."""
    from ..faces.geometry import head_geometry

    g = head_geometry(face)
    fh = g.height / head_share
    size = (round(PREVIEW * 0.75), PREVIEW) if portrait else (PREVIEW, round(PREVIEW * 0.75))
    k = size[1] / fh
    cx, cy = g.center
    M = np.array([[k, 0, size[0] * eyes_x - k * cx], [0, k, size[1] * eyes_y - k * cy]], np.float64)
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    src, Ms = img, M
    if k < 0.5:  # shrink in steps: one warp would alias
        f = 1
        while k * f * 2 <= 0.5:
            src, f = cv2.pyrDown(src), f * 2
        Ms = M @ np.diag([f, f, 1.0])
        interp = cv2.INTER_LINEAR
    out = cv2.warpAffine(src, Ms, size, flags=interp, borderMode=cv2.BORDER_REPLICATE)
    return out, M


def scale_of(matrix: np.ndarray) -> float:
    return float(np.hypot(matrix[0, 0], matrix[1, 0]))


def motion_blur(img: np.ndarray, face: Face, rng: np.random.Generator, *, length_ied: float, angle: str) -> np.ndarray:
    n = max(3, round(length_ied * face.inter_eye))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    R = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, R, (n, n))
    return cv2.filter2D(img, -1, k / max(k.sum(), 1e-6), borderType=cv2.BORDER_REPLICATE)


def eyes_closed(img: np.ndarray, face: Face, rng: np.random.Generator, *, lids: str) -> np.ndarray:
    """Each eye's opening covered by its lid: skin shaded from the colour just above
    the eye (the upper lid) to the colour just below it, and a lash line along the
    lower lid."""
    out = img.astype(np.float32)
    m = face.mesh[:, :2]
    ied = face.inter_eye
    ys = np.arange(img.shape[0], dtype=np.float32)[:, None]
    for idx in (EYE_R, EYE_L):
        p = m[idx]
        c = p.mean(0)
        poly = c + (p - c) * np.array([1.15, 1.6])
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(poly * 4).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=2)

        def skin(dy: float) -> np.ndarray:  # the skin in a band the eye's shape, shifted up or down
            band = np.zeros_like(mask)
            cv2.fillPoly(band, [np.round((poly + np.array([0.0, dy * ied])) * 4).astype(np.int32)], 255, shift=2)
            sel = (band > 0) & (mask == 0)
            return np.median(img[sel], axis=0) if sel.sum() > 5 else np.median(img[mask > 0], axis=0)

        top, bottom = float(poly[:, 1].min()), float(poly[:, 1].max())
        t = np.clip((ys - top) / max(bottom - top, 1.0), 0, 1)[..., None]  # 0 at the lid's top, 1 at the lash line
        shade = skin(-0.14)[None, None, :] * (1 - t) + skin(0.12)[None, None, :] * t
        a = (cv2.GaussianBlur(mask, (0, 0), max(0.8, 0.025 * ied)).astype(np.float32) / 255.0)[..., None]
        out = out * (1 - a) + shade * a
        lower = m[idx[:9]]  # the lower lid's contour, corner to corner: the closed lid's edge
        line = lower + np.array([0.0, -0.05 * ied])
        cv2.polylines(out, [np.round(line * 4).astype(np.int32)], False, (35, 28, 25), max(1, int(0.025 * ied)),
                      lineType=cv2.LINE_AA, shift=2)
    return np.clip(out, 0, 255).astype(np.uint8)


def yaw(img: np.ndarray, face: Face, rng: np.random.Generator, *, degrees: float, sign: str, how: str,
        sgn: float | None = None) -> np.ndarray:
    """The face turned by ``degrees`` about the vertical axis through the mesh's centre:
    the 3-D mesh is rotated rigidly and projected straight on, and the picture follows
    it triangle by triangle, farthest first so the near side covers the far one
    (triangles turned away from the camera are not drawn). A ring around the head and
    the frame's border stay put; the background between stretches."""
    from scipy.spatial import Delaunay

    if sgn is None:
        sgn = 1.0 if rng.random() < 0.5 else -1.0
    ang = np.radians(degrees) * sgn
    mesh = face.mesh.astype(np.float64)
    c = mesh.mean(0)
    new = mesh.copy()
    # mediapipe z grows away from the camera; a turn towards the image's right (+yaw)
    # takes the image-right side back: x' = cx + dx cos + dz sin, z' = cz − dx sin + dz cos.
    dx, dz = mesh[:, 0] - c[0], mesh[:, 2] - c[2]
    new[:, 0] = c[0] + dx * np.cos(ang) - dz * np.sin(ang)
    new[:, 2] = c[2] + dx * np.sin(ang) + dz * np.cos(ang)
    h, w = img.shape[:2]
    r = 1.6 * face.width
    ring = np.array([[c[0] + r * np.cos(t), c[1] + 1.2 * r * np.sin(t)] for t in np.linspace(0, 2 * np.pi, 24, endpoint=False)])
    border = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1], [w / 2, 0], [w / 2, h - 1], [0, h / 2], [w - 1, h / 2]])
    src = np.vstack([mesh[:, :2], ring, border])
    dst = np.vstack([new[:, :2], ring, border])
    depth = np.concatenate([new[:, 2], np.full(len(ring) + len(border), new[:, 2].max() + 1.0)])
    tri = Delaunay(src).simplices  # the triangles of the face as it is (well formed)

    def area(p: np.ndarray) -> np.ndarray:
        return (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])

    facing = np.sign(area(src[tri])) == np.sign(area(dst[tri]))
    out = img.copy()
    for s in tri[facing][np.argsort(-depth[tri[facing]].mean(1))]:  # farthest first
        d, sp = dst[s].astype(np.float32), src[s].astype(np.float32)
        x0, y0 = np.floor(d.min(0)).astype(int)
        x1, y1 = np.ceil(d.max(0)).astype(int) + 1
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        A = cv2.getAffineTransform(d - np.float32([x0, y0]), sp)
        patch = cv2.warpAffine(img, A, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT101)
        mk = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mk, np.round((d - [x0, y0]) * 4).astype(np.int32), 1, shift=2)
        region = out[y0:y1, x0:x1]
        region[mk > 0] = patch[mk > 0]
    return out


def roll(img: np.ndarray, face: Face, rng: np.random.Generator, *, degrees: float, sign: str) -> np.ndarray:
    ang = degrees * (1 if rng.random() < 0.5 else -1)
    M = cv2.getRotationMatrix2D(tuple(float(v) for v in face.center), ang, 1.0)
    return cv2.warpAffine(img, M, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def on_view(problem: str, img: np.ndarray, face: Face, rng: np.random.Generator) -> np.ndarray:
    """A problem applied to the clean view (``face`` in view pixels)."""
    params = {k: v for k, v in PROBLEMS[problem][1].items()}
    if problem == "roll":
        return roll(img, face, rng, **params)
    if problem == "yaw":  # further the way the face already turns (either way when it looks straight on)
        base = face.pose.yaw if face.pose is not None else 0.0
        return yaw(img, face, rng, sgn=float(np.sign(base)) if abs(base) >= 3.0 else None, **params)
    if problem == "side_light":
        return degr.side_light(img, face, rng, **params)
    if problem == "underexposed":
        return degr.exposure(img, face, rng, **params)
    if problem == "motion_blur":
        return motion_blur(img, face, rng, **params)
    if problem == "eyes_closed":
        return eyes_closed(img, face, rng, **params)
    raise KeyError(problem)


def jitter(img: np.ndarray, rng: np.random.Generator) -> bytes:
    """One camera frame: a small shake, gain flicker and sensor noise, as the page's JPEG."""
    h, w = img.shape[:2]
    s = JITTER["shift_frame"] * max(w, h)
    M = np.float32([[1, 0, rng.uniform(-s, s)], [0, 1, rng.uniform(-s, s)]])
    out = cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    out = out * (1 + rng.uniform(-JITTER["gain"], JITTER["gain"])) + rng.normal(0, JITTER["noise_sigma"], out.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=JITTER["jpeg_quality"])
    return buf.getvalue()

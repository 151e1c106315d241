"""`likeness eval intake DIR`: do the quality measures catch known degradations?

Real photos from ``DIR/identities`` (at least ``MIN_SIDE`` px on their short side) are
degraded in eleven known ways, each strong enough that a person would retake the
photo (parameters in ``DEGRADATIONS`` and in the JSON; lengths in inter-eye
distances, so the strength is the same on every photo size). Every degraded photo is
encoded as a JPEG (quality 95; the compression degradation uses its own quality) and
goes through the same path as a user's photo (:func:`likeness.intake.inspection.inspect`).

Per degradation the JSON gives ``flag_rate`` (share of degraded photos that the
matching measure fails), ``clean_flag_rate`` (share of the untouched original files
that the same measure fails: a measure cannot pass by failing everything) and the
photos it ``missed``. A degraded photo in which no face is found counts as *not*
flagged (``no_face``): losing the face is not the measure working. ``clean_flags``
lists every measure's failures on the originals (press and red-carpet photos can
have real problems), and ``portraits_clean`` the failure rates on ``DIR/portraits``,
ordinary phone portraits that were not used to set the limits.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..color import linear_to_srgb, srgb_to_linear, to_uint8
from ..imageio import is_image_path, load_photo
from ..faces.regions import FACE_OVAL
from ..types import Face, PhotoCheck

MIN_SIDE = 600
SEED = 7

#: name → (matching measure, parameters). Lengths are in inter-eye distances (IED)
#: of the face in the original photo, so the strength is the same on every photo size.
DEGRADATIONS: dict[str, tuple[str, dict]] = {
    "blur": ("sharpness", {"gaussian_sigma_ied": 0.025}),
    "jpeg": ("compression", {"jpeg_quality": 20}),
    "underexposed": ("brightness", {"ev": -3.0}),
    "overexposed": ("overexposure", {"ev": 2.0}),
    "side_light": ("illumination", {"ev_across_face": -3.0, "side": "the side already darker (fill light removed)"}),
    "roll": ("roll", {"degrees": 30.0, "sign": "random"}),
    "head_cut": ("head_margins", {"top_cut_at": "mid-forehead (even photos)", "side_cut_at": "through the cheek, 1/4 of the face width in, random side (odd)"}),
    "small_face": ("inter_eye", {"inter_eye_px": 30}),
    "eye_bar": ("eyes_visible", {"height_ied": 0.55, "width_ied": 1.9, "colour": "near-black"}),
    "second_face": ("single_face", {"width_vs_subject": 0.8, "from": "another identity of the set"}),
    "face_mask": ("mouth_occlusion", {"covers": "nose bridge to chin, cheek to cheek", "colour": "surgical blue, shaded, 3 pleats"}),
}


# --- degradations (pure functions of the full-resolution RGB image) ------------------


def _linear(img: np.ndarray) -> np.ndarray:
    return srgb_to_linear(img)


def _srgb(lin: np.ndarray) -> np.ndarray:
    return to_uint8(linear_to_srgb(lin))


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
    # The light keeps coming from where it came (the fill on the shadow side is taken
    # away): the half of the face that is already darker gets darker.
    lin = _linear(img)
    y0, y1 = int(max(0, m[[33, 263], 1].mean())), int(m[[61, 291], 1].mean())
    cx = int(m[6, 0])
    left = lin[y0:y1, int(max(0, x0)) : cx].mean()
    right = lin[y0:y1, cx : int(x1)].mean()
    if right > left:
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
    ox0, ox1 = m[FACE_OVAL, 0].min(), m[FACE_OVAL, 0].max()
    if rng.random() < 0.5:  # the frame's left edge runs through the cheek
        return img[:, max(0, int(round(ox0 + 0.25 * (ox1 - ox0)))) :]
    return img[:, : min(w, int(round(ox1 - 0.25 * (ox1 - ox0))))]


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


def face_mask(img, face, rng, *, covers, colour):
    """A surgical face mask over the nose, mouth and chin (shaded, with pleats)."""
    m = face.mesh[:, :2]
    oval_lo = [93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323]
    top = m[195]
    poly = np.vstack([m[[234]] * 0.5 + m[[123]] * 0.5, top[None], m[[454]] * 0.5 + m[[352]] * 0.5, m[oval_lo[::-1]]])
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 4).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=2)
    ys = np.arange(h, dtype=np.float32)[:, None]
    shade = 0.85 + 0.15 * np.clip((ys - top[1]) / max(m[152, 1] - top[1], 1.0), 0, 1)  # darker under the chin
    base = np.array([168, 198, 222], np.float32)[None, None] * shade[..., None]
    cloth = np.broadcast_to(base, (h, w, 3)).copy()
    ied = face.inter_eye
    for t in (0.35, 0.55, 0.75):  # pleats
        y = int(top[1] + t * (m[152, 1] - top[1]))
        cv2.line(cloth, (0, y), (w - 1, y), (135, 165, 190), max(1, int(0.04 * ied)), cv2.LINE_AA)
    a = (cv2.GaussianBlur(mask, (0, 0), max(0.7, 0.01 * ied)).astype(np.float32) / 255.0)[..., None]
    return (img * (1 - a) + cloth * a).astype(np.uint8)


_FUNCS: dict[str, Callable] = {
    "blur": blur, "jpeg": lambda img, face, rng, **k: img, "underexposed": exposure, "overexposed": exposure,
    "side_light": side_light, "roll": roll, "head_cut": head_cut, "small_face": small_face,
    "eye_bar": eye_bar, "second_face": second_face, "face_mask": face_mask,
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


def run(
    root: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
    only: Sequence[str] | None = None,
) -> dict:
    """Flag rates per degradation on the photos of ``root/identities`` (see module doc).

    ``limit`` takes that many photos spread over the set and ``only`` some of the
    degradations (quick checks; the acceptance numbers use everything).
    """
    from ..faces import analyze
    from ..intake.inspection import ANALYSE_SIDE, inspect, inspect_path

    t0 = time.perf_counter()
    files = photos(root)
    if limit:
        files = files[:: max(1, len(files) // limit)][:limit]
    if not files:
        from ..errors import InputError

        raise InputError(f"No photos of at least {MIN_SIDE} px in {root / 'identities'}.",
                         hint="Give the evaluation folder, e.g. ../shared/eval.")
    names = [n for n in DEGRADATIONS if only is None or n in only]
    total = len(files) * (1 + len(names))
    done = 0
    subjects: list[tuple[Path, np.ndarray, Face]] = []
    skipped: list[str] = []
    clean: dict[str, PhotoCheck] = {}
    for p in files:
        img = load_photo(p).image
        faces = analyze(img, embed=False, subject_only=True)
        c = inspect_path(p)
        if not faces or faces[0].mesh is None or c.error:
            skipped.append(_name(p))
            continue
        subjects.append((p, img, faces[0]))
        clean[_name(p)] = c
    counts = {n: {"flagged": 0, "no_face": 0, "n": 0, "missed": []} for n in names}
    for k, (p, img, face) in enumerate(subjects):
        done += 1
        for name in names:
            donor = None
            if name == "second_face":  # the next photo of somebody else
                donor = next((s[1:] for s in subjects[k + 1 :] + subjects[:k] if s[0].parent != p.parent), None)
                if donor is None:
                    continue
            out, quality = degrade(name, img, face, seed=SEED + k, index=k, donor=donor)
            data = _jpeg(out, quality)
            label = f"{_name(p)}+{name}"
            photo = load_photo(data, max_side=ANALYSE_SIDE, name=label)
            c = inspect(photo, reload=lambda side, d=data, n=label: load_photo(d, max_side=side, name=n), embed=False)
            row = counts[name]
            row["n"] += 1
            m = c.measures.get(DEGRADATIONS[name][0])
            if c.error:
                row["no_face"] += 1
                row["missed"].append(_name(p))
            elif m is not None and not m.ok:
                row["flagged"] += 1
            else:
                row["missed"].append(_name(p))
            done += 1
            if progress:
                progress(done, total)
    result: dict = {}
    for name in names:
        measure, params = DEGRADATIONS[name]
        row = counts[name]
        cflags = sum(1 for c in clean.values() if not c.measures[measure].ok)
        result[name] = {
            "measure": measure,
            "flag_rate": round(row["flagged"] / max(row["n"], 1), 4),
            "clean_flag_rate": round(cflags / max(len(clean), 1), 4),
            "n": row["n"],
            "no_face": row["no_face"],
            "params": params,
            "missed": row["missed"],
        }
    clean_flags = {}
    for c in clean.values():
        for k2, m in c.measures.items():
            if not m.ok:
                clean_flags.setdefault(k2, []).append(_name(Path(c.source)))
    ok = all(r["flag_rate"] >= TARGET_FLAG and r["clean_flag_rate"] <= TARGET_CLEAN for r in result.values())
    portraits = _portraits_clean(root, limit=limit)
    return {
        "photos": len(subjects),
        "min_side": MIN_SIDE,
        "seed": SEED,
        "skipped": skipped,
        "targets": {"flag_rate": TARGET_FLAG, "clean_flag_rate": TARGET_CLEAN},
        "pass": ok,
        "degradations": result,
        "clean_flags": clean_flags,
        "portraits_clean": portraits,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _portraits_clean(root: Path, *, limit: int | None) -> dict:
    """Share of the held-out portraits (phone selfies, not used to set the limits)
    that each measure fails: how often a real user's ordinary photo is coached."""
    from ..intake.inspection import inspect_path

    files = sorted((root / "portraits" / "images").glob("*.jpg"))[:limit]
    checks = [inspect_path(p) for p in files]
    measured = [c for c in checks if not c.error]
    fails: dict[str, int] = {}
    for c in measured:
        for k, m in c.measures.items():
            if not m.ok:
                fails[k] = fails.get(k, 0) + 1
    return {
        "n": len(measured),
        "no_face": len(checks) - len(measured),
        "unusable_rate": round(sum(1 for c in measured if not _usable(c)) / max(len(measured), 1), 4),
        "flag_rate": {k: round(v / max(len(measured), 1), 4) for k, v in sorted(fails.items(), key=lambda kv: -kv[1])},
    }


def _usable(c: PhotoCheck) -> bool:
    from ..intake.select import MAJOR

    return all(c.measures[k].ok for k in MAJOR if k in c.measures)


TARGET_FLAG = 0.95
TARGET_CLEAN = 0.10


def _name(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"

"""Wardrobe half of `likeness eval coach`: the advice on real photos against every
built-in Look.

Photos: the head-and-shoulders portraits (``DIR/portraits``, with their hand-drawn
person masks as the matte) and ``DIR/photos/single``. For every photo with clothing
in view and every built-in Look with a fixed backdrop, the person is put on the
Look's backdrop (:func:`likeness.coach.wardrobe.composite`) and the clothing–backdrop
contrast (ΔE2000 between the clothing at the silhouette and the backdrop beside it)
is measured; the JSON gives its spread over the pairs the advice flags (``blend``)
and over those it does not. Fine stripes (period ``STRIPE_WEB`` px at web size,
random direction) are then drawn onto each photo's clothing: ``stripes_flag_rate``
must be ≥ ``TARGET_STRIPES``; ``original_flag_rates`` says how often each check
fires on the photos as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

STRIPE_WEB = (2.5, 5.0)  # px at web size (see likeness.coach.wardrobe.WEB_FACE_PX)
STRIPE_AMPLITUDE = 0.25  # luma modulation
TARGET_STRIPES = 0.9
SEED = 5


def _photos(root: Path) -> list[tuple[Path, Path | None]]:
    out = [(p, root / "portraits" / "masks" / f"{p.stem}.png") for p in sorted((root / "portraits" / "images").glob("*.jpg"))]
    from ..imageio import is_image_path

    out += [(p, None) for p in sorted((root / "photos" / "single").glob("*")) if is_image_path(p)]
    return out


def add_stripes(img: np.ndarray, clothing: np.ndarray, face_height: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Fine square-wave stripes on the clothing; (image, period at web size)."""
    from ..coach.wardrobe import WEB_FACE_PX

    web = float(rng.uniform(*STRIPE_WEB))
    p = web * face_height / WEB_FACE_PX
    ang = np.radians(float(rng.choice([0.0, 90.0, 45.0, 135.0])))
    ys, xs = np.mgrid[0 : img.shape[0], 0 : img.shape[1]].astype(np.float32)
    wave = np.sign(np.sin(2 * np.pi * (xs * np.cos(ang) + ys * np.sin(ang)) / p))
    wave = cv2.GaussianBlur(wave, (0, 0), 0.5)  # a woven edge, not a perfect step
    gain = 1 + STRIPE_AMPLITUDE * wave * clothing
    return np.clip(img * gain[..., None], 0, 255).astype(np.uint8), web


def run(root: Path, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None,
        sheet: Path | None = None) -> dict:
    from ..coach.wardrobe import BLEND_DE, advise, builtin_looks, regions
    from ..faces.subject import find_faces, pick_subject
    from ..imageio import load_photo

    looks = builtin_looks()
    files = _photos(root)[:limit] if limit else _photos(root)
    rng = np.random.default_rng(SEED)
    pairs: list[dict] = []
    striped, fired, judged, skipped = [], {"blend": 0, "stripes": 0, "neckline": 0}, 0, []
    for i, (p, mask_path) in enumerate(files):
        img = load_photo(p, max_side=1600).image
        faces = find_faces(img)
        if not faces or faces[0].mesh is None:
            skipped.append(p.name)
            continue
        face = pick_subject(faces, (img.shape[1], img.shape[0]))
        if face.mesh is None:
            skipped.append(p.name)
            continue
        person = None
        if mask_path is not None and mask_path.exists():
            m = np.asarray(Image.open(mask_path).convert("L").resize((img.shape[1], img.shape[0]))).astype(np.float32) / 255
            person = cv2.GaussianBlur(m, (0, 0), 1.0)
        r = regions(img, face, person=person)
        for look in looks:
            w = advise(img, face, look=look, person=r.person)
            if not w.visible:
                break
            c = w.contrast.get(look)
            if c is None:
                continue
            pairs.append({"photo": p.name, "look": look, "contrast": c, "flagged": any(a.key == "blend" for a in w.advice)})
        else:
            judged += 1
            w = advise(img, face, look=looks[0], person=r.person)
            for a in w.advice:
                if a.key != "blend":
                    fired[a.key] += 1
            s_img, web = add_stripes(img, r.clothing, r.face_height, rng)
            ws = advise(s_img, face, look=looks[0], person=r.person)
            striped.append({"photo": p.name, "period_web": round(web, 2), "flagged": any(a.key == "stripes" for a in ws.advice),
                            "peak": ws.stripe_peak, "found_period_web": ws.stripe_period_web,
                            "original_peak": w.stripe_peak, "original_period_web": w.stripe_period_web})
        if progress:
            progress(i + 1, len(files))
    flagged = [q for q in pairs if q["flagged"]]
    clear = [q for q in pairs if not q["flagged"]]
    out = {
        "looks": list(looks), "photos_judged": judged, "no_face": skipped, "blend_below_de2000": BLEND_DE,
        "pairs": len(pairs), "flagged": _spread(flagged), "not_flagged": _spread(clear),
        "flagged_by_look": {lk: sum(1 for q in flagged if q["look"] == lk) for lk in looks},
        "flagged_pairs": sorted(flagged, key=lambda q: q["contrast"]),
        "stripes": {"n": len(striped), "flag_rate": round(sum(s["flagged"] for s in striped) / max(len(striped), 1), 4),
                    "target": TARGET_STRIPES, "period_web_px": list(STRIPE_WEB), "amplitude": STRIPE_AMPLITUDE,
                    "missed": [s for s in striped if not s["flagged"]], "all": striped},
        "original_flag_rates": {k: round(v / max(judged, 1), 4) for k, v in fired.items() if k != "blend"},
    }
    if sheet is not None and flagged and clear:
        contact_sheet(root, sheet, [min(flagged, key=lambda q: q["contrast"]), max(clear, key=lambda q: q["contrast"])])
    return out


def _spread(rows: list[dict]) -> dict:
    if not rows:
        return {"n": 0}
    c = np.array([q["contrast"] for q in rows])
    return {"n": len(rows), "min": round(float(c.min()), 2), "p50": round(float(np.median(c)), 2), "max": round(float(c.max()), 2)}


def contact_sheet(root: Path, out: Path, rows: list[dict]) -> Path:
    """Each (photo, Look) pair as the quick render, side by side, labelled."""
    from ..coach.wardrobe import composite, regions
    from ..faces.subject import find_faces, pick_subject
    from ..imageio import load_photo

    tiles = []
    for q in rows:
        p, mask = next((a, b) for a, b in _photos(root) if a.name == q["photo"])
        img = load_photo(p, max_side=1600).image
        face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
        person = None
        if mask is not None and mask.exists():
            person = np.asarray(Image.open(mask).convert("L").resize((img.shape[1], img.shape[0]))).astype(np.float32) / 255
        r = regions(img, face, person=person)
        h, w = img.shape[:2]
        comp = composite(img, r.person, q["look"], (face.center[0] / w, face.center[1] / h))
        k = 600 / h
        tile = cv2.resize(comp, (int(w * k), 600), interpolation=cv2.INTER_AREA)
        label = f"{q['look']}  dE2000 {q['contrast']:.1f}  {'FLAGGED' if q['flagged'] else 'ok'}"
        cv2.rectangle(tile, (0, 0), (tile.shape[1], 28), (255, 255, 255), -1)
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    sheet = np.concatenate(tiles, axis=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out)
    return out

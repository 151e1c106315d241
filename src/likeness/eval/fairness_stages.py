"""The per-photo measures of ``likeness eval fairness`` (each by the stage's own eval
functions) and the per-band figures with bootstrap intervals over them."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

BOOT = 1000
#: Intake refusals of the eval set looked at (5 Dec 2026) and judged right, with what
#: the photo shows. A refusal not listed counts as wrong (``intake_wrongly_refused``),
#: as every refusal does on photos nobody has looked at. Looked at and not listed:
#: portraits/00094 (a window's light strong on one side, the face's detail kept: usable)
#: and human__stock_emotions_a/02 (a studio portrait, the head turned beyond intake's
#: limit, which a photographer might well deliver).
RIGHT_REFUSALS = {
    "portraits/00014.jpg": "soft: the whole face is blurred",
    "portraits/00398.jpg": "opaque black sunglasses",
    "portraits/00669.jpg": "tinted sunglasses: the eyes show only faintly through them",
    "portraits/00887.jpg": "squinting into the sun: the eyes are slits behind the glasses",
}


def _subject(path: Path, *, max_side: int = 1024):
    from ..faces import analyze
    from ..imageio import load_photo

    img = load_photo(path, max_side=max_side).image
    found = analyze(img, embed=False, subject_only=True)
    return img, (found[0] if found and found[0].mesh is not None else None)


def band_row(path: Path) -> dict:
    from ..review.locks import glasses_state
    from ..review.result import ReviewSettings
    from .fairness import balanced_skin_lab, ita

    img, face = _subject(path)
    if face is None:
        return {"ita": None, "glasses": None}
    lab, score = balanced_skin_lab(img, face)
    return {"ita": None if lab is None else round(ita(lab), 2), "skin_lab_balanced": lab,
            "glasses": glasses_state(score, ReviewSettings())}


def intake_row(path: Path) -> dict:
    from ..intake.inspection import inspect_path
    from .intake import _usable

    c = inspect_path(path)
    if c.error:
        return {"intake_refused": True, "intake_flagged": True, "intake_failed": ["no face"]}
    failed = sorted(k for k, m in c.measures.items() if not m.ok)
    return {"intake_refused": not _usable(c), "intake_flagged": bool(failed), "intake_failed": failed}


def matting_row(image_path: Path, mask_path: Path) -> dict:
    from ..matting import matte
    from .matting import _read_mask, _read_rgb, iou

    image = _read_rgb(image_path)
    truth = _read_mask(mask_path, image.shape) > 127
    return {"matting_iou": iou(matte(image).alpha >= 0.5, truth)}


def studio_row(path: Path) -> dict:
    """The studio's headshot of the photo: skin ΔE2000, identity distance, evenness."""
    from ..color import delta_e
    from ..errors import LikenessError
    from ..faces import analyze
    from ..faces.view import face_view
    from ..imageio import load_photo
    from ..intake import check as intake
    from ..studio.light import face_uniformity
    from ..studio.pipeline import make_headshot
    from .studio import identity_distance

    sitting = intake([path])
    if not sitting.ranking:
        return {"studio_usable": False}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _, r = make_headshot(path, Path(tmp) / "h.jpg", face=sitting.photos[0].face)
        except LikenessError as exc:
            return {"studio_usable": True, "studio_error": str(exc)}
    src = load_photo(path, max_side=2048).image
    fin = analyze(src, embed=False, subject_only=True)
    fout = analyze(r.image, embed=False, subject_only=True)
    if not fin or not fout or fin[0].mesh is None or fout[0].mesh is None:
        return {"studio_usable": True, "studio_error": "face not found again"}
    a, b = face_view(src, fin[0]).skin_lab(), face_view(r.image, fout[0]).skin_lab()
    row = {"studio_usable": True, "studio_skin_before": a, "studio_skin_after": b,
           "studio_evenness_before": float(r.measures["uniformity_before"]),
           "studio_evenness_after": face_uniformity(r.image, r.face),
           "studio_identity": identity_distance(src, r.image),
           "studio_gains": [float(r.measures.get(k, float("nan"))) for k in ("gain_r", "gain_g", "gain_b")]}
    if a is not None and b is not None:
        row["studio_skin_de"] = float(delta_e(np.array(a), np.array(b)))
    return row


def retouch_row(path: Path, *, seed: int, index: int) -> dict:
    from ..imageio import load_photo
    from .retouch import evaluate_photo

    row = evaluate_photo(load_photo(path, max_side=2048).image, seed=seed, index=index)
    if row is None:
        return {}
    return {"retouch_texture": row["texture"],
            "retouch_blemish_removal": float(np.mean([float(np.clip(1 - r, 0, 1)) for _, r in row["removal"]]))}


def review_by_band(root: Path, band_of_person: dict, *, per_person: int | None, seed: int,
                   cache: Path | None = None) -> dict:
    """Review figures per band: the review eval's data once (kept in ``cache``: the
    descriptors do not change when a lock's rule does), its summary per group of people
    (genuine and catch rates with their counts)."""
    import hashlib
    import pickle

    from .fairness import VERSION
    from .review import summarize
    from .review_data import analyse_all

    f = None
    if cache is not None:
        key = hashlib.sha1(f"{Path(root).resolve()}|{per_person}|{seed}|{VERSION}".encode()).hexdigest()
        f = cache / f"review-{key}.pkl"
    if f is not None and f.exists():
        groups, orig, framed, edited = pickle.loads(f.read_bytes())
    else:
        groups, orig, framed, edited = analyse_all(root, per_person=per_person, seed=seed)
        if f is not None:
            f.write_bytes(pickle.dumps((groups, orig, framed, edited)))
    out = {}
    bands = sorted({b for b in band_of_person.values() if b})
    for b in bands:
        keep = {p for p in groups if band_of_person.get(p) == b}
        if len(keep) < 2:
            continue
        sub = {k: v for k, v in orig.items() if v.person in keep}
        res = summarize({p: groups[p] for p in keep}, sub, {k: framed[k] for k in sub},
                        {n: {k: r for k, r in e.items() if k in sub} for n, e in edited.items()},
                        seconds=0.0, seed=seed, max_side=1024)
        out[b] = _review_figures(res)
    return out


def _review_figures(res: dict) -> dict:
    fails = {f["photo"] for f in res["genuine_failures"]}
    others = set(res.get("other_faces_in_genuine", {}).get("photos", ()))
    alone = res["genuine"] - len(others)  # photos whose framed candidate shows the person alone
    d = res.get("skin_shift_detail", {})
    return {
        "review_genuine": [True] * (res["genuine"] - len(fails)) + [False] * len(fails),
        "review_genuine_single_person": [True] * (alone - len(fails - others)) + [False] * len(fails - others),
        "review_skin_caught": _bools(res.get("skin_shift_caught"), d.get("n")),
        "review_skin_caught_unseen": _bools(res.get("skin_shift_caught_unseen"), d.get("n_unseen")),
        "review_skin_curve_unseen": res.get("skin_curve_unseen"),
    }


def _relit_photo_skin(r: dict) -> np.ndarray | None:
    """The photo's skin (linear RGB) under the studio's intended light: its global
    gains (white balance, exposure, match) applied. None when not measured."""
    from ..color import lab_to_rgb, srgb_to_linear

    a, g = r.get("studio_skin_before"), r.get("studio_gains")
    if a is None or r.get("studio_skin_after") is None or g is None or not np.isfinite(g).all():
        return None
    return (srgb_to_linear(np.clip(lab_to_rgb(np.array(a, np.float32)[None, None]), 0, 1)) * np.float32(g))[0, 0]


def _skin_de_light_removed(r: dict, *, same_brightness: bool = False) -> float | None:
    """Skin ΔE2000 photo → headshot once the studio's own global light change (its
    white balance, exposure and match gains, linear) is applied to the photo's skin:
    what the fill, wrap, retouch and grade did to the skin. ``same_brightness``: the
    relit photo's skin is also scaled (linear light, so its chromaticity is kept) to
    the headshot skin's luminance, so a deliberate brightening (the fill lifting a
    shaded cheek, the exposure) is not read as a change of skin tone: what is left is
    the change of the skin's colour itself."""
    from ..color import at_luminance_of, delta_e, linear_to_srgb, rgb_to_lab

    lin = _relit_photo_skin(r)
    if lin is None:
        return None
    b = np.array(r["studio_skin_after"], np.float32)
    if same_brightness:
        lin = at_luminance_of(lin, b)
    return float(delta_e(rgb_to_lab(linear_to_srgb(np.clip(lin, 0, 1))[None, None])[0, 0], b))


def _skin_change(r: dict) -> dict:
    """Signed photo → headshot changes of the skin: lightness (L*), chroma (C*), and
    the chroma change made by the white balance and global light alone."""
    from ..color import linear_to_srgb, rgb_to_lab

    a, b = r.get("studio_skin_before"), r.get("studio_skin_after")
    if a is None or b is None:
        return {}
    out = {"dL": float(b[0] - a[0]), "dC": float(np.hypot(b[1], b[2]) - np.hypot(a[1], a[2]))}
    lin = _relit_photo_skin(r)
    if lin is not None:
        lab = rgb_to_lab(linear_to_srgb(np.clip(lin, 0, 1))[None, None])[0, 0]
        out["dC_light"] = float(np.hypot(lab[1], lab[2]) - np.hypot(a[1], a[2]))
    return out


def _bools(rate: float | None, n: int | None) -> list[bool]:
    if rate is None or not n:
        return []
    k = round(rate * n)
    return [True] * k + [False] * (n - k)


def _boot(values: list, stat, *, seed: int = 0) -> dict:
    v = np.asarray(values, np.float64)
    if not len(v):
        return {"value": None, "n": 0}
    rng = np.random.default_rng(seed)
    samples = [stat(v[rng.integers(0, len(v), len(v))]) for _ in range(BOOT)]
    lo, hi = np.percentile(samples, [5, 95])
    return {"value": round(float(stat(v)), 4), "n": len(v), "ci90": [round(float(lo), 4), round(float(hi), 4)]}


def figures(rows: list[dict], review: dict) -> dict:
    """The figures of one group of photos, each with its count and bootstrap interval."""

    def col(k):
        return [r[k] for r in rows if r.get(k) is not None and r[k] == r[k]]

    def p(q):
        return lambda x: np.percentile(x, q)

    kept = [x for x in (_skin_de_light_removed(r) for r in rows) if x is not None]
    tone = [x for x in (_skin_de_light_removed(r, same_brightness=True) for r in rows) if x is not None]
    change = [_skin_change(r) for r in rows]

    def ch(k):
        return [c[k] for c in change if k in c]
    out = {
        "intake_refused": _boot(col("intake_refused"), np.mean),
        "intake_wrongly_refused": _boot([bool(r["intake_refused"]) and r.get("photo") not in RIGHT_REFUSALS
                                         for r in rows if r.get("intake_refused") is not None], np.mean),
        "intake_flagged": _boot(col("intake_flagged"), np.mean),
        "matting_iou_mean": _boot(col("matting_iou"), np.mean),
        "matting_iou_p10": _boot(col("matting_iou"), p(10)),
        "studio_skin_de_median": _boot(col("studio_skin_de"), np.median),
        "studio_skin_de_p95": _boot(col("studio_skin_de"), p(95)),
        "studio_skin_de_light_removed_p95": _boot(kept, p(95)),
        "studio_skin_tone_de_median": _boot(tone, np.median),
        "studio_skin_tone_de_p95": _boot(tone, p(95)),
        "studio_skin_dL_median": _boot(ch("dL"), np.median),
        "studio_skin_dC_median": _boot(ch("dC"), np.median),
        "studio_skin_dC_light_median": _boot(ch("dC_light"), np.median),
        "studio_identity_p95": _boot(col("studio_identity"), p(95)),
        "studio_evenness_before": _boot(col("studio_evenness_before"), np.mean),
        "studio_evenness_after": _boot(col("studio_evenness_after"), np.mean),
        "retouch_texture": _boot(col("retouch_texture"), np.mean),
        "retouch_blemish_removal": _boot(col("retouch_blemish_removal"), np.mean),
    }
    for k in ("review_genuine", "review_genuine_single_person", "review_skin_caught", "review_skin_caught_unseen"):
        out[k] = _boot(review.get(k, []), np.mean)
    if review.get("review_skin_curve_unseen"):
        out["review_skin_curve_unseen"] = review["review_skin_curve_unseen"]
    by_measure = defaultdict(int)
    n = 0
    for r in rows:
        if "intake_failed" in r:
            n += 1
            for m in r["intake_failed"]:
                by_measure[m] += 1
    out["intake_flag_rate_by_measure"] = {m: round(k / n, 4) for m, k in sorted(by_measure.items())} if n else {}
    return out

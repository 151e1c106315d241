"""`likeness eval review DIR`: do the review gates pass the person and stop the failures?

On ``DIR/identities/<source>__<person>/*`` (real photos; folder = person):

- **Genuine** (must pass): each photo is a candidate against the enrolment of the
  person's *other* photos (leave-one-out) → ``genuine_pass_rate``; every gate counts.
  Faces below the review's minimum size fail as "too small to review"; they are
  counted as failures and listed (``too_small``), and the rate without them is given
  too (``genuine_pass_rate_reviewable``); so are photos with other people in them
  (press photos with bystanders fail the one-face gate, as a headshot should:
  ``other_faces_in_genuine``, ``genuine_pass_rate_single_person``).
- **Impostor** (must fail): each photo against the enrolment of every *other* person
  (all their photos) → ``impostor_pass_rate`` (the whole review) and
  ``impostor_identity_pass_rate`` (the likeness gate alone).
- **Edits** (must fail) of each photo whose unedited version passes
  (:mod:`likeness.review.edits`): skin lightened by exactly 5 ΔE2000, plastic skin,
  iris recoloured, a second person's face pasted in. Two protocols:
  ``*_caught``: the person's enrolment includes the photo the edit was made from —
  the studio and face-locked case, where a candidate is made from one of the user's
  own photos; ``*_caught_unseen``: leave-one-out enrolment — the case of an image
  made without a source photo, where only the person's differently lit photos are there
  to compare with.
- **Harmless changes** (must pass, source enrolled): exposure +0.5 EV, white balance,
  S-curve + saturation, one-sided fill, downsizing + JPEG → ``benign_pass_rate``.

Each photo and each edited image is analysed once (faces, then the review's
descriptor); references are built from those descriptors. Seeded: runs repeat.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp"}
TARGETS = {
    "genuine_pass_rate": (">=", 0.95),
    "impostor_pass_rate": ("<=", 0.001),
    "skin_shift_caught": (">=", 0.95),
    "plastic_caught": (">=", 0.95),
    "eye_colour_caught": (">=", 0.9),
    "extra_face_caught": (">=", 0.99),
}
EDITS = ("skin_shift", "plastic", "eye_colour", "extra_face")


@dataclass
class Rec:
    """One analysed image: its subject face, all faces and the review descriptor."""

    key: str
    person: str
    face: object = None
    faces: list | None = None
    stats: object = None
    size: tuple[int, int] = (0, 0)
    info: float | None = None  # skin edit: ΔE2000 reached; iris edit: 1 if turned blue


def photos(root: Path, *, people: int | None = None, per_person: int | None = None) -> dict[str, list[Path]]:
    base = Path(root) / "identities"
    groups: dict[str, list[Path]] = {}
    for d in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_EXTS)
        if len(files) >= 2:
            groups[d.name] = files[:per_person] if per_person else files
        if people and len(groups) >= people:
            break
    return groups


def _analyse(image: np.ndarray, key: str, person: str) -> Rec:
    """What ``review()`` sees of an image (its faces and descriptor), computed once."""
    from ..review import describe
    from ..review.gate import candidate_faces

    image = np.ascontiguousarray(image)
    face, faces = candidate_faces(image)
    if face is None:
        return Rec(key, person, size=(image.shape[1], image.shape[0]))
    return Rec(key, person, face, faces, describe(image, face), (image.shape[1], image.shape[0]))


def run(
    root: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    people: int | None = None,
    per_person: int | None = None,
    seed: int = 0,
    max_side: int = 1024,
) -> dict:
    """Review metrics over ``root/identities`` (see the module docstring)."""
    t0 = time.perf_counter()
    groups, orig, edited = analyse_all(root, progress=progress, people=people, per_person=per_person, seed=seed,
                                       max_side=max_side)
    return summarize(groups, orig, edited, seconds=time.perf_counter() - t0, seed=seed, max_side=max_side)


def analyse_all(root: Path, *, progress=None, people=None, per_person=None, seed: int = 0, max_side: int = 1024):
    """(groups, originals, edited) — every photo and every edit analysed once."""
    from ..errors import NotFoundError
    from ..imageio import load_photo
    from ..review import edits

    groups = photos(root, people=people, per_person=per_person)
    if len(groups) < 2:
        raise NotFoundError(f"Fewer than two people with two photos under {Path(root) / 'identities'}.",
                            hint="Give the evaluation folder, e.g. ../shared/eval.")
    items = [(person, p) for person, files in groups.items() for p in files]
    total, done = 2 * len(items), 0
    orig: dict[str, Rec] = {}
    donors: dict[str, tuple[np.ndarray, object]] = {}
    for person, p in items:  # pass 1: every photo, analysed once
        key = f"{person}/{p.name}"
        img = load_photo(p, max_side=max_side).image
        orig[key] = r = _analyse(img, key, person)
        if r.face is not None and person not in donors:
            donors[person] = _donor(img, r.face)
        done += 1
        if progress:
            progress(done, total)
    names = list(groups)
    edited: dict[str, dict[str, Rec]] = defaultdict(dict)
    for i, (person, p) in enumerate(items):  # pass 2: the edits of every measurable photo
        key = f"{person}/{p.name}"
        r = orig[key]
        if r.face is not None and r.face.inter_eye >= 16:
            img = load_photo(p, max_side=max_side).image
            f = r.face
            out, de = edits.lighten_skin(img, f, delta_e=5.0)
            edited["skin_shift"][key] = _with(_analyse(out, key, person), de)
            edited["plastic"][key] = _analyse(edits.plastic_skin(img, f), key, person)
            out, hue = edits.recolour_iris(img, f)
            edited["eye_colour"][key] = _with(_analyse(out, key, person), float(hue == 245.0))
            other = names[(names.index(person) + 1 + i % (len(names) - 1)) % len(names)]
            if other == person or other not in donors:
                other = next(n for n in names if n != person and n in donors)
            d_img, d_face = donors[other]
            edited["extra_face"][key] = _analyse(edits.add_face(img, f, d_img, d_face, seed=seed * 100003 + i), key, person)
            kind = edits.BENIGN[i % len(edits.BENIGN)]
            edited["benign:" + kind][key] = _analyse(edits.relight(img, kind, face=f), key, person)
        done += 1
        if progress:
            progress(done, total)
    return groups, orig, dict(edited)


def _with(r: Rec, info: float) -> Rec:
    r.info = float(info)
    return r


def _donor(img: np.ndarray, face) -> tuple[np.ndarray, object]:
    """A small crop around a face, kept to paste into other people's photos."""
    from dataclasses import replace

    x0, y0, x1, y1 = face.box
    w, h = x1 - x0, y1 - y0
    X0, Y0 = int(max(0, x0 - w)), int(max(0, y0 - h))
    X1, Y1 = int(min(img.shape[1], x1 + w)), int(min(img.shape[0], y1 + h))
    return img[Y0:Y1, X0:X1].copy(), replace(face, box=(x0 - X0, y0 - Y0, x1 - X0, y1 - Y0), mesh=None)


def summarize(groups, orig: dict[str, Rec], edited: dict[str, dict[str, Rec]], *, seconds: float, seed: int,
              max_side: int) -> dict:
    from ..review import CHECKS, ReviewSettings, enroll_stats, review_stats
    from ..review.likeness import threshold

    settings = ReviewSettings()
    by: dict[str, list[Rec]] = defaultdict(list)
    for r in orig.values():
        by[r.person].append(r)
    ok = {p: [r for r in rs if r.stats is not None] for p, rs in by.items()}
    full = {p: enroll_stats([r.stats for r in rs]) for p, rs in ok.items() if rs}
    loo: dict[str, object] = {}
    for p, rs in ok.items():
        for r in rs:
            rest = [x.stats for x in rs if x is not r]
            if rest:
                loo[r.key] = enroll_stats(rest)

    def rev(r: Rec, ref):
        return review_stats(r.stats, r.face, r.faces, r.size, ref, settings=settings)

    # Genuine, leave-one-out.
    genuine, failures, check_fail, check_ran = {}, [], defaultdict(int), defaultdict(int)
    too_small, no_face, crowded, gen_d = [], [], [], []
    for key, r in orig.items():
        if r.stats is None:
            genuine[key] = False
            no_face.append(key)
            failures.append({"photo": key, "reasons": ["No face was found in the picture."]})
            continue
        if key not in loo:
            continue
        res = rev(r, loo[key])
        genuine[key] = res.passed
        gen_d.append(res.identity_distance)
        for name, ch in res.checks.items():
            check_ran[name] += 1
            check_fail[name] += not ch.passed
        if "face_size" in res.checks and not res.checks["face_size"].passed:
            too_small.append(key)
        if "one_face" in res.checks and not res.checks["one_face"].passed:
            crowded.append(key)
        if not res.passed:
            failures.append({"photo": key, "reasons": res.reasons})
    # Impostors: every photo against every other person's full enrolment.
    imp_pass = imp_ident = n_imp = 0
    imp_d, imp_passed = [], []
    for key, r in orig.items():
        if r.stats is None:
            continue
        for p, ref in full.items():
            if p == r.person:
                continue
            res = rev(r, ref)
            n_imp += 1
            imp_pass += res.passed
            imp_ident += res.checks["likeness"].passed
            imp_d.append(res.identity_distance)
            if res.passed:
                imp_passed.append(f"{key} as {p}")
    # Edits and harmless changes.
    base_a = {k: rev(r, full[r.person]).passed for k, r in orig.items() if r.stats is not None and r.person in full}
    caught, benign = {}, defaultdict(list)
    for name, recs in edited.items():
        a, b, by_check = [], [], []
        for key, r in recs.items():
            if r.stats is None:  # the edit made the face undetectable: rejected
                if base_a.get(key):
                    a.append(True)
                if genuine.get(key):
                    b.append(True)
                continue
            if base_a.get(key):
                res = rev(r, full[r.person])
                a.append(not res.passed)
                by_check.append(res.checks)
            if genuine.get(key) and key in loo:
                b.append(not rev(r, loo[key]).passed)
        if name.startswith("benign:"):
            benign[name.split(":", 1)[1]] = [not x for x in a]
            continue
        target = {"skin_shift": "skin_tone", "plastic": "texture", "eye_colour": "eye_colour", "extra_face": "one_face"}[name]
        caught[name] = {
            "caught": _rate(a), "caught_unseen": _rate(b), "n": len(a), "n_unseen": len(b),
            "by_intended_check": _rate([target in ch and not ch[target].passed for ch in by_check]),
        }
        info = _mean([r.info for r in recs.values() if r.info is not None])
        if info is not None:  # skin: ΔE2000 reached; iris: share turned blue (others brown)
            caught[name]["delta_e_reached" if name == "skin_shift" else "turned_blue"] = info
    thr = threshold()
    imp_sorted = np.sort(np.array(imp_d)) if imp_d else np.array([np.inf])
    measured = float(imp_sorted[int(np.floor(0.001 * len(imp_sorted)))]) if len(imp_sorted) else None
    gd = np.array([d for d in gen_d if np.isfinite(d)])
    per_source = defaultdict(lambda: [0, 0])
    for key, v in genuine.items():
        src = key.split("__")[0]
        per_source[src][0] += 1
        per_source[src][1] += v
    reviewable = {k: v for k, v in genuine.items() if k not in too_small and k not in no_face}
    res = {
        "people": len(groups),
        "photos": len(orig),
        "genuine": len(genuine),
        "impostor_comparisons": n_imp,
        "genuine_pass_rate": _rate(list(genuine.values())),
        "genuine_pass_rate_reviewable": _rate(list(reviewable.values())),
        "genuine_pass_rate_single_person": _rate([v for k, v in reviewable.items() if k not in crowded]),
        "impostor_pass_rate": imp_pass / n_imp if n_imp else None,
        "impostor_identity_pass_rate": imp_ident / n_imp if n_imp else None,
        "impostors_passed": imp_passed[:20],
        "too_small": {"count": len(too_small), "photos": too_small,
                      "why": f"fewer than {settings.min_eye_px:.0f} px between the eyes"},
        "no_face": {"count": len(no_face), "photos": no_face},
        "other_faces_in_genuine": {"count": len(crowded), "photos": crowded},
        "per_check_false_reject": {n: round(check_fail[n] / check_ran[n], 4) for n in CHECKS if check_ran[n]},
        "per_source": {s: {"n": n, "genuine_pass_rate": round(k / n, 4)} for s, (n, k) in sorted(per_source.items())},
        "identity": {
            "threshold_used": round(thr, 4),
            "threshold_far_1e3_measured": None if measured is None else round(measured, 4),
            "genuine_distance_p50": _pct(gd, 50), "genuine_distance_p95": _pct(gd, 95),
            "genuine_distance_max": float(gd.max()) if gd.size else None,
            "impostor_distance_min": float(imp_sorted[0]) if imp_d else None,
            "tar_at_threshold": float((gd <= thr).mean()) if gd.size else None,
        },
        "benign_pass_rate": _rate([x for v in benign.values() for x in v]),
        "benign_by_kind": {k: {"n": len(v), "pass_rate": _rate(v)} for k, v in sorted(benign.items())},
        "genuine_failures": failures,
        "settings": asdict(settings),
        "seed": seed,
        "max_side": max_side,
        "seconds": round(seconds, 1),
    }
    for name in EDITS:
        e = caught.get(name, {})
        res[f"{name}_caught"] = e.get("caught")
        res[f"{name}_caught_unseen"] = e.get("caught_unseen")
        res[f"{name}_detail"] = {k: v for k, v in e.items() if k not in ("caught", "caught_unseen")}
    checks = {}
    for key, (op, t) in TARGETS.items():
        v = res.get(key)
        checks[key] = v is not None and (v >= t if op == ">=" else v <= t)
    res["targets"] = {k: f"{op} {t}" for k, (op, t) in TARGETS.items()}
    res["passed"] = all(checks.values())
    res["failed"] = [k for k, v in checks.items() if not v]
    return res


def _rate(v: list) -> float | None:
    return round(float(np.mean(v)), 4) if len(v) else None


def _mean(v: list) -> float | None:
    return round(float(np.mean(v)), 3) if len(v) else None


def _pct(v: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(v, q)), 4) if v.size else None

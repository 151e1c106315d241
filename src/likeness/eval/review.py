"""`likeness eval review DIR`: do the review gates pass the person and stop the failures?

On ``DIR/identities/<source>__<person>/*`` (real photos; folder = person).

**Candidates are headshot-framed**, as everything the review judges in the product
is: a generated candidate is the frame, a studio output a framed crop. Each photo is
cut to the framing the studio plans for the default Look (:func:`headshot_crop`:
``studio.frame.plan``, so tighter where the photo shows too little body), at its own
pixels (no resampling, no levelling, nothing invented; clipped where the plan reaches
past the photo). The enrolment is the person's whole photos, as in the product. The
whole photos as candidates are measured too (``*_uncropped``), so nothing is hidden.

- **Genuine** (must pass): each candidate against the enrolment of the person's
  *other* photos (leave-one-out) → ``genuine_pass_rate``; every gate counts.
  Faces below the review's minimum size fail as "too small to review"; they are
  counted as failures and listed (``too_small``), and the rate without them is given
  too (``genuine_pass_rate_reviewable``); so are candidates with other people in them
  (``other_faces_in_genuine``, ``genuine_pass_rate_single_person``). Bystanders the
  frame's edge cuts through (part of their face inside, not detected there) are
  listed in ``other_faces_cut_by_the_frame``.
- **Impostor** (must fail): each candidate against the enrolment of every *other*
  person (all their photos) → ``impostor_pass_rate`` (the whole review) and
  ``impostor_identity_pass_rate`` (the likeness gate alone).
- **Edits** (must fail) of each candidate whose unedited version passes, made *after*
  framing (:mod:`likeness.eval.edits`): skin lightened by exactly 5 ΔE2000, plastic
  skin, iris recoloured, a second person's face pasted inside the frame. Two
  protocols: ``*_caught``: the person's enrolment includes the photo the edit was
  made from — the studio and face-locked case, where a candidate is made from one of
  the user's own photos; ``*_caught_unseen``: leave-one-out enrolment — the case of an
  image made without a source photo, where only the person's differently lit photos
  are there to compare with.
- **Skin curve** (``skin_curve``, ``skin_curve_unseen``): the framed candidate's skin
  lightened ("+8") and darkened ("-8") by 3, 5, 8 and 12 ΔE2000; ``caught`` with the
  source photo enrolled (the whole review fails), ``caught_unseen`` by the skin lock
  alone without a source photo against the person's other photos, ``genuine`` beside
  it (the same lock on the unedited candidates); ``skin_curve_unseen_half_b`` the same
  for half b of the people (:func:`likeness.eval.defects.half`), whom the lock's limits
  (:mod:`likeness.review.skin_edge`, fitted on half a) have not seen;
  ``skin_curve_other_edges``: +8 ΔE on the skin mask grown by 0.1 inter-eye distances
  and on the whole face oval with a soft edge (``edits.REGIONS``), which that lock
  does not see. Measured on ../shared/eval (169 edited candidates; 177 genuine), before
  → after the edge step: without source, lightening 3/5/8/12 ΔE caught
  0/0.006/0.024/0.030 → 0.189/0.781/1.0/1.0, darkening 0/0.012/0.018/0.024 →
  0.207/0.752/0.982/0.994, genuine passing 1.0 → 1.0; half b (99 edited, 103 genuine):
  +8 0.010 → 1.0, +5 0.010 → 0.788, −8 0.010 → 0.980, genuine 1.0 → 1.0. Other edges
  at +8: grown mask 0.018, whole face 0.047.
- **Harmless changes** (must pass, source enrolled): exposure +0.5 EV, white balance,
  S-curve + saturation, one-sided fill, downsizing + JPEG → ``benign_pass_rate``.

Measured on ../shared/eval (27 people, 177 photos; 4 602 impostor comparisons):
genuine 0.944 (167/177; whole, uncropped photos 0.893), impostor 0.00087
(4 passes, all between two people; whole photos the same), skin shift caught 0.982,
plastic 0.971, eye colour 0.988, extra face 1.0 (0.971 by the one-face gate; in 5 of
the tightest 250 px crops the pasted face covers the subject and the likeness gate
stops it), harmless changes pass 0.988. Framing: 156 of 177 framed tighter than the
Look, 44 clipped, median crop 72 % of the photo's area. Of the 15 photos with
bystanders, 4 keep one inside the frame (they fail, as a headshot with a stranger in
it should); in 11 the frame's edge cuts through the bystander's face (29–72 % of its
box inside), which the detector then does not see. The 6 other failures: hair colour
read on an academic cap (1; hands in the hair no longer count since skin-coloured
pixels are left out of the hair reading), glasses worn only in that photo (2; the lock
follows the other photos), a face too small (23 px between the eyes), a backlit face
(3.5 stops under the sky), a soft photo's skin texture (0.41, limit 0.42). One
failure either way is 0.006 of the rate.

Each photo, framed candidate and edited image is analysed once (faces, then the
review's descriptor); references are built from those descriptors. Seeded: runs repeat.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .review_data import EDITS, LOOK, Rec, analyse_all

TARGETS = {
    "genuine_pass_rate": (">=", 0.95),
    "impostor_pass_rate": ("<=", 0.001),
    "skin_shift_caught": (">=", 0.95),
    "plastic_caught": (">=", 0.95),
    "eye_colour_caught": (">=", 0.9),
    "extra_face_caught": (">=", 0.99),
}
#: The Look whose framing the candidates are cut to (the studio's default).


def run(
    root: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    people: int | None = None,
    per_person: int | None = None,
    seed: int = 0,
    max_side: int = 1024,
    look: str = LOOK,
) -> dict:
    """Review metrics over ``root/identities`` (see the module docstring)."""
    t0 = time.perf_counter()
    groups, orig, framed, edited = analyse_all(root, progress=progress, people=people, per_person=per_person,
                                               seed=seed, max_side=max_side, look=look)
    return summarize(groups, orig, framed, edited, seconds=time.perf_counter() - t0, seed=seed, max_side=max_side,
                     look=look)


@dataclass
class Genuine:
    """Leave-one-out verdicts on one kind of candidate (framed crops or whole photos)."""

    passed: dict[str, bool] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    check_fail: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    check_ran: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    too_small: list[str] = field(default_factory=list)
    no_face: list[str] = field(default_factory=list)
    crowded: list[str] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)

    def false_rejects(self) -> dict[str, float]:
        from ..review import CHECKS

        return {n: round(self.check_fail[n] / self.check_ran[n], 4) for n in CHECKS if self.check_ran[n]}

    def rates(self) -> tuple[float | None, float | None, float | None]:
        """(pass rate, without too-small/no-face photos, and without other faces too)."""
        reviewable = {k: v for k, v in self.passed.items() if k not in self.too_small and k not in self.no_face}
        return (_rate(list(self.passed.values())), _rate(list(reviewable.values())),
                _rate([v for k, v in reviewable.items() if k not in self.crowded]))


def _genuine(cands: dict[str, Rec], loo: dict, rev) -> Genuine:
    g = Genuine()
    for key, r in cands.items():
        if r.stats is None:
            g.passed[key] = False
            g.no_face.append(key)
            g.failures.append({"photo": key, "reasons": ["No face was found in the picture."]})
            continue
        if key not in loo:
            continue
        res = rev(r, loo[key])
        g.passed[key] = res.passed
        g.distances.append(res.identity_distance)
        for name, ch in res.checks.items():
            g.check_ran[name] += 1
            g.check_fail[name] += not ch.passed
        if "face_size" in res.checks and not res.checks["face_size"].passed:
            g.too_small.append(key)
        if "one_face" in res.checks and not res.checks["one_face"].passed:
            g.crowded.append(key)
        if not res.passed:
            g.failures.append({"photo": key, "reasons": res.reasons, **({"framing": list(r.notes)} if r.notes else {})})
    return g


def _impostors(cands: dict[str, Rec], full: dict, rev) -> tuple[int, int, int, list[float], list[str]]:
    """(comparisons, passed, passed the likeness gate, distances, which passed):
    every candidate against every other person's full enrolment."""
    n = passed = ident = 0
    d, which = [], []
    for key, r in cands.items():
        if r.stats is None:
            continue
        for p, ref in full.items():
            if p == r.person:
                continue
            res = rev(r, ref)
            n += 1
            passed += res.passed
            ident += res.checks["likeness"].passed
            d.append(res.identity_distance)
            if res.passed:
                which.append(f"{key} as {p}")
    return n, passed, ident, d, which


def summarize(groups, orig: dict[str, Rec], framed: dict[str, Rec], edited: dict[str, dict[str, Rec]], *,
              seconds: float, seed: int, max_side: int, look: str = LOOK) -> dict:
    from ..review import ReviewSettings, enroll_stats, review_stats
    from ..review.likeness import threshold

    settings = ReviewSettings()
    # The enrolment is the person's whole photos, as in the product.
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

    gen, whole = _genuine(framed, loo, rev), _genuine(orig, loo, rev)
    n_imp, imp_pass, imp_ident, imp_d, imp_passed = _impostors(framed, full, rev)
    n_imp_w, imp_pass_w, _, _, imp_passed_w = _impostors(orig, full, rev)
    # Edits (of the framed candidates) and harmless changes.
    base_a = {k: rev(r, full[r.person]).passed for k, r in framed.items() if r.stats is not None and r.person in full}
    caught, benign = {}, defaultdict(list)
    for name, recs in edited.items():
        a, b, by_check = [], [], []
        for key, r in recs.items():
            if r.stats is None:  # the edit made the face undetectable: rejected
                if base_a.get(key):
                    a.append(True)
                if gen.passed.get(key):
                    b.append(True)
                continue
            if base_a.get(key):
                res = rev(r, full[r.person])
                a.append(not res.passed)
                by_check.append(res.checks)
            if gen.passed.get(key) and key in loo:
                b.append(not rev(r, loo[key]).passed)
        if name.startswith("benign:"):
            benign[name.split(":", 1)[1]] = [not x for x in a]
            continue
        if name.startswith(("skin:", "skin_other:")):  # the curve: reported below
            continue
        target = {"skin_shift": "skin_tone", "plastic": "texture", "eye_colour": "eye_colour", "extra_face": "one_face"}[name]
        caught[name] = {
            "caught": _rate(a), "caught_unseen": _rate(b), "n": len(a), "n_unseen": len(b),
            "by_intended_check": _rate([target in ch and not ch[target].passed for ch in by_check]),
        }
        info = _mean([r.info for r in recs.values() if r.info is not None])
        if info is not None:  # skin: ΔE2000 reached; iris: share turned blue (others brown)
            caught[name]["delta_e_reached" if name == "skin_shift" else "turned_blue"] = info
    curve = skin_curve(framed, edited, full, loo, gen.passed, settings, rev)
    thr = threshold()
    imp_sorted = np.sort(np.array(imp_d)) if imp_d else np.array([np.inf])
    measured = float(imp_sorted[int(np.floor(0.001 * len(imp_sorted)))]) if len(imp_sorted) else None
    gd = np.array([d for d in gen.distances if np.isfinite(d)])
    per_source = defaultdict(lambda: [0, 0])
    for key, v in gen.passed.items():
        src = key.split("__")[0]
        per_source[src][0] += 1
        per_source[src][1] += v
    rate, reviewable, single = gen.rates()
    rate_w, reviewable_w, single_w = whole.rates()
    framed_ok = [r for r in framed.values() if r.box is not None]
    cut = {r.key: share for r in framed_ok if r.key not in gen.crowded
           for share in [_bystanders_in_frame(orig[r.key], r.box, settings)] if share}
    res = {
        "people": len(groups),
        "photos": len(orig),
        "genuine": len(gen.passed),
        "impostor_comparisons": n_imp,
        "candidates": f"each photo cut to the {look} Look's framing as the studio plans it (own pixels, clipped)",
        "genuine_pass_rate": rate,
        "genuine_pass_rate_reviewable": reviewable,
        "genuine_pass_rate_single_person": single,
        "impostor_pass_rate": imp_pass / n_imp if n_imp else None,
        "impostor_identity_pass_rate": imp_ident / n_imp if n_imp else None,
        "impostors_passed": imp_passed[:20],
        "genuine_pass_rate_uncropped": rate_w,
        "genuine_pass_rate_uncropped_reviewable": reviewable_w,
        "genuine_pass_rate_uncropped_single_person": single_w,
        "impostor_pass_rate_uncropped": imp_pass_w / n_imp_w if n_imp_w else None,
        "impostors_passed_uncropped": imp_passed_w[:20],
        "framing": {
            "framed": len(framed_ok),
            "tighter_than_the_look": sum(any("tighter" in n for n in r.notes) for r in framed_ok),
            "clipped": sum("clipped at the photo's edge" in r.notes for r in framed_ok),
            "area_share_median": _median([_area(r.box, orig[r.key].size) for r in framed_ok]),
        },
        "too_small": {"count": len(gen.too_small), "photos": gen.too_small,
                      "why": f"fewer than {settings.min_eye_px:.0f} px between the eyes"},
        "no_face": {"count": len(gen.no_face), "photos": gen.no_face},
        "other_faces_in_genuine": {"count": len(gen.crowded), "photos": gen.crowded},
        "other_faces_in_genuine_uncropped": {"count": len(whole.crowded), "photos": whole.crowded},
        "other_faces_cut_by_the_frame": {
            "count": len(cut), "photos": cut,
            "why": "a bystander of the whole photo partly inside the framed crop (share of its face box), "
                   "not found there: the frame's edge cuts through their face"},
        "per_check_false_reject": gen.false_rejects(),
        "per_check_false_reject_uncropped": whole.false_rejects(),
        "per_source": {s: {"n": n, "genuine_pass_rate": round(k / n, 4)} for s, (n, k) in sorted(per_source.items())},
        "identity": {
            "threshold_used": round(thr, 4),
            "threshold_far_1e3_measured": None if measured is None else round(measured, 4),
            "genuine_distance_p50": _pct(gd, 50), "genuine_distance_p95": _pct(gd, 95),
            "genuine_distance_max": float(gd.max()) if gd.size else None,
            "impostor_distance_min": float(imp_sorted[0]) if imp_d else None,
            "tar_at_threshold": float((gd <= thr).mean()) if gd.size else None,
        },
        "skin_curve": curve,
        "skin_curve_unseen": {k: v["caught_unseen"] for k, v in curve.items() if k not in _NOT_SHIFTS},
        "skin_curve_unseen_half_b": curve["half_b"],
        "skin_curve_other_edges": curve["other_edges"],
        "benign_pass_rate": _rate([x for v in benign.values() for x in v]),
        "benign_by_kind": {k: {"n": len(v), "pass_rate": _rate(v)} for k, v in sorted(benign.items())},
        "genuine_failures": gen.failures,
        "genuine_failures_uncropped": whole.failures,
        "settings": asdict(settings),
        "look": look,
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


def skin_curve(framed, edited, full, loo, genuine_passed, settings, rev) -> dict:
    """The skin lock's catch rate per shift ("+8": lightened by 8 ΔE2000, "-8":
    darkened) of framed candidates whose unedited version passes: ``caught`` with the
    source photo enrolled (the whole review fails), ``caught_unseen`` by the skin lock
    alone against the person's *other* photos, with no source photo (a fully generated
    image); ``genuine`` beside it: the share of unedited candidates that lock passes
    the same way."""
    from ..review.locks import skin_tone
    from ..review.result import Candidate

    def unseen(r, ref):
        return skin_tone(Candidate(r.face, r.faces or [r.face], r.stats, r.size), ref, settings)

    from .defects import half

    base_a = {k: rev(r, full[r.person]).passed for k, r in framed.items() if r.stats is not None and r.person in full}
    every = [k for k, r in framed.items() if r.stats is not None and k in loo]
    keys = [k for k in every if genuine_passed.get(k)]  # edits of candidates that pass the whole review
    gen = {k: unseen(framed[k], loo[k]).passed for k in every}
    in_b = {k for k in every if half(framed[k].person) == "b"}
    out = {"genuine": {"skin_lock_pass_unseen": _rate(list(gen.values())), "n": len(every)}}
    # Half b: the people the no-source lock's limits were not calibrated on (review.skin_edge).
    out["half_b"] = {"genuine": _rate([v for k, v in gen.items() if k in in_b]), "n": len(in_b)}
    out["other_edges"] = {}

    def rates(recs):
        a = [not rev(r, full[r.person]).passed for k, r in recs.items() if base_a.get(k) and r.stats is not None]
        b = {k: not unseen(recs[k], loo[k]).passed for k in keys if k in recs and recs[k].stats is not None}
        return {"caught": _rate(a), "caught_unseen": _rate(list(b.values())), "n": len(a), "n_unseen": len(b),
                "delta_e_reached": _mean([r.info for r in recs.values() if r.info is not None])}, b

    for name in sorted((n for n in edited if n.startswith("skin:")), key=lambda n: (n[5], float(n[6:]))):
        shift = name.split(":", 1)[1]
        out[shift], b = rates(edited[name])
        out["half_b"][shift] = _rate([v for k, v in b.items() if k in in_b])
    for name in (n for n in edited if n.startswith("skin_other:")):
        out["other_edges"][name.split(":", 1)[1]] = rates(edited[name])[0]
    return out


#: Entries of the skin curve that are not a shift.
_NOT_SHIFTS = ("genuine", "half_b", "other_edges")


def _bystanders_in_frame(whole: Rec, box: tuple[int, int, int, int], s) -> float:
    """Largest share of the face box of a bystander (as the one-face check counts them
    in the whole photo) that lies inside ``box``; 0 when none."""
    X0, Y0, X1, Y1 = box
    best = 0.0
    for f in whole.faces[1:]:
        if f.score < s.other_face_score or f.width < s.other_face * whole.face.width:
            continue
        x0, y0, x1, y1 = f.box
        inside = max(0.0, min(x1, X1) - max(x0, X0)) * max(0.0, min(y1, Y1) - max(y0, Y0))
        best = max(best, inside / max((x1 - x0) * (y1 - y0), 1e-6))
    return round(best, 2)


def _area(box: tuple[int, int, int, int], size: tuple[int, int]) -> float:
    """Share of the photo's area a crop keeps."""
    return (box[2] - box[0]) * (box[3] - box[1]) / max(size[0] * size[1], 1)


def _rate(v: list) -> float | None:
    return round(float(np.mean(v)), 4) if len(v) else None


def _mean(v: list) -> float | None:
    return round(float(np.mean(v)), 3) if len(v) else None


def _median(v: list) -> float | None:
    return round(float(np.median(v)), 3) if len(v) else None


def _pct(v: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(v, q)), 4) if v.size else None

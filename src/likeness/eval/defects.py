"""`likeness eval defects DIR`: does the review catch the defects a viewer sees at once?

Photos: the usable photos of ``DIR/photos/single`` and the first photo of each person
in ``DIR/identities`` (as ``eval studio``). Each gives a clean studio render
(:func:`likeness.studio.pipeline.make_headshot`, default Look) with its matte; each
defect is then injected into the clean render (and its matte, as the studio's own
failure would have it):

- ``background_patch``: a patch of the photo's own old background touching the hair;
- ``other_person``: another person's head (from another render) cut by a side edge;
- ``crown_cut``: the frame cropped so its top runs through the forehead's hair
  (only where the photo had the crown);
- ``fringe``: a ring of the old background's colour along the matte's hair edge
  (only where that colour differs visibly from the backdrop: ΔE2000 ≥ ``VISIBLE``);
- ``flat_edge``: the top of the hair cut along a straight line;
- ``occlusion``: a hand-coloured shape over the mouth.

``caught`` is the share of injected renders that the defect checks reject (any of
them; the intended one beside it), ``clean_rejected`` the share of untouched renders
they reject. The people are split in two halves by name (``half``): thresholds are
set on half ``a`` (:func:`calibrate`) and reported on half ``b``, then on all.
``real``: the full review (the person enrolled from the photo) of each studio render,
how many each check rejects, with the photos and reasons: the first render, and after
the studio's retries (:func:`likeness.studio.session.make_reviewed`: framed tighter,
then square); ``coverage``: which photos give a headshot and every refusal's reason.
``portraits``: the same, studio and full review, on every matting portrait
(``DIR/portraits/images``: phone snapshots with busy backgrounds, one person each),
which no injection or threshold reads: how many are delivered, and what the review
refused first and after the retries. On 5 Dec 2026, 44 of 60 delivered; four of them
show a fault the review passed (see ``PORTRAITS_SEEN``).
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..review.defects import DEFECTS
from ..review.result import ReviewSettings

INJECTIONS = ("background_patch", "other_person", "crown_cut", "fringe", "flat_edge", "occlusion")
#: The check meant to catch each injected defect.
MEANT = {"background_patch": "islands", "other_person": "other_people", "crown_cut": "cut_subject",
         "fringe": "fringe", "flat_edge": "flat_edge", "occlusion": "occlusion"}
VISIBLE = 8.0  # ΔE2000 of the old background to the backdrop below which a fringe is invisible
CAUGHT_MIN, CLEAN_MAX = 0.95, 0.05
#: Untouched renders a person looked at and found a real defect in (issue 13's review of
#: every rejected "clean" render, on the contact sheet): ``clean_rejected_judged_clean``
#: leaves them out. Judged on the renders of 4 December 2026; look again when the studio
#: changes (a render fixed by the studio should leave this list).
SEEN_DEFECTS = {
    # Looked at again on 5 Dec (s29), first framing and both retries at full size.
    "deepface__katy_perry/01.jpg": "slivers of the pink press wall at the collar (seen through her clear vinyl) "
                                   "and a pale piece under the hair on the right; the islands figure itself "
                                   "measures her earring, a false find; both retries refused too (the square "
                                   "one keeps a large piece of the wall)",
    # Faces cut out since 4 Dec (s22); pieces of their clothes remain.
    "lfw__jesse_jackson/01.jpg": "a bystander's shirt beside the jaw and another's shoulder at the left edge",
    # 5 Dec (s26): refused by the hand check since then (delivered before).
    "single/face_recognition__lin-manuel-miranda.png": "his fist and a microphone over the chin",
}

#: Delivered portrait renders a person looked at (5 Dec 2026) and found a fault in,
#: which the review passed: what to catch next.
PORTRAITS_SEEN = {
    "portraits/00682.jpg": "two chocolate wafers from a shelf behind him sit on his head, and a printed face "
                           "from a box beside his ear (the matte and the render's own segmentation take them "
                           "for hair)",
    "portraits/01068.jpg": "a broad pale glow of the backlit old background around her hair",
    "portraits/00893.jpg": "a thin blue line of the sky's light along the outline of her dark hair",
    "portraits/00857.jpg": "a dark band of the night background along the right of his head",
}


def half(name: str) -> str:
    """'a' or 'b' for a person, stable across runs (crc32 of the name)."""
    return "a" if zlib.crc32(name.encode()) % 2 == 0 else "b"


def run(root: Path, *, progress: Callable[[int, int], None] | None = None, look: str = "corporate-grey") -> dict[str, Any]:
    rows = measure(Path(root), progress=progress, look=look)
    out = summarise(rows)
    out["portraits"] = portraits(Path(root), progress=progress, look=look)
    return out


def portraits(root: Path, *, progress=None, look: str = "corporate-grey") -> dict[str, Any] | None:
    """The studio and its full review on every matting portrait (None where the folder
    is missing): delivered, refused before a render, and what the review refused."""
    files = sorted((Path(root) / "portraits" / "images").glob("*.jpg"))
    if not files:
        return None
    # render_all counts to twice its photos (the injections follow it in ``measure``).
    step = None if progress is None else (lambda done, total: progress(done, total // 2))
    rows, _ = render_all(root, progress=step, look=look, files=files)
    rendered = [r for r in rows if "review" in r]
    return {"photos": len(rows), "rendered": len(rendered),
            "delivered": sum(1 for r in rendered if r["review"]["passed"]),
            "refused_before_render": [{"photo": r["photo"], "reason": r.get("reason") or r.get("error")}
                                      for r in rows if "review" not in r],
            "first_render": _rejected_by(rendered, "review_first"), "after_retries": _rejected_by(rendered, "review"),
            "seen_delivered_with_a_fault": {k: v for k, v in PORTRAITS_SEEN.items()
                                            if any(r["photo"] == k and r["review"]["passed"] for r in rendered)},
            "rows": rows}


def _rejected_by(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """How many of ``rows`` (each with its review under ``key``) were delivered, how
    many each check refused, and every refusal with its reasons."""
    per: dict[str, int] = {}
    for r in rows:
        for k in r[key]["failed"]:
            per[k] = per.get(k, 0) + 1
    return {"delivered": sum(1 for r in rows if r[key]["passed"]), "rejected_by_check": per,
            "rejected": [{"photo": r["photo"], "reasons": r[key]["reasons"]} for r in rows if not r[key]["passed"]]}


def measure(root: Path, *, progress=None, look: str = "corporate-grey") -> list[dict[str, Any]]:
    """Renders, injections and every defect figure (thresholds are applied later)."""
    rows, renders = render_all(root, progress=progress, look=look)
    return figures(rows, renders)


def render_all(root: Path, *, progress=None, look: str = "corporate-grey", files: list[Path] | None = None):
    """(a row per photo, [(row, Rendered)] for those rendered), each render reviewed
    in full as the studio does (the person enrolled from that photo). ``files``: these
    photos instead of ``eval studio``'s (a portrait is its own person)."""
    from ..errors import LikenessError
    from ..imageio import load_photo
    from ..intake import check as intake
    from ..studio.options import StudioSettings
    from ..studio.session import (
        STUDIO_SIDE,
        WEB_SCALE,
        enroll_sitting,
        make_reviewed,
        reason,
        web_size_photos,
    )
    from .studio import photos

    settings = StudioSettings.resolve(look=look)

    files = photos(root) if files is None else files
    renders, rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            own = f.parent.name in ("single", "images")  # a photo of its own person
            person = f.stem if own else f.parent.name
            folder = f.parent.parent.name if f.parent.name == "images" else f.parent.name
            row: dict[str, Any] = {"photo": f"{folder}/{f.name}", "person": person, "half": half(person)}
            rows.append(row)
            if progress:
                progress(i + 1, 2 * len(files))
            try:
                photo = load_photo(f, max_side=STUDIO_SIDE)  # decoded once, as the session does
            except LikenessError as exc:
                row.update(usable=False, reason=str(exc))
                continue
            sitting = intake([f], decode=lambda _p, photo=photo: photo)
            web = not sitting.ranking and bool(web_size_photos(sitting))
            row["usable"] = bool(sitting.ranking)
            row["web_size"] = web
            if not sitting.ranking and not web:
                row["reason"] = reason(sitting.photos[0])
                continue
            pc = sitting.photos[0]
            ref = enroll_sitting(sitting, {pc.source: photo})
            st = settings
            if web:
                w, h = settings.preset.size
                st = replace(settings, preset=replace(settings.preset, size=(round(w * WEB_SCALE), round(h * WEB_SCALE))))
            try:
                # As the session renders it: the review, and on a failure the next framings.
                hs, r, first = make_reviewed(photo, pc, Path(tmp) / f"{i}.jpg", st, ref)
            except LikenessError as exc:
                row["error"] = str(exc)
                continue
            if ref is not None:
                for key, h in (("review_first", first), ("review", hs)):
                    rv = h.review
                    row[key] = {"passed": rv["passed"], "reasons": rv["reasons"],
                                "failed": [k for k, c in rv["checks"].items() if not c["passed"]],
                                "figures": {k: c["value"] for k, c in rv["checks"].items()}}
            row["notes"] = list(hs.notes)
            row["framing"] = [x.value for x in r.plan.fallbacks]
            renders.append((row, r))
    return rows, renders


def figures(rows, renders, *, progress=None) -> list[dict[str, Any]]:
    """Each render's defect figures, clean and with each defect injected."""
    from ..review import ReviewSettings
    from ..review.gate import candidate_faces, defect_checks

    settings = ReviewSettings()
    for j, (row, r) in enumerate(renders):
        other = renders[(j + 1) % len(renders)][1] if len(renders) > 1 else None
        cases = {"clean": (r.image, _full(r.alpha, r.image), r.face, r.plan.top_cut, _full(r.valid, r.image))}
        # Each render's draws from its photo's name: a photo joining the set changes no
        # other render's injections.
        cases.update(inject(r, other, seed=zlib.crc32(row["photo"].encode())))
        row["figures"] = {}
        for name, case in cases.items():
            if case is None:
                row["figures"][name] = None
                continue
            img, alpha, face, top_cut, valid = case
            f, faces = candidate_faces(img, [replace(face, embedding=None, landmarks5=None)])
            if f is None:
                row["figures"][name] = {"no_face": True}
                continue
            checks = defect_checks(img, f, faces, settings=settings, matte=alpha, valid=valid, top_cut=top_cut)
            row["figures"][name] = {k: {"value": c.value, "passed": c.passed} for k, c in checks.items()}
        if progress:
            progress(j + 1, len(renders))
    return rows


def _full(m: np.ndarray | None, image: np.ndarray) -> np.ndarray | None:
    if m is None:
        return None
    h, w = image.shape[:2]
    return cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def inject(r, other, *, seed: int) -> dict[str, Any]:
    """Each defect put into the clean render ``r`` (None where it cannot be shown)."""
    from .defects_inject import (
        background_patch,
        crown_cut,
        flat_edge,
        fringe,
        occlusion,
        other_person,
    )

    img, alpha = r.image, _full(r.alpha, r.image)
    framed = _full_img(r.framed, img)
    valid = _full(r.valid, img)
    rng = np.random.default_rng(seed)
    tc = r.plan.top_cut
    out = {
        "background_patch": background_patch(img, alpha, r.face, framed, valid, rng=rng),
        "other_person": None if other is None else other_person(img, alpha, r.face, other),
        "crown_cut": None if tc else crown_cut(img, alpha, r.face, valid),
        "fringe": fringe(img, alpha, r.face, framed, valid, visible=VISIBLE),
        "flat_edge": None if tc else flat_edge(img, alpha, r.face),
        "occlusion": occlusion(img, alpha, r.face),
    }
    # (image, matte, face, top_cut, valid); crown_cut brings its own cropped face and valid
    return {k: None if v is None else (v if len(v) == 5 else (v[0], v[1], r.face, tc, valid)) for k, v in out.items()}


def _full_img(small: np.ndarray | None, image: np.ndarray) -> np.ndarray | None:
    if small is None:
        return None
    h, w = image.shape[:2]
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _fails(fig: dict | None, checks=DEFECTS, thresholds: dict[str, float] | None = None) -> bool:
    """Whether any of ``checks`` fails (with ``thresholds``: recomputed from the figures)."""
    if not fig or fig.get("no_face"):
        return True
    for k in checks:
        c = fig.get(k)
        if c is None:
            continue
        if thresholds and k in thresholds and c["value"] is not None:
            v, t = c["value"], thresholds[k]
            # A mouth the review passed below its own colour limit showed its lines
            # (``review.mouth_check.mouth_detail``): that holds under any colour limit.
            kept = k == "occlusion" and c["passed"] and v < ReviewSettings().occlusion
            if ((v < t) and not kept) if k == "occlusion" else (v > t):
                return True
            if k in ("other_people", "cut_subject") and not c["passed"]:
                return True  # faces / crown / chin: not a single figure
            continue
        if not c["passed"]:
            return True
    return False


def calibrate(rows: list[dict[str, Any]], *, on: str = "a") -> dict[str, float]:
    """Per check with one figure, the limit on half ``on`` that best separates its
    clean renders from its injected ones (most caught less most rejected)."""
    out = {}
    for k in ("islands", "fringe", "flat_edge", "occlusion", "other_people"):
        # Clean renders with a real defect of another kind (a crown the frame cuts) are
        # left out: their outline is not the clean one this limit must pass.
        clean = [r["figures"]["clean"][k]["value"] for r in rows if r.get("figures") and r["half"] == on
                 and r["figures"].get("clean") and k in r["figures"]["clean"]
                 and r["figures"]["clean"][k]["value"] is not None
                 and not _fails(r["figures"]["clean"], tuple(x for x in DEFECTS if x != k))]
        bad = [r["figures"][inj][k]["value"] for r in rows if r.get("figures") and r["half"] == on
               for inj in INJECTIONS if MEANT[inj] == k and r["figures"].get(inj)
               and not r["figures"][inj].get("no_face") and r["figures"][inj][k]["value"] is not None]
        if not clean or not bad:
            continue
        sign = -1 if k == "occlusion" else 1
        c, b = np.array(clean) * sign, np.array(bad) * sign
        # The limit with the most injections caught less clean renders rejected
        # (Youden's J); a "clean" render with a
        # real defect of this kind (seen on the image) then costs one rejection instead
        # of lifting the limit above every injection.
        # A quarter of the way from the clean side of the best gap: the injections
        # are spread far wider than the clean renders.
        vals = np.unique(np.concatenate([c, b]))
        if len(vals) < 2:
            continue
        lo, hi = vals[:-1], vals[1:]
        j = [(b > x).mean() - (c > x).mean() for x in lo]
        i = int(np.argmax(j))
        t = float(lo[i] + 0.25 * (hi[i] - lo[i]))
        out[k] = round(t * sign, 4)
    return out


def summarise(rows: list[dict[str, Any]], thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    done = [r for r in rows if r.get("figures")]

    def rates(sel, th=None) -> dict[str, Any]:
        res: dict[str, Any] = {"renders": len(sel)}
        clean = [r for r in sel if r["figures"].get("clean")]
        res["clean_rejected"] = round(float(np.mean([_fails(r["figures"]["clean"], thresholds=th) for r in clean])), 4) if clean else None
        fine = [r for r in clean if r["photo"] not in SEEN_DEFECTS]
        res["clean_rejected_judged_clean"] = (round(float(np.mean([_fails(r["figures"]["clean"], thresholds=th)
                                                                  for r in fine])), 4) if fine else None)
        res["judged_defective"] = [{"photo": r["photo"], "seen": SEEN_DEFECTS[r["photo"]]} for r in clean
                                   if r["photo"] in SEEN_DEFECTS]
        res["clean_rejected_photos"] = [
            {"photo": r["photo"], "failed": [k for k, c in r["figures"]["clean"].items() if isinstance(c, dict) and not c["passed"]]}
            for r in clean if _fails(r["figures"]["clean"], thresholds=th)]
        for inj in INJECTIONS:
            got = [r["figures"][inj] for r in sel if r["figures"].get(inj) is not None]
            res[inj] = {
                "n": len(got),
                "caught": round(float(np.mean([_fails(g, thresholds=th) for g in got])), 4) if got else None,
                "caught_by_" + MEANT[inj]: round(float(np.mean([_fails(g, (MEANT[inj],), th) for g in got])), 4) if got else None,
                "not_injectable": sum(1 for r in sel if r["figures"].get(inj) is None),
            }
        return res

    cal = calibrate(rows, on="a")
    out = {
        "photos": len(rows),
        "usable": sum(1 for r in rows if r.get("usable")),
        "web_size": [r["photo"] for r in rows if r.get("web_size")],
        "rendered": len(done),
        "halves": {"a": sorted({r["person"] for r in done if r["half"] == "a"}),
                   "b": sorted({r["person"] for r in done if r["half"] == "b"})},
        "settings_defaults": rates(done),
        "calibrated_on_a": cal,
        "held_out_b": rates([r for r in done if r["half"] == "b"], cal),
        "all_with_calibrated": rates(done, cal),
    }
    real = [r for r in done if "review" in r]
    for r in real:
        r.setdefault("review_first", r["review"])
    out["real"] = {"renders": len(real), "first_render": _rejected_by(real, "review_first"),
                   "after_retries": _rejected_by(real, "review")}
    out["coverage"] = {"headshot": len(done), "refused": [{"photo": r["photo"], "reason": r.get("reason") or r.get("error")}
                                                           for r in rows if not r.get("figures")]}
    ab = out["held_out_b"]
    # Judged on the renders a person found clean: refusing one with a defect seen on
    # it (SEEN_DEFECTS) is the review doing its work, not a false rejection.
    clean = ab["clean_rejected_judged_clean"] if ab["clean_rejected_judged_clean"] is not None else ab["clean_rejected"]
    out["pass"] = bool(clean is not None and clean <= CLEAN_MAX and all(
        ab[i]["caught"] is None or ab[i]["caught"] >= CAUGHT_MIN for i in INJECTIONS))
    out["rows"] = rows
    return out

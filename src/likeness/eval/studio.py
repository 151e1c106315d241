"""`likeness eval studio DIR`: the whole studio on real photos.

Photos: every file in ``DIR/photos/single`` and the first photo of each person in
``DIR/identities``. For each: intake decides whether it is usable; a usable photo must
give a headshot (``completed``), the others must come with a reason (listed). For each
headshot:

- ``identity_distance``: identity distance between the face in the input and the face in
  the output (found by :func:`likeness.faces.analyze`, embedded chip + mirror; see
  :func:`likeness.studio.session.identity_distance`);
- left/right illumination uniformity of the face (darker/brighter side, linear light)
  before and after: the studio must not make it worse, on average or per photo beyond
  ``NOISE``. Before is the framed crop ahead of the light stage and after the finished
  headshot, both read at the same (planned) face mesh, so only what the studio did to
  the pixels differs. The same face read on the photo itself (another crop, scale and
  mesh) is reported beside it: ``uniformity_remeasure_*`` is that measure's own noise.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: About 1.5× the identity model's re-analysis jitter (eval retouch's jitter p95), as
#: before: SFace jitter 0.200, studio p95 0.291 (dlib, replaced: 0.053, 0.075, limit 0.08).
IDENTITY_P95_MAX = 0.31
NOISE = 0.03  # uniformity change counted as "worse" (same mesh before and after)


def photos(root: Path) -> list[Path]:
    from ..imageio import is_image_path

    single = sorted(p for p in (root / "photos" / "single").glob("*") if is_image_path(p))
    people = []
    for d in sorted((root / "identities").glob("*")):
        files = sorted(p for p in d.glob("*") if is_image_path(p))
        if files:
            people.append(files[0])
    return single + people


def run(root: Path, *, progress: Callable[[int, int], None] | None = None, look: str = "corporate-grey",
        looks: str | list[str] | None = None) -> dict[str, Any]:
    """The studio's figures on real photos; with ``looks`` ("all" or names), per Look
    beside the default (:mod:`likeness.eval.studio_looks`)."""
    if looks is not None:
        from . import studio_looks

        return studio_looks.run(root, looks=looks.split(",") if isinstance(looks, str) else list(looks), progress=progress)
    from ..errors import LikenessError
    from ..faces import analyze
    from ..imageio import load_photo
    from ..studio.light import face_uniformity
    from ..studio.pipeline import make_headshot
    from ..intake import check as intake
    from ..studio.session import reason

    files = photos(Path(root))
    if not files:
        from ..errors import InputError

        raise InputError(f"{root} has no photos/single or identities folder.", hint="Give the eval folder, e.g. ../shared/eval.")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            name = f"{f.parent.name}/{f.name}"
            row: dict[str, Any] = {"photo": name}
            sitting = intake([f])
            pc = sitting.photos[0]
            row["usable"] = bool(sitting.ranking)
            if not sitting.ranking:
                row["reason"] = reason(pc)
            else:
                t = time.perf_counter()
                try:
                    hs, r = make_headshot(f, Path(tmp) / f"{i}.jpg", look=look, face=pc.face)
                    row["seconds"] = round(time.perf_counter() - t, 3)
                    row["notes"] = list(hs.notes)
                    src = load_photo(f, max_side=2048).image
                    fin = analyze(src, embed=False, subject_only=True)
                    fout = analyze(r.image, embed=False, subject_only=True)
                    d = identity_distance(src, r.image)
                    if not fin or not fout or d is None:
                        row["error"] = "face not found again in the input or the output"
                    else:
                        row["identity_distance"] = round(d, 4)
                        # Same face geometry before and after: the framed crop before
                        # the light stage and the finished headshot, both read at the
                        # planned mesh. The photo itself and the face found again in
                        # the result are kept beside them (their difference is the
                        # measure's own noise: another crop and scale, another mesh).
                        row["uniformity_before"] = round(float(r.measures["uniformity_before"]), 4)
                        row["uniformity_after"] = round(face_uniformity(r.image, r.face), 4)
                        row["uniformity_photo"] = round(face_uniformity(src, fin[0]), 4)
                        row["uniformity_after_found_again"] = round(face_uniformity(r.image, fout[0]), 4)
                    row["completed"] = True
                except LikenessError as exc:
                    row["completed"] = False
                    row["error"] = str(exc)
            rows.append(row)
            if progress:
                progress(i + 1, len(files))
    return summarise(rows)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    usable = [r for r in rows if r["usable"]]
    done = [r for r in usable if r.get("completed")]
    dists = np.array([r["identity_distance"] for r in done if "identity_distance" in r], np.float64)
    pairs = [(r["uniformity_before"], r["uniformity_after"]) for r in done
             if r.get("uniformity_before") == r.get("uniformity_before") and "uniformity_after" in r
             and r["uniformity_after"] == r["uniformity_after"]]
    before = np.array([p[0] for p in pairs]) if pairs else np.zeros(0)
    after = np.array([p[1] for p in pairs]) if pairs else np.zeros(0)
    worse = [r["photo"] for r in done if "uniformity_after" in r and r["uniformity_after"] < r["uniformity_before"] - NOISE]
    # The measure's own noise: the same face read on the photo and on the framed crop.
    remeasured = [abs(r["uniformity_photo"] - r["uniformity_before"]) for r in done
                  if r.get("uniformity_photo") == r.get("uniformity_photo") and "uniformity_photo" in r
                  and r.get("uniformity_before") == r.get("uniformity_before")]
    p95 = float(np.percentile(dists, 95)) if len(dists) else float("nan")
    secs = [r["seconds"] for r in done if "seconds" in r]
    out = {
        "photos": len(rows),
        "usable": len(usable),
        "completed": round(len(done) / len(usable), 4) if usable else None,
        "not_completed": [{"photo": r["photo"], "error": r.get("error", "")} for r in usable if not r.get("completed")],
        "not_usable": [{"photo": r["photo"], "reason": r["reason"]} for r in rows if not r["usable"]],
        "identity_distance_p50": round(float(np.median(dists)), 4) if len(dists) else None,
        "identity_distance_p95": round(p95, 4) if len(dists) else None,
        "identity_distance_max": round(float(dists.max()), 4) if len(dists) else None,
        "uniformity_before_mean": round(float(before.mean()), 4) if len(before) else None,
        "uniformity_after_mean": round(float(after.mean()), 4) if len(after) else None,
        "uniformity_worse_photos": worse,
        "uniformity_remeasure_p50": round(float(np.median(remeasured)), 4) if remeasured else None,
        "uniformity_remeasure_max": round(float(np.max(remeasured)), 4) if remeasured else None,
        "seconds_median": round(float(np.median(secs)), 3) if secs else None,
        "thresholds": {"identity_distance_p95": IDENTITY_P95_MAX, "uniformity_noise": NOISE, "completed": 1.0},
    }
    out["pass"] = bool(
        usable and out["completed"] == 1.0 and len(dists) and p95 <= IDENTITY_P95_MAX and not worse
        and (not len(before) or after.mean() >= before.mean())
    )
    out["rows"] = rows
    return out


def identity_distance(before: np.ndarray, after: np.ndarray) -> float | None:
    """Identity distance between the subject's face in two images (None: a face is
    missing): what the studio changed of the person, input photo → headshot.

    Both faces are embedded with the chip and its mirror image averaged (the ``"best"``
    quality of :func:`likeness.faces.embed_face`): a single view's own noise
    (re-embedding the same photo enlarged moves it by 0.04–0.09) would otherwise
    drown what the studio changes.
    """
    from ..faces import analyze, distance, embed_face

    embs = []
    for img in (before, after):
        faces = analyze(img, embed=False, subject_only=True)
        if not faces:
            return None
        _, e = embed_face(img, faces[0].box, mesh=faces[0].mesh, quality="best")
        embs.append(e)
    return distance(embs[0], embs[1])

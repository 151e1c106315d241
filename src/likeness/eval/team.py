"""`likeness eval team DIR`: a team of one photo per person from DIR/identities plus every
photo of DIR/photos/single; spreads before and after normalisation, and each person's
skin tone against their own single studio headshot (no skin normalisation across people).

White balance is read on the whites of the eyes (:func:`likeness.team.measure.sclera`);
beside its spread stands the reading's own noise, the
median difference between the two eyes of one face (``white_balance_eyes_delta_e_median``).
``light_test`` asks the question behind a team's white balance without any neutral: the
same photo as if taken in a warmer and in a cooler room, through the studio; how much of
the light's colour is left on the skin.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..imageio import is_image_path, load_photo

#: Rooms a team's photos come from, as linear-light gains (~5–6 ΔE2000 on skin).
CASTS = {"warm": (1.12, 1.0, 0.80), "cool": (0.88, 1.0, 1.18)}

TARGETS = {
    "eye_line_std": 0.01,
    "head_ratio_std": 0.02,
    "backdrop_delta_e_max": 1.0,
    "white_balance_delta_e_max": 2.0,
    "skin_delta_e_vs_single_max": 2.0,
}


def _pick(folder: Path) -> Path | None:
    """The person's largest photo (a team member sends their best one)."""
    best, area = None, 0
    for p in sorted(folder.iterdir()):
        if is_image_path(p):
            from PIL import Image

            with Image.open(p) as im:
                a = im.size[0] * im.size[1]
            if a > area:
                best, area = p, a
    return best


def build_team(root: Path, dest: Path) -> int:
    n = 0
    for d in sorted((root / "identities").iterdir()):
        p = _pick(d) if d.is_dir() else None
        if p:
            (dest / d.name).mkdir(parents=True)
            os.symlink(p.resolve(), dest / d.name / p.name)
            n += 1
    for p in sorted((root / "photos" / "single").iterdir()):
        if is_image_path(p):
            (dest / p.stem).mkdir(parents=True)
            os.symlink(p.resolve(), dest / p.stem / p.name)
            n += 1
    return n


def _in_light(image: np.ndarray, gains) -> np.ndarray:
    from ..color import gamma_to_linear, linear_to_gamma, to_float, to_uint8

    return to_uint8(linear_to_gamma(gamma_to_linear(to_float(image)) * np.float32(gains)))


def light_test(photos: list[Path], tmp: Path) -> dict:
    """Each photo plain and in the ``CASTS`` lights, through the studio: the skin's ΔE2000
    to the plain photo's, before (photos) and after (headshots). ``left_median``: the
    median share of the light's colour still on the skin (0: removed, 1: untouched).
    Measured on the eval team (17 people × 2 lights): the lights move the skin by a
    median 5.0 ΔE; 59 % of that is left in the headshots (79 % before the cast estimate
    worked in log-chromaticity), up to 10.5 ΔE."""
    from ..imageio import save_image
    from ..studio.pipeline import make_headshot
    from ..team.measure import delta_e, measure_image

    rows = []
    for k, photo in enumerate(photos):
        img = load_photo(photo).image
        skin = {}
        for name, gains in {"plain": (1.0, 1.0, 1.0), **CASTS}.items():
            f = tmp / f"light-{k}-{name}.jpg"
            save_image(_in_light(img, gains), f, quality=95)
            _, r = make_headshot(f, tmp / f"light-{k}-{name}-headshot.jpg", look="corporate-grey", frame="headshot")
            skin[name] = (measure_image(load_photo(f).image).skin_lab, measure_image(r.image).skin_lab)
        if not all(a and b for a, b in skin.values()):
            continue
        for name in CASTS:
            before = delta_e(skin[name][0], skin["plain"][0])
            after = delta_e(skin[name][1], skin["plain"][1])
            rows.append({"person": photo.parent.name, "light": name, "before": round(before, 2), "after": round(after, 2)})
    left = [r["after"] / r["before"] for r in rows if r["before"] > 0.5]
    return {
        "left_median": float(np.median(left)) if left else None,
        "skin_delta_e_after_max": max((r["after"] for r in rows), default=None),
        "skin_delta_e_before_median": float(np.median([r["before"] for r in rows])) if rows else None,
        "rows": rows,
    }


def run(root: Path, *, progress=None, workers: int | None = None) -> dict:
    from ..looks import load_look
    from ..studio import studio
    from ..team import run_team
    from ..team.measure import delta_e, measure_image

    with tempfile.TemporaryDirectory(prefix="likeness-eval-team-") as tmp:
        src, out = Path(tmp) / "team", Path(tmp) / "out"
        n = build_team(root, src)
        res = run_team(src, out, look="corporate-grey", workers=workers,
                       progress=(lambda d, t, _w: progress(d, t)) if progress else None)
        c = res.consistency
        # Each person's skin in the team headshot against their own single studio headshot.
        look = load_look("corporate-grey")
        skin_de = []
        for p in res.done:
            photo = p["photo_paths"][0]
            single = studio([str(photo)], look=look, frame="headshot", out=Path(tmp) / "single" / p["slug"])
            if not single.headshots:
                continue
            a = measure_image(load_photo(out / "people" / p["slug"] / p["file"]).image)
            b = measure_image(load_photo(single.headshots[0].path).image)
            if a.skin_lab and b.skin_lab:
                skin_de.append(delta_e(a.skin_lab, b.skin_lab))
        light = light_test([Path(p["photo_paths"][0]) for p in res.done], Path(tmp))
    after = dict(c["after"])
    after["skin_delta_e_vs_single_max"] = float(np.max(skin_de)) if skin_de else None
    after["skin_delta_e_vs_single_p95"] = float(np.percentile(skin_de, 95)) if skin_de else None
    passed = {k: (after.get(k) is not None and after[k] <= v) for k, v in TARGETS.items()}
    return {
        "n_people": n,
        "done": c["done"],
        "retakes": c["retakes"],
        "before": c["before"],
        "after": after,  # over the people the team framing fits (see framed_tighter)
        "after_all": c["after_all"],
        "framed_tighter": c["framed_tighter"],
        "targets": TARGETS,
        "passed": passed,
        "light_test": light,
        "breaks_team_look": c["breaks_team_look"],
        "per_person": c["per_person"],
        "seconds": round(res.seconds, 1),
    }

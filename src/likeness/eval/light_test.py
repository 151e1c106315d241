"""The team light test: does every person look lit by the same light, whatever room
they were photographed in?

Each photo is put, as a whole, under four room lights (``CASTS``: linear-light gains,
about 5 ΔE2000 on skin), and made into a headshot; each headshot's skin (the cheeks, as
the review reads them) is compared with the headshot of the photo as it was:

- ``left``: the share of the room's colour left on the skin, after / before, where
  before is the skin's ΔE2000 from the plain photo's and after the headshot's from
  the plain headshot's (0: removed, 1: untouched); median and p90;
- ``worse``: cases the studio moved further from the plain headshot than the cast
  photo was from the plain photo (worse than no correction);
- ``team_spread``: members photographed in different rooms carry different residual
  casts; the 90th percentile over pairs of (member, room) of the ΔE2000 between their
  residual casts, both put on the team's median skin colour;
- ``plain_change``: photo → headshot skin change of the plain photos (what the studio
  does to real photos; the correction must not make it larger), and
  ``plain_colour_change``: the same at equal brightness (the photo's skin brought to
  the headshot's luminance: the colour change alone, without the fill's deliberate lift
  of a shaded cheek); ``plain_change_without_wb``: the same with the Look's white
  balance off, so the share the white balance adds can be read (on the ten eval-team
  members the studio's other steps, exposure, fill, grade, give p90 2.4 ΔE, the fill
  alone 7.2 on one dim indoor photo; the white balance brings it to 6.8, the removal
  of what it reads as the room's light: on an already balanced photo that is
  the estimate's own error, on a photo taken under a coloured light it is the work
  asked for, and nothing here tells the two apart); ``plain_wb_change``: the headshot's
  skin with the white balance against without it, the white balance's own part.
  ``plain_rows`` gives them per person.
- ``consistency`` (:func:`consistency`): whether that change on real photos removes
  their rooms' light: each person's skin across their own photos, in the photos and
  in the headshots.

Every figure is given for all people and for the two halves of the team, split by
person (``half_a``: even positions in name order, on which the white balance's skin
locus and its radius were fitted; ``half_b``: unseen). With a chart (:func:`chart_test`), a rendered
24-patch chart is held in each photo (about a third of the photo's width, tilted), the
photo under each light is the card photo, and the headshot is made from the photo
without the chart, corrected from the card.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..imageio import load_photo

#: Rooms, as linear-light gains (r, g, b): tungsten, shade, fluorescent, magenta-tinted.
CASTS = {
    "warm": (1.12, 1.0, 0.80),
    "cool": (0.88, 1.0, 1.18),
    "green": (0.90, 1.06, 0.88),
    "magenta": (1.10, 0.92, 1.08),
}
LIGHT_TARGETS = {"left_median": 0.25, "left_p90": 0.50, "worse": 0, "team_spread": 2.0,
                 "chart_found": 0.95, "chart_left_median": 0.10}
#: Only casts that moved the skin visibly count in ``left`` (a ratio of tiny numbers is noise).
MIN_BEFORE = 0.5


def in_light(image: np.ndarray, gains) -> np.ndarray:
    """``image`` (uint8 sRGB) as if lit by a light of ``gains`` (linear light)."""
    from ..color import gamma_to_linear, linear_to_gamma, to_float, to_uint8

    return to_uint8(linear_to_gamma(gamma_to_linear(to_float(image)) * np.float32(gains)))


def consistency(root: Path, tmp: Path, *, look: str = "corporate-grey", min_photos: int = 3) -> dict:
    """Each person's skin across their own photos (``root/identities``, taken on
    different days in different rooms): what the white balance does to real photos,
    where the true skin colour is not known. Where it removes each room's light, a
    person's skin reads more alike in their headshots than in their photos; where it
    only added its own error, less alike.

    Per person with ``min_photos`` or more usable photos: the median over pairs of their
    photos of the skin's colour change at equal brightness (:func:`colour_change`: the
    fill and exposure left out), in the photos (``spread_photos``) and in their
    headshots (``spread_headshots``). Summaries for all people and for each half
    (split by person as ``eval defects`` splits them: :func:`likeness.eval.defects.half`):
    the medians of both, and how many people's spread shrank."""
    from ..imageio import is_image_path
    from ..looks import load_look
    from .defects import half

    look_ = load_look(look)
    per: dict[str, dict] = {}
    for d in sorted(p for p in (Path(root) / "identities").iterdir() if p.is_dir()):
        pairs = []
        for k, f in enumerate(sorted(p for p in d.iterdir() if is_image_path(p))):
            r = _headshot(f, tmp / f"consistency-{d.name}-{k}.jpg", look_)
            if r is None:
                continue
            a, b = _skin(load_photo(f).image), _skin(r.image, r.face)
            if a is not None and b is not None:
                pairs.append((a, b))
        if len(pairs) < min_photos:
            continue
        ij = list(itertools.combinations(range(len(pairs)), 2))
        per[d.name] = {
            "photos": len(pairs),
            "spread_photos": _r(np.median([colour_change(pairs[i][0], pairs[j][0]) for i, j in ij])),
            "spread_headshots": _r(np.median([colour_change(pairs[i][1], pairs[j][1]) for i, j in ij])),
        }
    out: dict = {"per_person": per}
    for name, keep in (("all", lambda _p: True), ("half_a", lambda p: half(p) == "a"),
                       ("half_b", lambda p: half(p) == "b")):
        rows = [v for p, v in per.items() if keep(p)]
        out[name] = {
            "people": len(rows),
            "spread_photos_median": _r(np.median([v["spread_photos"] for v in rows])) if rows else None,
            "spread_headshots_median": _r(np.median([v["spread_headshots"] for v in rows])) if rows else None,
            "shrank": sum(v["spread_headshots"] < v["spread_photos"] for v in rows),
        }
    return out


def _skin(image: np.ndarray, face=None):
    from ..team.measure import measure_image

    m = measure_image(image, face)
    return None if m.skin_lab is None else np.array(m.skin_lab)


def _headshot(path: Path, out: Path, look):
    """The render, or None when the studio finds no face in this version of the photo
    (a strong cast can hide a small face from the detector; counted as ``no_face``)."""
    from ..errors import FaceError
    from ..studio.pipeline import make_headshot

    try:
        _, r = make_headshot(path, out, look=look, frame="headshot")
    except FaceError:
        return None
    return r


def light_test(photos: list[Path], tmp: Path, *, chart: bool = True, look: str = "corporate-grey") -> dict:
    """The light test (and, with ``chart``, the chart test) on ``photos``; see the module."""
    from ..imageio import save_image
    from ..looks import load_look

    look_ = load_look(look)
    no_wb = replace(look_, light=replace(look_.light, white_balance=0.0))
    rows, plain, chart_rows, no_face, rest = [], {}, [], [], {}
    for k, photo in enumerate(photos):
        person = photo.parent.name
        img = load_photo(photo).image
        f0 = tmp / f"light-{k}-plain.jpg"
        save_image(img, f0, quality=95)
        r0 = _headshot(f0, tmp / f"light-{k}-plain-hs.jpg", look_)
        if r0 is None:
            continue
        p_skin, h_skin = _skin(load_photo(f0).image), _skin(r0.image, r0.face)
        if p_skin is None or h_skin is None:
            continue
        plain[person] = (p_skin, h_skin)
        r1 = _headshot(f0, tmp / f"light-{k}-plain-nowb-hs.jpg", no_wb)
        h_rest = None if r1 is None else _skin(r1.image, r1.face)
        if h_rest is not None:
            rest[person] = h_rest
        files = {}
        for name, gains in CASTS.items():
            f = files[name] = tmp / f"light-{k}-{name}.jpg"
            save_image(in_light(img, gains), f, quality=95)
            r = _headshot(f, tmp / f"light-{k}-{name}-hs.jpg", look_)
            if r is None:
                no_face.append(f"{person}/{name}")
                continue
            before, after = _skin(load_photo(f).image), _skin(r.image, r.face)
            if before is None or after is None:
                continue
            rows.append({"person": person, "light": name, "before": _de(before, p_skin), "after": _de(after, h_skin),
                         "residual": (after - h_skin).tolist(), "bounded": bool(r.measures.get("cast_bounded", 0))})
        if chart:
            chart_rows += chart_test(img, person, k, files, tmp, look_)
    names = sorted(plain)
    halves = {"all": set(names), "half_a": set(names[0::2]), "half_b": set(names[1::2])}
    out = {name: summarise([r for r in rows if r["person"] in who], {p: plain[p] for p in who},
                           [r for r in chart_rows if r["person"] in who],
                           rest={p: rest[p] for p in who if p in rest}) for name, who in halves.items()}
    a = out["all"]
    out["passed"] = {k: a.get(k) is not None and a[k] <= v for k, v in LIGHT_TARGETS.items() if k != "chart_found"}
    out["passed"]["chart_found"] = a.get("chart_found") is not None and a["chart_found"] >= LIGHT_TARGETS["chart_found"]
    out["casts"] = CASTS
    out["no_face"] = no_face
    out["rows"] = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items() if k != "residual"} for r in rows]
    out["chart_rows"] = chart_rows
    out["plain_rows"] = [{"person": p, "change": _r(_de(*plain[p])), "colour_change": _r(colour_change(*plain[p])),
                          "change_without_wb": _r(_de(plain[p][0], rest[p])) if p in rest else None,
                          "wb_change": _r(_de(plain[p][1], rest[p])) if p in rest else None} for p in names]
    return out


def chart_test(img: np.ndarray, person: str, k: int, files: dict, tmp: Path, look) -> list[dict]:
    """A chart held in ``img`` under every light: found or not, and the skin of the
    headshot corrected from it against the plain headshot corrected from it."""
    from ..studio.card import find_chart, place_chart, render_chart

    h, w = img.shape[:2]
    rng = np.random.default_rng(k)
    held = place_chart(img, render_chart(int(0.32 * w)), center=(0.25 * w, 0.8 * h),
                       angle=float(rng.uniform(-12, 12)), tilt=float(rng.uniform(0.0, 0.15)))
    out, ref = [], None
    for name, gains in {"plain": (1.0, 1.0, 1.0), **CASTS}.items():
        card = find_chart(in_light(held, gains))
        g = card.gains() if card is not None else None
        row = {"person": person, "light": name, "found": card is not None, "gains": g}
        if g is not None:
            src = tmp / f"light-{k}-plain.jpg" if name == "plain" else files[name]
            lk = replace(look, light=replace(look.light, card=g))
            r = _headshot(src, tmp / f"chart-{k}-{name}-hs.jpg", lk)
            skin = None if r is None else _skin(r.image, r.face)
            if name == "plain":
                ref = skin
            elif skin is not None and ref is not None:
                before = _skin(load_photo(src).image)
                plain_photo = _skin(load_photo(tmp / f"light-{k}-plain.jpg").image)
                if before is not None and plain_photo is not None:
                    row.update(before=_de(before, plain_photo), after=_de(skin, ref))
        out.append(row)
    return out


def summarise(rows: list[dict], plain: dict, chart_rows: list[dict], *, rest: dict | None = None) -> dict:
    """The light test's figures over ``rows`` (see the module); ``rest``: each person's
    plain headshot skin with the white balance off."""
    if not rows:
        return {"n_people": len(plain)}
    b = np.array([r["before"] for r in rows])
    a = np.array([r["after"] for r in rows])
    left = a[b > MIN_BEFORE] / b[b > MIN_BEFORE]
    res = {
        "n_people": len(plain),
        "n_cases": len(rows),
        "before_median": _r(np.median(b)),
        "after_median": _r(np.median(a)),
        "after_max": _r(a.max()),
        "left_median": _r(np.median(left)),
        "left_p90": _r(np.percentile(left, 90)),
        "left_by_light": {n: _r(np.median([r["after"] / r["before"] for r in rows if r["light"] == n and r["before"] > MIN_BEFORE] or [np.nan])) for n in CASTS},
        "worse": int((a > b).sum()),
        "bounded": int(sum(r["bounded"] for r in rows)),
        "team_spread": _team_spread(rows, plain),
    }
    change = [_de(p, h) for p, h in plain.values()]
    res["plain_change_median"], res["plain_change_p90"] = _r(np.median(change)), _r(np.percentile(change, 90))
    colour = [colour_change(p, h) for p, h in plain.values()]
    res["plain_colour_change_median"] = _r(np.median(colour))
    res["plain_colour_change_p90"] = _r(np.percentile(colour, 90))
    if rest:
        other = [_de(plain[p][0], h) for p, h in rest.items() if p in plain]
        res["plain_change_without_wb_median"] = _r(np.median(other))
        res["plain_change_without_wb_p90"] = _r(np.percentile(other, 90))
        wb = [_de(plain[p][1], h) for p, h in rest.items() if p in plain]
        res["plain_wb_change_median"], res["plain_wb_change_p90"] = _r(np.median(wb)), _r(np.percentile(wb, 90))
    if chart_rows:
        res["chart_found"] = _r(np.mean([r["found"] for r in chart_rows]))
        cl = [r["after"] / r["before"] for r in chart_rows if "after" in r and r["before"] > MIN_BEFORE]
        if cl:
            res["chart_left_median"], res["chart_left_p90"] = _r(np.median(cl)), _r(np.percentile(cl, 90))
    return res


def _team_spread(rows: list[dict], plain: dict) -> float | None:
    """90th percentile over pairs of (member, room), different members, of the ΔE2000
    between their residual casts put on the team's median headshot skin."""
    ref = np.median(np.array([h for _, h in plain.values()]), axis=0)
    res = [(r["person"], ref + np.array(r["residual"])) for r in rows]
    d = [_de(x, y) for (p, x), (q, y) in itertools.combinations(res, 2) if p != q]
    return _r(np.percentile(d, 90)) if d else None


def _de(a, b) -> float:
    from ..color import delta_e

    return float(delta_e(a, b))


def colour_change(photo_lab, headshot_lab) -> float:
    """ΔE2000 photo → headshot skin once the photo's is brought to the headshot's
    brightness: the skin's colour change, without the fill's and exposure's lift."""
    from ..color import (
        at_luminance_of,
        lab_to_rgb,
        linear_to_srgb,
        rgb_to_lab,
        srgb_to_linear,
    )

    lin = at_luminance_of(srgb_to_linear(lab_to_rgb(np.asarray(photo_lab, np.float32))), headshot_lab)
    return _de(rgb_to_lab(linear_to_srgb(np.clip(lin, 0, 1))), headshot_lab)


def _r(v) -> float:
    return round(float(v), 3)

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
must be ≥ ``TARGET_STRIPES`` on photos whose clothing can show such a pattern at all
(``unresolvable``: too little clothing, or the pattern would be finer than 2.2 px in
the photo itself); ``original_flag_rates`` says how often each check fires on the
photos as they are, and ``plain_false_alarms`` how often on the clothing that is
plain (``PATTERNED`` and ``PRINTED`` were labelled by looking at every clothing crop).

A word and ``LOGOS_PER_PHOTO`` large logos are drawn onto each photo's clothing
(:mod:`.coach_prints`): ``prints`` gives per half ``lettering_flagged`` and
``logo_flagged`` (the limits of :mod:`likeness.coach.lettering` and
:mod:`likeness.coach.logo` were set on ``calibration``) against ``plain_flagged`` on
the plain originals (``TARGET_PRINTS``). Necklines: the
clothing above a row ``NECK_ABOVE`` face heights over the headshot framing's bottom
edge is painted with the person's skin (a neckline the frame would run along: must
read ``cut``),
above a row 0.3–0.5 face heights higher (a neckline well inside: must read nothing),
or all the way down (must read ``bare``).
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
NECK_ABOVE = (0.02, 0.10)  # face heights above the frame's bottom edge: a neckline the frame would run along
#: Originals with a real pattern (stripes, ribs, dots, plaid, knit) or a print, by looking.
PATTERNED = frozenset({"00094.jpg", "00320.jpg", "00336.jpg", "00384.jpg", "00688.jpg", "00857.jpg", "00867.jpg", "00906.jpg",
                       "01148.jpg"})  # 01148: a green, yellow and purple tie-dye (labelled plain until the logo check)
PRINTED = frozenset({"00336.jpg", "00592.jpg", "00682.jpg", "00732.jpg", "00884.jpg", "01023.jpg",
                     "human__stock-models-1.jpg", "ulfd__5.jpg"})
#: A small chest logo, a tie against a poster, a watermark across the clothes: neither plain nor a large print.
UNCLEAR = frozenset({"00408.jpg", "00447.jpg", "00893.jpg", "01175.jpg"})


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
        sheet: Path | None = None, print_sheet: Path | None = None) -> dict:
    from ..coach.wardrobe import BLEND_DE, WEB_FACE_PX, advise, builtin_looks, regions
    from ..faces.subject import find_faces, pick_subject
    from ..imageio import load_photo

    looks = builtin_looks()
    files = _photos(root)[:limit] if limit else _photos(root)
    rng = np.random.default_rng(SEED)
    pairs: list[dict] = []
    striped, fired, judged, skipped = [], {"blend": 0, "stripes": 0, "neckline": 0, "lettering": 0, "logo": 0}, 0, []
    prints: list[dict] = []
    tiles: list | None = [] if print_sheet is not None else None
    necks: list[dict] = []
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
            striped.append({"photo": p.name, "half": _half(p), "period_web": round(web, 2),
                            "flagged": any(a.key == "stripes" for a in ws.advice),
                            "resolvable": ws.stripe_period_web is not None and web * r.face_height / WEB_FACE_PX >= 2.2,
                            "peak": ws.stripe_peak, "found_period_web": ws.stripe_period_web,
                            "original_peak": w.stripe_peak, "original_period_web": w.stripe_period_web,
                            "original_flagged": any(a.key == "stripes" for a in w.advice)})
            prints.append(_prints(img, face, r, p, rng, original=w, tiles=tiles))
            necks.append(_necks(img, face, r, p, rng))
        if progress:
            progress(i + 1, len(files))
    flagged = [q for q in pairs if q["flagged"]]
    clear = [q for q in pairs if not q["flagged"]]
    out = {
        "looks": list(looks), "photos_judged": judged, "no_face": skipped, "blend_below_de2000": BLEND_DE,
        "pairs": len(pairs), "flagged": _spread(flagged), "not_flagged": _spread(clear),
        "flagged_by_look": {lk: sum(1 for q in flagged if q["look"] == lk) for lk in looks},
        "flagged_pairs": sorted(flagged, key=lambda q: q["contrast"]),
        "stripes": {"target": TARGET_STRIPES, "period_web_px": list(STRIPE_WEB), "amplitude": STRIPE_AMPLITUDE,
                    **{h: _stripe_rates([q for q in striped if h == "all" or q["half"] == h]) for h in HALVES},
                    "missed": [q for q in striped if q["resolvable"] and not q["flagged"]], "rows": striped},
        "prints": {"target": TARGET_PRINTS, **{h: _print_rates([q for q in prints if h == "all" or q["half"] == h]) for h in HALVES}},
        "neckline": _neck_rates(necks),
        "original_flag_rates": {k: round(v / max(judged, 1), 4) for k, v in fired.items() if k != "blend"},
    }
    if print_sheet is not None and tiles:
        prints_sheet(print_sheet, tiles)
    if sheet is not None and flagged and clear:
        contact_sheet(root, sheet, [min(flagged, key=lambda q: q["contrast"]), max(clear, key=lambda q: q["contrast"])])
    return out


HALVES = ("calibration", "report", "all")


def _half(p: Path) -> str:
    from .coach import half_of, person_of

    return half_of(person_of(p))


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _stripe_rates(rows: list[dict]) -> dict:
    ok = [q for q in rows if q["resolvable"]]
    plain = [q for q in rows if q["photo"] not in PATTERNED | UNCLEAR]
    return {"n": len(rows), "unresolvable": len(rows) - len(ok), "flag_rate": _rate([q["flagged"] for q in ok]),
            "flag_rate_counting_unresolvable_as_missed": _rate([q["flagged"] and q["resolvable"] for q in rows]),
            "plain_n": len(plain), "plain_false_alarms": sum(q["original_flagged"] for q in plain),
            "patterned_flagged": sorted(q["photo"] for q in rows if q["photo"] in PATTERNED and q["original_flagged"])}


LOGOS_PER_PHOTO = 2  # marks drawn on each photo (the shapes and places differ)
#: A logo is drawn on cloth this far from the skin colour (``skin_distance``): the
#: clothing mask lets some skin through, and a print is not drawn on skin.
PRINT_ON_CLOTH = 20.0
TARGET_PRINTS = {"logo_flagged": 0.9, "lettering_flagged": 0.9, "plain_flagged": 0.05}


def _prints(img, face, r, p: Path, rng, *, original, tiles: list | None = None) -> dict:
    """The print advice on the original, and on copies with a word or a logo drawn on
    (the regions read again from each copy, as the coach would); with ``tiles``, each
    case's chest as a labelled tile for the contact sheet."""
    from ..coach.wardrobe import prints, regions, skin_distance
    from .coach_prints import add_lettering, add_logo

    keys = [a.key for a in original.advice if a.key in ("lettering", "logo")]
    kind = "printed" if p.name in PRINTED else "unclear" if p.name in UNCLEAR else "patterned" if p.name in PATTERNED else "plain"
    row = {"photo": p.name, "half": _half(p), "original": keys[0] if keys else None, "words": [], "logos": [], "kind": kind}

    def told(out: np.ndarray, case: str) -> str | None:
        printed, logo = prints(out, regions(out, face, person=r.person))
        key = "lettering" if printed.lettering else "logo" if logo.found else None
        if tiles is not None:
            tiles.append((case, key, _tile(out, r, f"{p.stem[:18]} {case}: {key or '-'}", logo.box)))
        return key

    if tiles is not None:
        told(img, f"original ({kind})")
    out = add_lettering(img, r.clothing, r.face_height, rng)
    if out is not None:
        row["words"].append(told(out, "word"))
    cloth = r.clothing & (skin_distance(img, np.array(r.skin, np.float32)) > PRINT_ON_CLOTH)
    for _ in range(LOGOS_PER_PHOTO):
        out = add_logo(img, cloth, r.face_height, rng, centre_x=float(face.center[0]), face_w=float(face.width), chin_y=r.chin_y)
        if out is not None:
            row["logos"].append(told(out, "logo"))
    return row


def _tile(img: np.ndarray, r, label: str, box) -> np.ndarray:
    """The chest (chin to the clothing's bottom) at 180 px tall, the logo found boxed, labelled."""
    img = img.copy()
    if box is not None:
        x, y, w, h = box
        cv2.rectangle(img, (x, y), (x + w, y + h), (255, 0, 255), max(2, int(0.012 * r.face_height)))
    x0, _, x1, y1 = r.box
    y0 = int(max(0, r.chin_y - 0.1 * r.face_height))
    crop = img[y0:y1, x0:x1]
    k = 180 / max(1, crop.shape[0])
    t = cv2.resize(crop, (max(1, min(320, int(crop.shape[1] * k))), 180), interpolation=cv2.INTER_AREA)
    tile = np.full((200, 320, 3), 255, np.uint8)
    tile[20:, : t.shape[1]] = t
    cv2.putText(tile, label, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def prints_sheet(out: Path, tiles: list, *, cols: int = 6) -> Path:
    """Plain originals first (flagged ones leading), then other originals, drawn logos
    and words, each group flagged first."""
    order = {"original (plain)": 0, "logo": 2, "word": 3}
    tiles = sorted(tiles, key=lambda t: (order.get(t[0], 1), t[1] is None))
    imgs = [t[2] for t in tiles]
    while len(imgs) % cols:
        imgs.append(np.full_like(imgs[0], 255))
    sheet = np.concatenate([np.concatenate(imgs[i : i + cols], 1) for i in range(0, len(imgs), cols)], 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out)
    return out


def _print_rates(rows: list[dict]) -> dict:
    """``lettering_flagged`` / ``logo_flagged``: drawn words / logos told (as either:
    both say "wear a plain top"); ``plain_flagged``: plain originals told either."""
    by = {k: [q for q in rows if q["kind"] == k] for k in ("plain", "patterned", "printed")}
    words = [t for q in rows for t in q["words"]]
    logos = [t for q in rows for t in q["logos"]]
    # where the photo as it is already has print advice, a drawn copy is told for that too
    quiet = [q for q in rows if q["original"] is None]
    return {"lettering_flagged": _rate([t is not None for t in words]), "n_words": len(words),
            "lettering_flagged_original_quiet": _rate([t is not None for q in quiet for t in q["words"]]),
            "words_told_as_logo": sum(t == "logo" for t in words),
            "logo_flagged": _rate([t is not None for t in logos]), "n_logos": len(logos),
            "logo_flagged_original_quiet": _rate([t is not None for q in quiet for t in q["logos"]]),
            "n_logos_original_quiet": sum(len(q["logos"]) for q in quiet),
            "logos_told_as_lettering": sum(t == "lettering" for t in logos),
            "plain_flagged": _rate([q["original"] is not None for q in by["plain"]]), "plain_n": len(by["plain"]),
            "plain_flagged_photos": sorted(f"{q['photo']} ({q['original']})" for q in by["plain"] if q["original"]),
            "patterned_flagged": sorted(q["photo"] for q in by["patterned"] if q["original"]),
            "printed_originals_flagged": f"{sum(q['original'] is not None for q in by['printed'])}/{len(by['printed'])}"}


def _necks(img, face, r, p: Path, rng) -> dict:
    """The neckline check (headshot framing) on the original and three painted necklines."""
    from ..coach.wardrobe import frame_bottom, neckline, regions
    from .coach_prints import lower_neckline

    bottom = frame_bottom(face, frame="headshot")
    row = {"photo": p.name, "original": neckline(img, face, r, frame="headshot"),
           "bottom_below_chin": round((bottom - r.chin_y) / r.face_height, 2), "inside_photo": bottom <= img.shape[0]}
    if not row["inside_photo"] or r.clothing[int(bottom) - 1 :: -1].sum() == 0:
        return row
    from ..color import lab_to_rgb
    from ..faces import view as views
    from ..intake.quality import skin_lab

    # the skin colour the clothing mask is told from (so painted cloth reads as skin)
    lab = np.array(skin_lab(views.face_view(img, face, framing=views.FACE)), np.float32)
    skin = np.clip(np.asarray(lab_to_rgb(lab[None, None]), np.float32).reshape(3) * 255, 0, 255)
    cases = {"cut": bottom - rng.uniform(*NECK_ABOVE) * r.face_height,
             "inside": bottom - rng.uniform(0.3, 0.5) * r.face_height, "bare": bottom + 2}
    for key, y in cases.items():
        painted = lower_neckline(img, r.clothing, skin, int(round(y)))
        row[key] = neckline(painted, face, regions(painted, face, person=r.person), frame="headshot")
    return row


def _neck_rates(rows: list[dict]) -> dict:
    ok = [q for q in rows if "cut" in q]
    return {"photos": len(rows), "framing": "headshot", "frame_edge_inside_photo": sum(q["inside_photo"] for q in rows),
            "frame_edge_below_chin_face_heights_p50": round(float(np.median([q["bottom_below_chin"] for q in rows])), 2) if rows else None,
            "original": {k: sum(q["original"] == k for q in rows) for k in ("cut", "bare")},
            "synthetic_n": len(ok), "cut_read_as_cut": _rate([q["cut"] == "cut" for q in ok]),
            "inside_read_as_nothing": _rate([q["inside"] is None for q in ok]),
            "bare_read_as_bare": _rate([q["bare"] == "bare" for q in ok])}


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

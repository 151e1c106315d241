"""`likeness eval fairness DIR`: does every stage work as well for every skin tone?

Every person of ``DIR/identities`` and every portrait of ``DIR/portraits`` is put in a
skin-tone band from their own photos: the Individual Typology Angle
(ITA = atan((L* − 50) / b*), degrees) of the lit cheek's skin (the brighter of the
two: side light puts the other in shade) after the studio's own white
balance (:mod:`likeness.studio.white_balance`: its estimate on near-neutral
pixels that are not skin, held inside the skin locus, removed whole); a person's ITA is the
median over their photos. Bands (Chardon's six classes merged to three, edges fixed
before looking at the data): ``light`` ITA > 41° (very light, light), ``medium``
10° < ITA ≤ 41° (intermediate, tan), ``dark`` ITA ≤ 10° (brown, dark). Each photo
is also split by glasses (the review's glasses score ≥ 6) or none (≤ 3).

Per band (and per glasses group), with the count and a bootstrap 90 % interval
(1 000 resamples of the photos, seeded), the figures of the other evals, made by their
own functions:

- intake (:func:`likeness.intake.inspection.inspect_path`, every untouched photo of at
  least the intake eval's ``MIN_SIDE`` px on its short side — the same "good photo"
  set as ``likeness eval intake``; the 250 px news crops are rightly refused as too
  small, and counting them made the bands that hold many of them look 0.7 worse):
  ``intake_refused`` (a major measure fails: the photo would not be used),
  ``intake_wrongly_refused`` (the same, less the refusals looked at and judged right:
  sunglasses, a blurred or squinting face; ``fairness_stages.RIGHT_REFUSALS``, the
  proposed measure for the 0.03 gap, as the issue asks for wrong refusals),
  ``intake_flagged`` (any measure fails) and the flag rate per measure;
- matting (:func:`likeness.matting.matte`, the portraits): ``matting_iou`` mean, p10;
- studio (:func:`likeness.studio.pipeline.make_headshot`): ``studio_skin_de`` (ΔE2000
  of the cheeks' median colour, photo → headshot, each read at its own face) median
  and p95; ``studio_skin_de_light_removed`` p95, the same once the studio's own global
  light gains (white balance, exposure, match) are applied to the photo's skin (what
  the fill, retouch and grade changed); ``studio_skin_tone_de`` median and p95, the
  same at the headshot skin's brightness (the photo's skin scaled in linear light, which
  keeps its chromaticity): a relight the Look asks for (the white balance removing the
  room's cast, the exposure, the fill lifting a shaded cheek) is not a change of skin
  tone, a change of the skin's colour is. **The skin target (p95 ≤ 2 in every band) is
  judged on it**; the raw figure is reported beside it. ``studio_skin_dL``/``dC``
  medians: signed lightness and chroma change photo → headshot, and ``dC_light`` the
  chroma change of the white balance alone (does it pull a band towards grey?);
  ``studio_identity`` p95 (:func:`likeness.eval.studio.identity_distance`),
  ``studio_evenness_before/after`` (:func:`likeness.studio.light.face_uniformity`);
- retouch (:func:`likeness.eval.retouch.evaluate_photo`): ``retouch_texture``,
  ``retouch_blemish_removal``;
- review (:func:`likeness.eval.review_data.analyse_all` and
  :func:`likeness.eval.review.summarize` per band): ``review_genuine``;
  ``review_genuine_single_person``, the same over the photos whose framed candidate
  shows no other face (a bystander is refused in every band; how many of a band's press
  photos hold one is the collection's doing, not the skin's: the proposed measure for
  the 0.03 gap); the skin lock's catch rate of a 5 ΔE lightening with
  (``review_skin_caught``) and without the source photo (``review_skin_caught_unseen``),
  and the no-source curve.

**Subsampled** (2 shared CPU cores): the studio runs on ``studio_per_person`` photos of
each person and every ``portrait_step``-th portrait; retouch on ``retouch_per_person``.
The review reads every photo (``review_per_person`` None; about 5 minutes more than
4 photos a person, the fewest the no-source skin test judges): the dark band holds two
people, and with 4 photos each one photo moved its genuine pass rate by 0.125 (the
hair colour of a backlit photo, 20.0 against the limit of 18.0 beside the person's 3
other photos, passes beside all 7). Intake, bands and matting use every photo.
Per-photo results are cached (``cache``: one JSON file per photo and stage, keyed by
the file's path, size and time), so a second run only redoes what changed. The summary names, per figure, the worst band and its gap to the best.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..imageio import is_image_path
from .intake import MIN_SIDE
from .intake import photos as intake_photos

#: (lower edge of ITA, name): a band holds ITA above its edge (and at most the next one's).
BANDS = ((41.0, "light"), (10.0, "medium"), (-math.inf, "dark"))
BAND_EDGES = {"light": "ITA > 41°", "medium": "10° < ITA ≤ 41°", "dark": "ITA ≤ 10°"}
VERSION = 2  # bump when a per-photo measure changes: the cache is keyed on it
#: figure → (better, target gap to the best band, or None)
FIGURES = {
    "intake_refused": ("low", 0.03), "intake_wrongly_refused": ("low", 0.03), "intake_flagged": ("low", None),
    "matting_iou_mean": ("high", 0.02), "matting_iou_p10": ("high", None),
    "studio_skin_de_median": ("low", None), "studio_skin_de_p95": ("low", None),
    "studio_skin_de_light_removed_p95": ("low", None),
    "studio_skin_tone_de_median": ("low", None), "studio_skin_tone_de_p95": ("low", None),
    "studio_identity_p95": ("low", None),
    "studio_evenness_before": ("high", None), "studio_evenness_after": ("high", None),
    "retouch_texture": ("high", None), "retouch_blemish_removal": ("high", None),
    "review_genuine": ("high", 0.03), "review_genuine_single_person": ("high", 0.03),
    "review_skin_caught": ("high", None),
    "review_skin_caught_unseen": ("high", None),
}
SKIN_DE_P95_MAX = 2.0  # every band, on the skin tone (``studio_skin_tone_de``)
#: The figure the skin target is judged on: the skin's colour under the studio's
#: intended light at the headshot's brightness (the relight is the Look's, not a shift).
SKIN_TARGET_FIGURE = "studio_skin_tone_de_p95"


def band_of(ita: float | None) -> str | None:
    if ita is None or not math.isfinite(ita):
        return None
    return next(name for edge, name in BANDS if ita > edge)


def ita(lab) -> float:
    """Individual Typology Angle (degrees) of a CIELAB colour."""
    return float(math.degrees(math.atan2(lab[0] - 50.0, lab[2])))


def balanced_skin_lab(image: np.ndarray, face) -> tuple[tuple[float, float, float] | None, float]:
    """(cheek colour after the studio's white balance, glasses score) of ``face``."""
    from ..color import linear_to_srgb, rgb_to_lab, to_uint8
    from ..faces.glasses import glasses
    from ..faces.view import face_view
    from ..matting import segment
    from ..studio import white_balance as wb

    v = face_view(image, face)
    if v.cheeks.sum() < 20:
        return None, glasses(v)
    # The lit cheek: a face lit from one side has one cheek in shade, and the median of
    # both then reads a light skin in side light as a dark one (portrait 00447: both
    # cheeks ITA −22°, the lit one 32°).
    left = v.cheeks & (np.arange(v.shape[1])[None, :] < v.pts[1, 0])
    sides = [m for m in (left, v.cheeks & ~left) if m.sum() >= 10]
    skin = max((np.median(v.linear[m], axis=0) for m in sides), key=lambda x: float(x[1]),
               default=np.median(v.linear[v.cheeks], axis=0)).astype(np.float32)
    # The studio's own white balance (relight step 1), estimated on the head view: the
    # light from the pixels around the face, removed at the default Look strength.
    ys, xs = np.nonzero(v.oval)
    box = (int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1)
    person = segment(to_uint8(v.rgb)).astype(np.float32)
    est = wb.estimate_light(v.rgb, face_box=box, alpha=person, skin=skin, valid=v.valid.astype(np.float32))
    if est is not None:  # removed whole, as every Look does
        skin = skin * wb.correction(est)
    lab = rgb_to_lab(linear_to_srgb(np.clip(skin, 0, 1))[None, None])[0, 0]
    return tuple(float(x) for x in lab), glasses(v)


class Cache:
    """One JSON file per (photo, stage) under ``folder`` (None: no cache)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def get(self, path: Path, stage: str, fn: Callable[[], dict]) -> dict:
        if self.folder is None:
            return fn()
        st = path.stat()
        key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{stage}|{VERSION}".encode()).hexdigest()
        f = self.folder / f"{key}.json"
        if f.exists():
            return json.loads(f.read_text())
        row = fn()
        f.write_text(json.dumps(row, default=float))
        return row


def _short_side(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        return min(im.size)


def _photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if is_image_path(p)) if folder.is_dir() else []


def run(root: Path, *, progress: Callable[[int, int], None] | None = None, cache: Path | None = None,
        studio_per_person: int = 1, portrait_step: int = 3, retouch_per_person: int = 1,
        review_per_person: int | None = None, seed: int = 0) -> dict:
    """Per-band figures over ``root`` (see the module docstring)."""
    from . import fairness_stages as st

    t0 = time.perf_counter()
    root = Path(root)
    c = Cache(Path(cache) if cache else Path.home() / ".cache" / "likeness" / "eval-fairness")
    people = {d.name: _photos(d) for d in sorted((root / "identities").glob("*")) if d.is_dir()}
    people = {k: v for k, v in people.items() if v}
    portraits = _photos(root / "portraits" / "images")
    # Intake is judged on the photos its own eval counts as good (≥ MIN_SIDE px on the
    # short side): a 250 px news crop is rightly refused as too small to make a headshot.
    good = set(intake_photos(root)) | {p for p in portraits if _short_side(p) >= MIN_SIDE}
    jobs = sum(len(v) for v in people.values()) + len(portraits)
    done = [0]

    def step():
        done[0] += 1
        if progress:
            progress(done[0], jobs)

    rows: list[dict] = []  # one per photo: its group, band, glasses and measures
    for person, files in people.items():
        mine = []
        for i, p in enumerate(files):
            r = {"photo": f"{person}/{p.name}", "person": person, "set": "identities"}
            r.update(c.get(p, "band-lit", lambda p=p: st.band_row(p)))
            if p in good:
                r.update(c.get(p, "intake", lambda p=p: st.intake_row(p)))
            if i < studio_per_person:
                r.update(c.get(p, "studio", lambda p=p: st.studio_row(p)))
            if i < retouch_per_person:
                r.update(c.get(p, "retouch", lambda p=p, i=i: st.retouch_row(p, seed=seed, index=i)))
            mine.append(r)
            step()
        itas = [r["ita"] for r in mine if r.get("ita") is not None]
        for r in mine:  # the person's band: the median over their photos
            r["band"] = band_of(float(np.median(itas)) if itas else None)
        rows += mine
    for i, p in enumerate(portraits):
        r = {"photo": f"portraits/{p.name}", "person": f"portrait:{p.stem}", "set": "portraits"}
        r.update(c.get(p, "band-lit", lambda p=p: st.band_row(p)))
        r["band"] = band_of(r.get("ita"))
        r.update(c.get(p, "intake", lambda p=p: st.intake_row(p)))
        mask = root / "portraits" / "masks" / f"{p.stem}.png"
        if mask.exists():
            r.update(c.get(p, "matting", lambda p=p, m=mask: st.matting_row(p, m)))
        if i % portrait_step == 0:
            r.update(c.get(p, "studio", lambda p=p: st.studio_row(p)))
        rows.append(r)
        step()
    band_of_person = {r["person"]: r["band"] for r in rows}
    review = {} if review_per_person == 0 else st.review_by_band(  # 0: no review figures (quick look)
        root, band_of_person, per_person=review_per_person, seed=seed, cache=c.folder)
    return summarize(rows, review, seconds=time.perf_counter() - t0, settings={
        "studio_per_person": studio_per_person, "portrait_step": portrait_step,
        "retouch_per_person": retouch_per_person, "review_per_person": review_per_person, "seed": seed})


def summarize(rows: list[dict], review: dict, *, seconds: float, settings: dict) -> dict:
    from .fairness_stages import figures

    bands = [name for _, name in BANDS]
    per_band = {b: figures([r for r in rows if r.get("band") == b], review.get(b, {})) for b in bands}
    glasses = {g: figures([r for r in rows if r.get("glasses") is v], review.get(f"glasses:{g}", {}))
               for g, v in (("glasses", True), ("no_glasses", False))}
    worst = {}
    for fig, (better, target) in FIGURES.items():
        vals = {b: per_band[b][fig]["value"] for b in bands if per_band[b].get(fig, {}).get("value") is not None}
        if len(vals) < 2:
            continue
        pick = max if better == "low" else min
        w, bst = pick(vals, key=vals.get), (min if better == "low" else max)(vals, key=vals.get)
        gap = round(abs(vals[w] - vals[bst]), 4)
        worst[fig] = {"worst_band": w, "best_band": bst, "gap": gap,
                      **({"target_gap": target, "within": gap <= target} if target is not None else {})}
    skin_ok = {b: (per_band[b].get(SKIN_TARGET_FIGURE, {}).get("value") or 0.0) <= SKIN_DE_P95_MAX for b in bands}
    return {
        "bands": {b: {"edges": BAND_EDGES[b], "people": len({r["person"] for r in rows if r.get("band") == b
                                                              and r["set"] == "identities"}),
                      "portraits": sum(1 for r in rows if r.get("band") == b and r["set"] == "portraits"),
                      "photos": sum(1 for r in rows if r.get("band") == b)} for b in bands},
        "unbanded": [r["photo"] for r in rows if r.get("band") is None],
        "ita_how": "median cheek Lab after the studio's white balance; a person's ITA = median over their photos",
        "per_band": per_band,
        "per_glasses": glasses,
        "summary": worst,
        "targets": {"studio_skin_tone_de_p95_every_band": SKIN_DE_P95_MAX, "gaps": {k: t for k, (_, t) in FIGURES.items() if t}},
        "skin_de_p95_within_target": skin_ok,
        "passed": all(skin_ok.values()) and all(v.get("within", True) for v in worst.values()),
        "subsampling": settings,
        "interval": "bootstrap 90 % (1 000 resamples of the photos, seed 0)",
        "rows": rows,
        "seconds": round(seconds, 1),
    }

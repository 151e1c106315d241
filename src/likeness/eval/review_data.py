"""The data of ``likeness eval review``: the eval photos, each whole photo, framed
candidate and edited candidate analysed once (faces, then the review's descriptor).
The metrics over them are in :mod:`likeness.eval.review`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp"}
EDITS = ("skin_shift", "plastic", "eye_colour", "extra_face")
#: The skin-lock curve: skin lightened (+) and darkened (−) by these ΔE2000.
SHIFTS = (3.0, 5.0, 8.0, 12.0)
#: The same lightening on other regions than the review's skin mask ("skin_other:REGION:+8").
OTHER_EDGES = (("skin_grown", 8.0), ("face", 8.0))
LOOK = "corporate-grey"


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
    box: tuple[int, int, int, int] | None = None  # framed candidate: its crop of the photo
    notes: tuple[str, ...] = ()  # framed candidate: what the studio's plan said


@dataclass(frozen=True)
class Crop:
    """The Look's framing of a photo's subject as a crop of the photo (see :func:`headshot_crop`)."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in photo px
    clipped: bool  # the planned frame reaches past the photo: cut at its edge
    notes: tuple[str, ...]  # the studio's plan notes (e.g. framed tighter)


def headshot_crop(face, size: tuple[int, int], *, look: str = LOOK) -> Crop:
    """Where the studio would frame ``face`` of a ``size`` (w, h) photo for ``look``.

    The rectangle is :func:`likeness.studio.frame.plan`'s (tighter where the photo
    shows too little body, as the studio frames it), taken axis-aligned around the
    plan's centre at the photo's own pixel scale: the candidate is the photo's own
    pixels, not resampled, not levelled. Where the plan reaches past the photo the
    crop is clipped there (the studio fills that part with its backdrop instead).
    """
    from ..looks import load_look
    from ..studio import frame as framing

    w, h = size
    fp = framing.plan(face, size, preset=load_look(look).frame)
    out_w, out_h = fp.preset.size
    cx, cy = fp.matrix() @ np.array([out_w / 2 - 0.5, out_h / 2 - 0.5, 1.0]) + 0.5
    x0, x1 = round(cx - fp.width / 2), round(cx + fp.width / 2)
    y0, y1 = round(cy - fp.height / 2), round(cy + fp.height / 2)
    box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
    return Crop(box, box != (x0, y0, x1, y1), fp.notes)


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


def _cut(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def analyse_all(root: Path, *, progress=None, people=None, per_person=None, seed: int = 0, max_side: int = 1024,
                look: str = LOOK):
    """(groups, whole photos, framed candidates, edited candidates): each analysed once."""
    from ..errors import NotFoundError
    from ..imageio import load_photo
    from . import edits

    groups = photos(root, people=people, per_person=per_person)
    if len(groups) < 2:
        raise NotFoundError(f"Fewer than two people with two photos under {Path(root) / 'identities'}.",
                            hint="Give the evaluation folder, e.g. ../shared/eval.")
    items = [(person, p) for person, files in groups.items() for p in files]
    total, done = 2 * len(items), 0
    orig: dict[str, Rec] = {}
    framed: dict[str, Rec] = {}
    donors: dict[str, tuple[np.ndarray, object]] = {}
    for person, p in items:  # pass 1: every photo and its framed crop, analysed once
        key = f"{person}/{p.name}"
        img = load_photo(p, max_side=max_side).image
        orig[key] = r = _analyse(img, key, person)
        framed[key] = r
        if r.face is not None:
            crop = headshot_crop(r.face, r.size, look=look)
            framed[key] = f = _analyse(_cut(img, crop.box), key, person)
            f.box, f.notes = crop.box, crop.notes + (("clipped at the photo's edge",) if crop.clipped else ())
            if person not in donors:
                donors[person] = _donor(img, r.face)
        done += 1
        if progress:
            progress(done, total)
    names = list(groups)
    edited: dict[str, dict[str, Rec]] = defaultdict(dict)
    for i, (person, p) in enumerate(items):  # pass 2: the edits of every measurable framed candidate
        key = f"{person}/{p.name}"
        r = framed[key]
        if r.face is not None and r.face.inter_eye >= 16:
            img = _cut(load_photo(p, max_side=max_side).image, r.box)
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
            for name, rec in skin_shifts(img, r).items():
                edited[name][key] = rec
            kind = edits.BENIGN[i % len(edits.BENIGN)]
            edited["benign:" + kind][key] = _analyse(edits.relight(img, kind, face=f), key, person)
        done += 1
        if progress:
            progress(done, total)
    return groups, orig, framed, dict(edited)


def skin_shifts(img: np.ndarray, r: Rec) -> dict[str, Rec]:
    """The skin of a framed candidate lightened and darkened by each of ``SHIFTS``
    ΔE2000 ("skin:+8", "skin:-8" ...), and lightened on the ``OTHER_EDGES`` regions
    ("skin_other:face:+8"). Only the skin's colour changes, not the face's geometry:
    each is described at the candidate's own face (no second detection)."""
    from ..review import describe
    from . import edits

    def rec(im, reached):
        return Rec(r.key, r.person, r.face, r.faces, describe(im, r.face), r.size, info=float(reached),
                   box=r.box, notes=r.notes)

    out = {}
    for de in SHIFTS:
        for darker in (False, True):
            out[f"skin:{'-' if darker else '+'}{de:g}"] = rec(*edits.lighten_skin(img, r.face, delta_e=de, darker=darker))
    for region, de in OTHER_EDGES:
        out[f"skin_other:{region}:+{de:g}"] = rec(*edits.lighten_skin(img, r.face, delta_e=de, region=region))
    return out


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

"""Review orchestration: enrol the person's photos once, then gate every candidate.

:func:`review` reads as its steps:

1. validate the candidate; find its faces (the subject is the largest; where none
   is found, a padded copy is searched for a face filling the frame); a second,
   tiled detection pass looks for faces the first one missed;
2. describe the subject (:func:`.stats.describe`);
3. find the photo it was made from, if any (:mod:`.source`), and the light change;
4. run the gates in ``CHECKS`` order: artifacts, likeness, attribute locks, texture,
   light, framing;
5. passed = every gate passed; each failure gives one plain sentence in ``reasons``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..beside import here_if_waiting, submit
from ..errors import InputError, NoFaceError
from ..faces.subject import pick_subject
from ..types import Face, Headshot
from . import artifacts, defects, framing, light, locks, texture
from .likeness import distance, enrolled_identity, score, threshold
from .result import Candidate, Check, Reference, Review, ReviewSettings
from .scene import scene
from .source import MATCH, align, find_source, light_gain
from .stats import PhotoStats, describe

#: A candidate made from a photo keeps much of its identity embedding (SFace on eval
#: photos, same photo re-lit, re-exposed +0.5 EV, halved + JPEG, cropped: p95 ≤ 0.61,
#: max 0.72, against 0.80 for the median pair of two photos of one person); farther
#: photos are not tried as its source.
SOURCE_MAX_DISTANCE = 0.85


def enroll(photos: Sequence[np.ndarray], faces: Sequence[Face | None] | None = None) -> Reference:
    """What the person's own photos say (RGB uint8 arrays; optional subject faces).

    Photos without a usable face are skipped (``Reference.skipped``); none usable
    raises :class:`~likeness.errors.NoFaceError`.
    """
    if not isinstance(photos, (list, tuple)) or not photos:
        raise InputError("enroll needs a non-empty list of photos.", hint="Pass the person's own photos as RGB arrays.")
    if faces is not None and len(faces) != len(photos):
        raise InputError(f"{len(faces)} faces given for {len(photos)} photos.",
                         hint="Give one face per photo (or None to detect it).")
    stats, skipped = [], []
    for i, img in enumerate(photos):
        _check_image(img, what=f"photo {i}")
        face = subject_face(img, None if faces is None else ([faces[i]] if faces[i] is not None else None))
        if face is None:
            skipped.append(i)
            continue
        stats.append(describe(img, face))
    if not stats:
        raise NoFaceError("No face could be measured in any of the photos.",
                          hint="Use photos where your face is clearly visible.", faces=0)
    return enroll_stats(stats, skipped=tuple(skipped))


def enroll_stats(stats: Sequence[PhotoStats], *, skipped: tuple[int, ...] = ()) -> Reference:
    """A :class:`Reference` from already described photos."""
    from .locks import glasses_lock, glasses_state, nn_spread

    stats = tuple(stats)
    color = [p for p in stats if not p.mono]

    def center(vals):
        return tuple(float(x) for x in np.median(np.array(vals, np.float64), axis=0)) if vals else None

    def spread(vals, c, fn):
        return float(np.median([fn(v, c) for v in vals])) if c is not None and len(vals) >= 3 else None

    skins = [p.skin for p in color if p.skin is not None]
    skin = center(skins)
    hairs = [p.hair for p in color if p.hair is not None]
    hair = center(hairs)
    irises = [p.iris for p in color if p.iris is not None]
    iris = center(irises)
    states = [glasses_state(p.glasses, ReviewSettings()) for p in stats]
    decided = [x for x in states if x is not None]
    share = float(np.mean(decided)) if decided else 0.0
    glasses = glasses_lock(states)
    scales = sorted({k for p in stats for k in p.texture}, reverse=True)
    return Reference(
        identity=enrolled_identity([p.embedding for p in stats]),
        skin=skin,
        skin_spread=nn_spread(skins),
        hair=hair,
        hair_spread=nn_spread(hairs),
        glasses=glasses,
        glasses_share=share,
        iris=iris,
        iris_spread=spread(irises, iris, lambda v, c: float(np.hypot(v[1] - c[1], v[2] - c[2]))),
        texture={k: float(np.median([p.texture[k] for p in stats if k in p.texture])) for k in scales},
        exposure=float(np.median([p.exposure for p in stats])),
        photos=stats,
        skipped=skipped,
    )


def review(
    candidate: np.ndarray,
    reference: Reference,
    *,
    settings: ReviewSettings = ReviewSettings(),
    glasses: bool | None = None,
    look=None,
    plan=None,
    faces: list[Face] | None = None,
    matte: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    source: int | None = None,
) -> Review:
    """Gate one candidate headshot (RGB uint8) against the person's :class:`Reference`.

    ``glasses``: True/False as the user chose; None = as in their photos. ``look``: a
    Look (or framing preset name) to judge the framing against; None skips framing.
    ``plan``: the framing the studio planned for this candidate (``Rendered.plan``, or
    the studio's ``Headshot``): judged against it instead of the Look's ideal.
    ``faces``: the candidate's faces from ``likeness.faces.analyze`` when already known.
    ``matte``: the person's matte the candidate was composited with (float H×W, any
    size; None: the candidate's own segmentation) and ``valid``: where its frame shows
    the photo (studio renders), for the defect checks (:mod:`.defects`). ``source``:
    the index of the reference photo the candidate was made from, when the caller knows
    it (the studio); None: searched for by structure (:mod:`.source`).
    """
    _check_image(candidate, what="the candidate")
    if not isinstance(reference, Reference):
        raise InputError("review needs a Reference from likeness.review.enroll().",
                         hint="Enrol the person's own photos first: ref = enroll(photos).")
    if source is not None and not 0 <= source < reference.n:
        raise InputError(f"source={source} is not one of the reference's {reference.n} photos.",
                         hint="Give the index of the enrolled photo the candidate was made from, or None.")
    framing.target(look, plan)  # a plan that does not fit the Look fails here, before any work
    candidate = np.ascontiguousarray(candidate)
    face, seen = candidate_subject(candidate, faces)
    if face is None:
        check = Check(False, 0.0, 1.0, "No face was found in the picture.")
        return Review(False, 0.0, float("inf"), {"one_face": check}, [check.reason])
    # The tiled search for more faces, the candidate's reading and the hand check
    # (:func:`.defects.run`) run on the second thread, one after the other, beside the
    # scene and the other defect checks.
    tiled = submit(artifacts.more_faces, candidate, seen)
    describing = submit(describe, candidate, face)

    def every() -> list[Face]:
        return seen + here_if_waiting(tiled, artifacts.more_faces, candidate, seen)

    found = defect_checks(candidate, face, every, settings=settings, matte=matte, valid=valid,
                          top_cut=_top_cut(plan))
    return review_stats(describing.result(), face, every(), (candidate.shape[1], candidate.shape[0]),
                        reference, settings=settings, glasses=glasses, look=look, plan=plan, defects=found,
                        source=source)


def _top_cut(plan) -> bool | None:
    """Whether the photo behind ``plan`` (a ``FramePlan`` or the studio's ``Headshot``)
    cuts the top of the head; None: no plan, unknown."""
    if plan is None:
        return None
    if isinstance(plan, Headshot):
        return "head_cut_top" in plan.framing
    return bool(plan.top_cut)


def defect_checks(
    candidate: np.ndarray,
    face: Face,
    faces: list[Face] | Callable[[], list[Face]],
    *,
    settings: ReviewSettings = ReviewSettings(),
    matte: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    top_cut: bool | None = None,
) -> dict[str, Check]:
    """The defect checks (:mod:`.defects`) of one candidate; {} when all are skipped.
    ``faces``: every face of the candidate (:func:`candidate_faces`), or a function
    that gives them once the scene is prepared."""
    if all(name in settings.skip for name in defects.DEFECTS):
        return {}
    sc = scene(candidate, face, alpha=matte, valid=valid, top_cut=top_cut)
    return defects.run(sc, faces() if callable(faces) else faces, settings)


def review_stats(
    stats: PhotoStats,
    face: Face,
    faces: list[Face],
    size: tuple[int, int],
    reference: Reference,
    *,
    settings: ReviewSettings = ReviewSettings(),
    glasses: bool | None = None,
    look=None,
    plan=None,
    defects: dict[str, Check] | None = None,
    source: int | None = None,
) -> Review:
    """:func:`review` on an already described candidate (the eval reuses descriptions);
    ``defects``: the candidate's defect checks (:func:`defect_checks`), reported after
    the gates."""
    s = settings
    thr = s.identity_threshold if s.identity_threshold is not None else threshold()
    d = float("inf")
    if stats.embedding is not None and reference.identity is not None:
        d = distance(stats.embedding, reference.identity)
    c = Candidate(face=face, faces=faces, stats=stats, size=size)
    c = _with_source(c, reference, source)
    checks: dict[str, Check] = {}
    run = {
        "face_size": lambda: artifacts.face_size(c, s),
        "one_face": lambda: artifacts.one_face(c, s),
        "eyes_open": lambda: artifacts.eyes_open(c, s),
        "landmarks": lambda: artifacts.landmarks(c, s),
        "likeness": lambda: _likeness(d, thr),
        "skin_tone": lambda: locks.skin_tone(c, reference, s),
        "hair_colour": lambda: locks.hair_colour(c, reference, s),
        "glasses": lambda: locks.glasses(c, reference, s, wanted=glasses),
        "eye_colour": lambda: locks.eye_colour(c, reference, s),
        "texture": lambda: texture.check(c, reference, s),
        "light": lambda: light.check(c, reference, s),
        "framing": lambda: framing.check(c, look, s, plan=plan),
    }
    too_small = face.inter_eye < s.min_eye_px
    for name, fn in run.items():
        if name in s.skip:
            continue
        if too_small and name not in ("face_size", "one_face", "likeness"):
            continue  # too few pixels: the finer measures would only add noise
        checks[name] = fn()
    for name, ch in (defects or {}).items():
        if name not in s.skip:
            checks[name] = ch
    reasons = [ch.reason for ch in checks.values() if not ch.passed and ch.reason]
    passed = all(ch.passed for ch in checks.values())
    return Review(passed, round(score(d), 1), round(d, 4), checks, reasons, c.source)


def _likeness(d: float, thr: float) -> Check:
    ok = d <= thr
    return Check(ok, round(d, 4), round(thr, 4), "" if ok else (
        "This does not look enough like you to deliver (identity distance "
        f"{d:.2f}, limit {thr:.2f})." if np.isfinite(d) else "The face could not be compared with yours."))


def _with_source(c: Candidate, ref: Reference, known: int | None = None) -> Candidate:
    """The enrolled photo the candidate was made from (``known``, or found by its
    structure) and the light change."""
    if known is not None:
        # Aligned to it alone (no search among the photos), and used only where the
        # structure matches as well as the search asks (``MATCH``): the colour
        # comparison needs the two aligned pixel for pixel. Below it the light change
        # read from the pair was not to be trusted: on three framings of one web-size
        # eval render (alignment 0.63–0.65) it came out as gains from (0.44, 0.60,
        # 0.70) to (0.70, 0.88, 0.87), and the skin read 11.8 ΔE "changed".
        i, (sc, warp) = known, align(ref.photos[known].structure, c.stats.structure)
        if sc < MATCH:
            return replace(c, source_score=sc)
    else:
        e = c.stats.embedding
        tries = [p.structure if (e is not None and p.embedding is not None
                                 and distance(e, p.embedding) <= SOURCE_MAX_DISTANCE) else None for p in ref.photos]
        if not any(t is not None for t in tries):
            return c
        i, sc, warp = find_source(c.stats.structure, tries)
        if i is None:
            return replace(c, source_score=sc)
    src = ref.photos[i]
    gain = None
    if src.skin is not None:
        gain = light_gain(src.thumb, c.stats.thumb, warp, anchors=src.anchors(), skin_lab=src.skin)
    return replace(c, source=i, source_score=sc, gain=gain)


def candidate_faces(image: np.ndarray, faces: list[Face] | None = None) -> tuple[Face | None, list[Face]]:
    """(the subject with mesh and embedding, every face: the subject first, then the
    others of ``faces``, then those a second, tiled detection pass finds)."""
    face, seen = candidate_subject(image, faces)
    return face, seen if face is None else seen + artifacts.more_faces(image, seen)


def candidate_subject(image: np.ndarray, faces: list[Face] | None = None) -> tuple[Face | None, list[Face]]:
    """:func:`candidate_faces` before the tiled pass: (the subject with mesh and
    embedding, the subject first, then the others of ``faces``)."""
    if faces is None:
        faces = _faces_or_filling(image)
    face = subject_face(image, faces)
    if face is None:
        return None, list(faces)
    subject = pick_subject(faces, (image.shape[1], image.shape[0]))
    return face, [face, *(f for f in faces if f is not subject)]


def subject_face(image: np.ndarray, faces: list[Face] | None) -> Face | None:
    """The subject (:func:`likeness.faces.subject.pick_subject`) with mesh and
    embedding; re-meshed on a tighter crop when the mesh landed on a neighbouring face
    (mesh and box disagree)."""
    from ..faces import embed_face, meshed

    if faces is None:
        faces = _faces_or_filling(image)
    if not faces:
        return None
    f = pick_subject(faces, (image.shape[1], image.shape[0]))
    if f.mesh is None or _mesh_off_box(f):
        x0, y0, x1, y1 = f.box
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.35, (y1 - y0) * 0.35
        g = meshed(image, f, (cx - hw, cy - hh, cx + hw, cy + hh))  # a crop of 1.4× the box
        if g is not None and (f.mesh is None or not _mesh_off_box(g)):
            f = g
        if f.mesh is None:
            return None
    if f.embedding is None:
        from ..faces.identity import MODEL

        lm5, emb = embed_face(np.ascontiguousarray(image), f.box, mesh=f.mesh, landmarks5=f.landmarks5)
        f = replace(f, landmarks5=lm5, embedding=emb, embedding_model=MODEL)
    return f


def _faces_or_filling(image: np.ndarray) -> list[Face]:
    """Every face, largest first (the largest with its mesh): :func:`likeness.faces.
    subject.find_faces`, and where it finds none, a look at a padded copy for a face
    filling the frame (a candidate may be cropped tighter than any photo)."""
    from ..faces.subject import find_faces

    image = np.ascontiguousarray(image)
    return find_faces(image) or artifacts.filling_faces(image)


def _mesh_off_box(f: Face) -> bool:
    x0, y0, x1, y1 = f.box
    cx, cy = f.mesh[:, :2].mean(0)
    return abs(cx - (x0 + x1) / 2) > 0.3 * (x1 - x0) or abs(cy - (y0 + y1) / 2) > 0.3 * (y1 - y0)


def _check_image(img, *, what: str) -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
        raise InputError(f"{what.capitalize()} must be an RGB uint8 H×W×3 array, got {got}.",
                         hint="Decode images with likeness.imageio.load_photo(path).image.")
    if min(img.shape[:2]) < 16:
        raise InputError(f"{what.capitalize()} is only {img.shape[1]}×{img.shape[0]} px.", hint="Use a larger image.")

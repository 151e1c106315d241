"""`likeness eval coach DIR`: does the live coach say the right thing first, keep quiet
on good frames, and capture only good ones? And does the wardrobe advice flag what
it should?

**Live.** Real photos (``DIR/identities`` and ``DIR/photos/single``, those the photo
checks pass apart from size and compression, and large enough to frame as a camera
would without enlarging more than ``MAX_UPSCALE``×) become camera previews
(:mod:`.coach_frames`). Per photo and problem, a sequence of ``BAD`` frames with the
problem and ``GOOD`` frames without it, each frame with its own camera jitter, goes
through the coach exactly as the server runs it (:func:`likeness.coach.read_frame`,
each frame tracked from the one before, :func:`~likeness.coach.directions.problems`,
:func:`~likeness.coach.directions.ready`, :func:`~likeness.coach.session.step`).
A clean sequence (``BAD + GOOD`` good frames) per photo measures the false directions.

Per problem: ``first_direction_rate`` (the first direction said names the problem),
``capture_on_bad`` (sequences that captured on a frame with the problem: must be 0),
``captured_after_fix`` (captured once corrected), ``corrected_direction_rate``
(corrected frames with a direction). ``clean_direction_rate``: the share of clean
frames with any direction. People are split in two halves by a hash of their name:
the live limits were set on ``calibration`` and are reported on ``report`` and
``all``.

**Wardrobe.** See :func:`likeness.eval.coach_wardrobe.run`.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from ..intake.quality import Raw
from . import coach_frames as cf

SEED = 11
BAD, GOOD = 5, 7
MAX_UPSCALE = 1.5
PREVIEW_HEAD = 0.5 * cf.PREVIEW  # the largest head a view frames (px): portrait, half its height
CHECKS = ("sharpness", "brightness", "overexposure", "illumination", "yaw", "roll", "pitch", "eyes_open",
          "eyes_visible", "mouth_occlusion", "single_face", "head_margins")
TARGETS = {"first_direction_rate": 0.9, "clean_direction_rate": 0.05, "capture_on_bad": 0}
#: The measure each problem moves (for calibration): (reading field, direction of "bad").
MEASURE = {"roll": ("roll", "abs_high"), "yaw": ("yaw", "abs_high"), "too_far": ("head_share", "low"),
           "cut_off": ("head_margins", "low"), "side_light": ("illumination", "high"),
           "underexposed": ("brightness", "low"), "motion_blur": ("detail", "low"), "eyes_closed": ("eyes_open", "low")}
TOP_LEVEL = ("head_share", "detail", "eye_tone")


def person_of(path: Path) -> str:
    """A person's key: the last word of an identity folder's name, the first word of a
    single photo's name (so Obama's single photos fall with his folder)."""
    import re

    if path.parent.parent.name == "identities":
        return re.split(r"[_\-]", path.parent.name.split("__")[-1])[-1].lower()
    return re.split(r"[_\-. ]", path.stem.split("__")[-1])[0].lower()


def half_of(person: str) -> str:
    return "calibration" if zlib.crc32(person.encode()) % 2 == 0 else "report"


def bases(root: Path, *, limit: int | None = None) -> tuple[list[Path], dict[str, str]]:
    """Photos to build sequences from, and why the others were left out."""
    from ..faces.geometry import head_geometry
    from ..imageio import is_image_path
    from ..intake.inspection import inspect_path

    files = [p for p in sorted((root / "identities").glob("*/*")) if is_image_path(p)]
    files += [p for p in sorted((root / "photos" / "single").glob("*")) if is_image_path(p)]
    keep, left = [], {}
    for p in files:
        c = inspect_path(p)
        bad = [k for k in CHECKS if k in c.measures and not c.measures[k].ok]
        if c.error or bad:
            left[_name(p)] = c.error_code or ",".join(bad)
        elif PREVIEW_HEAD / head_geometry(c.face).height > MAX_UPSCALE:
            left[_name(p)] = "too_small_to_frame"
        else:
            keep.append(p)
    if limit and len(keep) > limit:  # spread over the set (and so over the people)
        idx = np.linspace(0, len(keep) - 1, limit).round().astype(int)
        left.update({_name(p): "not_sampled" for i, p in enumerate(keep) if i not in set(idx)})
        keep = [keep[i] for i in sorted(set(idx))]
    return keep, left


def records(root: Path, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None) -> dict:
    """Every frame's reading of every sequence (the slow part; replayed by :func:`score`)."""
    from ..coach.analyse import decode_frame, read_frame
    from ..faces.subject import find_faces, pick_subject
    from ..imageio import load_photo

    keep, left = bases(root, limit=limit)
    seqs: list[dict] = []
    names = list(cf.PROBLEMS) + ["clean"]
    for i, p in enumerate(keep):
        # Each photo's draws (jitter, problem strengths, portrait or landscape) from its
        # own name: a photo that joins or leaves the set changes no other sequence.
        key = zlib.crc32(_name(p).encode())
        rng = np.random.default_rng([SEED, key])
        img = load_photo(p, max_side=2400).image
        faces = find_faces(img)
        if not faces:
            left[_name(p)] = "no_face_at_2400"
            continue
        face = pick_subject(faces, (img.shape[1], img.shape[0]))
        portrait, share = key % 2 == 0, float(rng.uniform(0.36, 0.5))
        v, M = cf.view(img, face, head_share=share, portrait=portrait)
        if cf.scale_of(M) > MAX_UPSCALE:
            left[_name(p)] = "too_small_to_frame"
            continue
        vfaces = find_faces(v)
        if not vfaces or vfaces[0].mesh is None:
            left[_name(p)] = "no_face_in_view"
            continue
        vf = pick_subject(vfaces, (v.shape[1], v.shape[0]))
        for name in names:
            if name == "clean":
                bad = v
            elif name == "too_far":
                bad, _ = cf.view(img, face, head_share=cf.PROBLEMS["too_far"][1]["head_share"], portrait=portrait)
            elif name == "cut_off":
                edge = 0.25 * face.width * cf.scale_of(M) / v.shape[1]  # the face centre this far from the edge
                kw = {"eyes_y": 0.10} if key % 2 == 0 else {"eyes_x": edge if rng.random() < 0.5 else 1 - edge}
                bad, _ = cf.view(img, face, head_share=share, portrait=portrait, **kw)
            else:
                bad = cf.on_view(name, v, vf, rng)
            frames, r = [], None
            for k in range(BAD + GOOD):  # each frame tracked from the one before, as the server reads them
                r = read_frame(decode_frame(cf.jitter(bad if k < BAD else v, rng)), prior=r)
                frames.append({"bad": name != "clean" and k < BAD, "faces": r.faces, "head_share": r.head_share,
                               "tracked": r.tracked, "motion": r.motion,
                               "detail": r.detail, "eye_tone": r.eye_tone, "raw": None if r.raw is None else asdict(r.raw)})
            seqs.append({"photo": _name(p), "person": person_of(p), "problem": name, "frames": frames})
        if progress:
            progress(i + 1, len(keep))
    return {"photos": len(keep), "left_out": left, "sequences": seqs}


def _reading(fr: dict):
    from ..coach.analyse import Reading

    raw = None
    if fr["raw"] is not None:
        d = dict(fr["raw"])
        d["skin_lab"] = tuple(d["skin_lab"])
        raw = Raw(**{f.name: d[f.name] for f in fields(Raw)})
    return Reading(size=(0, 0), faces=fr["faces"], face=None, raw=raw, head_share=fr["head_share"],
                   detail=fr["detail"], eye_tone=fr["eye_tone"], motion=fr.get("motion"))


def replay(seq: dict, limits=None, capture=None) -> list:
    """The coach's answers, frame by frame, for one recorded sequence (``limits`` and
    ``capture``: other live and capture limits than the coach's own, to calibrate)."""
    from ..coach.directions import CAPTURE, LIVE, problems, ready
    from ..coach.session import CoachState, step

    state, out = CoachState(), []
    for fr in seq["frames"]:
        r = _reading(fr)
        state, ans = step(state, problems(r, limits=limits or LIVE), ready=ready(r, limits=capture or CAPTURE))
        out.append(ans)
    return out


def score(seqs: list[dict], limits=None, capture=None) -> dict:
    """The metrics of the module doc over ``seqs``."""
    by: dict[str, list] = {}
    clean_frames = clean_dir = clean_capture = 0
    for s in seqs:
        answers = replay(s, limits, capture)
        if s["problem"] == "clean":
            clean_frames += len(answers)
            clean_dir += sum(a.direction is not None for a in answers)
            clean_capture += any(a.capture for a in answers)
            continue
        expected = cf.PROBLEMS[s["problem"]][0]
        first = next((a.direction.key for a in answers if a.direction is not None), None)
        bad_idx = [i for i, f in enumerate(s["frames"]) if f["bad"]]
        good = [a for f, a in zip(s["frames"], answers) if not f["bad"]]
        by.setdefault(s["problem"], []).append({
            "hit": first == expected, "first": first, "photo": s["photo"],
            "capture_on_bad": any(answers[i].capture for i in bad_idx),
            "captured_after_fix": any(a.capture for a in good),
            "corrected_dirs": sum(a.direction is not None for a in good), "corrected_n": len(good),
        })
    out: dict = {}
    for name, rows in by.items():
        n = len(rows)
        out[name] = {
            "direction": cf.PROBLEMS[name][0], "n": n,
            "first_direction_rate": round(sum(r["hit"] for r in rows) / n, 4),
            "first_directions": dict(Counter(str(r["first"]) for r in rows).most_common()),
            "capture_on_bad": sum(r["capture_on_bad"] for r in rows),
            "captured_after_fix": round(sum(r["captured_after_fix"] for r in rows) / n, 4),
            "corrected_direction_rate": round(sum(r["corrected_dirs"] for r in rows) / max(1, sum(r["corrected_n"] for r in rows)), 4),
            "missed": [r["photo"] for r in rows if not r["hit"]],
        }
    clean_n = sum(1 for s in seqs if s["problem"] == "clean")
    result = {
        "problems": out,
        "clean_sequences": clean_n,
        "clean_direction_rate": round(clean_dir / max(clean_frames, 1), 4),
        "clean_capture_rate": round(clean_capture / max(clean_n, 1), 4),
        "capture_on_bad": sum(r["capture_on_bad"] for r in out.values()),
    }
    result["pass"] = bool(out) and all(r["first_direction_rate"] >= TARGETS["first_direction_rate"] for r in out.values()) \
        and result["clean_direction_rate"] <= TARGETS["clean_direction_rate"] and result["capture_on_bad"] == 0
    return result


def suggest(seqs: list[dict]) -> dict:
    """Per problem's measure: clean previews' p2/p98 and the degraded previews' p10/p90
    (the calibration half's evidence for :class:`~likeness.coach.directions.LiveLimits`)."""
    clean = [f for s in seqs if s["problem"] == "clean" for f in s["frames"] if f["raw"] is not None]
    out = {}
    for name, (field_, how) in MEASURE.items():
        bad = [f for s in seqs if s["problem"] == name for f in s["frames"] if f["bad"] and f["raw"] is not None]

        def val(f, field_=field_, how=how):
            v = f[field_] if field_ in TOP_LEVEL else f["raw"][field_]
            return abs(v) if how == "abs_high" else v

        cv, bv = np.array([val(f) for f in clean]), np.array([val(f) for f in bad])
        if cv.size == 0 or bv.size == 0:
            continue
        hi = how != "low"
        out[name] = {"measure": field_, "clean_p98" if hi else "clean_p2": round(float(np.percentile(cv, 98 if hi else 2)), 4),
                     "bad_p10" if hi else "bad_p90": round(float(np.percentile(bv, 10 if hi else 90)), 4)}
    return out


def run(root: Path, *, progress: Callable[[int, int], None] | None = None, limit: int | None = None,
        wardrobe: bool = True) -> dict:
    t0 = time.perf_counter()
    rec = records(root, limit=limit, progress=progress)
    seqs = rec["sequences"]
    halves = {h: [s for s in seqs if half_of(s["person"]) == h] for h in ("calibration", "report")}
    out = {
        "photos": rec["photos"], "left_out": rec["left_out"], "frames_per_sequence": {"bad": BAD, "good": GOOD},
        "problems": {k: v[1] for k, v in cf.PROBLEMS.items()}, "jitter": cf.JITTER, "seed": SEED,
        "targets": TARGETS,
        "people": {h: sorted({s["person"] for s in v}) for h, v in halves.items()},
        "live": {h: score(v) for h, v in halves.items()} | {"all": score(seqs)},
        "calibration_evidence": suggest(halves["calibration"]),
    }
    if wardrobe:
        from .coach_wardrobe import run as run_wardrobe

        out["wardrobe"] = run_wardrobe(root, limit=limit)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _name(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"

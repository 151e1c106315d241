"""`likeness eval identity DIR`: identity verification and set consistency.

DIR/identities/<person>/<photo> (folder = person; every cross-folder pair is a
different person). Each photo is analysed once (the subject's box and mesh), then
embedded both ways the library offers ("fast": one pass; "best": plus the mirrored
chip), so the two configurations are measured on the same faces and timed per face
(the time includes the landmark pass).

Verification (per configuration):
- pairs: every genuine and impostor pair, one photo vs one photo: TAR at FAR 1e-2,
  1e-3, 1e-4 and 0, the distance thresholds there, EER;
- enrolled: each probe vs the unit mean of that person's *other* photos (genuine) and
  vs every other person's full enrolment (impostors): TAR at FAR 1e-3 and 1e-4;
- ``library``: what the thresholds stored in ``faces.identity`` give on these photos;
- ``calibration``: person-disjoint check of the threshold fitting. The people (sorted
  folder names) are split by even / odd position; thresholds are fitted on one half
  and applied to the other (both ways), so the numbers show what the stored constants
  do on people they were not fitted on.
Consistency (default configuration, ``intake.identity.consistency``):
- each person's set plus one photo of someone else, ``impostors_per_set`` draws with
  a fixed seed: how often the intruder is flagged, how many genuine photos are;
- each clean set: false flags, people == 1;
- two people half and half (up to 4 photos each): people == 2.
Nothing here is learned from the photos; thresholds are only read off.

Measured on ../shared/eval, fast config: SFace (177 faces, 554 genuine / 15 022
impostor pairs) TAR 1.000 @ FAR 1e-3, 0.998 @ 1e-4, 0.998 @ 0, EER 0.0001, 23 ms CPU
per face in LiteRT (42 ms in OpenCV's DNN module, the same figures; 5 Dec); the dlib
ResNet it replaced (176 faces: mediapipe found no face in one) 0.960 / 0.876 / 0.789,
EER 0.0077, 91 ms. Calibration: thresholds fitted on 14 / 13
people let 0.26 % / 0.02 % of the other half's impostors through at "FAR 1e-3"; the
stored constants (faces/identity.py) sit below every half's fit: on each half they
let through at most one impostor pair and keep TAR ≥ 0.997.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..faces import analyze
from ..faces import identity as fid
from ..faces.identity import embed_face, enroll
from ..imageio import is_image_path, load_photo
from ..intake.identity import consistency

DEFAULT_CONFIG = "fast"
FARS = {"1e-2": 1e-2, "1e-3": 1e-3, "1e-4": 1e-4, "0": 0.0}


def run(
    root: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    impostors_per_set: int = 5,
    two_people_sets: int = 60,
    seed: int = 0,
) -> dict:
    root = Path(root)
    folder = root / "identities" if (root / "identities").is_dir() else root
    people = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    photos = [(p.name, f) for p in people for f in sorted(p.iterdir()) if is_image_path(f)]
    if len({name for name, _ in photos}) < 2:
        raise InputError(
            f"{folder} has fewer than two person folders with photos.",
            hint="Give a folder with identities/<person>/<photo> (e.g. ../shared/eval).",
        )
    labels, single, mirror, no_face = [], [], [], []
    t_one = t_two = c_one = c_two = 0.0
    for k, (name, path) in enumerate(photos):
        image = load_photo(path).image
        faces = analyze(image, embed=False, subject_only=True)
        if not faces:
            no_face.append(f"{name}/{path.name}")
        else:
            f = faces[0]
            # Wall time depends on what else the machine runs; CPU time of this
            # process is reported beside it as the steadier number.
            t0, c0 = time.perf_counter(), time.process_time()
            _, a = embed_face(image, f.box, mesh=f.mesh, landmarks5=f.landmarks5)
            t1, c1 = time.perf_counter(), time.process_time()
            _, b = embed_face(image, f.box, mesh=f.mesh, landmarks5=f.landmarks5, quality="best")
            t2, c2 = time.perf_counter(), time.process_time()
            t_one, t_two = t_one + t1 - t0, t_two + t2 - t1
            c_one, c_two = c_one + c1 - c0, c_two + c2 - c1
            labels.append(name)
            single.append(a)
            mirror.append(b)
        if progress:
            progress(k + 1, len(photos))
    lab = np.array(labels)
    n = len(lab)
    if n < 3 or len(set(labels)) < 2:
        raise InputError("Too few faces were found to evaluate identity.", hint="Check the photos.")
    fast, best = np.stack(single), np.stack(mirror)
    configs = {
        "fast": {**verification(fast, lab), "views": "chip",
                 "ms_per_face": round(1000 * t_one / n, 1), "cpu_ms_per_face": round(1000 * c_one / n, 1)},
        "best": {**verification(best, lab), "views": "chip + mirror",
                 "ms_per_face": round(1000 * t_two / n, 1), "cpu_ms_per_face": round(1000 * c_two / n, 1)},
    }
    E = fast if DEFAULT_CONFIG == "fast" else best
    out = {
        "model": fid.MODEL,
        "n_photos": len(photos),
        "n_people": len(set(labels)),
        "n_faces": n,
        "n_no_face": len(no_face),
        "no_face": no_face,
        "config": DEFAULT_CONFIG,
        **configs[DEFAULT_CONFIG],
        "configs": configs,
        "library": library_thresholds(E, lab),
        "calibration": calibration(E, lab),
        **set_consistency(E, lab, impostors_per_set=impostors_per_set, two_people_sets=two_people_sets, seed=seed),
    }
    return out


def pair_scores(E: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) distances of every pair of rows of ``E``."""
    D = np.linalg.norm(E[:, None] - E[None], axis=-1)
    iu = np.triu_indices(len(E), 1)
    same = (lab[:, None] == lab[None])[iu]
    return D[iu][same], D[iu][~same]


def library_thresholds(E: np.ndarray, lab: np.ndarray) -> dict:
    """TAR and FAR of the thresholds stored in ``faces.identity`` on these faces."""
    gen, imp = pair_scores(E, lab)
    egen, eimp = _enrolled_scores(E, lab)
    out = {}
    for key, t, g, i in (("far_1e-3", fid.THRESHOLD_FAR_1E3, gen, imp), ("far_1e-4", fid.THRESHOLD_FAR_1E4, gen, imp),
                         ("far_1e-2", fid.THRESHOLD_FAR_1E2, gen, imp),
                         ("enrolled_far_1e-3", fid.THRESHOLD_ENROLLED_FAR_1E3, egen, eimp)):
        out[key] = {"threshold": t, "tar": _rate(g < t), "far": _rate(i < t, 6), "false_accepts": int((i < t).sum())}
    return out


def calibration(E: np.ndarray, lab: np.ndarray) -> dict:
    """Thresholds fitted on half of the people (by sorted name: even / odd), tested on the other half."""
    people = sorted(set(lab.tolist()))
    halves = {"even": set(people[0::2]), "odd": set(people[1::2])}
    out = {}
    for fit, test in (("even", "odd"), ("odd", "even")):
        fm = np.array([x in halves[fit] for x in lab])
        tm = ~fm
        fgen, fimp = pair_scores(E[fm], lab[fm])
        tgen, timp = pair_scores(E[tm], lab[tm])
        fegen, feimp = _enrolled_scores(E[fm], lab[fm])
        tegen, teimp = _enrolled_scores(E[tm], lab[tm])
        row: dict = {"fit_people": len(halves[fit]), "test_people": len(halves[test]),
                     "test_genuine_pairs": int(len(tgen)), "test_impostor_pairs": int(len(timp))}
        for key in ("1e-3", "1e-4"):
            row[f"far_{key}"] = _held_out(tar_at_far(fgen, fimp, FARS[key])[1], tgen, timp)
        row["enrolled_far_1e-3"] = _held_out(tar_at_far(fegen, feimp, 1e-3)[1], tegen, teimp)
        out[f"fit_{fit}_test_{test}"] = row
    return out


def _held_out(t: float | None, gen: np.ndarray, imp: np.ndarray) -> dict:
    if t is None:  # a half without impostor pairs (one person) fits no threshold
        return {"threshold": None, "test_tar": None, "test_far": None}
    return {"threshold": t, "test_tar": _rate(gen < t), "test_far": _rate(imp < t, 6)}


def _rate(x: np.ndarray, digits: int = 4) -> float | None:
    return round(float(np.mean(x)), digits) if len(x) else None


def verification(E: np.ndarray, lab: np.ndarray) -> dict:
    """Pair and enrolled verification metrics of unit embeddings ``E`` with labels ``lab``."""
    gen, imp = pair_scores(E, lab)
    out: dict = {}
    for key, far in FARS.items():
        out[f"tar_at_far_{key}"], out[f"threshold_far_{key}"] = tar_at_far(gen, imp, far)
    out["eer"] = eer(gen, imp)
    egen, eimp = _enrolled_scores(E, lab)
    for key in ("1e-3", "1e-4"):
        out[f"tar_at_far_{key}_enrolled"], out[f"threshold_enrolled_far_{key}"] = tar_at_far(egen, eimp, FARS[key])
    out.update({
        "eer_enrolled": eer(egen, eimp),
        "genuine_pairs": int(len(gen)),
        "impostor_pairs": int(len(imp)),
        "genuine_distance_median": round(float(np.median(gen)), 4) if len(gen) else None,
        "impostor_distance_median": round(float(np.median(imp)), 4) if len(imp) else None,
    })
    return out


def _enrolled_scores(E: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    people = sorted(set(lab.tolist()))
    full = {p: enroll(E[lab == p]) for p in people}
    gen, imp = [], []
    for i in range(len(E)):
        others = np.flatnonzero((lab == lab[i]) & (np.arange(len(E)) != i))
        if len(others) == 0:
            continue  # a person with one face cannot be probed against their own enrolment
        gen.append(np.linalg.norm(E[i] - enroll(E[others])))
        imp.extend(np.linalg.norm(E[i] - full[q]) for q in people if q != lab[i])
    return np.array(gen), np.array(imp)


def tar_at_far(gen: np.ndarray, imp: np.ndarray, far: float) -> tuple[float | None, float | None]:
    """TAR and threshold at a false-accept rate: accept when distance < threshold.

    The threshold is the impostor distance with floor(far·N) impostors below it, so
    at most that many are accepted (no interpolation between scores).
    """
    if len(gen) == 0 or len(imp) == 0:
        return None, None
    s = np.sort(imp)
    t = float(s[min(len(s) - 1, int(np.floor(far * len(s))))])
    return round(float((gen < t).mean()), 4), round(t, 4)


def eer(gen: np.ndarray, imp: np.ndarray) -> float | None:
    if len(gen) == 0 or len(imp) == 0:
        return None
    ts = np.unique(np.concatenate([gen, imp]))
    frr = (gen[None] >= ts[:, None]).mean(1)
    far = (imp[None] < ts[:, None]).mean(1)
    i = int(np.argmin(np.abs(frr - far)))
    return round(float((frr[i] + far[i]) / 2), 4)


def set_consistency(E: np.ndarray, lab: np.ndarray, *, impostors_per_set: int, two_people_sets: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    people = sorted(set(lab.tolist()))
    n_sets = caught = said_two = gen_flags = gen_n = 0
    for p in people:
        own, other = np.flatnonzero(lab == p), np.flatnonzero(lab != p)
        for _ in range(impostors_per_set):
            idx = [*own, int(rng.choice(other))]
            c = consistency([E[i] for i in idx])
            n_sets += 1
            caught += c.other_person[-1]
            said_two += c.people == 2
            gen_flags += sum(c.other_person[:-1])
            gen_n += len(own)
    clean_flags = clean_n = clean_one = 0
    for p in people:
        own = np.flatnonzero(lab == p)
        c = consistency([E[i] for i in own])
        clean_flags += sum(c.other_person)
        clean_n += len(own)
        clean_one += c.people == 1
    pairs = list(itertools.combinations(people, 2))
    chosen = rng.choice(len(pairs), min(two_people_sets, len(pairs)), replace=False)
    two = 0
    for s in chosen:
        a, b = (np.flatnonzero(lab == q) for q in pairs[s])
        k = min(len(a), len(b), 4)
        idx = [*rng.choice(a, k, replace=False), *rng.choice(b, k, replace=False)]
        two += consistency([E[i] for i in idx]).people == 2
    return {
        "impostor_sets": n_sets,
        "impostor_flag_rate": round(caught / n_sets, 4),
        "impostor_set_people2_rate": round(said_two / n_sets, 4),
        "genuine_false_flag_rate": round(gen_flags / gen_n, 4),
        "clean_set_false_flag_rate": round(clean_flags / clean_n, 4),
        "clean_set_people1_rate": round(clean_one / len(people), 4),
        "two_people_sets": len(chosen),
        "two_people_detected_rate": round(two / len(chosen), 4),
    }

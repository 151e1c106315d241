"""`likeness eval identity DIR`: identity verification and set consistency.

DIR/identities/<person>/<photo> (folder = person; every cross-folder pair is a
different person). Each photo is analysed once (mediapipe box), then embedded both
ways the library offers ("fast": one pass; "best": plus the mirrored chip), so the two
configurations are measured on the same faces and timed per face.

Verification (per configuration):
- pairs: every genuine and impostor pair, one photo vs one photo: TAR at FAR 1e-3 and
  1e-2, the distance thresholds there, EER;
- enrolled: each probe vs the unit mean of that person's *other* photos (genuine) and
  vs every other person's full enrolment (impostors): TAR at FAR 1e-3.
Consistency (default configuration, ``intake.identity.consistency``):
- each person's set plus one photo of someone else, ``impostors_per_set`` draws with
  a fixed seed: how often the intruder is flagged, how many genuine photos are;
- each clean set: false flags, people == 1;
- two people half and half (up to 4 photos each): people == 2.
Nothing here is learned from the photos; thresholds are only read off.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..faces import analyze
from ..faces import dlib_backend as dlb
from ..faces.identity import _dlib_box, enroll
from ..imageio import is_image_path, load_photo
from ..intake.identity import consistency

DEFAULT_CONFIG = "fast"


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
            shape = dlb.shape5(image, _dlib_box(faces[0].box))
            chip = dlb.chip(image, shape)
            # Wall time depends on what else the machine runs; CPU time of this
            # process is reported beside it as the steadier number.
            t0, c0 = time.perf_counter(), time.process_time()
            a = dlb.embed_chips([chip])[0]
            t1, c1 = time.perf_counter(), time.process_time()
            b = dlb.embed_chips([np.ascontiguousarray(chip[:, ::-1])])[0]
            t2, c2 = time.perf_counter(), time.process_time()
            t_one, t_two = t_one + t1 - t0, t_two + t2 - t0
            c_one, c_two = c_one + c1 - c0, c_two + c2 - c0
            labels.append(name)
            single.append(a / np.linalg.norm(a))
            mirror.append(b / np.linalg.norm(b))
        if progress:
            progress(k + 1, len(photos))
    lab = np.array(labels)
    n = len(lab)
    if n < 3 or len(set(labels)) < 2:
        raise InputError("Too few faces were found to evaluate identity.", hint="Check the photos.")
    fast = np.stack(single)
    best = _unit(fast + np.stack(mirror))
    configs = {
        "fast": {**verification(fast, lab), "views": "chip",
                 "ms_per_face": round(1000 * t_one / n, 1), "cpu_ms_per_face": round(1000 * c_one / n, 1)},
        "best": {**verification(best, lab), "views": "chip + mirror",
                 "ms_per_face": round(1000 * t_two / n, 1), "cpu_ms_per_face": round(1000 * c_two / n, 1)},
    }
    E = fast if DEFAULT_CONFIG == "fast" else best
    out = {
        "n_photos": len(photos),
        "n_people": len(set(labels)),
        "n_faces": n,
        "n_no_face": len(no_face),
        "no_face": no_face,
        "config": DEFAULT_CONFIG,
        **configs[DEFAULT_CONFIG],
        "configs": configs,
        **set_consistency(E, lab, impostors_per_set=impostors_per_set, two_people_sets=two_people_sets, seed=seed),
    }
    return out


def verification(E: np.ndarray, lab: np.ndarray) -> dict:
    """Pair and enrolled verification metrics of unit embeddings ``E`` with labels ``lab``."""
    D = np.linalg.norm(E[:, None] - E[None], axis=-1)
    iu = np.triu_indices(len(E), 1)
    same = (lab[:, None] == lab[None])[iu]
    gen, imp = D[iu][same], D[iu][~same]
    tar3, th3 = tar_at_far(gen, imp, 1e-3)
    tar2, th2 = tar_at_far(gen, imp, 1e-2)
    egen, eimp = _enrolled_scores(E, lab)
    etar3, eth3 = tar_at_far(egen, eimp, 1e-3)
    return {
        "tar_at_far_1e-3": tar3,
        "tar_at_far_1e-2": tar2,
        "threshold_far_1e-3": th3,
        "threshold_far_1e-2": th2,
        "eer": eer(gen, imp),
        "tar_at_far_1e-3_enrolled": etar3,
        "threshold_enrolled_far_1e-3": eth3,
        "eer_enrolled": eer(egen, eimp),
        "genuine_pairs": int(len(gen)),
        "impostor_pairs": int(len(imp)),
        "genuine_distance_median": round(float(np.median(gen)), 4) if len(gen) else None,
        "impostor_distance_median": round(float(np.median(imp)), 4) if len(imp) else None,
    }


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


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)

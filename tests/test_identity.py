"""Identity embedding (SFace), thresholds, set consistency and the identity eval, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likeness.errors import OptionError
from likeness.faces import analyze
from likeness.faces.identity import (
    MODEL,
    THRESHOLD_ENROLLED_FAR_1E3,
    THRESHOLD_FAR_1E2,
    THRESHOLD_FAR_1E3,
    THRESHOLD_FAR_1E4,
    distance,
    embed_face,
    enroll,
    likeness_score,
)
from likeness.imageio import load_photo
from likeness.intake.identity import consistency

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
IDS = EVAL / "identities"
# Small LFW crops (250 px): fast to analyse, and three clearly different people.
PEOPLE = ("lfw__bill_gates", "lfw__yao_ming", "lfw__meryl_streep")


def _need_eval() -> None:
    if not all((IDS / p).is_dir() for p in PEOPLE):
        pytest.skip("shared eval identities are not present")


@pytest.fixture(scope="module")
def embeddings() -> dict[str, list[np.ndarray]]:
    _need_eval()
    out: dict[str, list[np.ndarray]] = {}
    for p in PEOPLE:
        for f in sorted((IDS / p).iterdir())[:4]:
            faces = analyze(load_photo(f).image, subject_only=True)
            assert faces and faces[0].embedding is not None, f
            assert faces[0].embedding_model == MODEL
            out.setdefault(p, []).append(faces[0].embedding)
    return out


def test_same_person_closer_than_different_people(embeddings):
    same = [distance(a, b) for p in PEOPLE for i, a in enumerate(embeddings[p]) for b in embeddings[p][i + 1 :]]
    ring = zip(PEOPLE, PEOPLE[1:] + PEOPLE[:1])
    diff = [distance(a, b) for p, q in ring for a in embeddings[p] for b in embeddings[q]]
    assert max(same) < min(diff), (max(same), min(diff))
    assert max(same) < THRESHOLD_FAR_1E4 < THRESHOLD_FAR_1E3 < min(diff)
    for e in embeddings[PEOPLE[0]]:
        assert e.shape == (128,) and e.dtype == np.float32
        assert abs(np.linalg.norm(e) - 1) < 1e-5


def test_astronaut_and_mirror_image_are_the_same_person():
    from skimage import data

    img = data.astronaut()
    face = analyze(img, embed=False, subject_only=True)[0]
    lm, e = embed_face(img, face.box, mesh=face.mesh)
    flipped = np.ascontiguousarray(img[:, ::-1])
    face_f = analyze(flipped, embed=False, subject_only=True)[0]
    _, e_f = embed_face(flipped, face_f.box)
    assert lm.shape == (5, 2)
    # YuNet order: subject's right eye (image-left), left eye, nose tip, mouth corners
    assert lm[0, 0] < lm[2, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]
    assert max(lm[0, 1], lm[1, 1]) < lm[2, 1] < min(lm[3, 1], lm[4, 1])
    # landmarks lie on the face, inside a slightly grown detection box
    x0, y0, x1, y1 = face.box
    assert ((lm[:, 0] > x0 - 0.2 * face.width) & (lm[:, 0] < x1 + 0.2 * face.width)).all()
    d = distance(e, e_f)
    assert d < 0.6 * THRESHOLD_FAR_1E3, d
    assert likeness_score(d) > 80
    _, e_best = embed_face(img, face.box, quality="best")
    assert distance(e, e_best) < 0.5 * THRESHOLD_FAR_1E3
    with pytest.raises(OptionError):
        embed_face(img, face.box, quality="slow")


def test_consistency_flags_an_impostor(embeddings):
    own = embeddings[PEOPLE[0]]
    intruder = embeddings[PEOPLE[1]][0]
    c = consistency([*own, None, intruder])
    assert c.other_person == (False,) * len(own) + (False, True)
    assert c.people == 2
    assert c.distances[len(own)] is None
    assert c.distances[-1] > THRESHOLD_FAR_1E3 > max(c.distances[: len(own)])
    assert distance(c.identity, enroll(own)) < 1e-5
    clean = consistency(own)
    assert clean.people == 1 and not any(clean.other_person)
    half = consistency([*own[:3], *embeddings[PEOPLE[2]][:3]])
    assert half.people == 2
    with pytest.raises(OptionError):
        consistency(own, weights=[1.0])
    assert consistency([None, None]).people == 0


def test_thresholds_and_score_are_sane():
    # SFace distances between unit embeddings: genuine pairs ≈0.8, impostors ≈1.35.
    assert 0.9 < THRESHOLD_FAR_1E4 < THRESHOLD_FAR_1E3 < THRESHOLD_FAR_1E2 < 1.3
    assert THRESHOLD_ENROLLED_FAR_1E3 <= THRESHOLD_FAR_1E3
    scores = [likeness_score(d) for d in np.linspace(0, 2.0, 41)]
    assert scores[0] == 100 and scores[-1] == 0
    assert all(a >= b for a, b in zip(scores, scores[1:]))
    assert likeness_score(THRESHOLD_FAR_1E3) == pytest.approx(70)
    assert likeness_score(THRESHOLD_FAR_1E4) == pytest.approx(80)
    assert likeness_score(THRESHOLD_FAR_1E2) == pytest.approx(40)
    assert likeness_score(THRESHOLD_ENROLLED_FAR_1E3, enrolled=True) == pytest.approx(70)
    e = enroll(np.eye(128, dtype=np.float32)[:3], [1.0, 1.0, 2.0])
    assert abs(np.linalg.norm(e) - 1) < 1e-6 and e[2] > e[0]
    with pytest.raises(OptionError):
        enroll(np.eye(128)[:2], [1.0, -1.0])


def test_eval_identity_on_a_subset(tmp_path):
    _need_eval()
    from likeness.eval import identity as ev

    sub = tmp_path / "identities"
    sub.mkdir()
    for p in PEOPLE:  # symlinks only: the photos are never copied
        (sub / p).mkdir()
        for f in sorted((IDS / p).iterdir())[:3]:
            (sub / p / f.name).symlink_to(f)
    seen = []
    r = ev.run(tmp_path, progress=lambda d, t: seen.append((d, t)), impostors_per_set=2, two_people_sets=3)
    assert seen[-1] == (9, 9)
    assert r["n_photos"] == 9 and r["n_no_face"] == 0 and r["n_people"] == 3
    for key in ("tar_at_far_1e-3", "tar_at_far_1e-2", "tar_at_far_1e-4", "tar_at_far_0", "tar_at_far_1e-3_enrolled",
                "eer", "threshold_far_1e-3", "threshold_far_1e-4", "library", "calibration", "impostor_flag_rate", "genuine_false_flag_rate", "two_people_detected_rate", "ms_per_face", "config"):
        assert key in r, key
    assert r["genuine_pairs"] == 9 and r["impostor_pairs"] == 27
    assert r["eer"] == 0.0 and r["tar_at_far_1e-2"] == 1.0 and r["tar_at_far_0"] == 1.0
    assert r["model"] == MODEL
    # person-disjoint calibration: fitted on the even-position people, tested on the others
    cal = r["calibration"]["fit_even_test_odd"]
    assert cal["fit_people"] == 2 and cal["test_people"] == 1
    assert r["library"]["far_1e-3"]["false_accepts"] == 0 and r["library"]["far_1e-3"]["tar"] == 1.0
    assert r["impostor_flag_rate"] == 1.0 and r["genuine_false_flag_rate"] == 0.0
    assert r["two_people_detected_rate"] == 1.0
    assert set(r["configs"]) == {"fast", "best"}
    assert r["configs"]["best"]["ms_per_face"] > r["configs"]["fast"]["ms_per_face"] > 0

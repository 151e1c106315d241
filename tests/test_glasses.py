"""The one glasses measure (faces/glasses.py) against labels of the eval photos, and
the lock the review derives from a person's photos."""

from __future__ import annotations

import numpy as np
import pytest

from likeness.faces import glasses as g
from likeness.review.locks import glasses_lock
from shared_eval import need

#: Photos of ../shared/eval/identities with glasses, labelled by eye (contact sheets of
#: all 177 faces): every photo of Gates, Blix and Musharraf, two of Meryl Streep's.
WORN = {
    "lfw__bill_gates": {f"{i:02d}.jpg" for i in range(1, 9)},
    "lfw__hans_blix": {f"{i:02d}.jpg" for i in range(1, 9)},
    "lfw__pervez_musharraf": {f"{i:02d}.jpg" for i in range(1, 9)},
    "lfw__meryl_streep": {"02.jpg", "08.jpg"},
}
#: People who wear none in any photo, beside them.
NONE = ("deepface__angelina_jolie", "lfw__laura_bush", "lfw__abdullah_gul", "lfw__naomi_watts")


def _scores() -> list[tuple[bool, float]]:
    from likeness.faces.analysis import analyze
    from likeness.faces.subject import pick_subject
    from likeness.faces.view import face_view
    from likeness.imageio import load_photo

    root = need("identities")
    out = []
    for person in [*WORN, *NONE]:
        for f in sorted((root / person).glob("*.jpg")):
            img = load_photo(f).image
            face = pick_subject(analyze(img), (img.shape[1], img.shape[0]))
            out.append((f.name in WORN.get(person, ()), g.glasses(face_view(img, face))))
    return out


def test_glasses_are_told_apart_on_labelled_photos():
    scores = _scores()
    worn = np.array([s for w, s in scores if w])
    none = np.array([s for w, s in scores if not w])
    assert len(worn) == 26 and len(none) >= 30
    auc = float((worn[:, None] > none[None, :]).mean())
    assert auc >= 0.95
    assert int((none >= g.ON).sum()) <= 1  # a false "worn"
    assert int((worn <= g.OFF).sum()) <= 2  # a false "none" (on all 177: Gates 02, Musharraf 07)


@pytest.mark.parametrize(("states", "lock"), [
    ([False, False, False], False),
    ([True, True], True),
    ([True, False, False], None),  # both: either is the person
    ([False, False, None], None),  # one photo undecided: not locked
    ([], None),
])
def test_the_lock_holds_only_what_every_photo_shows(states, lock):
    assert glasses_lock(states) is lock

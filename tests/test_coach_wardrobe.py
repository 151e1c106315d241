"""Wardrobe checks on a real portrait's clothing: lettering (and not a dotted pattern
or plain cloth), stripes over the whole garment (and not one striped patch), and the
neckline against the headshot framing's bottom edge."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from shared_eval import need


def _plain(name: str):
    """A portrait whose clothing is repainted one plain colour with a little noise."""
    from likeness.coach.wardrobe import regions
    from likeness.faces.subject import find_faces, pick_subject

    img = np.asarray(Image.open(need("portraits", "images", f"{name}.jpg")).convert("RGB"))
    mask = np.asarray(Image.open(need("portraits", "masks", f"{name}.png")).convert("L").resize((img.shape[1], img.shape[0])))
    person = (mask > 127).astype(np.float32)
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    r = regions(img, face, person=person)
    out = img.copy()
    noise = np.random.default_rng(0).normal(0, 3, img.shape)
    out[r.clothing] = np.clip(np.array([60, 80, 120]) + noise[r.clothing], 0, 255).astype(np.uint8)
    return out, face, person, regions(out, face, person=person)


@pytest.fixture(scope="module")
def plain():
    return _plain("00005")  # a shirt to the photo's edge, face large


@pytest.fixture(scope="module")
def tee():
    return _plain("00408")  # a T-shirt whose headshot framing ends inside the photo


def test_a_printed_word_is_flagged_and_plain_cloth_is_not(plain):
    from likeness.coach.lettering import find_print
    from likeness.coach.wardrobe import advise
    from likeness.eval.coach_prints import add_lettering

    img, face, person, r = plain
    assert not find_print(img, r.clothing, r.face_height).lettering
    hits = 0
    for seed in range(4):
        word = add_lettering(img, r.clothing, r.face_height, np.random.default_rng(seed))
        assert word is not None
        hits += find_print(word, r.clothing, r.face_height).lettering
    assert hits >= 3
    word = add_lettering(img, r.clothing, r.face_height, np.random.default_rng(0))
    keys = [a.key for a in advise(word, face, look="corporate-grey", person=person).advice]
    assert "lettering" in keys and "lettering" not in [a.key for a in advise(img, face, look="corporate-grey", person=person).advice]


def test_a_dotted_pattern_is_not_lettering(plain):
    from likeness.coach.lettering import find_print

    img, face, person, r = plain
    dots = img.copy()
    step = max(6, int(0.09 * r.face_height))
    for y in range(0, img.shape[0], step):
        for x in range(0, img.shape[1], step):
            cv2.circle(dots, (x + (step // 2 if (y // step) % 2 else 0), y), max(2, step // 4), (235, 235, 235), -1, cv2.LINE_AA)
    dots[~r.clothing] = img[~r.clothing]
    p = find_print(dots, r.clothing, r.face_height)
    assert p.judged and p.marks > 0 and not p.lettering


def test_one_striped_patch_is_not_a_striped_garment(plain):
    from likeness.coach.wardrobe import STRIPE_PEAK, stripes
    from likeness.eval.coach_wardrobe import add_stripes

    img, face, person, r = plain
    full, _ = add_stripes(img, r.clothing, r.face_height, np.random.default_rng(2))
    ys, xs = np.nonzero(r.clothing)
    patch = np.zeros_like(r.clothing)
    cy, cx = int(np.median(ys)), int(np.median(xs))
    patch[cy - 24 : cy + 24, cx - 24 : cx + 24] = True  # a striped pocket or a necklace: one window's worth
    local, _ = add_stripes(img, r.clothing & patch, r.face_height, np.random.default_rng(2))
    assert stripes(full, r)[0] >= STRIPE_PEAK > stripes(local, r)[0]


def test_the_neckline_against_the_frames_edge(tee):
    from likeness.coach.wardrobe import frame_bottom, neckline, regions
    from likeness.eval.coach_prints import lower_neckline

    img, face, person, r = tee
    bottom = frame_bottom(face, frame="headshot")
    assert bottom < img.shape[0] and neckline(img, face, r, frame="headshot") is None
    skin = np.median(img[int(face.center[1]) - 4 : int(face.center[1]) + 4, int(face.center[0]) - 4 : int(face.center[0]) + 4]
                     .reshape(-1, 3), axis=0).astype(np.float32)

    def painted(row: float) -> str | None:
        out = lower_neckline(img, r.clothing, skin, int(row))
        return neckline(out, face, regions(out, face, person=person), frame="headshot")

    assert painted(bottom - 0.05 * r.face_height) == "cut"
    assert painted(bottom - 0.45 * r.face_height) is None
    assert painted(bottom + 2) == "bare"


@pytest.fixture(scope="module")
def necklace():
    """A plain dark top with a pendant on a chain, as photographed (not repainted)."""
    from likeness.coach.wardrobe import regions
    from likeness.faces.subject import find_faces, pick_subject

    img = np.asarray(Image.open(need("portraits", "images", "00163.jpg")).convert("RGB"))
    mask = np.asarray(Image.open(need("portraits", "masks", "00163.png")).convert("L").resize((img.shape[1], img.shape[0])))
    person = (mask > 127).astype(np.float32)
    face = pick_subject(find_faces(img), (img.shape[1], img.shape[0]))
    return img, face, person, regions(img, face, person=person)


def test_a_large_logo_is_told_and_the_plain_original_is_not(necklace):
    from likeness.coach.wardrobe import Wardrobe, advise, prints, regions, skin_distance
    from likeness.eval.coach_prints import add_logo

    img, face, person, r = necklace
    plain = advise(img, face, look="corporate-grey", person=person)
    assert isinstance(plain, Wardrobe) and plain.visible
    assert not {"logo", "lettering"} & {a.key for a in plain.advice} and plain.logo == 0.0
    cloth = r.clothing & (skin_distance(img, np.array(r.skin, np.float32)) > 20)
    drawn = [add_logo(img, cloth, r.face_height, np.random.default_rng(seed), centre_x=float(face.center[0]),
                      face_w=float(face.width), chin_y=r.chin_y) for seed in range(6)]
    assert all(d is not None for d in drawn)
    told = [prints(d, regions(d, face, person=person))[1] for d in drawn]
    assert sum(t.found for t in told) >= 3  # the rate is measured by `likeness eval coach` (logo_flagged)
    hit = drawn[next(i for i, t in enumerate(told) if t.found)]
    w = advise(hit, face, look="corporate-grey", person=person)
    assert [a.key for a in w.advice].count("logo") == 1 and 0.22 <= w.logo <= 1.0


def test_a_strip_from_the_collar_is_not_a_logo_but_the_same_ink_as_a_badge_is(necklace):
    """A tie (or the shirt between lapels) runs up to the neck; a logo is closed all
    round by the cloth."""
    from likeness.coach.logo import find_logo
    from likeness.coach.wardrobe import regions

    img, face, person, r = necklace
    fh, cx = r.face_height, int(face.center[0])
    y0, y1 = int(r.chin_y + 0.75 * fh), int(r.chin_y + 1.05 * fh)  # below the scoop neckline
    badge, tie = img.copy(), img.copy()
    cv2.rectangle(badge, (cx - int(0.15 * fh), y0), (cx + int(0.15 * fh), y0 + int(0.25 * fh)), (30, 90, 200), -1)
    tie_top = int(r.chin_y + 0.05 * fh)  # the knot under the chin
    cv2.rectangle(tie, (cx - int(0.08 * fh), tie_top), (cx + int(0.08 * fh), y1), (30, 90, 200), -1)
    found = {}
    for name, im in (("badge", badge), ("tie", tie)):
        rr = regions(im, face, person=person)
        found[name] = find_logo(im, rr.chest, rr.face_height, skin=rr.skin)
    assert found["badge"].found and 0.25 <= found["badge"].size <= 0.4
    assert found["tie"].judged and not found["tie"].found

"""The defect checks' pieces that belong to the subject (worn, clothes), and the
studio's cut-out of what the review would refuse: bystanders packed beside the subject,
a printed wall kept beside the shoulder."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from likeness.review import ReviewSettings
from likeness.review import defects as D
from likeness.review.scene import scene
import test_defects as base

# The clean astronaut render (a module fixture) and the matte at image size, shared.
rendered, _full = base.rendered, base._full


def _piece_scene(rendered, centre, rad, colour_from=None, colour=None):
    """The clean render's scene with a disc at ``centre`` (scene px) that the matte keeps
    and the candidate's own segmentation reads as not-person (0.3), coloured by the
    image at ``colour_from`` (scene px) or ``colour`` (Lab)."""
    r = rendered
    sc = scene(r.image, r.face, alpha=_full(r.alpha, r.image), valid=_full(r.valid, r.image), top_cut=r.plan.top_cut)
    h, w = sc.alpha.shape
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, centre, rad, 1, -1)
    disc = disc > 0
    lab, seg, alpha = sc.lab.copy(), sc.seg.copy(), sc.alpha.copy()
    lab[disc] = colour if colour is not None else sc.lab[colour_from[1], colour_from[0]]
    seg[disc], alpha[disc] = 0.3, 1.0
    return replace(sc, lab=lab, seg=seg, alpha=alpha)


def test_a_small_piece_worn_on_the_person_is_not_an_island(rendered):
    """An earring the segmentation doubts (Katy Perry's: 0.48), wholly inside what it
    calls person, is the subject's; the same disc pasted beside the hair is a patch of
    old background."""
    from likeness.review.scene import _head

    s = ReviewSettings()
    sc0 = _piece_scene(rendered, (0, 0), 1, colour=np.float32([95, 0, 0]))
    ax, eye, chin, hw, _hh = _head(sc0.face)
    inside = (int(ax), int((eye + chin) / 2))  # on the face: the segmentation's person all round
    sc = _piece_scene(rendered, inside, 7, colour=np.float32([95, 0, 0]))
    assert D.islands(sc, s).passed, D.islands(sc, s)
    row = np.nonzero(sc0.alpha[int(eye)] > 0.5)[0]
    beside = (int(row.max()) + 3, int(eye))  # half out of the outline
    bad = _piece_scene(rendered, beside, 7, colour=np.float32([95, 0, 0]))
    assert not D.islands(bad, s).passed


def test_a_strap_in_the_clothes_colours_at_the_shoulder_is_not_an_island(rendered):
    """A piece of the subject's clothes at the shoulder the segmentation does not call
    person (Family3-Lady1's backpack strap) has the clothes' own colours: not a remnant.
    The same piece in a colour the clothes do not have (a red press wall) is."""
    from likeness.review.scene import _head

    s = ReviewSettings()
    sc0 = _piece_scene(rendered, (0, 0), 1, colour=np.float32([50, 0, 0]))
    ax, _eye, chin, hw, _hh = _head(sc0.face)
    h, _w = sc0.alpha.shape
    y = int(min(h - 12, chin + 0.25 * (h - chin)))
    row = np.nonzero(sc0.alpha[y] > 0.5)[0]
    x = int(row.max()) - 6  # on the shoulder's outline, inside the matte
    clothes = (int(ax + 0.5 * (x - ax)), y)  # the same clothes nearer the middle
    ok = _piece_scene(rendered, (x, y), 8, colour_from=clothes)
    assert D.islands(ok, s).passed, D.islands(ok, s)
    red = _piece_scene(rendered, (x, y), 8, colour=np.float32([45, 60, 20]))
    assert not D.islands(red, s).passed


def test_the_line_between_subject_and_bystander_follows_the_photo_edges():
    """Two heads packed together (the boxes of Jesse Jackson's press photo): where the
    subject's head zone and a bystander's overlap, the nearer head's wins (the zone
    once kept the bystander's brow beside the subject's cheek), and with the photo the
    line moves onto its colour edge."""
    from likeness.studio.cutout import cut_others

    subject = (61.8, 130.5, 317.2, 385.9)
    others = [(293.8, 5.2, 435.4, 146.7), (306.3, 286.5, 416.6, 408.3)]
    ones = np.ones((640, 410), np.float32)
    geo = cut_others(ones, subject, others)
    assert geo[300, 340] == 0  # the lower bystander's brow, inside the subject's old zone
    y = 250
    c = int(np.nonzero(geo[y, 190:] == 0)[0][0]) + 190  # the geometric line on this row
    img = np.full((640, 410, 3), (200, 200, 220), np.uint8)
    img[:, : c + 8] = (70, 45, 35)  # the subject's skin reaches 8 px past the line
    out = cut_others(ones, subject, others, image=img)
    assert geo[y, c + 4] == 0 and out[y, c + 4] == 1
    assert out[y, c + 14] == 0


def _press_wall_scene(busy: bool):
    """A subject in a gingham jacket before a printed wall (red stripes, white letters;
    or a plain white wall), with a block of the wall beside the shoulder that the matte
    kept and the segmentation was unsure of (0.7): Katy Perry's press photo in shapes."""
    h, w = 768, 614
    yy, xx = np.mgrid[0:h, 0:w]
    if busy:
        img = np.where(((xx // 6) % 2 == 0)[..., None], np.uint8([170, 25, 70]), np.uint8([90, 5, 30])).astype(np.uint8)
        for x0, y0 in ((20, 80), (500, 300), (60, 600), (520, 560)):  # the letters
            img[y0 : y0 + 40, x0 : x0 + 70] = (205, 200, 220)
    else:
        img = np.full((h, w, 3), 235, np.uint8)
    face, chin = (150.0, 200.0, 450.0, 500.0), 500.0
    head = np.zeros((h, w), np.uint8)
    cv2.ellipse(head, (300, 330), (170, 200), 0, 0, 360, 1, -1)
    body = (yy >= 480) & (np.abs(xx - 300) < 150 + 0.6 * (yy - 480))
    checks = (((xx // 12) + (yy // 12)) % 2 == 0)[..., None]
    img[body] = np.where(checks, np.uint8([25, 25, 35]), np.uint8([235, 235, 240]))[body]
    img[head > 0] = (225, 180, 160)
    alpha = ((head > 0) | body).astype(np.float32)
    prior = alpha.copy()
    block = (yy >= 520) & (yy < 640) & (xx >= 440) & ~body
    alpha[block], prior[block] = 1.0, 0.7
    return img, alpha, prior, face, chin, block, body


def test_a_printed_wall_kept_beside_the_shoulder_is_taken_out():
    """The wall beside the shoulder goes (it looks like the wall outside the matte, not
    like the jacket); the jacket and head stay. Before a plain wall, nothing changes:
    its colour alone matched bright skin and blonde hair on the eval photos."""
    from likeness.studio.cutout import drop_backdrop_beside

    img, alpha, prior, face, chin, block, body = _press_wall_scene(True)
    out = drop_backdrop_beside(alpha, img, prior, face, chin)
    assert out[block].mean() < 0.2
    assert out[body].mean() > 0.98 and out[330, 300] == 1.0
    img, alpha, prior, face, chin, block, body = _press_wall_scene(False)
    assert np.array_equal(drop_backdrop_beside(alpha, img, prior, face, chin), alpha)

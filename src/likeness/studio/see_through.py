"""Old background seen through the subject: compact pieces the matte calls person whose
colour is the photo's own background beside them, not the subject's.

A gap in the hair (Celeste: the lavender wall showing beside her earring) or a letter of
a press wall cut by the shoulder's edge (Katy Perry) stays in the matte when the
segmentation reads it as part of the person; after compositing it shows as a pale patch
of the old wall on the new backdrop, which neither the matte's IoU nor a review's
islands check sees (the piece is joined to the subject).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from ..color import rgb_to_lab

#: Weight of L* against a*, b* in the colour distance: a wall seen through hair is in
#: the hair's shadow (Celeste's patch is 15–25 L* darker than the lit wall beside it)
#: while its hue stays the wall's.
L_WEIGHT = 0.6
#: Colour units a face width of distance costs in the per-pixel background model
#: (nearer background samples count more than farther ones of the same colour).
PLACE = 40.0
#: Per pixel: nearer than this (joint colour/place distance) to the background beside
#: it makes a pixel a candidate.
NEAR_BG = 10.0
#: Per piece: the subject's own colours beside it must be this many times farther
#: (median colour distance) than the background's, and this many units farther.
RATIO, MARGIN = 2.5, 8.0
#: Piece size (share of the face width squared): the least worth taking out, and the
#: most (a larger "piece" is blonde hair against a pale wall, not a gap).
MIN_AREA, MAX_AREA = 0.002, 0.06
#: How far (face widths) from the matte's edge a piece may lie (the subject's own
#: colours are sampled past twice that); how far the background's are sampled.
REACH, BG_RING = 0.12, 0.25
#: How far (px) beside a piece its mixed rim is taken too, where it leans to the wall.
RIM = 3
#: A piece's border share on the background (see :func:`see_through_mask`): at most
#: ``ENCLOSED`` a gap enclosed by the subject (Celeste's 0.00), at least ``BUMP`` a
#: bump sticking out (Katy Perry's shoulder 0.63). Set on half a of the eval's people:
#: the pieces wrongly found there (a bare shoulder, a grey sweater against a grey wall)
#: lay at 0.35–0.45; on half b (an arm, blonde hair against a white wall, the press
#: wall's strip along Katy Perry's collar) at 0.16–0.44.
ENCLOSED, BUMP = 0.05, 0.55
#: A piece whose median b* is above this is warm: skin (a hand, a bystander's forehead
#: cut at the frame's edge), blonde or brown hair: never taken, whatever the wall.
#: The pieces of wall found were cool: Celeste's lavender wall −9.5 (median), the
#: press wall's letters −26.
WARM = 8.0


def drop_see_through(alpha: np.ndarray, image: np.ndarray, face_box, *, keep: np.ndarray | None = None) -> np.ndarray:
    """``alpha`` (float32 h×w) with compact pieces of the photo's own background taken
    out (soft edge). ``image``: uint8 RGB at alpha's size; ``face_box``: the subject's
    face (x0, y0, x1, y1) in alpha's pixels. The face itself (with its earrings, widened
    a little and down past the chin) is never judged, nor is ``keep`` (uint8 or bool,
    alpha's size: the studio's head zone)."""
    gone = see_through_mask(alpha, image, face_box, keep=keep)
    if not gone.any():
        return alpha
    soft = cv2.GaussianBlur(cv2.dilate(gone.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32), (0, 0), 1.0)
    return alpha * (1.0 - np.clip(1.5 * soft, 0.0, 1.0))


def see_through_mask(alpha: np.ndarray, image: np.ndarray, face_box, *, keep: np.ndarray | None = None) -> np.ndarray:
    """bool h×w: the pieces :func:`drop_see_through` takes out. A pixel inside the matte
    near its edge is a candidate where the background beside it (colour and place) is
    near and ``RATIO`` times nearer than the subject's inside; candidates opened (compact
    only) make pieces, each taken where it is ``MIN_AREA``–``MAX_AREA`` large, not warm,
    clearly the background's by its median distances, and enclosed or sticking out."""
    h, w = alpha.shape
    x0, y0, x1, y1 = face_box
    fw = max(x1 - x0, 8.0)
    none = np.zeros((h, w), bool)
    lab = rgb_to_lab(image).astype(np.float32)
    col = lab * np.array([L_WEIGHT, 1.0, 1.0], np.float32)
    k3 = np.ones((3, 3), np.uint8)
    bg = cv2.erode((alpha < 0.05).astype(np.uint8), k3) > 0
    fg = alpha > 0.95
    if bg.sum() < 50 or fg.sum() < 50:
        return none
    # Candidates: inside the matte, near its edge, off the face.
    dist = cv2.distanceTransform((~bg).astype(np.uint8), cv2.DIST_L2, 3)
    band = (alpha > 0.5) & (dist <= REACH * fw + 2)
    face = np.zeros((h, w), bool)
    face[max(0, int(y0)) : max(0, int(y1 + 0.15 * (y1 - y0))), max(0, int(x0 - 0.05 * fw)) : max(0, int(x1 + 0.05 * fw))] = True
    band &= ~face
    if keep is not None:
        # The hair about the head: short grey or dark hair over a wall of its colour has
        # no inside of its own to compare with (it took Obama's and Biden's crowns).
        band &= ~(keep > 0)
    if band.sum() < MIN_AREA * fw * fw:
        return none
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    place = np.stack([xx, yy], axis=2) * (PLACE / fw)
    joint = np.concatenate([col, place], axis=2)
    near = cv2.distanceTransform((~band).astype(np.uint8), cv2.DIST_L2, 3) <= BG_RING * fw
    cy, cx = np.nonzero(band)
    d_bg = _nearest(joint, bg & near, cy, cx)
    # The subject's own colours: its inside, past the band (the jacket's white squares
    # beside a press wall's white letters are the jacket's).
    d_fg = _nearest(joint, fg & (dist > 2 * REACH * fw) & near, cy, cx)
    if d_bg is None or d_fg is None:
        return none
    hit = (d_bg < NEAR_BG) & (d_fg > RATIO * d_bg)
    cand = np.zeros((h, w), np.uint8)
    cand[cy[hit], cx[hit]] = 1
    # Compact pieces only: the thin mixed rim all along the matte's edge is the edge's
    # own business (its colour correction), not a piece of wall.
    cand = cv2.morphologyEx(cand, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    n, lbl, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    gone = none.copy()
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if not (MIN_AREA * fw * fw <= area <= MAX_AREA * fw * fw):
            continue
        piece = lbl == i
        if float(np.median(lab[..., 2][piece])) > WARM:
            continue
        pm = piece[cy, cx]
        mb, mf = float(np.median(d_bg[pm])), float(np.median(d_fg[pm]))
        if not (mf > RATIO * mb and mf - mb > MARGIN):
            continue
        # Its border's share on the background outside: a gap in the hair has none, a
        # letter cut by the shoulder's edge sticks out (most); a layer along a smooth
        # edge (a pale shoulder or blonde hair against a pale wall) lies between.
        ring = (cv2.dilate(piece.astype(np.uint8), k3) > 0) & ~piece
        contact = float((alpha[ring] < 0.5).mean())
        if contact <= ENCLOSED or contact >= BUMP:
            gone |= piece
    if gone.any():
        # The piece's mixed rim (hair strands over the wall) leans to the wall too.
        lean = np.zeros((h, w), bool)
        lean[cy, cx] = d_fg > d_bg
        gone |= (cv2.dilate(gone.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RIM + 1, 2 * RIM + 1))) > 0) & lean
    return gone


def _nearest(joint: np.ndarray, mask: np.ndarray, cy: np.ndarray, cx: np.ndarray) -> np.ndarray | None:
    """Distance (colour and place) from each pixel (cy, cx) to the nearest of ``mask``'s
    (at most 20000 of them, evenly taken); None where ``mask`` has too few."""
    my, mx = np.nonzero(mask)
    if len(my) < 20:
        return None
    step = max(1, len(my) // 20000)
    d, _ = cKDTree(joint[my[::step], mx[::step]]).query(joint[cy, cx], k=1)
    return d

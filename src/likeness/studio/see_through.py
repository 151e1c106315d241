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
#: A piece more saturated than this (median chroma, C*ab) that is not warm is no skin
#: and no hair: the border rule above stands aside for it (that rule keeps a pale
#: layer along a smooth edge: a bare shoulder or blonde hair against a pale wall), and
#: it is taken when its colour is clearly the wall's. The press wall's pieces at Katy
#: Perry's collar, seen through her clear raincoat, read 22–32 at border shares of
#: 0.27–0.40 (purple pieces of wall left beside the collar on her headshot); every
#: other piece the colour rule finds on 108 eval renders reads 16 or less.
SATURATED = 20.0


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
    near = cv2.distanceTransform((~band).astype(np.uint8), cv2.DIST_L2, 3) <= BG_RING * fw
    # The subject's own colours: its inside, past the band (the jacket's white squares
    # beside a press wall's white letters are the jacket's).
    bg_near, fg_near = bg & near, fg & (dist > 2 * REACH * fw) & near
    # Colour and place of the pixels read: the band, and the samples beside it.
    bg_at, fg_at = _samples(bg_near), _samples(fg_near)
    if bg_at is None or fg_at is None:
        return none
    cy, cx = np.nonzero(band)
    ys, xs = np.concatenate([cy, bg_at[0], fg_at[0]]), np.concatenate([cx, bg_at[1], fg_at[1]])
    lab = rgb_to_lab(image[ys, xs][None])[0].astype(np.float32)
    place = np.stack([xs, ys], axis=1).astype(np.float32) * (PLACE / fw)
    joint = np.concatenate([lab * np.array([L_WEIGHT, 1.0, 1.0], np.float32), place], axis=1)
    nb, ng = len(cy), len(bg_at[0])
    q, lab = joint[:nb], lab[:nb]
    bg_tree, fg_tree = _Nearest(joint[nb : nb + ng]), _Nearest(joint[nb + ng :])
    d_bg, d_fg = np.full(len(q), np.inf), np.full(len(q), np.nan)

    def hits(sel: np.ndarray) -> np.ndarray:
        """The candidates among band pixels ``sel``, their distances kept. The
        subject's distance is searched only where it decides: for pixels whose
        background is nearer than NEAR_BG (a pixel farther is no candidate, whatever
        the subject's distance)."""
        d_bg[sel] = bg_tree.query(q[sel])
        near_bg = sel[d_bg[sel] < NEAR_BG]
        d_fg[near_bg] = fg_tree.query(q[near_bg])
        return near_bg[d_fg[near_bg] > RATIO * d_bg[near_bg]]

    # Only candidates the opening below keeps matter, and each shape it keeps holds a
    # 5×3 block, so a pixel on every 4th column and 2nd row: those are judged first, and
    # then only the band within reach of one that is a candidate (a search over every
    # band pixel of a 12 MP photo's crop took 0.8 s; the result is the same).
    grid = hits(np.flatnonzero((cx % 4 == 0) & (cy % 2 == 0)))
    if len(grid) == 0:
        return none
    seeds = np.zeros((h, w), np.uint8)
    seeds[cy[grid], cx[grid]] = 1
    reach = cv2.dilate(seeds, np.ones((7, 9), np.uint8)) > 0
    hit = hits(np.flatnonzero(reach[cy, cx]))
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
        pm = piece[cy, cx]
        b = float(np.median(lab[pm, 2]))
        if b > WARM:
            continue
        vivid = float(np.median(np.hypot(lab[pm, 1], lab[pm, 2]))) > SATURATED
        mb, mf = float(np.median(d_bg[pm])), float(np.median(d_fg[pm]))
        if not (mf > RATIO * mb and mf - mb > MARGIN):
            continue
        # Its border's share on the background outside: a gap in the hair has none, a
        # letter cut by the shoulder's edge sticks out (most); a layer along a smooth
        # edge (a pale shoulder or blonde hair against a pale wall) lies between.
        ring = (cv2.dilate(piece.astype(np.uint8), k3) > 0) & ~piece
        contact = float((alpha[ring] < 0.5).mean())
        if contact <= ENCLOSED or contact >= BUMP or vivid:
            gone |= piece
    if gone.any():
        # The piece's mixed rim (hair strands over the wall) leans to the wall too.
        rim = cv2.dilate(gone.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RIM + 1, 2 * RIM + 1))) > 0
        at = np.flatnonzero(rim[cy, cx])
        lean = np.zeros((h, w), bool)
        lean[cy[at], cx[at]] = fg_tree.query(q[at]) > bg_tree.query(q[at])
        gone |= rim & lean
    return gone


def _samples(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows, columns) of ``mask``'s pixels, at most 20000 of them, evenly taken; None
    where it has too few."""
    my, mx = np.nonzero(mask)
    if len(my) < 20:
        return None
    step = max(1, len(my) // 20000)
    return my[::step], mx[::step]


_KDTREE_SINGLE = 4  # FLANN's index of one k-d tree (flann_algorithm_t)


class _Nearest:
    """Exact nearest-neighbour distances to a set of points (float32 n×d): OpenCV's
    FLANN with a single k-d tree searched without a limit on checks, which is exact.
    (scipy's cKDTree gives the same distances, but importing scipy.spatial costs about
    0.1 s of a one-photo process.)"""

    def __init__(self, points: np.ndarray) -> None:
        self._index = cv2.flann_Index(np.ascontiguousarray(points, np.float32),
                                      {"algorithm": _KDTREE_SINGLE, "leaf_max_size": 10})

    def query(self, q: np.ndarray) -> np.ndarray:
        if len(q) == 0:
            return np.zeros(0, np.float64)
        _, d2 = self._index.knnSearch(np.ascontiguousarray(q, np.float32), 1, params={"checks": -1})
        return np.sqrt(d2[:, 0].astype(np.float64))

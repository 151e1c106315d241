"""Matte stage adapter: the framed crop → alpha and edge colour correction.

Calls :func:`likeness.matting.matte` at working resolution. The fine detail of the
subject is kept from the full-size crop: what the matte's foreground estimate changes
(the old background's colour bleeding into hair and edges) is carried to output size as
a smooth *correction* (foreground − image), so edges are decontaminated without
losing sharpness inside the subject.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import cv2
import numpy as np

from ..color import rgb_to_lab, to_float
from .. import beside
from .see_through import drop_see_through


@dataclass(frozen=True)
class Cutout:
    alpha: np.ndarray  # float32 h×w, working size
    correction: np.ndarray  # float32 h×w×3, foreground − image (0 where no change)
    backend: str


def cut_out(
    image: np.ndarray,
    *,
    face_box: tuple[float, float, float, float] | None,
    valid: np.ndarray,
    prior: np.ndarray | None = None,
    others: list[tuple[float, float, float, float]] | Future | None = None,
    chin_y: float | None = None,
) -> Cutout:
    """Matte ``image`` (uint8, working size); ``valid`` (same size) forces 0 off-photo;
    ``prior``: a person probability for ``image`` from a wider view (see
    :func:`likeness.matting.matte`); ``others``: boxes of other people's faces in
    ``image``, whose heads are cut out of the matte (or a future of them, looked for
    beside the matte); ``chin_y``: the subject's chin row
    (pieces apart from the subject above it are someone else's, not a split shoulder)."""
    from ..matting import MatteSettings, foreground, matte

    m = matte(image, face_box=face_box, prior=prior, settings=MatteSettings(foreground=False))
    # The edge's own colours (the matte's step 5) beside the clean-up below, which
    # changes only which pixels are kept, not the colours at the matte's edge.
    fg_job = beside.submit(foreground, image, m.alpha)
    alpha = np.clip(m.alpha.astype(np.float32), 0, 1) * valid
    if prior is not None and face_box is not None and chin_y is not None:
        alpha = drop_backdrop_beside(alpha, image, prior, face_box, chin_y)
    if isinstance(others, Future):
        others = others.result()
    if others and face_box is not None:
        alpha = cut_others(alpha, face_box, others, image=image)
    alpha = keep_subject(alpha, face_box, chin_y=chin_y)
    if face_box is not None:
        # The old wall seen through a gap in the hair or cut by a shoulder's edge.
        alpha = drop_see_through(alpha, image, face_box, keep=head_zone(alpha.shape, face_box))
    img = to_float(image)
    edge = ((alpha > 0.01) & (alpha < 0.99)).astype(np.float32)
    edge = cv2.dilate(edge, np.ones((3, 3), np.uint8))
    corr = (fg_job.result().astype(np.float32) - img) * edge[..., None]
    return Cutout(alpha=alpha, correction=corr, backend="likeness.matting")


#: The subject's body reaches this many face widths from its axis before a bystander's
#: claim on a pixel wins (shoulders are about 1.5 face widths out).
BODY_REACH = 1.6


def cut_others(alpha: np.ndarray, face_box, others, *, image: np.ndarray | None = None) -> np.ndarray:
    """Zero the matte over other people (an ellipse about each face, grown for hair, and
    below it their body), never over the subject's own head but where a bystander's
    face itself lies: a bystander kept beside the subject is the first thing a viewer
    sees.

    Each person's body is a vertical axis down from their face. A pixel belongs to the
    nearest axis, distances in that person's face widths (the subject's times
    ``BODY_REACH``, so its shoulders stay): a bystander's suit joined to the subject's
    shoulder in the matte goes with its face. Before, only the bystander's head went,
    and a press photo kept a second man's face and suit beside the subject (his face
    below the first detector's reach: see ``pipeline.other_faces``).

    With ``image`` (uint8, alpha's size), the line between the subject and a bystander
    is then moved onto the photo's own edges (:func:`_on_edges`): a geometric line cut
    through two heads packed together (Jesse Jackson's 250 px press photo) left an arc
    of the bystanders' faces beside his cheek."""
    h, w = alpha.shape
    x0, y0, x1, y1 = face_box
    fw = x1 - x0
    own = head_zone((h, w), face_box)
    cut = np.zeros((h, w), np.uint8)
    faces = np.zeros((h, w), np.uint8)  # the parts of the subject's head zone nearer a bystander's head
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mine = _axis_distance(xx, yy, (x0 + x1) / 2, (y0 + y1) / 2) / max(BODY_REACH * fw, 1.0)
    (sx, sy), (rx, ry) = _head_ellipse(face_box)
    head = np.hypot((xx - sx) / rx, (yy - sy) / ry)  # 1 on the own ellipse
    for b in others:
        bw, bh = b[2] - b[0], b[3] - b[1]
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        cv2.ellipse(cut, (int(cx), int(cy - 0.2 * bh)), (int(0.95 * bw), int(1.05 * bh)), 0, 0, 360, 1, -1)
        theirs = _axis_distance(xx, yy, cx, cy) / max(bw, 1.0)
        cut |= ((theirs < mine) & (yy > b[1])).astype(np.uint8)
        # Where the two heads' zones overlap, the nearer head's (in each one's size).
        nearer = np.hypot((xx - cx) / (0.95 * bw), (yy - cy + 0.2 * bh) / (1.05 * bh)) < head
        faces |= (nearer & (own > 0)).astype(np.uint8)
    cut &= 1 - (own & (1 - faces))
    if image is not None:
        cut = _on_edges(image, alpha, cut, face_box)
    return alpha * (1 - cut.astype(np.float32))


#: Half-width of the band (subject face widths) about the geometric line between the
#: subject and the bystanders in which the photo's edges decide (:func:`_on_edges`).
EDGE_BAND = 0.12


def _on_edges(image: np.ndarray, alpha: np.ndarray, cut: np.ndarray, face_box) -> np.ndarray:
    """``cut`` (1: a bystander's) with its line through the person moved onto the
    photo's edges: a watershed over the photo's colour gradient from either side of a
    band ``EDGE_BAND`` face widths about the geometric line."""
    h, w = alpha.shape
    x0, y0, x1, y1 = face_box
    r = max(2, round(EDGE_BAND * (x1 - x0)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    markers = np.zeros((h, w), np.int32)
    markers[cv2.erode(1 - cut, k) > 0] = 1
    markers[cv2.erode(cut, k) > 0] = 2
    markers[alpha < 0.05] = 3
    if not ((markers == 1).any() and (markers == 2).any()):
        return cut
    ws = cv2.watershed(np.ascontiguousarray(image[..., ::-1]), markers)
    # Watershed lines (-1) and the background go with the geometric answer.
    return np.where(ws == 2, 1, np.where(ws == 1, 0, cut)).astype(np.uint8)


#: Long side (px) at which the matte's parts beside the body are compared with the
#: photo's own background (:func:`drop_backdrop_beside`); the window of the local
#: colour and texture (share of the long side); the votes of ``BESIDE_K`` nearest
#: samples that make a pixel background; the prior below which the segmentation is
#: unsure; the least share of the frame worth changing.
BESIDE_SIDE, BESIDE_WINDOW, BESIDE_K, BESIDE_VOTES, BESIDE_UNSURE, BESIDE_MIN = 384, 0.012, 7, 6, 0.99, 0.003
#: The median local spread (ΔE, Lab std over the window) of the photo's background
#: from which it is busy enough (printed, patterned) for :func:`drop_backdrop_beside`:
#: the press wall behind Katy Perry 10.0–10.6; the plain walls of the eval photos it
#: changed wrongly before 1.9 (Nicole) and 4.5 (Lexi); Jesse Jackson's 5.4.
BESIDE_BUSY = 8.0


def drop_backdrop_beside(alpha: np.ndarray, image: np.ndarray, prior: np.ndarray, face_box, chin_y: float) -> np.ndarray:
    """Take out of the matte, beside the body below the chin, what looks like the
    photo's own background: the press wall's letters Katy Perry's matte kept beside both
    shoulders (the segmentation read them 0.3–0.9 person, the edge snap made them 1).

    Each pixel's local colour and texture (Lab mean and spread over a small window) is
    compared with samples of the photo's background (matte 0) and of the subject's sure
    parts (face and hair zone, and the middle of the chest): a pixel where the
    segmentation was unsure (prior below ``BESIDE_UNSURE``) and ``BESIDE_VOTES`` of
    ``BESIDE_K`` nearest samples are background is background, where it joins the
    background outside the matte. Printed letters are smooth and the wall's colour; the
    gingham jacket is neither. Only a busy background (``BESIDE_BUSY``) is judged, and
    nothing changes unless that takes ``BESIDE_MIN`` of the frame; the hair above the
    chin, or in the head's zone, is never touched."""
    H, W = alpha.shape
    k = min(1.0, BESIDE_SIDE / max(H, W))
    w, h = max(8, round(W * k)), max(8, round(H * k))
    a = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
    p = cv2.resize(prior.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = (v * k for v in face_box)
    fw, fh, cx, chin = x1 - x0, y1 - y0, (x0 + x1) / 2, chin_y * k
    head = head_zone((h, w), (x0, y0, x1, y1))
    yy, xx = np.mgrid[0:h, 0:w]
    below = yy > chin - 0.1 * fh
    zone = (a > 0.5) & (head == 0) & below & (p < BESIDE_UNSURE)
    if zone.sum() < BESIDE_MIN * h * w:
        return alpha
    lab = rgb_to_lab(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)).astype(np.float32)
    r = 2 * max(2, round(BESIDE_WINDOW * max(h, w))) + 1
    mean = cv2.blur(lab, (r, r))
    spread = np.sqrt(np.maximum(cv2.blur(lab * lab, (r, r)) - mean * mean, 0))
    feat = np.concatenate([mean, spread], axis=2)
    k3 = np.ones((3, 3), np.uint8)
    bg = cv2.erode((a < 0.05).astype(np.uint8), k3) > 0
    sure = (p > 0.97) & (a > 0.9) & (((np.abs(xx - cx) < 0.5 * fw) & (yy > chin)) | (head > 0))
    sure = cv2.erode(sure.astype(np.uint8), k3) > 0
    if bg.sum() < 50 or sure.sum() < 50:
        return alpha
    if np.median(np.linalg.norm(spread[bg], axis=1)) < BESIDE_BUSY:
        # A plain background: its colour alone matches bright skin and blonde hair (a
        # bite out of Lexi's shoulder, strands off Nicole's hair against white walls).
        return alpha
    rng = np.random.default_rng(0)

    def sample(m: np.ndarray, n: int = 1500) -> np.ndarray:
        ys, xs = np.nonzero(m)
        i = rng.choice(len(ys), min(n, len(ys)), replace=False)
        return feat[ys[i], xs[i]]

    b, f = sample(bg), sample(sure)
    knn = cv2.ml.KNearest_create()
    knn.train(np.concatenate([b, f]).astype(np.float32), cv2.ml.ROW_SAMPLE,
              np.concatenate([np.zeros(len(b)), np.ones(len(f))]).astype(np.float32))
    zy, zx = np.nonzero(zone)
    _, _, votes, _ = knn.findNearest(feat[zy, zx].astype(np.float32), BESIDE_K)
    back = np.zeros((h, w), np.uint8)
    hit = (votes == 0).sum(1) >= BESIDE_VOTES
    back[zy[hit], zx[hit]] = 1
    back = cv2.morphologyEx(back, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    # Only what joins the background outside the matte, or the frame's side edge (a
    # wall cut by the frame), not a dark square inside the jacket.
    _n, lbl = cv2.connectedComponents(((back > 0) | (a <= 0.5)).astype(np.uint8))
    outside = bg.copy()
    outside[:, [0, -1]] |= back[:, [0, -1]] > 0
    drop = np.isin(lbl, np.unique(lbl[outside])) & (back > 0)
    if drop.sum() < BESIDE_MIN * h * w:
        return alpha
    # What is left beside the dropped part thinner than the window (a letter's outline)
    # goes too; the hair and the chest stay.
    kept = (a > 0.05) & ~drop  # soft too: a faint outline at full size
    thin = kept & ~(cv2.morphologyEx(kept.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (r, r))) > 0)
    thin &= (head == 0) & below & (cv2.dilate(drop.astype(np.uint8), np.ones((3 * r, 3 * r), np.uint8)) > 0)
    gone = cv2.resize((drop | thin).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    gone = cv2.GaussianBlur(gone, (0, 0), max(0.7, 0.5 / k))
    return alpha * (1.0 - np.clip(2.0 * gone - 0.5, 0.0, 1.0))


def _head_ellipse(face_box) -> tuple[tuple[float, float], tuple[float, float]]:
    """(centre, radii) of the subject's head with its hair about its face box. (At
    0.85 × 0.95 of the face box it reached over a bystander's face half a face width
    beside the subject's and kept it.)"""
    x0, y0, x1, y1 = face_box
    fw, fh = x1 - x0, y1 - y0
    return ((x0 + x1) / 2, (y0 + y1) / 2 - 0.15 * fh), (0.65 * fw, 0.85 * fh)


def head_zone(shape: tuple[int, int], face_box) -> np.ndarray:
    """uint8 mask (``shape`` = h, w) of :func:`_head_ellipse`: never cut as someone else's
    or as background."""
    (cx, cy), (rx, ry) = _head_ellipse(face_box)
    m = np.zeros(shape, np.uint8)
    cv2.ellipse(m, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, 1, -1)
    return m


def _axis_distance(xx: np.ndarray, yy: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Distance to a body's axis: the face centre, and straight down from it."""
    return np.where(yy >= cy, np.abs(xx - cx), np.hypot(xx - cx, yy - cy))


def keep_subject(alpha: np.ndarray, face_box, *, chin_y: float | None = None) -> np.ndarray:
    """Drop matte islands not joined to the person (a lamp, a face in a poster, a
    bright patch of the old background): one stray blob reads as cut-and-paste."""
    if face_box is None:
        return alpha
    solid = (alpha > 0.35).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if n <= 2:
        return alpha
    h, w = alpha.shape
    x0, y0, x1, y1 = (int(round(v)) for v in face_box)
    cx, cy = min(max((x0 + x1) // 2, 0), w - 1), min(max((y0 + y1) // 2, 0), h - 1)
    keep = np.zeros(n, bool)
    face_ids = np.unique(labels[max(0, y0) : max(1, y1), max(0, x0) : max(1, x1)])
    keep[face_ids[face_ids > 0]] = True
    keep[labels[cy, cx]] = labels[cy, cx] > 0
    # Large parts (shoulders split off by a microphone, an arm) stay too; above the
    # subject's chin, apart from the subject, a part is someone else's head.
    big = stats[:, cv2.CC_STAT_AREA] > 0.08 * stats[1:, cv2.CC_STAT_AREA].max()
    if chin_y is not None:
        big &= cents[:, 1] > chin_y
    keep |= big
    keep[0] = False
    mask = keep[labels].astype(np.uint8)
    # Soft edges around what is kept stay; alpha far from it goes.
    near = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    return alpha * near.astype(np.float32)


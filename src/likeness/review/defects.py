"""Defect checks: the faults a viewer sees at once in a cut-out headshot.

Pure functions over the candidate image, a person matte and the subject's face, so a
generated image is judged like a studio render (where no matte is given, the
candidate's own person segmentation stands in for it). :func:`.scene.scene` prepares the
candidate once at ``SIDE`` px; each check returns a :class:`~.result.Check` with its
figure:

- ``islands``: share of the frame (%) taken by foreground pieces not joined to the
  subject, plus "stuff" that is neither backdrop nor person (a patch of the old
  background kept beside the hair: the candidate's *own* segmentation, a second look
  at the finished image, sees it as not-person), plus holes of backdrop inside what
  the segmentation calls person;
- ``other_people``: another face in the frame, or a piece apart from the subject at
  the frame's edge above the subject's chin (share of the frame, %), plus the length
  of the subject's own outline on a side edge above the chin (% of the height): a
  bystander's head cut by the frame edge, apart from or joined to the subject;
- ``cut_subject``: crown touching the top edge (unless the photo itself cuts it and
  the frame lands on that cut), chin or ears outside the frame, and the photo's own
  edge showing as a straight cut through the subject inside the frame (length as a
  share of the frame height, %);
- ``fringe``: share (%) of the ring just outside the matte edge whose colour lies off
  the mix of the local backdrop and the subject's own edge colour (a halo);
- ``flat_edge``: longest straight run of the hair outline, as a share of the head
  height;
- ``occlusion`` (:mod:`.mouth_check`): the lips must show as lips: ΔE2000 of the lips
  to the cheeks, and their redness against the cheeks' (a hand, a microphone over the
  mouth has neither); where they do not, the mouth must also be smooth
  (:func:`~.mouth_check.mouth_detail`): pale lips, a moustache or a broad smile still
  show the lips' lines;
- ``hand``: a hand over the face or at the chin (a microphone's hand), found by
  mediapipe's palm and hand-landmark models (:mod:`likeness.faces.hands`): the hand's
  presence score, where at least ``HAND_POINTS`` of its 21 points lie on the face or
  just below the chin.

Thresholds are ``ReviewSettings`` fields, calibrated by ``likeness eval defects`` on
one half of the people and reported on the other (see that module). On ../shared/eval
(22 studio renders: 17 usable photos and 5 web-size ones; limits set on half a, 7
people; held-out half b, 15 renders): every injected defect caught (1.0 each, half b
and all); untouched renders rejected 0.0 on half b, 0.045 on all (1 of 22: two
bystanders' leftovers beside Jesse Jackson, a real defect:
``eval.defects.SEEN_DEFECTS``). Before the "worn" and "clothes" pieces of
:func:`_stuff` (``WORN_RING``, ``CLOTHES_RING``), 0.13 / 0.14: Family3-Lady1's backpack
strap and Katy Perry's earring, which the finished image's segmentation does not see as
person, were refused. Before (a dilated segmentation at 0.5 and ΔE 8; a fringe tested
against the backdrop–subject line): background patch 0.87 / 0.91, fringe 0.87 / 0.86.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..beside import submit
from ..color import delta_e
from ..types import Face
from .result import Check, ReviewSettings
from .hand_check import hand
from .mouth_check import occlusion
from .scene import SIDE, Scene, _big, _components, _disk, _enclosed, _head, _on_border, _overlap

#: The candidate's own person probability below which matte pixels off the backdrop
#: count as "stuff" (``islands``): a patch pasted beside the hair reads 0.3–0.5.
SEG_PERSON = 0.6
#: Small "stuff" pieces (at most ``WORN_MAX`` % of the frame) that belong to the
#: subject: those the candidate's segmentation calls person on at least ``WORN_RING``
#: of their ring are worn on the person (Katy Perry's earring: 0.94 of its ring, 0.15 %,
#: when this was set, and 0.89 on the render of 5 Dec, which is then counted; a pasted
#: patch reads ≤ 0.32, and ≤ 0.50 over the 52 patches pasted into every usable eval
#: photo's render on 5 Dec). At or below the chin (centroid above it by at most
#: ``CLOTHES_ABOVE_CHIN`` of the head height), bordered by the matte on ``CLOTHES_RING``
#: of the ring, with ``CLOTHES_MATCH`` of their pixels in colours (Lab cells of
#: ``CLOTHES_CELL``, one cell's slack) of the clothes around them, they are the
#: subject's own clothing: Family3-Lady1's backpack strap (0.26 %, 0.72 of its ring,
#: every colour matched). The press wall beside Katy Perry's shoulders is bordered by
#: the matte on 0.46–0.48 of its ring (it sticks out of the outline); a bystander's shirt
#: beside Jesse Jackson has 0.58 of its colours in his clothes; the chin of a head pasted
#: over the hair beside the shoulder (``eval defects``' other_person) takes 0.9–2.3 %.
WORN_RING, WORN_MAX = 0.9, 0.4
CLOTHES_ABOVE_CHIN, CLOTHES_RING, CLOTHES_MATCH, CLOTHES_CELL = 0.1, 0.6, 0.9, 4.0
#: Arcs of the hair's outline the fringe is judged over (10° each).
FRINGE_ARCS = 36


def _subject_component(labels: np.ndarray, f: Face) -> int:
    h, w = labels.shape
    cx, cy = _head(f)[0], f.center[1]
    x0, y0, x1, y1 = (round(v) for v in f.box)
    ids = labels[max(0, y0) : max(1, min(h, y1)), max(0, x0) : max(1, min(w, x1))]
    ids = ids[ids > 0]
    if ids.size:
        return int(np.bincount(ids.ravel()).argmax())
    return int(labels[int(np.clip(cy, 0, h - 1)), int(np.clip(cx, 0, w - 1))])


def _pieces(sc: Scene, s: ReviewSettings) -> tuple[np.ndarray, np.ndarray, float]:
    """(foreground pieces apart from the subject, those of them that are someone
    else's: touching the frame's edge with their centre above the subject's chin, and
    the length (% of the frame height) of the subject's own outline on a side edge
    above the chin: a bystander's head joined to the subject's hair or shoulder).
    Shoulders meet the side edges below the chin; a head there is someone else's."""
    h, w = sc.alpha.shape
    fg = sc.alpha > 0.5
    n, labels, stats, cents = _components(fg)
    subj = _subject_component(labels, sc.face)
    ax, _eye_y, chin, hw, hh = _head(sc.face)
    edge = np.zeros_like(fg)
    edge[:, :2] = edge[:, -2:] = edge[:2, :] = True
    minpx = s.island_min * h * w / 100
    stray, foreign = np.zeros_like(fg), np.zeros_like(fg)
    for i in range(1, n):
        if i == subj or stats[i, cv2.CC_STAT_AREA] < minpx:
            continue
        m = labels == i
        if (m & edge).any() and cents[i, 1] < chin + 0.1 * hh:
            foreign |= m
        else:
            stray |= m
    rows = np.arange(h) < chin - 0.1 * hh
    side = np.zeros_like(fg)
    side[rows, :1] = side[rows, -1:] = True
    side[:, int(max(0, ax - s.envelope * hw)) : int(min(w, ax + s.envelope * hw + 1))] = False
    contact = 100.0 * float((side & (labels == subj)).sum()) / h if subj else 0.0
    return stray, foreign, contact


def islands(sc: Scene, s: ReviewSettings) -> Check:
    h, w = sc.alpha.shape
    area = h * w
    fg = sc.alpha > 0.5
    minpx = s.island_min * area / 100
    stray, _, _ = _pieces(sc, s)
    junk = np.zeros_like(fg)
    holes = np.zeros_like(fg)
    if sc.smooth:
        junk = _big(_stuff(sc, s), minpx)
        # Backdrop showing through where the segmentation sees the person inside.
        inner = cv2.erode((sc.seg > 0.7).astype(np.uint8), _disk(0.02 * max(h, w))) > 0
        holes = _big((sc.alpha < 0.3) & inner & _enclosed(~fg), minpx)
    bad = stray | junk | holes
    share = 100.0 * float(bad.sum()) / area
    ok = share <= s.islands
    parts = [n for n, m in (("pieces apart from you", stray), ("patches of the old background", junk),
                            ("holes in the cut-out", holes)) if m.any()]
    return Check(ok, round(share, 3), s.islands, "" if ok else (
        f"The cut-out has stray {' and '.join(parts)} ({share:.1f} % of the picture)."))


def other_people(sc: Scene, faces: list[Face], s: ReviewSettings) -> Check:
    h, w = sc.alpha.shape
    subj = sc.face
    others = []
    for f in faces:
        if f.score < s.other_face_score:
            continue
        g = f.scaled(sc.k)
        if _overlap(g.box, subj.box) > 0.3:
            continue
        if g.width >= s.other_person_face * subj.width:
            others.append(g)
    _, foreign, contact = _pieces(sc, s)
    apart = 100.0 * float(foreign.sum()) / (h * w)
    share = apart + contact
    ok = not others and share <= s.other_person
    # Mostly the subject's own outline along a side edge above the chin: the check cannot
    # tell their hair or hand from a bystander's head or a wall joined to them, so the
    # reason names each.
    why = ("another person's face is in the picture" if others else
           f"part of another person (or object) shows at the edge of the picture ({share:.1f} %)" if apart >= contact
           else f"the side of the picture cuts through something beside your head (your own hair or hand, another "
                f"person or an object: {share:.1f} %)")
    return Check(ok, round(share + 100.0 * len(others), 3), s.other_person, "" if ok else why[0].upper() + why[1:] + ".")


def cut_subject(sc: Scene, s: ReviewSettings) -> Check:
    h, w = sc.alpha.shape
    ax, _eye_y, _chin, hw, _hh = _head(sc.face)
    fg = sc.alpha > 0.5
    problems = []
    cols = slice(int(max(0, ax - 0.6 * hw)), int(min(w, ax + 0.6 * hw + 1)))
    crown = float(fg[:2, cols].any(0).mean()) if cols.stop > cols.start else 0.0
    if crown > 0.3 and not sc.top_cut:
        problems.append("the top of the head is cut off by the frame")
    m = sc.face.mesh
    if m is not None:
        if m[152, 1] > h - 1:
            problems.append("the chin is cut off by the frame")
        if min(m[234, 0], m[454, 0]) < 0 or max(m[234, 0], m[454, 0]) > w - 1:
            problems.append("an ear is cut off by the frame")
    cut = 0.0
    if sc.valid is not None:
        inside = sc.valid >= 0.5
        rim = inside & (cv2.dilate((~inside).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
        rim[:3, :] = rim[-3:, :] = rim[:, :3] = rim[:, -3:] = False
        cut = 100.0 * float((rim & fg).sum()) / h
        if cut > s.photo_edge:
            problems.append("the photo's own edge shows as a straight cut through you")
    value = max(100.0 * crown if not sc.top_cut else 0.0, cut)
    ok = not problems
    return Check(ok, round(value, 2), s.photo_edge, "" if ok else (problems[0][0].upper() + "; ".join(problems)[1:] + "."))


def _stuff(sc: Scene, s: ReviewSettings) -> np.ndarray:
    """Matte the subject claims that is neither backdrop nor person: off the local
    backdrop, and below ``SEG_PERSON`` in the candidate's own segmentation (a second
    look at the finished image). An opening drops the slivers where the two outlines
    differ by a pixel or two along the edge; a pasted patch is a solid blob.

    Against a dilated segmentation at 0.5 and ΔE 8 (before): a red-curtain patch the
    segmentation half calls hair (0.51 there) and a dark-grey patch 7 ΔE off a grey
    backdrop were missed (0.0 each); now every injected patch of the 22 renders
    measures ≥ 0.29 % of the frame, the clean renders ≤ 0.12 % but for the three
    with a real remnant (see the module's notes)."""
    m = (sc.alpha > 0.5) & (sc.seg < SEG_PERSON)
    if sc.valid is not None:
        m &= sc.valid > 0.99
    # ΔE2000 to the local backdrop only where the two masks leave a doubt (a few % of
    # the frame; the whole frame's cost 18 ms of the review's CPU).
    if m.any():
        m[m] = delta_e(sc.lab[m], sc.backdrop[m]) > s.island_delta
    m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, _disk(4))
    # Wholly below the chin, at the frame's side or bottom edge, the segmentation
    # misreads the subject's own clothes cut by the frame (a plaid shirt): those pieces
    # are the torso's, not a remnant beside it (a head pasted at the edge reaches above).
    n, labels, stats, cents = _components(m)
    _ax, _eye, chin, hw, hh = _head(sc.face)
    h, w = m.shape
    keep = np.ones(n, bool)
    keep[0] = False
    fg = sc.alpha > 0.5
    person = fg & (sc.seg >= SEG_PERSON)
    clothes = person & (np.arange(h)[:, None] > chin)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if y > chin and (x <= 1 or x + bw >= w - 1 or y + bh >= h - 1):
            keep[i] = False
            continue
        if area < s.island_min * h * w / 100:
            continue  # left out by the checks anyway
        if area > WORN_MAX * h * w / 100:
            continue
        piece = labels == i
        ring = (cv2.dilate(piece.astype(np.uint8), _disk(3)) > 0) & ~piece
        if person[ring].mean() >= WORN_RING:
            keep[i] = False  # worn on the person: an earring, a badge
        elif (cents[i, 1] >= chin - CLOTHES_ABOVE_CHIN * hh and fg[ring].mean() >= CLOTHES_RING
              and _colours_near(sc.lab, piece, clothes, 0.5 * hw) >= CLOTHES_MATCH):
            keep[i] = False  # the subject's clothes: a backpack strap over the shoulder
    return keep[labels]


def _colours_near(lab: np.ndarray, piece: np.ndarray, around: np.ndarray, r: float) -> float:
    """Share of ``piece``'s pixels whose colour (Lab, in cells of ``CLOTHES_CELL``, one
    cell's slack) is found among the ``around`` pixels within ``r`` px of the piece."""
    near = (cv2.dilate(piece.astype(np.uint8), _disk(r)) > 0) & around & ~piece
    if near.sum() < 20:
        return 0.0
    cells = np.zeros((66, 66, 66), bool)
    q = np.clip(np.floor(lab[near] / CLOTHES_CELL).astype(int) + 32, 1, 64)
    for d in np.ndindex(3, 3, 3):  # one cell of slack on every axis
        cells[q[:, 0] + d[0] - 1, q[:, 1] + d[1] - 1, q[:, 2] + d[2] - 1] = True
    p = np.clip(np.floor(lab[piece] / CLOTHES_CELL).astype(int) + 32, 1, 64)
    return float(cells[p[:, 0], p[:, 1], p[:, 2]].mean())


def fringe(sc: Scene, s: ReviewSettings) -> Check:
    """Share (%) of the hair's outline, in ``FRINGE_ARCS`` arcs about the eyes, whose
    median colour just outside the matte is off what the matte says it is.

    Outside the matte edge the composite is ``a·F + (1 − a)·B`` (``a`` the matte, ``B``
    the local backdrop, ``F`` the subject's colour just inside, smoothed): a halo of the
    old background departs from it. The median over an arc ignores single strands; a
    halo runs along the outline. Before (every ring pixel off the backdrop–subject line,
    whatever the matte): a grey halo between dark hair and a light face lay on that line
    and read 0.0 (four of 22 injected fringes under the clean renders' highest figure);
    now the lowest injected fringe is 10.5 against 4.3 for the highest clean render."""
    if not sc.smooth:
        return Check(True, None, s.fringe, note="not measured: the background is not a plain backdrop")
    if not sc.composite:  # a photo or a generated image: no old background, and the
        # segmentation's soft edge is no matte to judge a halo against (a real tight
        # portrait read 7 % of its outline "off")
        return Check(True, None, s.fringe, note="not measured: not a composite")
    h, w = sc.alpha.shape
    a = sc.alpha
    fg = (a > 0.5).astype(np.uint8)
    ring = (cv2.dilate(fg, _disk(3)) > 0) & (fg == 0)
    ring[: 2, :] = ring[-2:, :] = ring[:, :2] = ring[:, -2:] = False
    if sc.valid is not None:
        ring &= sc.valid > 0.99
    ax, eye_y, chin, _hw, _hh = _head(sc.face)
    ring &= np.arange(h)[:, None] < chin  # the head's outline (hair), not the clothes
    if ring.sum() < 20:
        return Check(True, None, s.fringe, note="not measured: too little outline")
    # The subject's own colour just inside its edge, spread outwards.
    core = cv2.erode(fg, _disk(2)).astype(np.float32)
    sig = 0.02 * max(h, w)
    num = cv2.GaussianBlur(sc.lab * core[..., None], (0, 0), sig)
    den = cv2.GaussianBlur(core, (0, 0), sig)[..., None]
    inner = num / np.maximum(den, 1e-6)
    b = sc.backdrop[ring]
    off = np.linalg.norm(sc.lab[ring] - (b + a[ring][:, None] * (inner[ring] - b)), axis=1)
    ys, xs = np.nonzero(ring)
    arc = ((np.arctan2(ys - eye_y, xs - ax) + np.pi) / (2 * np.pi) * FRINGE_ARCS).astype(int) % FRINGE_ARCS
    meds = [float(np.median(off[arc == i])) for i in range(FRINGE_ARCS) if (arc == i).sum() >= 8]
    if not meds:
        return Check(True, None, s.fringe, note="not measured: too little outline")
    share = 100.0 * float(np.mean(np.array(meds) > s.fringe_delta))
    ok = share <= s.fringe
    return Check(ok, round(share, 2), s.fringe, "" if ok else (
        f"A halo of the old background shows along the edge of the hair ({share:.0f} % of the outline)."))


def flat_edge(sc: Scene, s: ReviewSettings) -> Check:
    h, w = sc.alpha.shape
    fg = (sc.alpha > 0.5).astype(np.uint8)
    n, labels, _stats, _ = _components(fg)
    if n <= 1:
        return Check(True, None, s.flat_edge, note="not measured: no outline")
    subj = _subject_component(labels, sc.face) or 1
    cs, _ = cv2.findContours((labels == subj).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cs:
        return Check(True, None, s.flat_edge, note="not measured: no outline")
    c = max(cs, key=len)[:, 0, :].astype(np.float32)
    _ax, eye_y, _chin, _hw, hh = _head(sc.face)
    poly = cv2.approxPolyDP(c.reshape(-1, 1, 2), s.flat_eps * max(h, w) / SIDE, True)[:, 0, :]
    best = 0.0
    for p, q in zip(poly, np.roll(poly, -1, axis=0)):
        if max(p[1], q[1]) > eye_y:  # only the hair above the eyes
            continue
        if _on_border(p, w, h) and _on_border(q, w, h) and (p[0] == q[0] or p[1] == q[1]):
            continue  # along the frame's own edge
        best = max(best, float(np.hypot(*(q - p))) / max(hh, 1.0))
    ok = best <= s.flat_edge
    return Check(ok, round(best, 3), s.flat_edge, "" if ok else (
        f"The hair's outline has a straight, cut-looking stretch ({best:.0%} of the head's height)."))


#: The defect checks by name, in ``CHECKS`` order.
DEFECTS = ("islands", "other_people", "cut_subject", "fringe", "flat_edge", "occlusion", "hand")


def run(sc: Scene, faces: list[Face], s: ReviewSettings) -> dict[str, Check]:
    """Every defect check not in ``s.skip`` (``faces``: every face of the candidate, in
    candidate px, the subject among them). The hand check, the costliest (its models
    run up to five times), runs beside the others (:mod:`likeness.beside`)."""
    hand_job = None if "hand" in s.skip else submit(hand, sc, s)
    fns = {
        "islands": lambda: islands(sc, s),
        "other_people": lambda: other_people(sc, faces, s),
        "cut_subject": lambda: cut_subject(sc, s),
        "fringe": lambda: fringe(sc, s),
        "flat_edge": lambda: flat_edge(sc, s),
        "occlusion": lambda: occlusion(sc, s),
        "hand": lambda: hand_job.result(),
    }
    return {k: fn() for k, fn in fns.items() if k not in s.skip}

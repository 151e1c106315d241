"""Artifact checks: one face, big enough, eyes open, landmarks a human face can have.

- **Face size**: below ``min_eye_px`` between the eye centres the colour, texture and
  iris measures have too few pixels; such a candidate is *too small to review* (it
  fails, with that reason, rather than passing unjudged).
- **One face**: any other detected face at least ``other_face`` × the subject's width
  (confidence ≥ ``other_face_score``) fails: a headshot shows one person. Real press
  photos often have bystanders (15 of the 177 eval photos; 4 once cut to the studio's
  headshot framing, whose edge cuts through the others' faces); they fail here too,
  and the eval reports them.
- **Eyes open**: eyelid gap / eye width of the less open eye (open ≈ 0.2–0.35; a
  laughing squint on the eval set goes down to 0.07; shut < 0.05).
- **Landmarks**: the 478-point mesh must agree with YuNet's 5 points (eye centres
  within ``landmark_error`` inter-eye distances) and with the detection box, and its
  proportions must lie in human ranges (``RANGES``: observed min/max on the 177 eval
  faces, widened by ~15 %; yaw-proof because distances are 3-D).
"""

from __future__ import annotations

import numpy as np

from ..types import Face
from .result import Candidate, Check, ReviewSettings

#: name → (mesh point pairs (numerator, denominator), low, high); distances in 3-D.
RANGES = {
    "eye width ratio": (((33, 133), (362, 263)), 0.65, 1.5),  # observed 0.80–1.23
    "face width": (((234, 454), (468, 473)), 1.6, 2.8),  # observed 1.85–2.46
    "mouth width": (((61, 291), (468, 473)), 0.45, 1.5),  # observed 0.58–1.23
    "nose to chin": (((2, 152), (468, 473)), 0.7, 1.7),  # observed 0.87–1.41
    "face height": (((10, 152), (468, 473)), 1.8, 3.4),  # observed 2.15–3.02
}


def face_size(c: Candidate, s: ReviewSettings) -> Check:
    ied = float(c.face.inter_eye)
    ok = ied >= s.min_eye_px
    return Check(ok, round(ied, 1), s.min_eye_px, "" if ok else (
        f"The face is too small to review ({ied:.0f} px between the eyes; at least {s.min_eye_px:.0f} "
        "needed): use a larger image."))


def one_face(c: Candidate, s: ReviewSettings) -> Check:
    others = [f for f in c.faces if f is not c.face and f.score >= s.other_face_score]
    share = max((f.width / max(c.face.width, 1e-6) for f in others), default=0.0)
    bad = [f for f in others if f.width >= s.other_face * c.face.width]
    ok = not bad
    return Check(ok, round(float(share), 3), s.other_face, "" if ok else (
        "There is a second face in the picture." if len(bad) == 1 else f"There are {len(bad) + 1} faces in the picture."))


def eyes_open(c: Candidate, s: ReviewSettings) -> Check:
    from ..faces.geometry import eyes_open as openness

    v = openness(c.face)
    ok = v >= s.eyes_open
    return Check(ok, round(v, 3), s.eyes_open, "" if ok else "The eyes are closed.")


def landmarks(c: Candidate, s: ReviewSettings) -> Check:
    problems, worst = landmark_problems(c.face, s)
    ok = not problems
    return Check(ok, round(worst, 3), s.landmark_error, "" if ok else (
        "The face looks malformed: " + "; ".join(problems) + "."))


def landmark_problems(face: Face, s: ReviewSettings) -> tuple[list[str], float]:
    """(plain descriptions of what is off, mesh–YuNet eye disagreement in IED units)."""
    m = face.mesh
    out: list[str] = []
    ied = max(face.inter_eye, 1e-6)
    err = 0.0
    if face.landmarks5 is not None:
        l5 = face.landmarks5
        # YuNet order: the image-left eye (subject's right) first.
        err = max(float(np.linalg.norm(l5[0] - m[[33, 133], :2].mean(0))),
                  float(np.linalg.norm(l5[1] - m[[362, 263], :2].mean(0)))) / ied
        if err > s.landmark_error:
            out.append("the eye positions do not agree between two landmark models")
    x0, y0, x1, y1 = face.box
    cx, cy = m[:, :2].mean(0)
    off = max(abs(cx - (x0 + x1) / 2) / max(x1 - x0, 1e-6), abs(cy - (y0 + y1) / 2) / max(y1 - y0, 1e-6))
    if off > 0.35:
        out.append("the landmarks are off the detected face")
    for name, ((a, b), (c, d)), lo, hi in ((n, *v) for n, v in RANGES.items()):
        r = float(np.linalg.norm(m[a] - m[b]) / max(np.linalg.norm(m[c] - m[d]), 1e-6))
        if not lo <= r <= hi:
            out.append(f"the {name} is outside human proportions ({r:.2f})")
    return out, err


def more_faces(image: np.ndarray, faces: list[Face], *, min_score: float = 0.6) -> list[Face]:
    """Faces the whole-image pass missed, from a second pass over overlapping tiles.

    The detector sees a 192×192 view of what it is given, so a face of 60 px in a
    1000 px photo, or one next to a larger face, can slip through one pass; 2×2 tiles
    of 60 % of the frame (upsampled to ≥ 384 px) see each region at ~2× the scale.
    A large image is first halved by area while the tiles would still be shrunk 2× or
    more (four area steps of 2.5–3× from a 1600×2000 render took about 40 ms).
    """
    import cv2

    from ..faces import mediapipe_backend as mpb
    from ..faces.view import halve

    h, w = image.shape[:2]
    th, tw = int(round(0.6 * h)), int(round(0.6 * w))
    k = float(np.clip(384.0 / max(th, tw), 0.25, 2.0))
    k = min(k, 1024.0 / max(th, tw))
    src, s = image, 1.0  # src px per image px
    while k / s <= 0.5 and min(src.shape[:2]) >= 16:
        src, s = halve(src), s / 2
    found: list[Face] = []
    known = [f.box for f in faces]
    for y0 in (0, h - th):
        for x0 in (0, w - tw):
            sx0, sy0 = int(round(x0 * s)), int(round(y0 * s))
            tile = src[sy0 : sy0 + max(1, int(round(th * s))), sx0 : sx0 + max(1, int(round(tw * s)))]
            size = (max(1, round(tw * k)), max(1, round(th * k)))
            view = cv2.resize(tile, size, interpolation=cv2.INTER_AREA if k < s else cv2.INTER_LINEAR)
            fx, fy = size[0] / tile.shape[1] * s, size[1] / tile.shape[0] * s  # view px per image px
            for box, score, _ in mpb.detect(np.ascontiguousarray(view), min_score=min_score):
                b = (box[0] / fx + sx0 / s, box[1] / fy + sy0 / s, box[2] / fx + sx0 / s, box[3] / fy + sy0 / s)
                if any(_same(b, o) for o in known):
                    continue
                known.append(b)
                found.append(Face(box=b, score=float(score)))
    return found


def filling_faces(image: np.ndarray, *, pad: float = 0.25, min_score: float = 0.5) -> list[Face]:
    """Faces that fill the frame, found on a copy padded by ``pad`` of its longer side.

    The detector (mediapipe's full-range model) is made for faces that are small in
    the picture; a face covering most of it, as in a tight headshot, can go unseen
    (on the eval set: 1 of the 177 photos, and 3 more once cut to the studio's
    framing; all found at scores 0.73–0.95 with a quarter's padding). Boxes are in
    ``image`` px, largest first; they have no mesh yet.
    """
    import cv2

    from ..faces import mediapipe_backend as mpb

    h, w = image.shape[:2]
    p = int(round(pad * max(h, w)))
    big = cv2.copyMakeBorder(image, p, p, p, p, cv2.BORDER_REPLICATE)
    k = min(1.0, 1024.0 / max(big.shape[:2]))
    view = big if k == 1.0 else cv2.resize(big, (round(big.shape[1] * k), round(big.shape[0] * k)),
                                           interpolation=cv2.INTER_AREA)
    found = [Face(box=(b[0] / k - p, b[1] / k - p, b[2] / k - p, b[3] / k - p), score=float(score))
             for b, score, _ in mpb.detect(np.ascontiguousarray(view), min_score=min_score)]
    return sorted(found, key=lambda f: f.width * f.height, reverse=True)


def _same(a, b) -> bool:
    """Two boxes of one face: they overlap by a third, or one's centre is in the other."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    if area > 0 and inter / area > 0.33:
        return True
    for p, q in ((a, b), (b, a)):
        cx, cy = (p[0] + p[2]) / 2, (p[1] + p[3]) / 2
        if q[0] <= cx <= q[2] and q[1] <= cy <= q[3]:
            return True
    return False

"""`likeness eval matting DIR`: person and hair masks against hand labels.

- ``portraits``: ``DIR/portraits/images/*.jpg`` with ``DIR/portraits/masks/*.png``
  (255 = person). ``mean_iou`` and ``p10_iou`` (10th percentile over photos) of
  ``alpha >= 0.5``; ``boundary_f``: F-measure of the mask's boundary pixels matched
  within 3 px (mean over photos).
- ``hair``: ``DIR/hair/images/*.jpg`` with hair-only masks ``DIR/hair/masks/*.png``
  (512 px, upscaled to the photo by nearest neighbour). ``hair_recall``: share of
  hair pixels that ``alpha >= 0.5`` covers (pooled over photos: mean of per-photo
  shares). ``hair_recall_within_label_step``, beside it: the same over the hair mask
  shrunk by half the enlargement step (1 px for a 512 px mask on a 1024 px photo), the
  edge the label itself cannot place; 0.9706 against 0.9659 on ../shared/eval on 5 Dec,
  where the missed hair pixels lie a median 3–6 px outside the matte on most photos.
- ``baseline``: the same measures for the raw mediapipe selfie segmentation (general
  model, one view of the photo as it is) thresholded at 0.5.
- ``framed``: what a headshot shows. Each photo is framed as the studio frames it
  (``headshot`` preset, working size) and the crop matted as the studio does it
  (``studio``: from the whole photo's segmentation and the crop's own), from the whole
  photo's alone (``photo_only``) and from the crop's alone (``crop_only``);
  ``mean_iou``, ``p10_iou``, ``boundary_f`` inside the
  frame on the portraits, ``hair_recall`` inside the frame on the hair set (photos
  without a face mesh are left out, ``n`` says how many were framed).
- ``seconds_per_image``: wall time of :func:`likeness.matting.matte` per photo, at the
  photos' own sizes (600×800 and 1024×1024).

Measured on ../shared/eval: see the matting stage's notes (``likeness.matting``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

TARGETS = {
    "portraits.mean_iou": (">=", 0.975),
    "portraits.p10_iou": (">=", 0.95),
    "hair.hair_recall": (">=", 0.97),
}
BOUNDARY_TOLERANCE = 3  # px


def run(root: Path, *, progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> dict:
    """Evaluate the matte stage on ``root`` (layout of ../shared/eval). ``limit`` takes
    the first N photos of each set (for quick checks)."""
    from ..matting import matte
    from ..matting.mediapipe_selfie import predict

    root = Path(root)
    portraits = _pairs(root / "portraits", limit)
    hair = _pairs(root / "hair", limit)
    total = len(portraits) + len(hair)
    done = 0
    seconds = []

    def step():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    ious, bfs, base_ious, base_bfs = [], [], [], []
    fr_iou, fr_bf, fr_hair = ({k: [] for k in FRAMED} for _ in range(3))
    def matted(img_path, mask_path):
        """(image, truth mask, the studio's alpha), the matte timed."""
        image = _read_rgb(img_path)
        truth = _read_mask(mask_path, image.shape) > 127
        t = time.perf_counter()
        alpha = matte(image).alpha
        seconds.append(time.perf_counter() - t)
        return image, truth, alpha

    for img_path, mask_path in portraits:
        image, truth, alpha = matted(img_path, mask_path)
        pred = alpha >= 0.5
        base = predict(image) >= 0.5
        ious.append(iou(pred, truth))
        bfs.append(boundary_f(pred, truth))
        base_ious.append(iou(base, truth))
        base_bfs.append(boundary_f(base, truth))
        step()

        framed = _framed(image, truth)
        if framed is not None:
            for k, (pred_f, truth_f) in framed.items():
                fr_iou[k].append(iou(pred_f, truth_f))
                fr_bf[k].append(boundary_f(pred_f, truth_f))

    recalls, base_recalls, tolerant = [], [], []
    for img_path, mask_path in hair:
        image, truth, alpha = matted(img_path, mask_path)
        if truth.any():
            recalls.append(float((alpha >= 0.5)[truth].mean()))
            inner = _within_label_step(truth, mask_path)
            if inner.any():
                tolerant.append(float((alpha >= 0.5)[inner].mean()))
            base_recalls.append(float((predict(image) >= 0.5)[truth].mean()))
            framed = _framed(image, truth)
            if framed is not None:
                for k, (pred_f, truth_f) in framed.items():
                    if truth_f.any():
                        fr_hair[k].append(float(pred_f[truth_f].mean()))
        step()

    return {
        "portraits": {
            **_iou_summary(ious, bfs),
            "n": len(portraits),
            "baseline": _iou_summary(base_ious, base_bfs),
        },
        "hair": {
            "hair_recall": _mean(recalls),
            "hair_recall_within_label_step": _mean(tolerant),
            "n": len(hair),
            "baseline": {"hair_recall": _mean(base_recalls)},
        },
        "framed": {
            k: {**_iou_summary(fr_iou[k], fr_bf[k]), "n": len(fr_iou[k]),
                "hair_recall": _mean(fr_hair[k]), "hair_n": len(fr_hair[k])}
            for k in FRAMED
        },
        "seconds_per_image": _mean(seconds),
        "targets": {k: f"{op} {v}" for k, (op, v) in TARGETS.items()},
    }


#: How the studio's crop is matted: as the studio does (the whole photo's segmentation
#: and the crop's own, :func:`likeness.studio.prior.crop_prior`), from the whole
#: photo's alone, from the crop's alone.
FRAMED = ("studio", "photo_only", "crop_only")


def _framed(image: np.ndarray, truth: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """{way: (predicted mask, true mask)} inside the studio's headshot frame of
    ``image``, at the studio's working size; the parts of the frame past the photo
    are left out of both. None when no face mesh is found."""
    from ..faces import analyze
    from ..studio import frame as framing
    from ..studio.cutout import cut_out
    from ..studio.pipeline import WORK_SIDE
    from ..studio.prior import crop_prior, photo_prior, prior_in_frame

    faces = analyze(image, embed=False, subject_only=True)
    if not faces or faces[0].mesh is None:
        return None
    face = faces[0]
    fp = framing.plan(face, (image.shape[1], image.shape[0]), preset="headshot")
    out_w, out_h = fp.preset.size
    k = WORK_SIDE / max(out_w, out_h)
    size = (round(out_w * k), round(out_h * k))
    fr = framing.frame(image, face, framing=fp, size=size)
    t = framing.frame(np.dstack([truth.astype(np.uint8) * 255] * 3), face, framing=fp, size=size)
    inside = fr.valid > 0.5
    truth_f = (t.image[..., 0] > 127) & inside
    box = framing.transform_face(face, fp, size).box
    prior = prior_in_frame(*photo_prior(image, face), fp, size)
    out = {}
    ways = (("studio", crop_prior(fr.image, box, prior, fr.valid)), ("photo_only", prior), ("crop_only", None))
    for way, p in ways:
        alpha = cut_out(fr.image, face_box=box, valid=fr.valid, prior=p).alpha
        out[way] = ((alpha >= 0.5) & inside, truth_f)
    return out


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    union = np.count_nonzero(pred | truth)
    return float(np.count_nonzero(pred & truth) / union) if union else 1.0


def boundary_f(pred: np.ndarray, truth: np.ndarray, *, tolerance: int = BOUNDARY_TOLERANCE) -> float:
    """F-measure of boundary pixels: a predicted boundary pixel counts as right when a
    true one lies within ``tolerance`` px, and the other way round for recall."""
    bp, bt = _boundary(pred), _boundary(truth)
    if not bp.any() and not bt.any():
        return 1.0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    near_t = cv2.dilate(bt.astype(np.uint8), k) > 0
    near_p = cv2.dilate(bp.astype(np.uint8), k) > 0
    precision = np.count_nonzero(bp & near_t) / max(np.count_nonzero(bp), 1)
    recall = np.count_nonzero(bt & near_p) / max(np.count_nonzero(bt), 1)
    return float(2 * precision * recall / (precision + recall)) if precision + recall > 0 else 0.0


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8))) > 0


def _iou_summary(ious: list[float], bfs: list[float]) -> dict:
    return {
        "mean_iou": _mean(ious),
        "p10_iou": round(float(np.percentile(ious, 10)), 4) if ious else None,
        "boundary_f": _mean(bfs),
    }


def _mean(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def _pairs(folder: Path, limit: int | None) -> list[tuple[Path, Path]]:
    images = sorted((folder / "images").glob("*.jpg"))
    if not images:
        raise InputError(f"No photos in {folder / 'images'}.", hint="Give a folder with the layout of ../shared/eval.")
    pairs = [(p, folder / "masks" / (p.stem + ".png")) for p in images]
    pairs = [(i, m) for i, m in pairs if m.exists()]
    return pairs[:limit] if limit else pairs


def _read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"Cannot read {path}.", hint="Check the file is a JPEG photo.")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _within_label_step(truth: np.ndarray, mask_path: Path) -> np.ndarray:
    """``truth`` shrunk by half the step of the label's enlargement to the photo (a
    512 px mask on a 1024 px photo: 1 px), where the label cannot place the edge."""
    h = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE).shape[0]
    r = int(np.ceil(truth.shape[0] / h / 2)) if truth.shape[0] > h else 0
    if r == 0:
        return truth
    return cv2.erode(truth.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0


def _read_mask(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if m is None:
        raise InputError(f"Cannot read mask {path}.", hint="Masks are 8-bit PNGs, 255 = labelled.")
    h, w = shape[:2]
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)
    return m

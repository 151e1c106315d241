"""Edge snapping: closed-form matting on a narrow band about the model's edge.

The segmentation model answers on a 256 px grid, so near its 0.5 contour its
probability is a blur that ignores the photo. Levin, Lischinski & Weiss ("A closed-form
solution to natural image matting", PAMI 2008) model alpha in every 3×3 window as a
linear function of the colour; minimising that model's error gives a sparse linear
system (the matting Laplacian) whose solution follows the colour edges. We solve it
only in a band ``band`` px each side of the contour, with the model's 0/1 answer as the
known values outside it, at about ``size`` px on the person's box: a few thousand
unknowns, a 25-point stencil and conjugate gradients, so it costs the same at any
photo size: 20–40 ms for a portrait, ~60 ms for a group of five (measured on 2 cores
shared with other jobs, load 4.5; SciPy's direct solver took 35–90 and 290 ms).
Written from the paper with numpy/scipy: it gives the same eval numbers as
pymatting's ``estimate_alpha_cf`` on the same trimap, without pymatting's numba
compile.

Measured on ../shared/eval (``likeness eval matting``), in front of the guided filter:
portraits mean IoU 0.9726 → 0.9737 (45 of 60 photos better, 10 worse, largest change
+0.009 / −0.003), boundary F 0.686 → 0.709, p10 0.9478 → 0.9468; hair recall 0.966 →
0.964 (5 of 25 better, 17 worse: the snapped edge sits on the visible hair edge, the
hair labels a pixel or two outside it). Sizes 200–384 px and bands of 2–6 px all give
0.9735–0.9738; eps 1e-6–1e-4 the same. A wider unknown region (all the model is
unsure of, 0.1–0.9, tied to the model by a prior) scored lower (0.9727–0.9730): far
from known pixels the colour model has nothing to go on. Weighting the snapped
answer by the local contrast of person and background colours changed nothing.
"""

from __future__ import annotations

import cv2
import numpy as np

#: weight of the pull towards the model's probability: keeps the system positive
#: definite (a band with no known pixel about it) without moving the answer.
_PRIOR = 1e-4
# The 3×3 window's offsets; the 5×5 stencil's offsets; for each pair of window pixels
# (k, l) the stencil slot of l seen from k; the colour products of a covariance.
_WIN_DY, _WIN_DX = (a.ravel() for a in np.mgrid[-1:2, -1:2])
_SLOT_DY, _SLOT_DX = (a.ravel() for a in np.mgrid[-2:3, -2:3])
_PAIR_SLOT = (_WIN_DY[None, :] - _WIN_DY[:, None] + 2) * 5 + (_WIN_DX[None, :] - _WIN_DX[:, None] + 2)
_CH_I, _CH_J = [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]


def snap_edge(small: np.ndarray, prob: np.ndarray, *, size: int, band: int, eps: float = 1e-5) -> np.ndarray:
    """Person probability with its 0.5 edge snapped to the photo's colour edges.

    ``small`` is the RGB uint8 image the model saw and ``prob`` (float32, same h×w) its
    answer. Returns float32 h×w: 0 or 1 away from the edge (the model's decision), the
    closed-form alpha within ``band`` px (at ``size``) of it. The work runs on the box
    around the person, scaled to long side ``size`` at most, so a small person in a
    big frame is snapped at the same detail as a close-up.
    """
    from ..errors import OptionError

    if size < 32 or band < 1:
        raise OptionError(
            f"Edge snapping needs size >= 32 and band >= 1 px, got {size} and {band}.", hint="Use e.g. size 256, band 3."
        )
    decided = (prob >= 0.5).astype(np.float32)
    box = _person_box(decided, margin=band * max(1.0, max(prob.shape) / size) + 2)
    if box is None:
        return decided
    x0, y0, x1, y1 = box
    crop, p = small[y0:y1, x0:x1], prob[y0:y1, x0:x1]
    h0, w0 = p.shape
    s = min(1.0, size / max(h0, w0))
    w, h = max(3, round(w0 * s)), max(3, round(h0 * s))
    if (w, h) != (w0, h0):
        crop = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
        p = cv2.resize(p, (w, h), interpolation=cv2.INTER_AREA)
    fg = (p >= 0.5).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    unknown = ~((cv2.erode(fg, k) > 0) | (cv2.erode(1 - fg, k) > 0))
    if not unknown.any():
        return decided
    alpha = band_alpha(crop.astype(np.float64) / 255.0, fg.astype(np.float64), unknown, prior=p, eps=eps)
    if (w, h) != (w0, h0):
        alpha = cv2.resize(alpha, (w0, h0), interpolation=cv2.INTER_LINEAR)
    decided[y0:y1, x0:x1] = alpha
    return decided


def band_alpha(
    image: np.ndarray, known: np.ndarray, unknown: np.ndarray, *, prior: np.ndarray, eps: float
) -> np.ndarray:
    """Closed-form alpha (float32 h×w in [0, 1]) where ``unknown`` is True, ``known``
    elsewhere. ``image`` is float64 RGB h×w×3 in [0, 1]; ``prior`` (h×w) is the model's
    probability: the solver starts from it and is pulled towards it with weight 1e-4,
    only so that the system is always solvable.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import cg

    h, w = unknown.shape
    # Every 3×3 window (inside the image) that holds an unknown pixel.
    centres = cv2.dilate(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    centres[[0, -1], :] = False
    centres[:, [0, -1]] = False
    cy, cx = np.nonzero(centres)
    idx = (cy[:, None] + _WIN_DY) * w + (cx[:, None] + _WIN_DX)  # n×9 pixel indices
    entries = _window_entries(image, cy, cx, idx, eps)

    # The rows of unknown pixels as a 25-point stencil: two pixels share a 3×3 window
    # only when they are at most 2 px apart, so each row has 25 slots; one bincount
    # sums every window's share into them (no sparse sort of a million triplets).
    is_u = unknown.ravel()
    pix_u = np.flatnonzero(is_u)
    n_u = len(pix_u)
    uid = np.full(h * w, -1, np.int64)
    uid[pix_u] = np.arange(n_u)
    row = np.broadcast_to(uid[idx][:, :, None], entries.shape)
    use = row >= 0
    slots = row[use] * 25 + np.broadcast_to(_PAIR_SLOT, entries.shape)[use]
    stencil = np.bincount(slots, weights=entries[use], minlength=n_u * 25).reshape(n_u, 25)
    stencil[:, 12] += _PRIOR

    # Neighbour at each slot: unknown ones are the matrix, known ones the right side.
    py, px = np.divmod(pix_u, w)
    ny, nx = py[:, None] + _SLOT_DY, px[:, None] + _SLOT_DX
    inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
    neighbour = np.where(inside, ny * w + nx, 0)
    col = np.where(inside, uid[neighbour], -1)
    prior_u = prior.ravel()[pix_u].astype(np.float64)
    rhs = _PRIOR * prior_u - (stencil * (known.ravel()[neighbour] * (inside & (col < 0)))).sum(axis=1)
    in_matrix = col >= 0  # slots in row order, so the columns come sorted
    indptr = np.concatenate([[0], np.cumsum(in_matrix.sum(axis=1))])
    a = sp.csr_matrix((stencil[in_matrix], col[in_matrix], indptr), shape=(n_u, n_u))
    # Every unknown pixel is within a few px of known ones, so the system is well
    # conditioned: Jacobi-preconditioned conjugate gradients converge in ~100–200 steps
    # (to within ~0.02 of the exact solve; the eval numbers do not change). maxiter
    # bounds the time; should it stop early, its last iterate is still a fair answer.
    solved, _ = cg(a, rhs, x0=prior_u, M=sp.diags(1.0 / stencil[:, 12]), rtol=1e-4, maxiter=500)

    out = known.astype(np.float32)
    out.ravel()[pix_u] = np.clip(solved, 0.0, 1.0)
    return out


def _window_entries(image: np.ndarray, cy: np.ndarray, cx: np.ndarray, idx: np.ndarray, eps: float) -> np.ndarray:
    """Levin et al. eq. 12, per 3×3 window centred at (cy, cx): n×9×9 of
    δ_kl − (1 + (I_k − μ)ᵀ (Σ + ε/9·E)⁻¹ (I_l − μ)) / 9."""
    mean = cv2.blur(image, (3, 3))[cy, cx]  # n×3
    sums = cv2.boxFilter(image[..., _CH_I] * image[..., _CH_J], -1, (3, 3))[cy, cx]  # n×6
    s = sums - mean[:, _CH_I] * mean[:, _CH_J]
    s[:, [0, 3, 5]] += eps / 9
    # Closed-form inverse of the symmetric 3×3 (cofactors), as in the guided filter.
    rr, rg, rb, gg, gb, bb = s.T
    i_rr, i_rg, i_rb = gg * bb - gb * gb, gb * rb - rg * bb, rg * gb - gg * rb
    i_gg, i_gb, i_bb = rr * bb - rb * rb, rb * rg - rr * gb, rr * gg - rg * rg
    inv = np.stack([i_rr, i_rg, i_rb, i_rg, i_gg, i_gb, i_rb, i_gb, i_bb], axis=1).reshape(-1, 3, 3)
    inv /= (rr * i_rr + rg * i_rg + rb * i_rb)[:, None, None]
    x = image.reshape(-1, 3)[idx] - mean[:, None, :]  # n×9×3
    return np.eye(9) - (1 + np.matmul(np.matmul(x, inv), x.transpose(0, 2, 1))) / 9


def _person_box(decided: np.ndarray, *, margin: float):
    """(x0, y0, x1, y1) around the pixels at 1, grown by ``margin`` px; None when the
    mask is all 0 or all 1 (nothing to snap)."""
    ys, xs = np.nonzero(decided)
    if len(ys) == 0 or len(ys) == decided.size:
        return None
    h, w = decided.shape
    m = int(np.ceil(margin))
    return max(0, xs.min() - m), max(0, ys.min() - m), min(w, xs.max() + 1 + m), min(h, ys.max() + 1 + m)

"""Paste the person's own face and hair back over a generated image.

Pure array functions. The seam lies INSIDE the face-and-hair mask: over ``feather``
pixels inward from the mask's edge the photo fades into the painted image, and beyond
that the result IS the photo, bit for bit. Outside the mask every pixel is painted, so
nothing of the photo's old background can show around the hair (a seam outside the
mask would fade the old background in).

``repaint_mask`` makes the mask the model repaints from, grown so that the inpainting
pipeline, which keeps or repaints whole latent blocks, repaints every block that holds
a pixel outside the face and hair or inside the seam.
"""

from __future__ import annotations

import numpy as np


def blend_width(shape: tuple[int, ...]) -> int:
    """The seam's width in px: ~6 px at 1024, at least 2."""
    return max(2, round(0.006 * min(shape[:2])))


def repaint_mask(face_mask: np.ndarray, *, block: int, feather: int) -> np.ndarray:
    """uint8 H×W, 255 = repaint (diffusers' convention), over the image the model paints.

    ``Flux2KleinInpaintPipeline`` binarises the mask at 0.5 and samples it once per
    ``block``×``block`` latent patch (bilinear at the patch centre): a patch whose
    centre is kept keeps the ORIGINAL pixels of the whole patch, up to ``block/2`` px
    of old background beyond the mask. Growing the repainted area by a whole ``block``
    plus the seam's ``feather`` makes every patch that holds any pixel outside the mask,
    or inside the seam, repainted whatever the sampling inside the patch.
    """
    import cv2

    outside = (np.asarray(face_mask, np.float32) < 0.5).astype(np.uint8)
    r = int(block) + int(feather)
    grown = cv2.dilate(outside, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1)))
    return grown * np.uint8(255)


def paste_face(generated: np.ndarray, photo: np.ndarray, face_mask: np.ndarray, *, feather: int | None = None) -> np.ndarray:
    """``generated`` and ``photo`` uint8 H×W×3, ``face_mask`` float32 H×W in [0, 1].

    Where ``face_mask`` is 0 the result is ``generated``; inside, the photo's weight
    rises from 0 at the edge to 1 at ``feather`` px in (times the mask's own value).
    """
    import cv2

    if generated.shape != photo.shape or face_mask.shape != photo.shape[:2]:
        raise ValueError(f"Shapes differ: generated {generated.shape}, photo {photo.shape}, mask {face_mask.shape}.")
    keep = np.clip(face_mask.astype(np.float32), 0.0, 1.0)
    if feather is None:
        feather = blend_width(photo.shape)
    # Distance (px) of every kept pixel from the nearest pixel the mask does not keep.
    inside = (keep > 0).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    ramp = np.clip(dist / float(feather), 0.0, 1.0)
    alpha = (keep * ramp)[..., None]
    out = alpha * photo.astype(np.float32) + (1.0 - alpha) * generated.astype(np.float32)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    core = alpha[..., 0] >= 1.0
    out[core] = photo[core]  # exact, whatever the float arithmetic did
    out[keep <= 0] = generated[keep <= 0]  # exactly painted outside the mask
    return out

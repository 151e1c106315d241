"""Paste the person's own face and hair back over a generated image.

Pure array function. Inside the mask (``face_mask == 1``) the result IS the photo, bit
for bit; the soft seam lies outside the mask, where the photo fades into the painted
image over ``feather`` pixels, so no generated pixel ever touches the face.
"""

from __future__ import annotations

import numpy as np


def paste_face(generated: np.ndarray, photo: np.ndarray, face_mask: np.ndarray, *, feather: int | None = None) -> np.ndarray:
    """``generated`` and ``photo`` uint8 H×W×3, ``face_mask`` float32 H×W in [0, 1]."""
    import cv2

    if generated.shape != photo.shape or face_mask.shape != photo.shape[:2]:
        raise ValueError(f"Shapes differ: generated {generated.shape}, photo {photo.shape}, mask {face_mask.shape}.")
    keep = np.clip(face_mask.astype(np.float32), 0.0, 1.0)
    if feather is None:
        feather = max(2, round(0.006 * min(photo.shape[:2])))  # ~6 px at 1024
    # Distance (px) of every pixel from the mask; the photo fades out over `feather`.
    outside = (keep <= 0).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    ring = np.clip(1.0 - dist / float(feather), 0.0, 1.0)
    alpha = np.maximum(keep, ring)[..., None]
    out = alpha * photo.astype(np.float32) + (1.0 - alpha) * generated.astype(np.float32)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    core = keep >= 1.0
    out[core] = photo[core]  # exact, whatever the float arithmetic did
    return out

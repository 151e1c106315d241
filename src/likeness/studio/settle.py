"""The framing settled on what the framed crop itself shows: the face's mesh found
again in the levelled crop (:func:`settle`), and the crown where the matte shows the
hair to end (:func:`refine_crown`). Used by :func:`likeness.studio.pipeline.prepare`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..types import Face
from . import frame as framing

SETTLE_SIDE = 1024  # long side of the view of the framed crop that is analysed again


def settle(image: np.ndarray, face: Face, fp: framing.FramePlan) -> tuple[framing.Framed, Face]:
    """Frame ``image`` by ``fp``, re-planned once from the face as it is found in the
    framed crop itself.

    The mesh found in the whole (or a smaller) photo and the one found again in the
    levelled crop differ by 1–3 % in head height and up to ~1° in roll (a different
    crop for the mesh model, a different scale). The finished headshot is judged, in
    team mode too, by analysing it again, so the plan is made from the crop's own
    mesh, mapped back into photo pixels. The crop is analysed from a view of at most
    ``SETTLE_SIDE`` px (the mesh model sees the face at 192 px whatever the input), so
    only the final crop is rendered at output size. Returns (framed, face in photo px).
    """
    from ..faces import mesh_for

    out_w, out_h = fp.preset.size
    s = min(1.0, SETTLE_SIDE / max(out_w, out_h))
    vw, vh = max(8, round(out_w * s)), max(8, round(out_h * s))
    view = framing.frame(image, face, framing=fp, size=(vw, vh))
    # The face is where the plan put it: the mesh model alone, no second detection.
    seen_mesh = mesh_for(view.image, view.face.box) if face.mesh is not None else None
    if seen_mesh is None:
        return framing.frame(image, face, framing=fp), face
    seen = framing.head_geometry(replace(view.face, mesh=seen_mesh))
    want = fp.head.height / fp.height * vh  # planned head height in view px
    if abs(seen.height - want) < 0.002 * vh and abs(seen.roll) < 0.1:
        return framing.frame(image, face, framing=fp), face
    m = fp.matrix((vw, vh))
    k = fp.height / vh  # photo px per view px

    def back(pts: np.ndarray) -> np.ndarray:  # view (continuous) → photo (continuous)
        return (pts - 0.5) @ m[:, :2].T + m[:, 2] + 0.5

    mesh = seen_mesh.astype(np.float64)
    mesh[:, :2] = back(mesh[:, :2])
    mesh[:, 2] *= k
    settled = replace(face, mesh=mesh.astype(face.mesh.dtype))
    new = framing.plan(settled, (image.shape[1], image.shape[0]), preset=fp.preset, top_cut=fp.top_cut)
    return framing.frame(image, settled, framing=new), settled


def refine_crown(fr: framing.Framed, image, face: Face, alpha: np.ndarray, valid: np.ndarray, ws: float):
    """Re-frame once when the matte shows the head differently from the mesh estimate:
    the photo cuts through the hair (or does not, though the estimate said so), or the
    hair ends more than 2 % from the estimated crown (ID presets only)."""
    p, g = fr.plan, fr.plan.head
    if fr.face.mesh is None:
        return None
    h, w = alpha.shape
    ax = fr.face.mesh[[168, 152], 0].mean() * ws
    half = 0.6 * g.half_width * (fr.scale * ws)
    sl = slice(int(max(0, ax - half)), int(min(w, ax + half + 1)))
    cols, vcols = alpha[:, sl], valid[:, sl]
    rows = np.nonzero((cols > 0.5).any(1))[0]
    if len(rows) == 0:
        return None
    first = rows[0]
    k = p.height / p.preset.size[1]
    if first <= 1:
        # The frame cuts hair the photo shows (the mesh's crown estimate is short of
        # big hair): framed again with the hair's top at least 3 % above this frame's.
        if p.top_cut or p.preset.strict or vcols[0].mean() < 0.99:
            return None
        ratio = (g.chin - (p.top - 0.03 * p.height)) / max(g.height, 1e-6)
        new = framing.plan(face, (image.shape[1], image.shape[0]), preset=p.preset, crown_ratio=ratio, top_cut=False)
        return framing.frame(image, face, framing=new)
    # Cut by the photo: where the hair starts, a row just above it is off-photo (the
    # matte fades a few rows inside the photo's edge).
    # Per column (the photo's edge may be slanted): the hair starts where the photo
    # does, in at least a third of the head's columns.
    solid = cols > 0.5
    has = solid.any(0)
    tops = solid.argmax(0)[has]
    above = vcols[np.maximum(tops - 3, 0), np.nonzero(has)[0]]
    cut = bool(has.any() and (above < 0.5).mean() >= 1 / 3)
    crown = p.top + (first + 0.5) / ws * k  # head-frame px of the photo
    ratio = float(np.clip((g.chin - crown) / max(g.height, 1e-6), 1.2 / framing.CROWN_K, 1.9 / framing.CROWN_K))
    if not p.preset.strict:
        # Portrait presets size the head by the mesh model (CROWN_K), the one every
        # re-analysis of the result uses too (team mode compares head heights that
        # way): rescaling to the matte's hair top made the plan's head share disagree
        # with the finished image by up to 5 % of the frame. Only a cut changes here.
        ratio = 1.0
    if cut == p.top_cut and (cut or abs(ratio - 1) <= 0.02):
        return None
    new = framing.plan(
        face, (image.shape[1], image.shape[0]), preset=p.preset, crown_ratio=1.0 if cut else ratio, top_cut=cut
    )
    return framing.frame(image, face, framing=new)

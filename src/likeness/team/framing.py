"""The team framing: one eye line and one head size that every member's photo supports,
chosen *before* anything is rendered.

Rendering everyone at the Look's framing and then finding that some photos show too
little below the chin (those were framed tighter, one by one) gave a team page whose
head sizes differed by up to 0.275 of the frame: over all 24 delivered members of a
run on unseen people the head-size spread was 0.173, the eye-line spread 0.030. Here
each member's photo is looked at first (:func:`member_view`, in the workers: intake on
their photos, as the studio will do it, and the face of the photo it will render); then
:func:`choose` takes the loosest framing all of them support: the head share grows from
the preset's in small steps until every photo fits (up to ``MAX_HEAD``; past it, the
smallest that most photos fit), and the eye line is set low enough that every member
keeps headroom above the crown (no one is lowered alone). A member whose photo does
not fit the chosen framing is asked for a retake before any work; everyone else is rendered at exactly that framing (:func:`team_preset`), and a
render the review only passed at another framing is not delivered as part of the team.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Head share step (of the frame height) when the preset's does not fit everyone.
STEP = 0.005
#: Tightest team framing (head share of the frame). On the eval team (41 people, 21
#: with a usable photo) the framing every photo supported was 0.75: a whole team cut
#: to the crown, 12 delivered (the review refused the tight renders, a bun cut by the
#: top), head-size spread 0.024, backdrop ΔE 1.26 (hair in the corners). Up to 0.62
#: the most photos fitting is 15, at 0.58: the other six are asked for a retake first.
MAX_HEAD = 0.62
#: Frame-size slack a member's photo must also support: the studio re-measures the
#: head in the framed crop and that differs by 1–3 % from the photo's (studio.pipeline).
SLACK = 1.03
#: Headroom above the estimated crown beyond the framing's own (share of the frame):
#: big hair sits above the mesh model's estimate.
HEADROOM = 0.02
#: How close (share of the frame) a delivered headshot's eye line and head share must be
#: to the team's to count as framed with the team.
TOLERANCE = 0.006
#: The same, measured on the finished headshot (the face found again: a few per cent of
#: the head's height apart from the plan's).
MEASURED_TOLERANCE = 0.03


@dataclass(frozen=True)
class TeamFraming:
    head: float  # head share (chin to crown) of the frame height
    eye_line: float  # eye line from the top, share of the frame height
    misfits: dict[str, str] = field(default_factory=dict)  # slug → why their photo does not fit

    def to_dict(self) -> dict[str, Any]:
        return {"head": self.head, "eye_line": self.eye_line, "misfits": dict(self.misfits)}


def member_view(photos: list[str]) -> dict[str, Any] | None:
    """The face (mesh, box) and size of the photo the studio will render for a member
    with these ``photos``, as the studio picks it (intake's best, else a web-size one);
    None when there is none. JSON-able: it runs in a worker and is kept for resumes."""
    from pathlib import Path

    from ..imageio import load_photo
    from ..intake.inspection import check
    from ..studio.session import STUDIO_SIDE, web_size_photos

    if not photos:
        return None
    decoded = {}

    def decode(p: Path):
        decoded[str(p)] = load_photo(p, max_side=STUDIO_SIDE)
        return decoded[str(p)]

    sitting = check([Path(p) for p in photos], decode=decode)
    chosen = list(sitting.ranking[:1]) or web_size_photos(sitting)[:1]
    if not chosen:
        return None
    pc = sitting.photos[chosen[0]]
    photo = decoded.get(str(pc.source))
    if pc.face is None or pc.face.mesh is None or photo is None:
        return None
    f = pc.face.scaled(photo.scale)
    return {"photo": str(pc.source), "box": [float(v) for v in f.box], "mesh": f.mesh.tolist(),
            "size": [int(photo.size[0]), int(photo.size[1])]}


def _face(view: dict[str, Any]):
    import numpy as np

    from ..types import Face

    return Face(box=tuple(view["box"]), score=1.0, mesh=np.asarray(view["mesh"], np.float64)), tuple(view["size"])


def fits(view: dict[str, Any], preset) -> bool:
    """Whether the member's photo gives exactly ``preset``'s framing (with ``SLACK``)."""
    from ..studio import frame as framing

    face, size = _face(view)
    for head in (preset.head / SLACK, preset.head):
        p = replace(preset, head=head)
        pl = framing.plan(face, size, preset=p)
        if (abs(pl.head_share - head) > 0.002 or abs(pl.eye_share - p.eye_line) > 0.002
                or framing.Fallback.BACKDROP_FILLS in pl.fallbacks):  # the preset kept, backdrop under the body
            return False
    return True


def choose(views: dict[str, dict[str, Any] | None], frame: str) -> TeamFraming:
    """The loosest framing (smallest head share, from the preset's) that every member
    with a photo supports; where none does up to ``MAX_HEAD``, the one most members
    support, the others listed as misfits. ID presets are fixed: they are kept."""
    import numpy as np

    from ..faces.geometry import head_geometry
    from ..studio import frame as framing

    p = framing.get_preset(frame)
    seen = {k: v for k, v in views.items() if v is not None}
    if p.strict or not seen:
        return TeamFraming(p.head, p.eye_line)
    # Crown above the eyes as a share of the head (chin to crown), per member.
    geo = {k: head_geometry(_face(v)[0]) for k, v in seen.items()}
    up = {k: -g.crown / max(g.chin - g.crown, 1e-6) for k, g in geo.items()}
    best: tuple[int, float, float, list[str]] | None = None
    for head in np.arange(p.head, MAX_HEAD + 1e-9, STEP):
        head = round(float(head), 4)
        # Low enough that the highest crown keeps the framing's headroom (frame.CROWN_ROOM) and more.
        eye = round(max(p.eye_line, max(up.values()) * head * SLACK + framing.CROWN_ROOM + HEADROOM), 4)
        if eye > framing.MAX_EYE_LINE:
            break
        ok = [k for k, v in seen.items() if fits(v, replace(p, head=head, eye_line=eye))]
        if best is None or len(ok) > best[0]:
            best = (len(ok), head, eye, ok)
        if len(ok) == len(seen):
            break
    if best is None:
        return TeamFraming(p.head, p.eye_line, {k: _MISFIT for k in seen})
    _, head, eye, ok = best
    return TeamFraming(head, eye, {k: _MISFIT for k in seen if k not in ok})


_MISFIT = ("This photo does not fit the team's framing (too little below the chin, or the top of the head "
           "cut off): retake it with your head and shoulders in the frame and space above your head.")


def team_preset(frame: str, tf: dict[str, Any]):
    """The framing preset every member is rendered with."""
    from ..studio import frame as framing

    return replace(framing.get_preset(frame), head=float(tf["head"]), eye_line=float(tf["eye_line"]))


def framed_with_team(measures: dict[str, Any], tf: dict[str, Any], after: dict[str, Any] | None = None) -> bool:
    """Whether a headshot is framed as the team: its own plan (``measures``) is the
    team's framing, and, given the finished headshot's team measures (``after``), the
    head measured on it is too. A bun or big hair touching the top makes the studio
    frame the hair in (``studio.pipeline``): the plan still says the team's head share
    (hair included), the face measured on the image is 0.1 of the frame smaller."""
    h, e = measures.get("head_share"), measures.get("eye_line")
    if h is None or e is None or abs(h - tf["head"]) > TOLERANCE or abs(e - tf["eye_line"]) > TOLERANCE:
        return False
    if after and after.get("head_ratio") is not None and after.get("eye_line") is not None:
        return (abs(after["head_ratio"] - tf["head"]) <= MEASURED_TOLERANCE
                and abs(after["eye_line"] - tf["eye_line"]) <= MEASURED_TOLERANCE / 2)
    return True

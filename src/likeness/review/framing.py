"""Framing against the Look: eye line and head size near the preset's targets.

Only judged when a Look (or a framing preset name) or a studio plan is given. Eye
line: the eye midpoint's height as a share of the image height; head size: chin to
estimated top of hair (``faces.geometry.head_geometry``) as a share of the height, the
same geometry the studio frames with. ID presets with an allowed head range are
judged on that range.

A studio headshot comes with the framing the studio actually planned
(``studio.frame.plan``): where the photo shows too little body it frames tighter
than the Look (a larger head share, said in its notes) rather than invent a body.
Such a candidate is judged against that plan (``plan=``: the ``FramePlan`` of
``Rendered.plan``, or the ``Headshot`` whose ``measures`` record its ``eye_line``
and ``head_share``), with the same tolerances; an ID preset's head range still
holds, whatever was planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..types import Headshot
from .result import Candidate, Check, ReviewSettings

if TYPE_CHECKING:
    from ..looks.settings import FramePreset


@dataclass(frozen=True)
class Target:
    """What the framing is judged against."""

    preset: FramePreset
    eye_line: float
    head: float
    planned: bool  # from the studio's plan, not the Look's ideal


def target(look=None, plan=None) -> Target | None:
    """The framing to judge against: the studio's ``plan`` when given, else the Look's
    preset (None: neither given)."""
    from ..errors import InputError
    from ..looks import Look
    from ..looks.settings import get_preset

    def preset_of(look):
        return get_preset(look.frame if isinstance(look, Look) else look)

    if plan is None:
        if look is None:
            return None
        p = preset_of(look)
        return Target(p, p.eye_line, p.head, False)
    if not isinstance(plan, Headshot):  # the studio's FramePlan (``Rendered.plan``)
        try:
            p, eye, head = get_preset(plan.preset), float(plan.eye_share), float(plan.head_share)
        except AttributeError:
            raise InputError("The framing plan must be a studio FramePlan or a studio Headshot.",
                             hint="Pass Rendered.plan, or the Headshot the studio returned, or leave plan out.") from None
    else:  # a studio Headshot: its preset name and the plan it recorded
        measures = plan.measures
        if "eye_line" not in measures or "head_share" not in measures:
            raise InputError("The framing plan must be a studio FramePlan or a studio Headshot whose measures "
                             "record eye_line and head_share.",
                             hint="Pass Rendered.plan, or the Headshot the studio returned, or leave plan out.")
        p, eye, head = get_preset(plan.frame), float(measures["eye_line"]), float(measures["head_share"])
    if look is not None and preset_of(look).name != p.name:
        raise InputError(f"The studio planned the {p.name} framing, not the Look's "
                         f"{preset_of(look).name}.",
                         hint="Give the plan alone (it names its framing), or the Look it was made for.")
    return Target(p, eye, head, True)


def check(c: Candidate, look, s: ReviewSettings, *, plan=None) -> Check:
    t = target(look, plan)
    if t is None:
        return Check(True, None, None, note="no Look given: not judged")
    from ..faces.geometry import head_geometry

    preset = t.preset
    w, h = c.size
    g = head_geometry(c.face)
    eye = g.center[1] / h
    head = g.height / h
    whose = f"the {preset.name} framing" + (" the studio planned for this photo" if t.planned else "")
    problems = []
    if abs(eye - t.eye_line) > s.eye_line:
        where = "high" if eye < t.eye_line else "low"
        problems.append(f"the eyes sit too {where} ({100 * eye:.0f} % from the top; {whose} "
                        f"puts them at {100 * t.eye_line:.0f} %)")
    lo, hi = preset.head_range or (t.head * (1 - s.head_size), t.head * (1 + s.head_size))
    if not lo <= head <= hi:
        size = "small" if head < lo else "large"
        problems.append(f"the head is too {size} ({100 * head:.0f} % of the height; {100 * lo:.0f}–{100 * hi:.0f} % wanted)")
    if abs(w / h - preset.aspect) > 0.02 * preset.aspect:
        problems.append(f"the image is {w}×{h}, not the {preset.size[0]}:{preset.size[1]} shape of the framing")
    ok = not problems
    how = f"as planned by the studio, head {100 * t.head:.0f} %" if t.planned else "as in the Look"
    return Check(ok, round(eye, 3), round(float(t.eye_line), 3),
                 "" if ok else "The framing is off: " + "; ".join(problems) + ".",
                 note=f"framing {preset.name} ({how}): head {100 * head:.0f} % of the height")

"""Framing against the Look: eye line and head size near the preset's targets.

Only judged when a Look (or a framing preset name) is given. Eye line: the eye
midpoint's height as a share of the image height; head size: chin to estimated top of
hair (``studio.frame.head_geometry``) as a share of the height, the same geometry the
studio frames with. ID presets with an allowed head range are judged on that range.
"""

from __future__ import annotations

from .result import Candidate, Check, ReviewSettings


def check(c: Candidate, look, s: ReviewSettings) -> Check:
    if look is None:
        return Check(True, None, None, note="no Look given: not judged")
    from ..studio.frame import get_preset, head_geometry

    preset = get_preset(getattr(look, "frame", look))
    w, h = c.size
    g = head_geometry(c.face)
    eye = g.center[1] / h
    head = g.height / h
    problems = []
    if abs(eye - preset.eye_line) > s.eye_line:
        where = "high" if eye < preset.eye_line else "low"
        problems.append(f"the eyes sit too {where} ({100 * eye:.0f} % from the top; the {preset.name} framing "
                        f"puts them at {100 * preset.eye_line:.0f} %)")
    lo, hi = preset.head_range or (preset.head * (1 - s.head_size), preset.head * (1 + s.head_size))
    if not lo <= head <= hi:
        size = "small" if head < lo else "large"
        problems.append(f"the head is too {size} ({100 * head:.0f} % of the height; {100 * lo:.0f}–{100 * hi:.0f} % wanted)")
    if abs(w / h - preset.aspect) > 0.02 * preset.aspect:
        problems.append(f"the image is {w}×{h}, not the {preset.size[0]}:{preset.size[1]} shape of the framing")
    ok = not problems
    return Check(ok, round(eye, 3), preset.eye_line, "" if ok else "The framing is off: " + "; ".join(problems) + ".",
                 note=f"framing {preset.name}: head {100 * head:.0f} % of the height")

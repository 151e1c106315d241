"""Light match: does the face sit in the light of the backdrop around it?

A pasted-in backdrop gives itself away by light the face does not share. Two signs,
both read near the head (a band beside and above it, person pixels out):

- **Brightness**: the face much darker than the backdrop around it (log2 of the
  backdrop's over the cheeks' linear luminance above ``light_ev``): a backlit
  silhouette or a face cut into a bright scene. A bright face on a dark backdrop is a
  normal low-key portrait and passes.
- **Colour temperature**: the face's cast is its skin's b* (yellow–blue) minus the
  person's own skin b* (warm skin is not warm light). A near-neutral backdrop (chroma
  below ``NEUTRAL``) shows the light's own cast as its b*; the check fails when the
  two differ by more than ``light_cast`` (a face lit by tungsten on a daylight-grey
  backdrop). A coloured backdrop's hue is its paint, not its light: not judged.

Measured on the 173 eval photos with a backdrop in view (real scenes, so the light
matches by nature): brightness p99 +2.0 stops (max +3.5); colour judged on 55 %,
cast difference over 20 on 0.6 %, none over 25. Studio renders of 59 eval photos
(all six Looks): up to 15 (p95 10) — but the face's cast is read against the
person's own photos, which carry their own casts, so ``light_cast`` (28) only
catches gross mismatches. This gate is coarse; no synthetic mismatch is measured.

Studio outputs sit in their backdrop's light by construction (``studio.light``).
"""

from __future__ import annotations

import math

from .result import Candidate, Check, Reference, ReviewSettings

#: Backdrop chroma (a*b*) below which its colour is taken as the light's.
NEUTRAL = 10.0


def check(c: Candidate, ref: Reference, s: ReviewSettings) -> Check:
    st = c.stats
    if st.backdrop is None or st.skin is None:
        return Check(True, None, None, note="too little backdrop around the head: not judged")
    face_y = _y(st.skin)
    ev = math.log2(max(st.backdrop_y, 1e-4) / max(face_y, 1e-4))
    if ev > s.light_ev:
        return Check(False, round(ev, 2), s.light_ev,
                     f"The face is much darker than the backdrop around it ({ev:.1f} stops): the light does not match.")
    if st.mono or ref.skin is None:
        return Check(True, round(ev, 2), s.light_ev, note="brightness only")
    if math.hypot(st.backdrop[1], st.backdrop[2]) >= NEUTRAL:
        return Check(True, round(ev, 2), s.light_ev, note="coloured backdrop: brightness only")
    face_cast = st.skin[2] - ref.skin[2]
    diff = abs(face_cast - st.backdrop[2])
    ok = diff <= s.light_cast
    warm = face_cast > st.backdrop[2]
    return Check(ok, round(diff, 2), s.light_cast, "" if ok else (
        f"The face is lit {'warmer' if warm else 'colder'} than the backdrop around it: the light does not match."),
        note=f"brightness {ev:+.1f} stops against the face")


def _y(lab) -> float:
    """Linear luminance of a Lab colour (D65)."""
    L = lab[0]
    f = (L + 16) / 116
    return f**3 if f > 6 / 29 else 3 * (6 / 29) ** 2 * (f - 4 / 29)

"""Light match: does the face sit in the light of the backdrop around it?

A pasted-in backdrop gives itself away by light the face does not share. Two signs,
both read near the head (a band beside and above it, person pixels out):

- **Brightness**: the face much darker than the backdrop around it (log2 of the
  backdrop's over the cheeks' linear luminance above ``light_ev``): a backlit
  silhouette or a face cut into a bright scene. A bright face on a dark backdrop is a
  normal low-key portrait and passes.
- **Colour temperature**: the face lit warm while the backdrop is cold, or the other
  way round. The face's cast is its skin's b* (yellow–blue) minus the person's own skin
  b* (so warm skin is not read as warm light); the backdrop's is its b*. Fails when
  the two have opposite signs and differ by more than ``light_cast``. A coloured
  backdrop that matches the light (warm on warm) passes.

Studio outputs sit in their backdrop's light by construction (``studio.light``).
"""

from __future__ import annotations

import math

from .result import Candidate, Check, Reference, ReviewSettings


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
    face_cast = st.skin[2] - ref.skin[2]
    bd_cast = st.backdrop[2]
    clash = abs(face_cast - bd_cast) if face_cast * bd_cast < 0 else 0.0
    ok = clash <= s.light_cast
    warm = face_cast > 0
    return Check(ok, round(clash, 2), s.light_cast, "" if ok else (
        f"The face is lit {'warm' if warm else 'cold'} but the backdrop around it is {'cold' if warm else 'warm'}: "
        "the light does not match."), note=f"brightness {ev:+.1f} stops against the face")


def _y(lab) -> float:
    """Linear luminance of a Lab colour (D65)."""
    L = lab[0]
    f = (L + 16) / 116
    return f**3 if f > 6 / 29 else 3 * (6 / 29) ** 2 * (f - 4 / 29)

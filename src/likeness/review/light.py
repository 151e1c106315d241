"""Light match: does the face sit in the light of the backdrop around it?

A pasted-in backdrop gives itself away by light the face does not share. Two signs,
both read near the head (a band beside and above it, person pixels out):

- **Brightness**: the face much darker than the backdrop around it (log2 of the
  backdrop's over the cheeks' linear luminance above ``light_ev``): a backlit
  silhouette or a face cut into a bright scene. A bright face on a dark backdrop is a
  normal low-key portrait and passes. The cheeks' luminance is their light times their
  own reflectance, so it is read at the person's own skin lightness: the stops by which
  their skin (the median over their photos) reflects less than a typical skin
  (``TYPICAL_SKIN_L``) are taken off, and the check judges the light, not the skin
  tone. Without that the check was a skin-tone gate: on the eval's framed genuine
  photos the median reading was −1.32 / −0.95 / +0.69 stops in the light / medium /
  dark bands (as ``likeness eval fairness`` bands the people), and the one genuine photo over the limit
  (Jesse Jackson in front of a bright sky, 3.48) was the dark band's; read at each
  person's lightness −0.87 / −0.84 / +0.05, and the most 2.84.
- **Colour temperature**: the face's cast is its skin's b* (yellow–blue) minus the
  person's own skin b* (warm skin is not warm light). A near-neutral backdrop (chroma
  below ``NEUTRAL``) shows the light's own cast as its b*; the check fails when the
  two differ by more than ``light_cast`` (a face lit by tungsten on a daylight-grey
  backdrop). A coloured backdrop's hue is its paint, not its light: not judged.

Measured on the 173 eval photos with a backdrop in view (real scenes, so the light
matches by nature): brightness p99 +2.0 stops (max +3.5; at each person's own
lightness +2.8, and ``likeness eval review``'s genuine pass rate 0.9548 → 0.9605);
colour judged on 55 %, cast difference over 20 on 0.6 %, none over 25. Studio renders
of 59 eval photos (all six Looks): up to 15 (p95 10) — but the face's cast is read
against the person's own photos, which carry their own casts, so ``light_cast`` (28)
only catches gross mismatches. This gate is coarse; no synthetic mismatch is measured.

Studio outputs sit in their backdrop's light by construction (``studio.light``).
"""

from __future__ import annotations

import math

from .result import Candidate, Check, Reference, ReviewSettings

#: Backdrop chroma (a*b*) below which its colour is taken as the light's.
NEUTRAL = 10.0
#: L* of a typical skin: the median of the people of half a of the eval set (61.6;
#: 64.8 over all 27, 66.1 over half b), where the brightness limit means what it said.
TYPICAL_SKIN_L = 62.0


def check(c: Candidate, ref: Reference, s: ReviewSettings) -> Check:
    st = c.stats
    if st.backdrop is None or st.skin is None:
        return Check(True, None, None, note="too little backdrop around the head: not judged")
    ev = math.log2(max(st.backdrop_y, 1e-4) / max(_y(st.skin), 1e-4)) - skin_headroom(ref)
    if ev > s.light_ev:
        return Check(False, round(ev, 2), s.light_ev,
                     f"The face is much darker than the backdrop around it ({ev:.1f} stops, allowing for the "
                     "skin's own tone): the light does not match.")
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


def skin_headroom(ref: Reference) -> float:
    """Stops by which the person's own skin reflects less light than a typical skin
    (negative for a lighter skin); 0 without the person's photos."""
    if ref.skin is None:
        return 0.0
    return math.log2(_y((TYPICAL_SKIN_L, 0.0, 0.0)) / max(_y(ref.skin), 1e-4))


def _y(lab) -> float:
    """Linear luminance of a Lab colour (D65)."""
    L = lab[0]
    f = (L + 16) / 116
    return f**3 if f > 6 / 29 else 3 * (6 / 29) ** 2 * (f - 4 / 29)

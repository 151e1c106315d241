"""Attribute locks: skin tone, hair colour, glasses and eye colour stay the person's.

Two ways of judging, the stricter one whenever it applies:

- **Against the photo the candidate was made from** (studio headshots, face-locked
  generation; found by :mod:`.source`). The light may change, so the source's colour
  is first moved into the candidate's light (:func:`.source.relit`); what remains is
  a change of the skin or iris itself. Calibrated on synthetic light changes of real
  photos (exposure +0.5 EV, white balance, S-curve and saturation, one-sided fill,
  resize + JPEG; 173 photos): skin residual p99 2.5, max 3.2; iris p99 4.5, max 5.2.
  A 5 ΔE2000 skin lightening leaves p1 3.8 (median 5.0); a recoloured iris p1 9.8.
  Real studio renders (59 eval photos, all six Looks, 44 matched to their source):
  skin p95 3.2, max 4.8 (the studio's skin-aware white balance moves skin on its own
  a little), hence ``skin_source`` 3.5.
- **Against the person's photos** (a new image, e.g. fully generated). Real photos of
  one person differ a lot by light alone (pooled within-person sd on the eval set:
  L* 7.9, a* 4.4, b* 5.9), so this can only catch gross changes. Lightness counts half
  (kL = 2: exposure moves it most); skin and hair are compared with the *nearest* of
  the person's photos (a set shot in several lights, or with dyed hair, is several
  clusters, not one), and the limit adapts to the person's own spread (``*_spread_k``
  × the median distance of each of their photos to its nearest other one), between a
  floor and a cap. Leave-one-out on the eval set: skin p99 10.3 (max 11.1), hair p99
  16.6 (max 21.6). Iris colour is compared with the person's median, half the skin's
  colour cast taken out (p99 16.0). The skin is also judged by its edge
  (:mod:`.skin_edge`): the face skin's lightness against the untouched skin right
  beside it, in the same picture, as in the person's photos. That catches a
  skin-only lightening or darkening whose edge lies on the face mesh's skin outline
  (the eval's edit: 8 ΔE caught 1.0 on unseen people) and nothing whose edge lies
  elsewhere (see that module).

Glasses are locked only when all the person's photos agree (with, or without); a
candidate whose glasses score is undecided never fails. Black-and-white candidates
are not judged on colour.
"""

from __future__ import annotations

import numpy as np

from ..color import delta_e
from .result import Candidate, Check, Reference, ReviewSettings
from .skin_edge import LIMIT as EDGE_LIMIT
from .skin_edge import edge_deviation
from .source import relit


def _de(a, b, *, kL: float = 1.0) -> float:
    return float(delta_e(a, b, kL=kL))


def _limit(spread: float | None, *, floor: float, k: float, cap: float) -> float:
    return float(floor if spread is None else np.clip(k * spread, floor, cap))


def _source_stats(c: Candidate, ref: Reference):
    if c.source is None or c.gain is None:
        return None
    return ref.photos[c.source]


def _colour_first(c: Candidate, ref: Reference, value, attr: str, limit: float, *, what: str, hidden: str):
    """The steps every colour lock takes first: not judged when the colour is not
    visible or the image is black-and-white; against the photo the candidate was made
    from (under the same light) when that photo is known. None: judge against all of
    the person's photos."""
    if value is None:
        return Check(True, None, None, note=f"{hidden}: not judged")
    if c.stats.mono:
        return Check(True, None, None, note="black-and-white image: colour not judged")
    src = _source_stats(c, ref)
    theirs = None if src is None or src.mono else getattr(src, attr)
    if theirs is None:
        return None
    d = _de(relit(theirs, c.gain), value)
    ok = d <= limit
    return Check(ok, round(d, 2), limit, "" if ok else (
        f"The {what} was changed: it differs from your photo by ΔE {d:.1f} beyond the change of "
        f"light (more than {limit:.1f})."), note="against the photo it was made from")


def skin_tone(c: Candidate, ref: Reference, s: ReviewSettings) -> Check:
    skin = c.stats.skin
    first = _colour_first(c, ref, skin, "skin", s.skin_source, what="skin tone", hidden="cheeks not visible")
    if first is not None:
        return first
    near = nearest([p.skin for p in ref.photos if not p.mono], skin)
    if near is None:
        return Check(True, None, None, note="no skin colour enrolled")
    d, closest = near
    lim = _limit(ref.skin_spread, floor=s.skin, k=s.skin_spread_k, cap=s.skin_cap)
    if d > lim:
        lighter = skin[0] > closest[0]
        return Check(False, round(d, 2), round(lim, 2),
                     f"The skin tone looks {'lighter' if lighter else 'darker'} or a different colour than in your own "
                     f"photos (ΔE {d:.1f}, limit {lim:.1f}).", note="against your photos")
    # Light moves a person's skin more than an edit does; what light does not do is
    # lighten the face skin alone, leaving the skin beside it as it was.
    step = edge_deviation(c.stats, ref.photos)
    if step is not None and abs(step) > EDGE_LIMIT:
        return Check(False, round(step, 2), EDGE_LIMIT,
                     f"The face's skin looks {'lighter' if step > 0 else 'darker'} than the skin right beside it "
                     f"(around the eyes, nose and mouth, at the hairline and neck), by L* {abs(step):.1f} more than in "
                     f"your own photos (limit {EDGE_LIMIT:.1f}).", note="against your photos: the skin's edge")
    edge = "" if step is None else f"; the skin's edge {step:+.1f} L* from yours"
    return Check(True, round(d, 2), round(lim, 2), note="against your photos" + edge)


def hair_colour(c: Candidate, ref: Reference, s: ReviewSettings) -> Check:
    hair = c.stats.hair
    if hair is None or ref.hair is None:
        return Check(True, None, None, note="hair not visible here or in your photos: not judged")
    if c.stats.mono:
        return Check(True, None, None, note="black-and-white image: colour not judged")
    src = _source_stats(c, ref)
    if src is not None and src.hair is not None:
        d = _de(relit(src.hair, c.gain), hair, kL=2.0)
        lim = s.hair_source
        note = "against the photo it was made from"
    else:
        d, _ = nearest([p.hair for p in ref.photos if not p.mono], hair)
        lim = _limit(ref.hair_spread, floor=s.hair, k=s.hair_spread_k, cap=s.hair_cap)
        note = "against your photos"
    ok = d <= lim
    return Check(ok, round(d, 2), round(lim, 2), "" if ok else (
        f"The hair colour differs from your own photos (ΔE {d:.1f}, limit {lim:.1f})."), note=note)


def nearest(colours, lab, *, kL: float = 2.0):
    """(ΔE2000 to the nearest of ``colours``, that colour), or None when there are none."""
    cs = [c for c in colours if c is not None]
    if not cs:
        return None
    ds = np.atleast_1d(delta_e(np.array(cs), np.asarray(lab)[None], kL=kL))
    i = int(np.argmin(ds))
    return float(ds[i]), cs[i]


def nn_spread(colours, *, kL: float = 2.0) -> float | None:
    """Median distance of each colour to its nearest other one (None below 3 colours)."""
    cs = [c for c in colours if c is not None]
    if len(cs) < 3:
        return None
    return float(np.median([nearest(cs[:i] + cs[i + 1 :], c, kL=kL)[0] for i, c in enumerate(cs)]))


def glasses_state(score: float, s: ReviewSettings) -> bool | None:
    if score >= s.glasses_on:
        return True
    if score <= s.glasses_off:
        return False
    return None


def glasses_lock(states: list[bool | None]) -> bool | None:
    """The glasses state a person's photos lock (their :func:`glasses_state` each).

    Locked only to what every photo clearly shows: photos both with and without
    glasses, or any photo the measure cannot decide, leave either state the person's
    (None). On the eval set a reading glass in a soft photo reads undecided (Meryl
    Streep's 08: 0.18), and locking to "none" from her other photos refused her
    sunglasses photo as a stranger's glasses.
    """
    if not states or any(x is None for x in states):
        return None
    return states[0] if all(x == states[0] for x in states) else None


def glasses(c: Candidate, ref: Reference, s: ReviewSettings, *, wanted: bool | None) -> Check:
    expected = ref.glasses if wanted is None else wanted
    seen = glasses_state(c.stats.glasses, s)
    if expected is None:
        return Check(True, round(c.stats.glasses, 2), s.glasses_on,
                     note="your photos show you both with and without glasses: either is fine")
    if seen is None or seen == expected:
        return Check(True, round(c.stats.glasses, 2), s.glasses_on,
                     note="glasses " + ("expected" if expected else "not expected") + ("" if seen is not None else "; unclear here"))
    why = "as you chose" if wanted is not None else "as in your photos"
    reason = ("Glasses appear although you wear none " if seen else "Your glasses are missing ") + f"({why})."
    return Check(False, round(c.stats.glasses, 2), s.glasses_on, reason)


def eye_colour(c: Candidate, ref: Reference, s: ReviewSettings) -> Check:
    iris = c.stats.iris
    first = _colour_first(c, ref, iris, "iris", s.iris_source, what="eye colour", hidden="irises not visible enough")
    if first is not None:
        return first
    if ref.iris is None:
        return Check(True, None, None, note="no eye colour enrolled")
    d = iris_distance(iris, c.stats.skin, ref)
    lim = _limit(ref.iris_spread, floor=s.iris, k=s.iris_spread_k, cap=s.iris_cap)
    ok = d <= lim
    return Check(ok, round(d, 2), round(lim, 2), "" if ok else (
        f"The eye colour differs from your own photos (colour distance {d:.1f}, limit {lim:.1f})."),
        note="against your photos")


def iris_distance(iris, skin, ref: Reference) -> float:
    """a*b* distance of an iris colour from the person's, half the skin's colour cast
    taken out (a cast moves iris and skin alike; measured: p99 16.0 vs 18.7 without)."""
    d = np.subtract(iris[1:], ref.iris[1:])
    if skin is not None and ref.skin is not None:
        d = d - 0.5 * np.subtract(skin[1:], ref.skin[1:])
    return float(np.hypot(*d))

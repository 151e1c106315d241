"""The live coach over time: one direction at a time, a readiness light, and when to
capture; and the next variation the set needs.

A direction is said only once its problem has shown in ``steady`` frames in a row
(a single odd frame must not make the voice jump), and it stays said while its
problem lasts. Capture fires after ``good_frames`` clean frames in a row (clean with the capture
margin of :data:`~.directions.CAPTURE`), then waits
``cooldown`` frames (the page takes its burst meanwhile). Everything is a pure
function of the previous :class:`CoachState`; the server keeps one per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .directions import Direction


@dataclass(frozen=True)
class CoachState:
    recent: tuple[tuple[str, ...], ...] = ()  # problem keys of the last frames, newest last
    shown: str | None = None  # the direction being said
    good_run: int = 0  # clean frames in a row
    cooldown: int = 0  # frames to wait after a capture
    frames: int = 0


@dataclass(frozen=True)
class Answer:
    direction: Direction | None
    light: str  # "red" (nothing usable), "amber" (a direction, or steadying), "green" (all good)
    capture: bool
    problems: tuple[str, ...]  # every problem of this frame (for the page's details)


STEADY = 2
GOOD_FRAMES = 3
COOLDOWN = 8
#: The wardrobe is read every this many frames: ~6 s at the page's 4 frames a second.
#: Clothes do not change between frames, and a reading (segmentation, a render per
#: Look, the stripe and print checks) costs 0.3–1 s of CPU that two coached sessions
#: on a small machine need for their frames.
WARDROBE_EVERY = 25


def step(state: CoachState, found: Sequence[Direction], *, ready: bool = True, steady: int = STEADY,
         good_frames: int = GOOD_FRAMES, cooldown: int = COOLDOWN) -> tuple[CoachState, Answer]:
    """The next state and the answer for a frame whose problems are ``found`` (in
    order); ``ready``: the frame also keeps the capture margin (directions.ready)."""
    keys = tuple(d.key for d in found)
    recent = (state.recent + (keys,))[-max(steady, 1):]
    lasting = [d for d in found if all(d.key in ks for ks in recent)] if len(recent) >= steady else []
    shown = None
    if state.shown in keys:  # keep saying it while it lasts, unless something more important is steady now
        shown = next(d for d in found if d.key == state.shown)
        if lasting and keys.index(lasting[0].key) < keys.index(state.shown):
            shown = lasting[0]
    elif lasting:
        shown = lasting[0]
    good = not found and ready
    good_run = state.good_run + 1 if good else 0
    wait = max(0, state.cooldown - 1)
    capture = good and good_run >= good_frames and state.cooldown == 0
    if capture:
        good_run, wait = 0, cooldown
    if good:
        light = "green"
    elif shown is not None and shown.severe:
        light = "red"
    else:
        light = "amber"
    new = replace(state, recent=recent, shown=shown.key if shown else None, good_run=good_run, cooldown=wait,
                  frames=state.frames + 1)
    return new, Answer(direction=shown, light=light, capture=capture, problems=keys)


# --- the set: what to take next ----------------------------------------------------------

#: A varied set, as a photographer shoots it: straight on (neutral and smiling) and a
#: slight turn each way (yaw in degrees, + = turned to the image's right, their left).
SLIGHT_TURN = 8.0


@dataclass(frozen=True)
class Shot:
    yaw: float
    expression: str  # "neutral", "smile", "open-mouth smile"


def next_variation(shots: Sequence[Shot]) -> str:
    """One sentence: the variation the set needs next (or that it is complete)."""
    smiles = [s for s in shots if s.expression != "neutral"]
    neutral = [s for s in shots if s.expression == "neutral"]
    if not shots:
        return "First photo: look straight into the lens with a relaxed face."
    if not neutral:
        return "Next: relax your smile — lips together, a calm, friendly face."
    if not smiles:
        return "Next: a natural smile, as if greeting a colleague."
    if not any(s.yaw < -SLIGHT_TURN for s in shots):
        return "Next: turn your shoulders a little to your right and your face back to the lens."
    if not any(s.yaw > SLIGHT_TURN for s in shots):
        return "Next: turn your shoulders a little to your left and your face back to the lens."
    if len(shots) < 5:
        return "Next: another of your favourite pose, with a slightly different expression."
    return "Your set is ready: close the camera and make your headshots."

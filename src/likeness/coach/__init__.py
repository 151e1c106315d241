"""Live coaching: a camera preview frame → one direction at a time, a readiness
light and when to capture (:mod:`.analyse`, :mod:`.directions`, :mod:`.session`);
wardrobe advice for a Look (:mod:`.wardrobe`). Heavy imports stay inside functions."""

from __future__ import annotations

from .analyse import Reading, decode_frame, read_frame
from .directions import CAPTURE, LIVE, Direction, LiveLimits, problems, ready
from .session import Answer, CoachState, Shot, next_variation, step

__all__ = [
    "CAPTURE",
    "LIVE",
    "Answer",
    "CoachState",
    "Direction",
    "LiveLimits",
    "Reading",
    "Shot",
    "decode_frame",
    "next_variation",
    "problems",
    "read_frame",
    "ready",
    "step",
]

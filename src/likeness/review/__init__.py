"""Review: the gates every candidate headshot passes before anyone sees it.

``enroll(photos)`` reads what the person's own photos say (identity, skin tone, hair
and eye colour, glasses, skin texture, light); ``review(candidate, reference)`` checks a
candidate against it: likeness (FAR 1e-3), attribute locks, artifacts, texture
(anti-"plastic"), light match and framing. A failed gate gives a plain sentence.
"""

from .gate import enroll, enroll_stats, review, review_stats, subject_face
from .result import CHECKS, Check, Reference, Review, ReviewSettings
from .stats import PhotoStats, describe

__all__ = ["CHECKS", "Check", "PhotoStats", "Reference", "Review", "ReviewSettings", "describe", "enroll",
           "enroll_stats", "review", "review_stats", "subject_face"]


from .._callable import make_callable  # noqa: E402

make_callable(__name__, "gate:review")

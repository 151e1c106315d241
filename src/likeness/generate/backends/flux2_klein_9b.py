"""``flux2-klein-9b``: FLUX.2 [klein] 9B, same method as ``flux2-klein``, more detail.

Its weights are under the FLUX Non-Commercial License: usable on explicit request for
non-commercial work, never the default (the registry refuses it as one).
"""

from __future__ import annotations

from ..registry import register
from .flux2_klein import Flux2Klein


@register
class Flux2Klein9B(Flux2Klein):
    name = "flux2-klein-9b"
    model = "flux2-klein-9b"
    description = "FLUX.2 [klein] 9B multi-reference editing. NON-COMMERCIAL licence."

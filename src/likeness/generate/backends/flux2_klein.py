"""``flux2-klein`` (default): FLUX.2 [klein] 4B multi-reference editing, Apache-2.0.

The model sees up to 4 of the user's photos as references and paints a new headshot
from the Look's words. Step-distilled: 4 steps, no classifier-free guidance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...color import to_uint8
from ..device import cpu_generators, sequence_tokens
from ..loading import fit_area, latent_multiple, text_encoder_layers, to_pil
from ..prompts import build_prompt
from ..registry import TRAINED, Backend, register


@register
class Flux2Klein(Backend):
    name = "flux2-klein"
    model = "flux2-klein-4b"
    source_type = TRAINED
    description = "FLUX.2 [klein] 4B: new headshots from up to 4 reference photos (multi-reference editing)."
    max_references = 4
    steps = 4
    guidance_scale = 1.0  # step-distilled: guidance is ignored by the model
    pipeline_class = "Flux2KleinPipeline"

    def prompt(self, look: Any, *, references: int) -> str:
        return build_prompt(look, mode="references", references=references)

    def reference_sizes(self, references: list[np.ndarray], *, size: tuple[int, int], multiple: int = 16) -> list[tuple[int, int]]:
        """Each reference at about the output's area (capped at the model's 1 MP): more
        pixels only lengthen the attention sequence without adding identity detail."""
        area = min(size[0] * size[1], 1024 * 1024)
        return [fit_area(r.shape[1], r.shape[0], area=area, multiple=multiple) for r in references]

    def tokens(self, references: list[np.ndarray], *, size: tuple[int, int]) -> int:
        return sequence_tokens(size, self.reference_sizes(references, size=size))

    def __call__(
        self,
        pipe: Any,
        references: list[np.ndarray],
        *,
        prompt: str,
        seeds: list[int],
        size: tuple[int, int],
        steps: int,
        face_mask: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        width, height = size
        sizes = self.reference_sizes(references, size=size, multiple=latent_multiple(pipe))
        images = [to_pil(r, wh) for r, wh in zip(references, sizes, strict=True)]
        out = pipe(
            image=images,
            prompt=prompt,
            width=width,
            height=height,
            num_inference_steps=steps,
            guidance_scale=self.guidance_scale,
            num_images_per_prompt=len(seeds),
            generator=cpu_generators(seeds),
            output_type="np",
            text_encoder_out_layers=text_encoder_layers(pipe),
        )
        return [to_uint8(im) for im in out.images]

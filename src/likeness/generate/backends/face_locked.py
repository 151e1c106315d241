"""``face-locked``: repaint attire and backdrop, keep the real face and hair pixels.

FLUX.2 [klein] 4B (Apache-2.0) in inpainting mode paints everything outside the face
and hair mask of the user's best photo; afterwards the original face and hair pixels
are pasted back exactly (``composite.paste_face``). Likeness therefore holds by
construction, and the output is labelled ``compositeWithTrainedAlgorithmicMedia``.

The output keeps the photo's own size (its face pixels cannot be resized and still be
its own); ``size`` sets the area the model paints at, in the photo's aspect. Give it
the headshot's framed crop at the model's size (``locked.locked_reference``, as
``likeness generate`` does): the painting is then never enlarged (``enlargement``).
A larger photo gets a painting enlarged to its size, and says by how much.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...color import to_uint8
from ...errors import InputError, OptionError
from ..composite import blend_width, paste_face, repaint_mask
from ..device import cpu_generators, sequence_tokens
from ..loading import (
    fit_area,
    latent_multiple,
    resize_uint8,
    text_encoder_layers,
    to_pil,
)
from ..prompts import build_prompt
from ..registry import COMPOSITE, Backend, register


@register
class FaceLocked(Backend):
    name = "face-locked"
    model = "flux2-klein-4b"
    source_type = COMPOSITE
    description = "FLUX.2 [klein] 4B inpainting of attire and backdrop; the face and hair stay the photo's own pixels."
    max_references = 1
    needs_face_mask = True
    steps = 4
    guidance_scale = 1.0
    pipeline_class = "Flux2KleinInpaintPipeline"

    def check_inputs(self, references: list[np.ndarray], *, size: tuple[int, int], face_mask: np.ndarray | None) -> None:
        if face_mask is None:
            raise OptionError(
                "face-locked needs face_mask: the face and hair to keep (1) in the photo.",
                hint="Pass the matting stage's face+hair mask of references[0].",
            )
        photo = references[0]
        if face_mask.shape != photo.shape[:2]:
            raise InputError(
                f"face_mask is {face_mask.shape[1]}×{face_mask.shape[0]} but the photo is "
                f"{photo.shape[1]}×{photo.shape[0]}.",
                hint="Make the mask from the same photo, at the same size.",
                mask_shape=list(face_mask.shape),
            )
        if not np.any(face_mask >= 1.0):
            raise InputError("face_mask keeps no pixel (no value is 1).", hint="Check that the face was found.")
        if np.all(face_mask > 0):
            raise InputError("face_mask keeps the whole photo: there is nothing to repaint.")

    def prompt(self, look: Any, *, references: int) -> str:
        return build_prompt(look, mode="face-locked", references=references)

    @staticmethod
    def work_size(photo: np.ndarray, *, size: tuple[int, int], multiple: int = 16) -> tuple[int, int]:
        """Where the model paints: the photo's aspect at ``size``'s area, at most 1 MP."""
        height, width = photo.shape[:2]
        return fit_area(width, height, area=min(size[0] * size[1], 1024 * 1024), multiple=multiple)

    def tokens(self, references: list[np.ndarray], *, size: tuple[int, int]) -> int:
        return sequence_tokens(self.work_size(references[0], size=size), [], inpaint=True)

    def enlargement(self, references: list[np.ndarray], *, size: tuple[int, int]) -> float:
        work = self.work_size(references[0], size=size)
        return max(1.0, references[0].shape[0] / work[1])

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
        assert face_mask is not None  # check_inputs ran
        import cv2

        photo = references[0]
        height, width = photo.shape[:2]
        block = latent_multiple(pipe)
        work = self.work_size(photo, size=size, multiple=block)
        keep = np.clip(face_mask.astype(np.float32), 0.0, 1.0)
        feather = blend_width(photo.shape)
        work_keep = keep if work == (width, height) else cv2.resize(keep, work, interpolation=cv2.INTER_AREA)
        # diffusers' convention: white = repaint. Everything but the face and hair,
        # grown by a latent block and the seam (see composite.repaint_mask).
        seam = max(1, round(feather * work[1] / height))
        repaint = to_pil(repaint_mask(work_keep, block=block, feather=seam))  # mode "L"
        out = pipe(
            prompt=prompt,
            image=to_pil(photo, work),
            mask_image=repaint,
            width=work[0],
            height=work[1],
            strength=1.0,  # the repainted region starts from pure noise
            num_inference_steps=steps,
            guidance_scale=self.guidance_scale,
            num_images_per_prompt=len(seeds),
            generator=cpu_generators(seeds),
            output_type="np",
            text_encoder_out_layers=text_encoder_layers(pipe),
        )
        return [
            paste_face(resize_uint8(to_uint8(im), (width, height)), photo, keep, feather=feather) for im in out.images
        ]

"""face-locked (issue 19, problems 1, 2 and 5): no old background around the hair, the
framed crop painted at the model's size (never enlarged more than the studio would),
and a reference without a face gives the usual clear error."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from skimage import data

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from likeness.bench.generate import flux2_klein_pipeline  # noqa: E402
from likeness.errors import NoFaceError  # noqa: E402
from likeness.generate.composite import blend_width  # noqa: E402
from likeness.generate.registry import get_backend  # noqa: E402
from likeness.imageio import save_image  # noqa: E402

BACKGROUND = np.array([30, 200, 60], np.uint8)  # the photo's old backdrop
PAINT = np.array([200, 40, 200], np.uint8)  # what the model paints


@pytest.fixture(scope="module")
def inpaint():
    return flux2_klein_pipeline("tiny", inpaint=True)


class PerfectVAEInpaint:
    """``Flux2KleinInpaintPipeline``'s own keep-or-repaint, with a perfect VAE.

    The real pipeline binarises the mask, samples it once per 16×16 latent block (its
    ``mask_processor`` and ``prepare_mask_latents``, called here) and keeps the original
    latents where the mask says keep; with real weights the VAE gives those blocks'
    pixels back. A tiny random VAE cannot, so this stand-in does exactly that in pixels:
    kept blocks are the photo's pixels, repainted ones are ``PAINT``.
    """

    def __init__(self, real):
        self.real, self.vae_scale_factor, self.text_encoder = real, real.vae_scale_factor, real.text_encoder

    def __call__(self, *, image, mask_image, num_images_per_prompt, **_):
        b = self.vae_scale_factor * 2
        w, h = image.size[0] // b * b, image.size[1] // b * b  # the pipeline paints at the image's size
        m = self.real.mask_processor.preprocess(mask_image, height=h, width=w)
        m = self.real.prepare_mask_latents(m, 1, 1, h, w, torch.float32, "cpu").reshape(h // b, w // b).numpy()
        m = np.kron(m, np.ones((b, b), np.float32))[..., None]
        photo = np.asarray(image.resize((w, h)), np.float32) / 255
        out = (1 - m) * photo + m * (PAINT.astype(np.float32) / 255)
        return SimpleNamespace(images=[out] * num_images_per_prompt)


def _portrait(w: int = 320, h: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A flat backdrop and a textured head (the face and hair to keep), not block-aligned."""
    photo = np.empty((h, w, 3), np.uint8)
    photo[:] = BACKGROUND
    head = np.zeros((h, w), np.uint8)
    cv2.ellipse(head, (w // 2 + 3, h // 2 - 7), (w // 4 + 5, h // 3 + 1), 0, 0, 360, 1, -1)
    texture = np.random.default_rng(0).integers(0, 120, (h, w, 3), dtype=np.uint8)
    photo[head > 0] = texture[head > 0]
    return photo, head.astype(np.float32)


def test_no_old_background_survives_around_the_hair(inpaint):
    photo, mask = _portrait()
    fake = PerfectVAEInpaint(inpaint)
    out = get_backend("face-locked")(fake, [photo], prompt="p", seeds=[0], size=(320, 400), steps=4, face_mask=mask)[0]
    outside = mask == 0
    # Distance of every outside pixel from the mask: the blend width counts from there.
    dist = cv2.distanceTransform(outside.astype(np.uint8), cv2.DIST_L2, 5)
    survived = outside & np.any(out != PAINT, axis=-1)  # not (only) painted: the photo shows
    assert survived[dist > blend_width(photo.shape)].sum() == 0  # the measure: zero beyond the blend width
    assert survived.sum() == 0  # and the seam lies inside the mask: none at all
    core = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 5) >= blend_width(photo.shape)
    assert np.array_equal(out[core], photo[core])  # the face itself is the photo's own


@pytest.fixture(scope="module")
def big_png(tmp_path_factory):
    """A 12 MP-class PNG: load_photo(max_side=1536) shrinks only JPEGs, so this is the
    case where painting the whole photo at 1 MP was enlarged the most."""
    d = tmp_path_factory.mktemp("locked")
    img = cv2.resize(data.astronaut(), (2400, 2400), interpolation=cv2.INTER_CUBIC)
    return save_image(img, d / "big.png")


def test_the_framed_crop_is_painted_at_model_size_never_enlarged(big_png):
    from likeness.generate.locked import locked_reference
    from likeness.studio.frame import get_preset
    from likeness.studio.decode import decode_for

    locked = locked_reference(big_png, frame="headshot")
    h, w = locked.image.shape[:2]
    assert (w, h) == (912, 1136) and locked.face_mask.shape == (h, w)  # the preset's 4:5, multiples of 16, ≤ 1 MP
    assert 0.05 < locked.face_mask.mean() < 0.8  # a face and hair, with something to repaint
    preset = get_preset("headshot")
    _, _, fp = decode_for(big_png, preset=preset)
    studio_scale = preset.size[1] / fp.height  # what the studio enlarges this photo by
    assert locked.enlarged <= studio_scale + 1e-6
    assert locked.enlarged == pytest.approx(h / fp.height, rel=0.02)
    backend = get_backend("face-locked")
    assert backend.enlargement([locked.image], size=(w, h)) == 1.0  # the painting itself: not enlarged
    photo = np.zeros((2400, 2400, 3), np.uint8)
    assert backend.enlargement([photo], size=(1024, 1024)) > 2.3  # what painting the whole photo did


def test_generate_face_locked_reports_the_enlargement(big_png, inpaint, tmp_path):
    from likeness.generate import generate

    res = generate([big_png], backend="face-locked", count=1, oversample=1, out=tmp_path, pipe=inpaint, steps=1, seed=0)
    assert res.settings["size"] == [912, 1136]
    assert 0 < res.settings["enlarged"] <= 1.0  # 2400 px of photo: the crop is a reduction
    assert res.settings["device"]["batch"] >= 1 and res.settings["device"]["dtype"] == "float32"
    for h in res.headshots:
        assert h.measures["enlarged"] == res.settings["enlarged"] and (h.width, h.height) == (912, 1136)


def test_a_reference_without_a_face_gives_the_usual_error(big_png, inpaint, tmp_path, monkeypatch):
    """Intake found the face at its own size; the face-locked reference may still show
    none (here: another photo entirely). That is a NoFaceError naming the photo."""
    from likeness.generate import generate
    from likeness.intake import inspection as intake
    from likeness.types import PhotoCheck

    noise = save_image(np.random.default_rng(1).integers(0, 256, (600, 480, 3), dtype=np.uint8), tmp_path / "noise.png")
    sitting = intake.check([str(big_png)])
    odd = PhotoCheck(source=str(noise), size=(480, 600), faces=0, face=None, usable=True)
    fake = dataclasses.replace(sitting, photos=(*sitting.photos, odd), references=(len(sitting.photos),))
    monkeypatch.setattr(intake, "check", lambda *a, **k: fake)
    with pytest.raises(NoFaceError) as err:
        generate([big_png], backend="face-locked", count=1, oversample=1, out=tmp_path / "o", pipe=inpaint, steps=1)
    assert err.value.data["faces"] == 0 and err.value.data["file"] == str(noise)

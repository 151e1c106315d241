"""Prompts from a Look: pure functions, no model knowledge beyond wording.

A Look is a TOML-backed object (``likeness.looks``); here it may also be a plain dict.
Only these entries are read, each optional:

- ``name``                 the Look's name (not put in the prompt: names like
                           "boardroom-2024" are labels, not descriptions),
- ``generate.attire``      e.g. "a navy suit jacket over a white open-collar shirt",
- ``generate.setting``     e.g. "a softly blurred modern office",
- ``generate.light``       e.g. "soft window light from the left",
- ``framing`` (or ``frame``, the Look's own field) a preset name ("headshot") or a
                           table with ``preset``/``name``.

Nested (``{"generate": {"attire": ...}}``), dotted (``{"generate.attire": ...}``) and
attribute access (``look.generate.attire``) all work. A present value that is not
text raises :class:`~likeness.errors.OptionError` rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import OptionError

#: How each framing preset (studio/frame.py names, plus common words) reads in a
#: prompt; unknown presets are used as written.
FRAMING_WORDS = {
    "headshot": "head-and-shoulders portrait, vertical 4:5, eyes about 40 % from the top",
    "square": "head-and-shoulders portrait, square, the whole head and hair well inside the frame",
    "chest-up": "chest-up portrait, vertical 2:3, some space above the head",
    "actor-8x10": "actor headshot, head and shoulders, vertical 4:5",
    "id-35x45": "passport-style photo, face straight to camera, neutral expression, plain background",
    "us-2x2": "passport-style photo, face straight to camera, neutral expression, plain background",
    "head-and-shoulders": "head-and-shoulders framing, eyes about a third from the top",
    "close-up": "tight close-up of the face and the top of the shoulders",
}

# Why these words: the reference photos carry identity; the prompt must ask the model to
# keep it (likeness drift is the failure users complain about most) and to avoid the
# "plastic" airbrushed look, while the Look only changes clothes, place and light.
_IDENTITY = (
    "Keep the person's exact identity from the reference photos: the same face shape, "
    "features, skin tone, eye colour, hair colour, hairline and hairstyle, glasses if worn"
)
_QUALITY = (
    "Photorealistic, natural skin texture with pores, no retouching artifacts, "
    "sharp focus on the eyes, 85 mm portrait lens, shallow depth of field"
)
_FACE_LOCKED = (
    "Professional headshot photograph. The face and hair are already in place and stay "
    "exactly as they are; repaint only the clothing and the background around them"
)


def look_value(look: Any, key: str) -> Any:
    """The value at dotted ``key`` in a dict-like or attribute-style Look, or None."""
    if look is None:
        return None
    if isinstance(look, Mapping) and key in look:
        return look[key]
    node = look
    for part in key.split("."):
        if node is None:
            return None
        if isinstance(node, Mapping):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
    return node


def _text(look: Any, key: str) -> str:
    value = look_value(look, key)
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return ", ".join(" ".join(v.split()) for v in value if v.strip())
    raise OptionError(
        f"The Look's `{key}` must be text, got {type(value).__name__}.",
        hint=f'Write it as words in the Look file, e.g. {key} = "soft window light".',
        key=key,
    )


def _framing_name(look: Any) -> str | None:
    value = look_value(look, "framing")
    if value is None:
        value = look_value(look, "frame")  # the Look dataclass's name for it
    if value is None:
        return None
    if not isinstance(value, str):
        preset = look_value(value, "preset") or look_value(value, "name")
        if preset is None:
            return None  # a framing table without a preset name carries numbers, not words
        value = preset
    if not isinstance(value, str):
        raise OptionError(
            f"The Look's framing preset must be a name, got {type(value).__name__}.",
            hint="Use one of: " + ", ".join(FRAMING_WORDS) + ".",
            key="framing",
        )
    return value.strip()


def framing_preset(look: Any) -> str | None:
    """The Look's framing preset name, normalised ("Head_and shoulders" → "head-and-shoulders"), or None."""
    name = _framing_name(look)
    return None if name is None else name.lower().replace("_", "-").replace(" ", "-")


def _framing(look: Any) -> str:
    name = _framing_name(look)
    if name is None:
        return ""
    return FRAMING_WORDS.get(framing_preset(look), name)


def build_prompt(look: Any, *, mode: str = "references", references: int = 1) -> str:
    """The prompt for a Look.

    ``mode`` is ``"references"`` (the model sees ``references`` photos of the person and
    paints a new image) or ``"face-locked"`` (the face and hair are kept pixel for pixel
    and only clothing and background are painted). Sentences for missing Look entries
    are left out; the result never depends on anything but the arguments.
    """
    if mode not in ("references", "face-locked"):
        raise OptionError(f"Unknown prompt mode {mode!r}.", hint='Use "references" or "face-locked".')
    if isinstance(references, bool) or not isinstance(references, int) or references < 1:
        raise OptionError(f"references must be a positive whole number, got {references!r}.")

    attire = _text(look, "generate.attire")
    setting = _text(look, "generate.setting")
    light = _text(look, "generate.light")
    framing = _framing(look)

    if mode == "references":
        photos = "the reference photo" if references == 1 else f"the {references} reference photos"
        parts = [f"Professional headshot photograph of the person in {photos}", _IDENTITY]
    else:
        parts = [_FACE_LOCKED]
    if attire:
        parts.append(f"Wearing {attire}")
    if setting:
        parts.append(f"Background: {setting}")
    if light:
        parts.append(f"Lighting: {light}")
    if framing:
        parts.append(f"Framing: {framing}")
    parts.append(_QUALITY)
    return ". ".join(p.rstrip(". ") for p in parts) + "."

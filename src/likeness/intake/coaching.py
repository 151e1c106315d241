"""Raw measures → 0–100 scores, pass/fail and one plain sentence of advice each.

Every score is piecewise linear in the raw value: 0 at ``bad``, 50 at ``limit`` (the
pass mark) and 100 at ``good``. The limits were set on ``likeness eval intake``:
each catches its degradation in ≥ 95 % of real photos while failing ≤ 10 % of the
untouched ones. Expression (a smile, an open mouth) is reported, never penalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import Measure
from .quality import Raw


@dataclass(frozen=True)
class Rule:
    bad: float
    limit: float
    good: float

    def score(self, raw: float) -> float:
        xs, ys = (self.bad, self.limit, self.good), (0.0, 50.0, 100.0)
        if self.bad > self.good:  # lower is better: mirror
            xs, ys = xs[::-1], ys[::-1]
        return float(np.interp(raw, xs, ys))


@dataclass(frozen=True)
class Limits:
    """Scoring rules per measure (raw units in :mod:`.quality`)."""

    sharpness: Rule = Rule(0.28, 0.41, 0.60)
    brightness: Rule = Rule(0.25, 0.45, 0.60)  # highlights of the face; too bright = overexposure
    underexposure: Rule = Rule(0.40, 0.20, 0.05)
    overexposure: Rule = Rule(0.60, 0.30, 0.10)
    dynamic_range: Rule = Rule(4.0, 5.5, 6.5)
    illumination: Rule = Rule(3.0, 2.0, 1.0)
    color_cast: Rule = Rule(16.0, 8.0, 2.0)
    min_chroma: Rule = Rule(2.0, 5.0, 8.0)  # below: a black-and-white photo
    compression: Rule = Rule(4.5, 3.3, 2.0)
    inter_eye: Rule = Rule(30.0, 60.0, 120.0)
    head_margins: Rule = Rule(-0.3, -0.08, 0.1)
    yaw: Rule = Rule(50.0, 32.0, 15.0)
    pitch: Rule = Rule(40.0, 25.0, 10.0)
    roll: Rule = Rule(30.0, 15.0, 5.0)
    eyes_open: Rule = Rule(0.05, 0.10, 0.20)
    # Rescaled (×0.975) when the skin reference became the one face-skin mask of
    # faces.masks: the median ratio new/old on the calibration photos (identities).
    eyes_visible: Rule = Rule(0.049, 0.156, 0.34)
    mouth_occlusion: Rule = Rule(0.80, 0.50, 0.25)
    single_face: Rule = Rule(0.80, 0.45, 0.30)
    glasses: float = 0.15  # frame line strength above which glasses are worn
    other_face_min: float = 0.45  # faces at least this wide (vs the subject) count


LIMITS = Limits()


def grade(raw: Raw, *, limits: Limits = LIMITS) -> dict[str, Measure]:
    """All measures of one face, each with its score, raw value and advice."""
    L = limits
    out: dict[str, Measure] = {}

    def add(name: str, rule: Rule, value: float, advice: str, unit: str = "", score: float | None = None) -> None:
        s = rule.score(value) if score is None else score
        ok = s >= 50.0
        out[name] = Measure(name=name, score=round(s, 1), raw=round(float(value), 4), ok=ok, advice="" if ok else advice, unit=unit)

    add("sharpness", L.sharpness, raw.sharpness,
        "Your face is blurry: hold the camera steady, tap your face on the screen to focus and take it again.")
    add("brightness", L.brightness, raw.brightness, "Your face is too dark: face a window or a lamp and take it again.")
    add("underexposure", L.underexposure, raw.underexposure,
        "Parts of your face are lost in deep shadow: turn towards the light and take it again.", unit="share")
    add("overexposure", L.overexposure, raw.overexposure,
        "Parts of your face are washed out to white: move out of direct sun or away from the flash and take it again.",
        unit="share")
    add("dynamic_range", L.dynamic_range, raw.dynamic_range,
        "Your face looks flat and grey: wipe the lens and take it in brighter, even light.", unit="bits")
    side = "left" if raw.lit_side > 0 else "right"
    add("illumination", L.illumination, raw.illumination,
        f"Your face is lit from the {side} only: face a window and take it again.", unit="EV")
    add("color_cast", L.color_cast, raw.color_cast, _cast_advice(raw.skin_lab), unit="ΔE",
        score=min(L.color_cast.score(raw.color_cast), L.min_chroma.score(float(np.hypot(*raw.skin_lab[1:])))))
    add("compression", L.compression, raw.compression,
        "The photo is heavily compressed (blocky): use the original file from your phone or camera, "
        "not a copy sent through a chat app.", unit="ratio")
    add("inter_eye", L.inter_eye, raw.inter_eye,
        f"Your face is too small in this photo ({raw.inter_eye:.0f} px between the eyes, 60 needed): "
        "come closer or use the original, full-size photo.", unit="px")
    add("head_margins", L.head_margins, raw.head_margins, _margin_advice(raw.margin_side), unit="face heights")
    add("yaw", L.yaw, abs(raw.yaw),
        "You are turned too far to the side: face the camera (a slight turn is fine).", unit="°")
    add("pitch", L.pitch, abs(raw.pitch),
        f"Your head is tilted too far {'up' if raw.pitch > 0 else 'down'}: hold the camera at eye level and look into it.",
        unit="°")
    add("roll", L.roll, abs(raw.roll),
        "Your head is tilted to one side: hold your head level and the camera upright.", unit="°")
    add("eyes_open", L.eyes_open, raw.eyes_open,
        "Your eyes are closed or nearly closed: take it again with your eyes open.", unit="ratio")
    add("eyes_visible", L.eyes_visible, raw.eyes_visible,
        "Your eyes are hidden (sunglasses, hair or a reflection): take off sunglasses, "
        "move hair away from your eyes and avoid glare on glasses.", unit="ratio")
    add("mouth_occlusion", L.mouth_occlusion, raw.mouth_occlusion,
        "Something covers your mouth or chin (a hand, phone or mask): take it again with your whole face visible.",
        unit="share")
    add("single_face", L.single_face, raw.single_face,
        "There is another face in this photo: use a photo of you alone "
        "(we took the largest, most central face as you).", unit="size ratio")
    worn = raw.glasses >= L.glasses
    out["glasses"] = Measure(name="glasses", score=100.0, raw=round(raw.glasses, 4), ok=True, unit="worn" if worn else "none")
    return out


def _margin_advice(side: str) -> str:
    if side == "top":
        return "The top of your head is cut off: step back or hold the camera higher so your whole head fits, with some space above it."
    if side == "bottom":
        return "Your chin is cut off: step back so your whole face and some of your shoulders fit in the frame."
    return f"Your head is cut off on the {side}: step back and keep your whole head inside the frame."


def _cast_advice(lab: tuple[float, float, float]) -> str:
    _, a, b = lab
    chroma = float(np.hypot(a, b))
    if chroma < 5.0:
        return ("This photo is black-and-white (or nearly), so its headshot will be too: "
                "use a colour photo for a headshot in colour.")
    hue = float(np.degrees(np.arctan2(b, a)))
    if chroma > 40:
        tint = "too saturated, orange"
    elif hue > 75:
        tint = "yellow-green" if hue < 110 else "green"
    elif hue < 25:
        tint = "pink-magenta" if hue > -30 else "blue-purple"
    else:
        tint = "washed-out"
    return f"The colours are off (a {tint} cast on your skin): take it in daylight, without coloured lights or filters."

"""A :class:`~.analyse.Reading` → the problems it shows, most important first, each as
one live direction in the plain words of the photo checks.

The order is a photographer's: first be seen (a face, you alone, near enough, all of
the head in the frame), then exposure and stillness (a dark or smeared frame makes
every later measure unreliable), then light, then pose, then the eyes. Only the
first problem is spoken (:mod:`.session`); fixing it often fixes the next.

Directions are said from the person's side: they face the camera, so the image's
right is their left. ``lit_side`` +1 means the image-left half of the face (their
right cheek) is the brighter one; yaw + means turned towards the image's right
(their left); roll + means the head leans clockwise in the image (towards their left
shoulder).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .analyse import Reading


@dataclass(frozen=True)
class Direction:
    key: str  # the problem, e.g. "roll"
    text: str  # one plain sentence: what to do
    blocking: bool = True  # no capture while shown
    severe: bool = False  # the light turns red (nothing usable yet)


@dataclass(frozen=True)
class LiveLimits:
    """Live limits in the raw units of :mod:`likeness.intake.quality` (and the preview
    measures of :mod:`.analyse`). Set on the calibration half of ``likeness eval coach``
    (people split by name; the other half reports), each between the clean previews'
    p98 (p2) and the degraded previews' p10 (p90) of its measure on that half:
    roll 12.4 | 14.8°, yaw 25.0 | 25.7°, illumination 1.82 | 2.42 EV, brightness
    0.55 | 0.35, detail 0.48 | 0.40, eyes open 0.18 | 0.14, head share 0.36 | 0.11,
    head margin 0.59 | −0.13 face heights. Stricter than the photo checks where a
    preview separates better (a photographer asks for more than "usable")."""

    head_share_min: float = 0.20  # head (chin to crown) under a fifth of the frame height: too far
    capture_ied_min: float = 60.0  # the photo checks' pass mark (intake inter_eye) for the capture
    head_share_max: float = 0.80  # more than this: too close, shoulders gone
    margin_min: float = -0.02  # head margin (face heights) below this: cut off
    brightness_min: float = 0.45
    overexposure_max: float = 0.30
    illumination_max: float = 2.1  # EV between the two halves of the face
    yaw_max: float = 25.0
    roll_max: float = 13.5
    pitch_max: float = 22.0
    detail_min: float = 0.44  # live_detail: motion blur
    eyes_open_min: float = 0.16
    eyes_visible_min: float = 0.156
    lid_tone: float = 0.80  # eyes hidden but as bright as the skin around them: closed lids
    mouth_occlusion_max: float = 0.50
    other_face_max: float = 0.45  # another face at least this wide (vs the subject's)


LIVE = LiveLimits()
#: Capture waits for a clear margin on the measures whose problems a preview reads
#: least surely (a turn, a tilt, half-closed eyes): on the calibration half this cut
#: captures during a degraded stretch from 4 to 1 of 184 sequences, and captures in
#: clean sequences from 22 to 20 of 23.
CAPTURE = replace(LIVE, yaw_max=22.0, roll_max=12.0, eyes_open_min=0.17)


def ready(r: Reading, *, limits: LiveLimits = CAPTURE) -> bool:
    """Whether the frame is good with the capture margin (no problem at ``limits``)."""
    return r.found and not problems(r, limits=limits)

#: Keys in the order they are said; the eval names its problems with these.
ORDER = ("no_face", "others", "too_far", "cut_off", "too_close", "dark", "bright", "blur", "covered", "eyes_hidden",
         "side_light", "yaw", "roll", "pitch", "eyes_closed")


def _yours(image_side: str) -> str:
    """The person's side for a side of the image (they face the camera)."""
    return {"left": "right", "right": "left"}.get(image_side, image_side)


def problems(r: Reading, *, limits: LiveLimits = LIVE) -> list[Direction]:
    """Every problem of the frame, most important first (empty: a good frame)."""
    L = limits
    if r.raw is None:
        return [Direction("no_face", "We can't see your face: look into the camera, with your face in the light.",
                          severe=True)]
    raw = r.raw
    out: list[Direction] = []
    if raw.single_face >= L.other_face_max:
        out.append(Direction("others", "Someone else is in the picture: make sure only you are in the frame.", severe=True))
    if r.head_share < L.head_share_min or (r.capture_ied is not None and r.capture_ied < L.capture_ied_min):
        out.append(Direction("too_far", "Come a little closer: your head should fill about half the picture's height.",
                             severe=True))
    if raw.head_margins < L.margin_min:
        side = raw.margin_side
        if side == "top":
            text = "Step back a little (or raise the camera) so the top of your head fits, with some space above it."
        elif side == "bottom":
            text = "Step back so your chin and shoulders show."
        else:
            text = f"Move a little to your {_yours('right' if side == 'left' else 'left')} so your whole head is in the frame."
        out.append(Direction("cut_off", text, severe=True))
    elif r.head_share > L.head_share_max:
        out.append(Direction("too_close", "Step back so your shoulders show.", severe=True))
    if raw.brightness < L.brightness_min:
        out.append(Direction("dark", "Your face is too dark: face a window or turn on a lamp in front of you.", severe=True))
    if raw.overexposure > L.overexposure_max:
        out.append(Direction("bright", "Your face is washed out: move out of direct sun or away from the lamp."))
    if raw.mouth_occlusion > L.mouth_occlusion_max:
        out.append(Direction("covered", "Something covers your mouth or chin: move your hand (or mask) away from your face."))
    closed = raw.eyes_open < L.eyes_open_min or (raw.eyes_visible < L.eyes_visible_min and r.eye_tone >= L.lid_tone)
    if raw.eyes_visible < L.eyes_visible_min and not closed:
        out.append(Direction("eyes_hidden", "We can't see your eyes: take off sunglasses, move hair aside, or tilt your glasses against the glare."))
    if raw.illumination > L.illumination_max:
        side = "right" if raw.lit_side > 0 else "left"  # the brighter cheek is on this side of the person
        out.append(Direction("side_light", f"The light falls on your {side} side only: turn a little to your {side}, "
                                           "towards the window or lamp."))
    if abs(raw.yaw) > L.yaw_max:
        side = "right" if raw.yaw > 0 else "left"
        out.append(Direction("yaw", f"Turn your head a little to your {side}, back towards the camera."))
    if abs(raw.roll) > L.roll_max:
        shoulder = "right" if raw.roll > 0 else "left"
        out.append(Direction("roll", f"Hold your head level: tilt it a touch towards your {shoulder} shoulder."))
    if abs(raw.pitch) > L.pitch_max:
        out.append(Direction("pitch", "Chin down a touch." if raw.pitch > 0 else "Chin up a touch."))
    if r.detail < L.detail_min:
        out.append(Direction("blur", "Hold still (and keep the camera steady)."))
    if closed:
        out.append(Direction("eyes_closed", "Open your eyes and look into the lens."))
    rank = {k: i for i, k in enumerate(ORDER)}
    return sorted(out, key=lambda d: rank[d.key])

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
    roll 12.2 | 16.7°, yaw 25.2 | 29.5°, illumination 1.85 | 2.42 EV, brightness
    0.57 | 0.35, detail 0.43 | 0.39, eyes open 0.18 | 0.16, head share 0.36 | 0.12,
    head margin 0.60 | −0.13 face heights. Closed lids that the mesh still reads as
    open show as faint eyes (eyes_visible) that are not dark like glasses: clean
    previews' eyes_visible p1 is 0.34. Stricter than the photo checks where a preview
    separates better (a photographer asks for more than "usable")."""

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
    detail_min: float = 0.41  # live_detail: motion blur
    eyes_open_min: float = 0.16
    eyes_visible_min: float = 0.156
    lid_tone: float = 0.80  # eyes hidden but as bright as the skin around them: closed lids
    closed_visible: float = 0.45  # eyes this faint (eyes_visible) and skin-bright (eye_tone ≥ closed_tone): lids down
    closed_tone: float = 0.65
    faint_visible: float = 0.30  # eyes fainter still and not dark like glasses (eye_tone ≥ faint_tone): lids down
    faint_tone: float = 0.40
    motion_max: float = 1.0  # (capture only, see CAPTURE) eyes moved more than this (inter-eye distances) since the last frame: not steady
    mouth_occlusion_max: float = 0.50
    other_face_max: float = 0.45  # another face at least this wide (vs the subject's)


LIVE = LiveLimits()
#: Capture waits for a clear margin on the measures whose problems a preview reads
#: least surely (a turn, a tilt, half-closed or faint eyes, a soft frame), and for a
#: face held still: the eyes moved at most a quarter of their distance since the last
#: frame (a camera's shake in the eval moves them 0.06 median, 0.22 at most). On the
#: calibration half this leaves no capture during a degraded stretch (1 before the
#: faint-eye margin) and captures in 20 of 23 clean sequences.
#: Closed lids (eyes faint and as bright as the skin around them, eye_tone ≥ closed_tone)
#: count wherever the tone is read (eyes_visible < 0.6, ``analyse.EYE_TONE_BELOW``) for
#: the capture: on the calibration half a closed-eye preview read 0.51 (above the live
#: 0.45), while no clean preview reached a tone of 0.65 at any eyes_visible (their
#: highest 0.62), so the wider band costs no clean capture there (stop 37).
CAPTURE = replace(LIVE, yaw_max=22.0, roll_max=12.0, eyes_open_min=0.17, detail_min=0.43, faint_visible=0.33,
                  closed_visible=0.6, motion_max=0.25)


def ready(r: Reading, *, limits: LiveLimits = CAPTURE) -> bool:
    """Whether the frame is good with the capture margin (no problem at ``limits``) and
    the face held still since the previous frame (a moving face smears the capture)."""
    steady = r.motion is None or r.motion <= limits.motion_max
    return r.found and steady and not problems(r, limits=limits)

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
    tone = r.eye_tone if r.eye_tone is not None else 0.0  # not read: the eyes are plainly visible
    closed = (raw.eyes_open < L.eyes_open_min or (raw.eyes_visible < L.eyes_visible_min and tone >= L.lid_tone)
              or (raw.eyes_visible < L.closed_visible and tone >= L.closed_tone)
              or (raw.eyes_visible < L.faint_visible and tone >= L.faint_tone))
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

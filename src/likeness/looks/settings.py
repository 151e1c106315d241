"""What a Look decides: the framing presets and the studio stages' settings, as
frozen dataclasses validated on construction.

Kept apart from the stage code (no numpy/OpenCV here) so that reading a Look is cheap;
the stages import their settings from here, so imports run one way (looks ← studio).
Every field has the same name in the Look's TOML table.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import OptionError

BACKDROP_KINDS = ("solid", "vertical", "radial", "canvas", "blur", "image", "bokeh")
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def parse_hex(value: str, *, what: str = "colour") -> tuple[float, float, float]:
    """'#RRGGBB' → (r, g, b) floats in [0, 1]."""
    m = _HEX.match(str(value).strip())
    if not m:
        raise OptionError(f"{what} {value!r} is not a colour.", hint="Write colours as hex, e.g. \"#6b6e72\".", value=value)
    h = m.group(1)
    return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def _range(obj: Any, name: str, lo: float, hi: float) -> None:
    v = getattr(obj, name)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise OptionError(
            f"{type(obj).__name__}.{name} = {v!r} is out of range.",
            hint=f"Use a number from {lo} to {hi}.",
            field=name,
            value=v,
        )


class _Settings:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "") -> Any:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        bad = sorted(set(data) - names)
        if bad:
            raise OptionError(
                f"Unknown setting{'s' if len(bad) > 1 else ''} {', '.join(bad)}{' in ' + where if where else ''}.",
                hint="Valid settings: " + ", ".join(sorted(names)) + ".",
                unknown=bad,
            )
        return cls(**data)


@dataclass(frozen=True)
class BackdropSettings(_Settings):
    """The backdrop behind the subject.

    ``kind``: ``solid`` (``color``), ``vertical`` / ``radial`` gradients (``color`` at
    the top / centre → ``color2``), ``canvas`` (a painted muslin: mottled between
    ``color`` and ``color2``, seeded), ``blur`` (the photo's own background, as if
    shot wide open: an environmental portrait), ``image`` (a photo of a place, scaled
    to cover, its light and colour pulled toward the subject's by ``match``, blurred
    as by depth of field), ``bokeh`` (a light outdoor background out of focus: a wash
    from ``color`` at the top to ``color2``, with soft highlight discs, seeded).
    """

    kind: str = "solid"
    color: str = "#7b7f85"
    color2: str = ""  # second colour; default: ``color`` a stop darker
    mottle: float = 0.5  # canvas: strength of the painted blotches
    blur: float = 0.03  # blur/image kinds: blur radius as a share of the frame height
    image: str = ""  # image kind: path of the picture
    vignette: float = 0.0  # darkening of the corners
    shadow: float = 0.0  # soft shadow of the subject on the backdrop
    grain: float = 0.006  # fine grain so smooth tones do not band
    spot: float = 0.0  # a soft pool of light behind the head (backdrop light)
    seed: int = 0
    match: float = 0.6  # image kind: pull of the place's light and colour toward the subject's

    def __post_init__(self) -> None:
        if self.kind not in BACKDROP_KINDS:
            raise OptionError(
                f"Unknown backdrop kind {self.kind!r}.", hint="Choose one of: " + ", ".join(BACKDROP_KINDS) + "."
            )
        parse_hex(self.color, what="Backdrop colour")
        if self.color2:
            parse_hex(self.color2, what="Backdrop colour2")
        if self.kind == "image" and not self.image:
            raise OptionError("An image backdrop needs a picture.", hint="Set image = \"path/to/picture.jpg\".")
        for name, hi in (("mottle", 1.0), ("blur", 0.2), ("vignette", 1.0), ("shadow", 1.0), ("grain", 0.1), ("spot", 1.0),
                         ("match", 1.0)):
            _range(self, name, 0.0, hi)
        if not isinstance(self.seed, int):
            raise OptionError(f"Backdrop seed {self.seed!r} is not a whole number.", hint="Use e.g. seed = 7.")


@dataclass(frozen=True)
class LightSettings(_Settings):
    """How the subject is relit to sit in the backdrop's light."""

    white_balance: float = 1.0  # share of the measured colour cast removed (the room light, whole)
    fill: float = 0.5  # share of the left/right imbalance on the face evened out
    match: float = 0.3  # pull of the subject's colour toward the backdrop's light
    wrap: float = 0.3  # light wrap: backdrop light spilling around the edges
    exposure: float = 0.5  # share of a face under/over-exposure corrected (bounded)
    #: The fill as a reflector and a flag together: the darker side is lifted and the
    #: lighter side lowered so the face's mean (linear) luminance stays where it was. A
    #: plain fill (false) only lifts, which also brightens the face as a whole.
    fill_keeps_level: bool = False
    #: Linear-light gains (r, g, b) read from a grey card or colour chart held in one of
    #: the person's photos (:mod:`likeness.studio.card`); when set they replace the
    #: estimated white balance and the exposure step. Empty: no card. Set per person by
    #: the studio, not in a Look file.
    card: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name in ("white_balance", "fill", "match", "wrap", "exposure"):
            _range(self, name, 0.0, 1.0)
        if not isinstance(self.fill_keeps_level, bool):
            raise OptionError(f"fill_keeps_level = {self.fill_keeps_level!r} must be true or false.",
                              hint="Write fill_keeps_level = true (or leave it out for a fill that only lifts).",
                              field="fill_keeps_level", value=self.fill_keeps_level)
        card = tuple(self.card)
        if card and (len(card) != 3 or not all(isinstance(v, (int, float)) and 0.2 <= v <= 5.0 for v in card)):
            raise OptionError(f"LightSettings.card = {self.card!r} is not three gains.",
                              hint="Give three numbers from 0.2 to 5 (r, g, b), or leave it empty.", field="card")
        object.__setattr__(self, "card", tuple(float(v) for v in card))


@dataclass(frozen=True)
class GradeSettings(_Settings):
    """The Look's tone and colour, then output sharpening."""

    contrast: float = 0.0  # S-curve strength (-0.5 … 0.5)
    black: float = 0.0  # lifted (matte) blacks, share of full scale
    highlights: float = 0.0  # roll-off of the brightest tones
    saturation: float = 1.0
    warmth: float = 0.0  # −1 cool … +1 warm
    tint: float = 0.0  # −1 green … +1 magenta
    mono: bool = False
    toning: str = ""  # mono only: hex colour mixed into the mid tones
    sharpen: float = 0.5  # output sharpening amount
    radius: float = 1.0  # output sharpening radius in px at 2000 px height

    def __post_init__(self) -> None:
        _range(self, "contrast", -0.5, 0.5)
        _range(self, "black", 0.0, 0.2)
        _range(self, "highlights", 0.0, 1.0)
        _range(self, "saturation", 0.0, 2.0)
        _range(self, "warmth", -1.0, 1.0)
        _range(self, "tint", -1.0, 1.0)
        _range(self, "sharpen", 0.0, 2.0)
        _range(self, "radius", 0.3, 4.0)
        if not isinstance(self.mono, bool):
            raise OptionError(f"mono = {self.mono!r} must be true or false.", hint="Write mono = true.")
        if self.toning:
            parse_hex(self.toning, what="Toning colour")


MM_PER_INCH = 25.4


@dataclass(frozen=True)
class FramePreset:
    """Where the head goes. ``eye_line`` and ``head`` are fractions of the frame height
    (from the top; chin to top of hair). ID presets also give an allowed head range
    and a print size: their DPI is written into the file."""

    name: str
    size: tuple[int, int]  # output width, height in px
    eye_line: float
    head: float
    description: str
    head_range: tuple[float, float] | None = None  # allowed chin-to-crown share (ID specs)
    dpi: int | None = None
    print_size: str = ""  # e.g. "35×45 mm"
    min_head: float = 0.0  # tightest framing still accepted when the photo is tight

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    @property
    def strict(self) -> bool:
        return self.head_range is not None


def _mm(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


PRESETS: dict[str, FramePreset] = {
    p.name: p
    for p in (
        FramePreset("headshot", (1600, 2000), 0.40, 0.50, "4:5 portrait, eyes at 40 %, head half the height"),
        # The head sits a little lower and smaller so a circle inscribed in the square
        # (profile pictures) keeps all of the hair and the chin.
        FramePreset("square", (1600, 1600), 0.44, 0.46, "1:1, safe for a circular crop"),
        FramePreset("chest-up", (1600, 2400), 0.30, 0.30, "2:3, head and chest"),
        FramePreset("actor-8x10", (2400, 3000), 0.38, 0.45, "8×10 in actor headshot (4:5)", dpi=300, print_size="8×10 in"),
        FramePreset(
            "id-35x45", (_mm(35, 600), _mm(45, 600)), 0.46, 0.75, "ID / passport 35×45 mm, chin to crown 70–80 %",
            head_range=(0.70, 0.80), dpi=600, print_size="35×45 mm",
        ),
        FramePreset(
            "us-2x2", (1200, 1200), 0.39, 0.60, "US passport 2×2 in, head 1–1⅜ in", head_range=(0.50, 0.6875),
            dpi=600, print_size="2×2 in",
        ),
    )
}


def get_preset(name: str | FramePreset) -> FramePreset:
    if isinstance(name, FramePreset):
        return name
    if name not in PRESETS:
        raise OptionError(
            f"Unknown framing {name!r}.",
            hint="Choose one of: " + ", ".join(PRESETS) + ".",
            value=name,
            valid=list(PRESETS),
        )
    return PRESETS[name]

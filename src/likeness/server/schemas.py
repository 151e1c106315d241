"""Request and response models: they are the OpenAPI document."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from .. import defaults


def _printable(value: str) -> str:
    """Names are shown on pages and in CSV files: refuse control characters (NUL, line
    breaks, direction overrides) instead of storing or silently cutting them."""
    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"must not contain control characters (found U+{ord(bad):04X})")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


#: A person's or team's name: 1–200 printable characters.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]


class Frame(str, Enum):
    headshot = "headshot"
    square = "square"
    chest_up = "chest-up"
    actor_8x10 = "actor-8x10"
    id_35x45 = "id-35x45"
    us_2x2 = "us-2x2"


class ErrorBody(BaseModel):
    code: str = Field(examples=["no_face"])
    message: str
    hint: str = ""
    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    error: ErrorBody


class Limits(BaseModel):
    max_photos: int
    max_upload_bytes: int


class TeamBrief(BaseModel):
    id: str
    name: str
    look: str
    frame: str


class SessionCreated(BaseModel):
    id: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    expires_at: float
    limits: Limits


class PhotoOut(BaseModel):
    id: str
    seq: int
    name: str
    format: str
    width: int
    height: int
    bytes: int
    state: str = Field(description="checking | checked | failed")
    usable: bool | None
    check: dict[str, Any] | None = Field(None, description="Coaching for this photo alone.")
    created_at: float


class JobOut(BaseModel):
    id: str
    kind: str = Field(description="check | check_set | studio")
    state: str = Field(description="queued | running | done | failed | cancelled")
    payload: dict[str, Any]
    done: int
    total: int
    attempts: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    result: Any = None
    error: dict[str, Any] | None = None


class HeadshotOut(BaseModel):
    id: str
    job_id: str
    idx: int
    look: str
    frame: str
    width: int
    height: int
    likeness: float | None = Field(None, description="0–100, measured from identity distance input → output.")
    source_photo: str | None
    info: dict[str, Any]
    favourite: bool = Field(False, description="Starred by the person (PUT .../headshots/{id}/favourite).")
    generated: bool = Field(False, description="Made by an image model (new attire), not from your photo by the "
                            "studio; info.source_type says how (IPTC DigitalSourceType).")


class SessionOut(BaseModel):
    id: str
    created_at: float
    expires_at: float
    label: str | None
    team: TeamBrief | None
    limits: Limits
    photos: list[PhotoOut]
    set_check: dict[str, Any] | None = Field(None, description="Coaching for the whole set (after 2+ photos).")
    jobs: list[JobOut] = Field(description="Studio runs and active set checks, oldest first.")
    headshots: list[HeadshotOut]


class StudioIn(BaseModel):
    look: str | None = Field(None, max_length=100, description="A Look name from GET /api/options "
                             f"(default: {defaults.LOOK}, or the team's Look).")
    frame: Frame | None = Field(None, description="Framing preset (default: the Look's, or the team's).")
    all: StrictBool = Field(False, description="One headshot per usable photo instead of the best one "
                            "(JSON true or false; \"yes\" or 1 are refused).")
    keep_rejected: StrictBool = Field(False, description="Keep the renders the review refused, with their "
                                      "reasons, for inspection (GET .../jobs/{job_id}/rejected); never delivered.")
    looks: list[str] | None = Field(None, max_length=20, description="Make a set: these Look names (or [\"all\"] "
                                    "for every built-in Look), each in every framing of `frames`.")
    frames: list[Frame] | None = Field(None, max_length=6, description="The set's framings "
                                       "(default for a set: headshot and square).")
    best: int | None = Field(None, ge=1, le=10, description="The set is made from this many of the best photos "
                             "that differ in pose or expression (default 2).")
    attire: StrictBool = Field(False, description="Also generate new attire for each Look (its [generate] words), "
                               "from your photos, every image reviewed and labelled as generated, in the same "
                               "gallery. Only where GET /api/options says attire.available; elsewhere 409 "
                               "attire_unavailable with the reason.")
    model_config = ConfigDict(extra="forbid")


class FavouriteIn(BaseModel):
    favourite: StrictBool = Field(description="true: starred (kept among the favourites); false: not.")
    model_config = ConfigDict(extra="forbid")


class RejectedOut(BaseModel):
    index: int = Field(description="GET .../jobs/{job_id}/rejected/{index} for the image.")
    photo: str | None = Field(None, description="The id of the photo it was made from.")
    reasons: list[str]
    checks: dict[str, Any] = Field(default_factory=dict, description="Every check of the review with its figure.")


class LookOut(BaseModel):
    name: str
    title: str
    description: str = ""
    swatch: str | None = None
    swatch2: str | None = None
    frame: str | None = None


class FrameOut(BaseModel):
    name: str
    description: str
    width: int
    height: int
    print_size: str | None = None


class AttireOut(BaseModel):
    available: bool = Field(description="New attire can be generated here (a generation model is pulled and a GPU "
                            "is present).")
    reason: str = Field("", description="Why not, in one line (empty when available).")


class Options(BaseModel):
    looks: list[LookOut]
    frames: list[FrameOut]
    default_look: str
    default_frame: str
    retention_days: float = Field(description="Sessions are deleted this long after they start.")
    attire: AttireOut = Field(default_factory=lambda: AttireOut(available=False, reason="Not offered by this server."),
                              description="The gallery's \"new attire\" option (generated, labelled as such).")


class Health(BaseModel):
    ok: bool
    version: str
    models_ready: bool
    jobs: dict[str, int]
    workers: int


class TeamIn(BaseModel):
    name: Name
    look: str = Field(defaults.LOOK, max_length=100)
    frame: Frame = Frame.headshot
    model_config = ConfigDict(extra="forbid")


class TeamCreated(BaseModel):
    id: str
    admin_token: str = Field(description="The admin's token; send as 'Authorization: Bearer <token>'.")
    name: str
    look: str
    frame: str
    expires_at: float


class InviteIn(BaseModel):
    names: list[Name] = Field(min_length=1, max_length=200, description="One invitation per name (1–200 "
                              "printable characters each).")
    model_config = ConfigDict(extra="forbid")


class Invitation(BaseModel):
    session_id: str
    name: str
    token: str
    link: str = Field(description="Path + fragment to open in a browser; the token stays in the fragment.")


class MemberOut(BaseModel):
    session_id: str
    name: str | None
    photos: int
    usable: int
    checking: int
    status: str = Field(description="invited | uploading | ready | working | done | retake")
    headshots: int
    likeness: float | None
    retake: list[str] = Field(description="Why this member should send other photos.")


class TeamOut(BaseModel):
    id: str
    name: str
    look: str
    frame: str
    created_at: float
    expires_at: float
    members: list[MemberOut]
    retake: list[MemberOut]
    consistency: dict[str, Any] | None = None


class Queued(BaseModel):
    queued: list[str]
    skipped: list[dict[str, str]]

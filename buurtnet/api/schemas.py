"""What the API answers and accepts (the shapes in the OpenAPI schema)."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator
from pydantic_core import PydanticCustomError

from buurtnet.common.form_fields import is_control
from buurtnet.messaging.models import MESSAGE_BODY_MAX

from .pagination import page_of

MAX_ID = 2**31 - 1  # ids beyond what every database's integer column holds are not ours
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def check_text(value: Any) -> None:
    """Refuse text no database stores: NUL characters (PostgreSQL) and lone surrogates
    (not UTF-8), in strings and keys at any depth."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("Text may not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("Text must be valid UTF-8.") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_text(item)


# --- Text on one line, and longer text ---------------------------------------------------------
# A line break or an invisible control character in a title ends up in an e-mail header, an
# SMS or a CSV cell. (buurtnet/form_fields.py holds the forms' counterpart.)


def single_line_error(value: str) -> str | None:
    """Why this is not text on one line, or None: the rule of every form
    (buurtnet.common.form_fields.is_control)."""
    for char in value:
        if is_control(char, multiline=False):
            return _(
                "Write this on one line, without line breaks or invisible control "
                "characters (U+%(code)04X)."
            ) % {"code": ord(char)}
    return None


def text_error(value: str) -> str | None:
    """Why this is not storable text of several lines (a control character other than a
    tab or a line break), or None."""
    for char in value:
        if is_control(char, multiline=True):
            return _("Remove the invisible control character (U+%(code)04X).") % {"code": ord(char)}
    return None


def _one_line(value: str) -> str:
    error = single_line_error(value)
    if error:
        raise PydanticCustomError("single_line", error)
    return value


def _text(value: str) -> str:
    error = text_error(value)
    if error:
        raise PydanticCustomError("control_character", error)
    return value


Line = Annotated[str, AfterValidator(_one_line)]  # with Field(max_length=…) every time
Text = Annotated[str, AfterValidator(_text)]


class In(Schema):
    """An input: its text is checked before any field is."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        check_text(value)
        return value


# --- Networks --------------------------------------------------------------------------------


class Polygon(Schema):
    """A GeoJSON polygon (RFC 7946) in WGS 84: rings of [longitude, latitude]."""

    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class MunicipalityOut(Schema):
    id: int
    name: str
    nis_code: str


class ZoneOut(Schema):
    id: int
    code: str
    name: str


class NetworkOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    language: str
    municipality: MunicipalityOut
    zone: ZoneOut
    area: Polygon
    your_role: str | None = Field(None, description="Your role in this BIN, if you are in it.")


class ContactOut(Schema):
    email: str
    phone: str
    address: str


class MembershipOut(Schema):
    id: int
    name: str
    role: str
    status: str
    since: datetime
    contact: ContactOut | None = Field(
        None, description="Only for those who see contact details on the site (the officer)."
    )


# --- Messages --------------------------------------------------------------------------------


class TextIn(In):
    title: Line = Field(..., max_length=150)
    body: Text = Field(..., max_length=MESSAGE_BODY_MAX)
    sms_text: Text = Field("", max_length=1530)


class TextOut(Schema):
    title: str
    body: str
    sms_text: str
    language: str


class Circle(In):
    lon: float
    lat: float
    radius_m: float


class TargetIn(In):
    """Who the message is for: `networks` (ids), `network_kind`, `municipality`, `zone`,
    or `area` (a GeoJSON polygon or a circle)."""

    type: Literal["networks", "network_kind", "municipality", "zone", "area"]
    networks: list[Id] | None = Field(None, max_length=500)
    kind: Line | None = Field(None, max_length=20)
    municipality: Id | None = None
    polygon: dict[str, Any] | None = None
    circle: Circle | None = None


class MessageIn(In):
    kind: Literal["alert", "notice", "tip", "relay"]
    language: Literal["nl", "fr", "en"] = "nl"
    texts: dict[Literal["nl", "fr", "en"], TextIn]
    target: TargetIn
    zone_id: Id | None = None
    scheduled_for: datetime | None = Field(None, description="Send later; empty sends at once.")
    is_exercise: bool = False


class MessageOut(Schema):
    id: int
    kind: str
    status: str
    sender_role: str
    zone_id: int
    language: str
    is_exercise: bool
    target: dict[str, Any]
    networks: list[int]
    scheduled_for: datetime | None
    created_at: datetime
    sent_at: datetime | None
    recipient_count: int
    texts: list[TextOut]


class ProgressOut(Schema):
    message: int
    status: str
    channels: dict[str, dict[str, int]] = Field(
        ..., description="Deliveries per channel and state."
    )
    total: int
    seen: int
    acknowledged: int


# --- Reports ---------------------------------------------------------------------------------


class ReportIn(In):
    network_id: Id
    category_id: Id
    occurred_at: datetime
    longitude: float = Field(..., ge=-180, le=180)
    latitude: float = Field(..., ge=-90, le=90)
    description: Text = Field(..., max_length=5000)
    vehicle_plate: Line = Field("", max_length=16)
    vehicle_plate_foreign: bool = False
    vehicle_make: Line = Field("", max_length=60)
    vehicle_colour: Line = Field("", max_length=40)
    vehicle_direction: Line = Field("", max_length=120)
    client_token: UUID | None = Field(
        None, description="Send the same value again to retry safely: one report is made."
    )


class ReporterOut(Schema):
    name: str
    email: str
    phone: str


class Location(Schema):
    longitude: float
    latitude: float


class ReportOut(Schema):
    id: int
    network_id: int
    category: str
    status: str
    outcome: str
    occurred_at: datetime
    created_at: datetime
    due_at: datetime | None
    description: str
    vehicle_plate: str
    vehicle_make: str
    vehicle_colour: str
    vehicle_direction: str
    location: Location | None = Field(None, description="Only where the site shows the place.")
    reporter: ReporterOut | None = Field(None, description="Only where the site names them.")
    allowed_moves: list[str] = Field(
        default_factory=list, description="Statuses you may move it to (the officer)."
    )


class StatusIn(In):
    status: Literal["new", "acknowledged", "in_progress", "forwarded", "closed"]
    note: Text = Field("", max_length=2000)
    outcome: Line = Field("", max_length=16)


class FeedbackIn(In):
    body: Text = Field(..., max_length=5000)
    sms_text: Text = Field("", max_length=1530)


class FeedbackOut(Schema):
    message_id: int


# --- Tips ------------------------------------------------------------------------------------


class TipTextOut(Schema):
    language: str
    title: str
    sms_text: str
    body: str = Field(..., description="Markdown")
    body_html: str = Field(..., description="The Markdown rendered and sanitised")


class TipOut(Schema):
    id: int
    code: str
    themes: list[str]
    municipality_id: int | None
    published_at: datetime | None
    texts: list[TipTextOut]


NetworkPage = page_of(NetworkOut, "NetworkPage")
MembershipPage = page_of(MembershipOut, "MembershipPage")
MessagePage = page_of(MessageOut, "MessagePage")
ReportPage = page_of(ReportOut, "ReportPage")
TipPage = page_of(TipOut, "TipPage")

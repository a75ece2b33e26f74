"""The HTTP contract's bodies as pydantic v2 models: strict types, unknown fields rejected.

Request models validate what comes in; response models document what goes out (the OpenAPI document
is generated from them, and tests check every response against them). Handlers that must start fast
build their responses as plain dicts and never import this module.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from lapor.errors import FieldProblem, ValidationFailed

ReportKind = Literal["complaint", "aspiration", "information_request"]
Channel = Literal["web", "qr", "api", "open311"]
ReportStatus = Literal["submitted", "verified", "in_progress", "responded", "closed", "rejected"]
TimelineEvent = Literal[
    "submitted",
    "agency_notified",
    "verified",
    "transferred",
    "in_progress",
    "responded",
    "reporter_replied",
    "escalated",
    "extended",
    "rated",
    "reopened",
    "closed",
    "rejected",
]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# White space exactly as Python's str.strip() and str.isspace() see it, spelled out: `\s` means different
# things in Python and in the ECMA-262 regexes of JSON Schema, and the schema must say what we accept.
WS = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
EMAIL_PATTERN = rf"^[^@{WS}]{{1,64}}@[^@{WS}]+\.[^@{WS}]{{2,}}$"
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def _trim_check(minimum: int, maximum: int) -> Any:
    """A string whose length counts after trimming surrounding white space; stored trimmed."""

    def check(value: str) -> str:
        value = value.strip()
        if len(value) < minimum:
            raise PydanticCustomError("string_too_short", "String should have at least {n} characters", {"n": minimum})
        if len(value) > maximum:
            raise PydanticCustomError("string_too_long", "String should have at most {n} characters", {"n": maximum})
        return value

    return AfterValidator(check)


def _trim_schema(minimum: int, maximum: int) -> WithJsonSchema:
    """The same rule as a JSON Schema pattern, so generated clients and fuzzers agree with us."""
    inner_min, inner_max = max(minimum - 2, 0), maximum - 2
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": rf"^[{WS}]*[^{WS}][\s\S]{{{inner_min},{inner_max}}}[^{WS}][{WS}]*$",
            "description": f"{minimum} to {maximum} characters, not counting white space at either end",
        }
    )


Title = Annotated[str, _trim_check(10, 150), _trim_schema(10, 150)]
Description = Annotated[str, _trim_check(20, 4000), _trim_schema(20, 4000)]
PersonName = Annotated[str, _trim_check(2, 100), _trim_schema(2, 100)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


def strict_schema(extra: JsonDict | None = None) -> Any:
    """JSON Schema of a strict model: optional fields are absent or valid, never null, so the schema says
    exactly what is accepted (generated clients and fuzzers then agree with the server)."""

    def adjust(schema: dict[str, Any]) -> None:
        properties: dict[str, dict[str, Any]] = schema.get("properties", {})
        for prop in properties.values():
            any_of = prop.get("anyOf")
            if isinstance(any_of, list) and {"type": "null"} in any_of:
                rest = [s for s in any_of if s != {"type": "null"}]
                del prop["anyOf"]
                if len(rest) == 1:
                    prop.update(rest[0])
                else:
                    prop["anyOf"] = rest
            if "default" in prop and prop["default"] is None:
                del prop["default"]
        schema.update(extra or {})

    return adjust


class Strict(BaseModel):
    """Strict types (no "1.5" for a number, no 0 for false), no unknown fields, no nulls."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=strict_schema())

    @field_validator("*", mode="before")
    @classmethod
    def _no_nulls(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "Input should not be null; leave the field out instead")
        return value


def _centimetre(value: float) -> float:
    """Seven decimals are about a centimetre: more is noise, and DynamoDB cannot store numbers below 1e-130."""
    return round(value, 7)


Latitude = Annotated[float, Field(ge=-90, le=90), AfterValidator(_centimetre)]
Longitude = Annotated[float, Field(ge=-180, le=180), AfterValidator(_centimetre)]


class Location(Strict):
    """Where the problem is: coordinates, an address, or both."""

    model_config = ConfigDict(
        json_schema_extra=strict_schema(
            {
                "anyOf": [{"required": ["lat"]}, {"required": ["address"]}],
                "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
            }
        )
    )

    lat: Latitude | None = Field(default=None, description="Latitude, WGS 84")
    lon: Longitude | None = Field(default=None, description="Longitude, WGS 84")
    address: str | None = Field(default=None, min_length=1, max_length=300)


class Reporter(Strict):
    """Who reports. Never shown publicly; shown to the responsible agency only; stored encrypted."""

    model_config = ConfigDict(
        json_schema_extra=strict_schema({"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]})
    )

    name: PersonName
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN, description="E.164, e.g. +6281234567890")


_ANONYMOUS_RULE: JsonDict = {
    "if": {"properties": {"anonymous": {"const": True}}, "required": ["anonymous"]},
    "then": {"not": {"required": ["reporter"]}},
    "else": {"required": ["reporter"]},
}


class ReportSubmission(Strict):
    """The body of `POST /reports`."""

    model_config = ConfigDict(json_schema_extra=strict_schema(_ANONYMOUS_RULE))

    kind: ReportKind = "complaint"
    title: Title
    description: Description
    category: Slug = Field(description="A code from GET /categories")
    agency_id: Slug | None = Field(
        default=None, description="An id from GET /agencies; the category's default agency when absent"
    )
    location: Location | None = None
    anonymous: bool = Field(default=False, description="True: nothing that identifies the sender is stored")
    confidential: bool = Field(default=False, description="True: content never shown publicly, stored encrypted")
    reporter: Reporter | None = Field(default=None, description="Required unless anonymous; forbidden when anonymous")
    channel: Channel = "api"

    def combination_problems(self) -> list[FieldProblem]:
        """Rules that concern several fields at once."""
        problems: list[FieldProblem] = []
        if self.anonymous and self.reporter is not None:
            problems.append(FieldProblem(("body", "reporter"), "must not be sent when anonymous is true"))
        if not self.anonymous and self.reporter is None:
            problems.append(FieldProblem(("body", "reporter"), "Field required unless anonymous is true"))
        if self.reporter is not None and not (self.reporter.email or self.reporter.phone):
            problems.append(FieldProblem(("body", "reporter"), "give at least one of email or phone"))
        loc = self.location
        if loc is not None:
            if (loc.lat is None) != (loc.lon is None):
                problems.append(FieldProblem(("body", "location"), "lat and lon go together"))
            if loc.lat is None and not loc.address:
                problems.append(FieldProblem(("body", "location"), "give lat and lon, an address, or both"))
        return problems


AgencyActionName = Literal["verify", "transfer", "start", "respond", "extend", "reject", "close"]
Message = Annotated[str, _trim_check(1, 4000), _trim_schema(1, 4000)]


def _aware_timestamp(value: str) -> str:
    from lapor.timefmt import from_store

    try:
        from_store(value)
    except ValueError:
        raise PydanticCustomError(
            "timestamp", "Input should be an ISO 8601 timestamp with an offset, e.g. 2026-12-01T17:00:00+07:00"
        ) from None
    return value


Timestamp = Annotated[
    str,
    AfterValidator(_aware_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "ISO 8601 with an offset"}),
]


class AgencyAction(Strict):
    """The body of `POST /agency/reports/{tracking_id}/actions`."""

    model_config = ConfigDict(
        json_schema_extra=strict_schema(
            {
                "allOf": [
                    {
                        "if": {"properties": {"action": {"enum": ["respond", "extend", "reject"]}}},
                        "then": {"required": ["message"]},
                    },
                    {
                        "if": {"properties": {"action": {"const": "transfer"}}},
                        "then": {"required": ["agency_id"]},
                        "else": {"not": {"required": ["agency_id"]}},
                    },
                    {
                        "if": {"properties": {"action": {"const": "extend"}}},
                        "then": {"required": ["due_at"]},
                        "else": {"not": {"required": ["due_at"]}},
                    },
                ]
            }
        )
    )

    action: AgencyActionName
    message: Message | None = Field(default=None, description="Required for respond, extend (the reason) and reject")
    private: bool = Field(default=False, description="True: the message is shown to the reporter only, not publicly")
    agency_id: Slug | None = Field(default=None, description="transfer only: the new responsible agency")
    due_at: Timestamp | None = Field(default=None, description="extend only: the new deadline")

    def combination_problems(self) -> list[FieldProblem]:
        problems = []
        if self.action in ("respond", "extend", "reject") and self.message is None:
            problems.append(FieldProblem(("body", "message"), f"Field required for {self.action}"))
        if self.action == "transfer" and self.agency_id is None:
            problems.append(FieldProblem(("body", "agency_id"), "Field required for transfer"))
        if self.action != "transfer" and self.agency_id is not None:
            problems.append(FieldProblem(("body", "agency_id"), "only allowed with transfer"))
        if self.action == "extend" and self.due_at is None:
            problems.append(FieldProblem(("body", "due_at"), "Field required for extend"))
        if self.action != "extend" and self.due_at is not None:
            problems.append(FieldProblem(("body", "due_at"), "only allowed with extend"))
        return problems


ReplyTitle = Annotated[str, _trim_check(1, 80), _trim_schema(1, 80)]


class SavedReplyInput(Strict):
    """The body of `POST /agency/replies` and `PUT /agency/replies/{reply_id}`."""

    title: ReplyTitle = Field(description="A short name officers choose it by")
    text: Message = Field(description="What fills the response composer")


class ReporterMessage(Strict):
    """The body of `POST /reports/{tracking_id}/messages`."""

    message: Message


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 4.0 as an integer; so do we (but never true, nor "4")."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RatingRequest(Strict):
    """The body of `POST /reports/{tracking_id}/rating`."""

    score: Annotated[int, BeforeValidator(_whole_number)] = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


# ---------------------------------------------------------------- responses


class AgencyRef(BaseModel):
    id: str
    name: str


class SubmissionReceipt(BaseModel):
    """The 201 answer to a submission. The access code is shown here once and never again."""

    tracking_id: str = Field(pattern=r"^LPR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
    access_code: str
    status: ReportStatus
    submitted_at: str
    due_at: str
    agency: AgencyRef
    tracking_url: str


class TimelineEntry(BaseModel):
    at: str
    event: TimelineEvent
    status: ReportStatus
    actor: str
    message: str | None = None


class PublicLocation(BaseModel):
    lat: float | None = None
    lon: float | None = None
    address: str | None = None


class PublicReportView(BaseModel):
    """`GET /reports/{tracking_id}`. Title, description and location only when not confidential."""

    tracking_id: str
    kind: ReportKind
    category: str
    agency: AgencyRef
    status: ReportStatus
    submitted_at: str
    updated_at: str
    due_at: str | None
    escalation_level: int = Field(ge=0)
    anonymous: bool
    confidential: bool
    support_count: int = Field(ge=0)
    timeline: list[TimelineEntry]
    title: str | None = None
    description: str | None = None
    location: PublicLocation | None = None


class FullTimelineEntry(TimelineEntry):
    private: bool


class Rating(BaseModel):
    score: int = Field(ge=1, le=5)
    at: str
    comment: str | None = None


class ReporterReportView(PublicReportView):
    """`GET /reports/{tracking_id}/private`: the reporter's own view, content and private messages included."""

    timeline: list[FullTimelineEntry]  # type: ignore[assignment]
    reporter: dict[str, str] | None = None
    rating: Rating | None = None


class AgencyReportView(ReporterReportView):
    """The responsible agency's view: everything, decrypted, with the version for If-Match."""

    version: int = Field(ge=1)
    original_agency_id: str
    overdue: bool
    channel: str | None = None


class InboxPage(BaseModel):
    items: list[AgencyReportView]
    next_cursor: str | None


class SavedReply(BaseModel):
    reply_id: str
    title: str
    text: str
    updated_at: str


class SavedReplies(BaseModel):
    items: list[SavedReply]


class SupportCount(BaseModel):
    tracking_id: str
    support_count: int = Field(ge=0)


class AgencyFigures(BaseModel):
    """One agency's public figures (see the operation's description for what each counts)."""

    agency_id: str
    name: str
    received: int = Field(ge=0)
    open: int = Field(ge=0)
    responded: int = Field(ge=0)
    closed: int = Field(ge=0)
    rejected: int = Field(ge=0)
    overdue: int = Field(ge=0)
    escalated: int = Field(ge=0)
    median_first_response_working_days: float | None


class Stats(BaseModel):
    agencies: list[AgencyFigures]


class AgencyOut(BaseModel):
    id: str
    name: str
    parent_id: str | None
    level: Literal["national", "province", "regency", "office"]
    region_code: str | None


class CategoryOut(BaseModel):
    code: str
    name: str
    default_agency_id: str


class Health(BaseModel):
    status: Literal["ok"]


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every 4xx and 5xx."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


# ---------------------------------------------------------------- validation


M = TypeVar("M", bound=BaseModel)


def validate_body(model: type[M], data: Any) -> M:
    """Validate a parsed JSON body; every problem becomes one `errors` entry located under ``body``."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(_problems(exc), "Request body is not valid") from None
    combination = getattr(parsed, "combination_problems", None)
    if combination is not None:
        problems = combination()
        if problems:
            raise ValidationFailed(problems, "Request body is not valid")
    return parsed


def _problems(exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ("body", *error["loc"])
        msg = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
        problems.append(FieldProblem(loc, msg))
    return problems

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
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
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
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def _trimmed(minimum: int, maximum: int) -> Any:
    """A string whose length counts after trimming surrounding white space; stored trimmed.

    The JSON Schema says exactly the same with a pattern, so generated clients and fuzzers agree with us.
    """

    def check(value: str) -> str:
        value = value.strip()
        if len(value) < minimum:
            raise PydanticCustomError("string_too_short", "String should have at least {n} characters", {"n": minimum})
        if len(value) > maximum:
            raise PydanticCustomError("string_too_long", "String should have at most {n} characters", {"n": maximum})
        return value

    inner_min, inner_max = max(minimum - 2, 0), maximum - 2
    schema = {
        "type": "string",
        "pattern": rf"^\s*\S[\s\S]{{{inner_min},{inner_max}}}\S\s*$",
        "description": f"{minimum} to {maximum} characters, not counting white space at either end",
    }
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


Title = _trimmed(10, 150)
Description = _trimmed(20, 4000)
PersonName = _trimmed(2, 100)
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


class Strict(BaseModel):
    """Strict types, no unknown fields. Optional fields are absent or valid, never null (the JSON
    Schema then says exactly what is accepted)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Location(Strict):
    """Where the problem is: coordinates, an address, or both."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["lat"]}, {"required": ["address"]}],
            "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
        }
    )

    lat: float = Field(default=None, ge=-90, le=90, description="Latitude, WGS 84")
    lon: float = Field(default=None, ge=-180, le=180, description="Longitude, WGS 84")
    address: str = Field(default=None, min_length=1, max_length=300)


class Reporter(Strict):
    """Who reports. Never shown publicly; shown to the responsible agency only; stored encrypted."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]})

    name: PersonName
    email: str = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    phone: str = Field(default=None, pattern=PHONE_PATTERN, description="E.164, e.g. +6281234567890")


_ANONYMOUS_RULE = {
    "if": {"properties": {"anonymous": {"const": True}}, "required": ["anonymous"]},
    "then": {"not": {"required": ["reporter"]}},
    "else": {"required": ["reporter"]},
}


class ReportSubmission(Strict):
    """The body of `POST /reports`."""

    model_config = ConfigDict(json_schema_extra=_ANONYMOUS_RULE)

    kind: ReportKind = "complaint"
    title: Title
    description: Description
    category: Slug = Field(description="A code from GET /categories")
    agency_id: Slug = Field(
        default=None, description="An id from GET /agencies; the category's default agency when absent"
    )
    location: Location = Field(default=None)
    anonymous: bool = Field(default=False, description="True: nothing that identifies the sender is stored")
    confidential: bool = Field(default=False, description="True: content never shown publicly, stored encrypted")
    reporter: Reporter = Field(default=None, description="Required unless anonymous; forbidden when anonymous")
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

"""The HTTP contract's request bodies as pydantic v2 models: strict types, unknown fields rejected.

They are the one place the rules of what comes in are written: the OpenAPI document renders them, and the
router (`lapor.http.Router`) validates every JSON body with them before the handler runs, which then gets
the model. Every model is built when this module is imported, in a function's INIT (so SnapStart's snapshot
holds the validators); functions without a JSON body never import it. What goes out is typed once in
`lapor.shapes` (plain dicts, no pydantic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from lapor.errors import FieldProblem, ValidationFailed
from lapor.statuses import AgencyLevel, Channel, OfficerRole, ReportKind

# White space exactly as Python's str.strip() and str.isspace() see it, spelled out: `\s` means different
# things in Python and in the ECMA-262 regexes of JSON Schema, and the schema must say what we accept.
WS_WIDE = r"\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = rf"\t\n\x0b\x0c\r\x1c-\x20{WS_WIDE}"
# What may surround text: that white space less U+0085, which is C1 and refused wherever it stands.
WS_EDGE = WS_WIDE.removeprefix(r"\x85")

# Characters free text refuses. Control characters (C0, DEL and C1) everywhere, except newline and tab in
# long text; in titles and names also those that reorder or hide text (bidi overrides and isolates,
# zero-width). C1's U+0085 is a line break to some readers and U+009B a terminal's escape (CSI).
CONTROL = r"\x00-\x1f\x7f-\x9f"
CONTROL_BUT_NEWLINE_AND_TAB = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
BIDI_AND_ZERO_WIDTH = r"\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff"
SHORT_TEXT_REFUSED = CONTROL + BIDI_AND_ZERO_WIDTH
LONG_TEXT_REFUSED = CONTROL_BUT_NEWLINE_AND_TAB
_REFUSED_MESSAGES = {
    SHORT_TEXT_REFUSED: "must not contain control, bidirectional-override or zero-width characters",
    LONG_TEXT_REFUSED: "must not contain control characters other than newline and tab",
}

# Email addresses: what email-validator (the checker behind pydantic's EmailStr) accepts, within a form
# the schema can state exactly: an ASCII dot-atom local part of at most 64 characters, and a domain of
# letter-digit-hyphen labels (at most 63 characters, no double hyphen, so no IDNA labels) under an
# alphabetic top-level domain that is not special-use. Within that form email-validator refuses nothing and
# normalizes only the domain's case, so the form is the whole check and email-validator is not loaded at
# run time (its import compiles regexes worth a tenth of a cold submission). tests/unit/test_models.py
# checks both facts against email-validator itself.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
EMAIL_PATTERN = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
_SPECIAL_USE = "|".join(
    "".join(f"[{c.upper()}{c}]" for c in name) for name in ("arpa", "invalid", "local", "localhost", "onion", "test")
)
EMAIL_REFUSED_PATTERN = rf"^[^@]{{65,}}@|[.@][A-Za-z0-9-]{{64,}}|\.(?:{_SPECIAL_USE})$"

# Decimal degrees as form text, within range (what float() then reads).
LATITUDE_TEXT = r"^-?([0-8]?[0-9](\.[0-9]{1,15})?|90(\.0{1,15})?)$"
LONGITUDE_TEXT = r"^-?((1[0-7][0-9]|[0-9]?[0-9])(\.[0-9]{1,15})?|180(\.0{1,15})?)$"


# ---------------------------------------------------------------- checks (what the models' validators call)
# Each raises ValueError with the public message (`problems` drops pydantic's "Value error, " before it).


class Refuse:
    """A check that a string holds none of the `refused` characters (a regex class body)."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.message = _REFUSED_MESSAGES[refused]

    def __call__(self, value: str) -> str:
        if re.search(f"[{self.refused}]", value):
            raise ValueError(self.message)
        return value


class TrimCheck:
    """A string whose length counts after trimming surrounding white space; stored trimmed."""

    def __init__(self, minimum: int, maximum: int, refused: str) -> None:
        self.minimum, self.maximum, self.refuse = minimum, maximum, Refuse(refused)

    def __call__(self, value: str) -> str:
        value = self.refuse(value).strip()
        if len(value) < self.minimum:
            raise ValueError(f"String should have at least {self.minimum} characters")
        if len(value) > self.maximum:
            raise ValueError(f"String should have at most {self.maximum} characters")
        return value


def normalized_email(value: str) -> str:
    """`value` checked against the form above, with its domain in lower case (email-validator's `normalized`)."""
    if not re.fullmatch(EMAIL_PATTERN, value) or re.search(EMAIL_REFUSED_PATTERN, value):
        raise ValueError("is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def no_nulls(value: Any) -> Any:
    """Every field of a strict body: absent or valid, never null."""
    if value is None:
        raise ValueError("Input should not be null; leave the field out instead")
    return value


def centimetre(value: float) -> float:
    """Seven decimals are about a centimetre: more is noise, and DynamoDB cannot store numbers below 1e-130."""
    return round(value, 7)


def whole_number(value: Any) -> Any:
    """JSON Schema counts 4.0 as an integer; so do we (but never true, nor "4")."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def aware_timestamp(value: str) -> str:
    """An ISO 8601 timestamp with an offset (kept as sent)."""
    from lapor.timefmt import from_store

    try:
        from_store(value)
    except ValueError:
        raise ValueError(
            "Input should be an ISO 8601 timestamp with an offset, e.g. 2026-12-01T17:00:00+07:00"
        ) from None
    return value


# ---------------------------------------------------------------- rules over several fields


@dataclass(frozen=True)
class Rule:
    """A rule over several fields, written once: `schema` is what the OpenAPI document says, and the check
    evaluates that same schema on the parsed body. When it fails, the problem names `field` (None: the object
    itself) with `message`, formatted with the body's values."""

    schema: dict[str, Any]
    field: str | None
    message: str


def holds(schema: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether `values` (None: absent) satisfy `schema`, in the subset of JSON Schema that rules use."""
    present = {name for name, value in values.items() if value is not None}

    def matches(name: str, prop: Any) -> bool:
        value = values[name]
        return value == prop.get("const", value) and value in prop.get("enum", [value])

    if "if" in schema:
        branch = schema.get("then" if holds(schema["if"], values) else "else")
        if branch is not None and not holds(branch, values):
            return False
    dependent = schema.get("dependentRequired", {})
    return (
        set(schema.get("required", ())) <= present
        and ("not" not in schema or not holds(schema["not"], values))
        and ("anyOf" not in schema or any(holds(s, values) for s in schema["anyOf"]))
        and all(set(dependent[name]) <= present for name in present & dependent.keys())
        and all(matches(name, prop) for name, prop in schema.get("properties", {}).items() if name in present)
    )


# ---------------------------------------------------------------- the models

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def _trim_check(minimum: int, maximum: int, refused: str) -> AfterValidator:
    """A string whose length counts after trimming surrounding white space; stored trimmed."""
    return AfterValidator(TrimCheck(minimum, maximum, refused))


def _trim_schema(minimum: int, maximum: int, refused: str) -> WithJsonSchema:
    """The same rule as a JSON Schema pattern, so generated clients and fuzzers agree with us."""
    # White space that may surround the text: what strip() removes, less what is refused outright.
    edge = rf"[ {WS_EDGE}\t\n]" if refused == LONG_TEXT_REFUSED else rf"[ {WS_EDGE}]"
    solid, any_char = f"[^{WS}{refused}]", f"[^{refused}]"
    core = f"{solid}{any_char}{{{max(minimum - 2, 0)},{maximum - 2}}}{solid}"
    if minimum <= 1:
        core = f"(?:{solid}|{core})"
    kept = "newline and tab allowed" if refused == LONG_TEXT_REFUSED else "no control, bidi or zero-width characters"
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{edge}*{core}{edge}*$",
            "description": f"{minimum} to {maximum} characters, not counting white space at either end; {kept}",
        }
    )


def _plain_schema(refused: str, minimum: int, maximum: int) -> WithJsonSchema:
    """An untrimmed text field of `minimum` to `maximum` characters, none of them `refused`."""
    return WithJsonSchema({"type": "string", "minLength": minimum, "maxLength": maximum, "pattern": f"^[^{refused}]*$"})


Title = Annotated[str, _trim_check(10, 150, SHORT_TEXT_REFUSED), _trim_schema(10, 150, SHORT_TEXT_REFUSED)]
Description = Annotated[str, _trim_check(20, 4000, LONG_TEXT_REFUSED), _trim_schema(20, 4000, LONG_TEXT_REFUSED)]
PersonName = Annotated[str, _trim_check(2, 100, SHORT_TEXT_REFUSED), _trim_schema(2, 100, SHORT_TEXT_REFUSED)]
Address = Annotated[
    str,
    Field(min_length=1, max_length=300),
    AfterValidator(Refuse(LONG_TEXT_REFUSED)),
    _plain_schema(LONG_TEXT_REFUSED, 1, 300),
]
Comment = Annotated[
    str,
    Field(max_length=1000),
    AfterValidator(Refuse(LONG_TEXT_REFUSED)),
    _plain_schema(LONG_TEXT_REFUSED, 0, 1000),
]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]

# Email addresses: see EMAIL_PATTERN (the form the schema states, and why it is the whole check).
Email = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(normalized_email),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "pattern": EMAIL_PATTERN,
            "not": {"pattern": EMAIL_REFUSED_PATTERN},
        }
    ),
]


def strict_schema(schema: dict[str, Any], model: type) -> None:
    """JSON Schema of a strict model: optional fields are absent or valid, never null, so the schema says
    exactly what is accepted (generated clients and fuzzers then agree with the server); the model's `RULES`
    (see `Strict`) are its `allOf`."""
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
    rules: tuple[Rule, ...] = getattr(model, "RULES", ())
    if rules:
        schema["allOf"] = [rule.schema for rule in rules]


class Strict(BaseModel):
    """Strict types (no "1.5" for a number, no 0 for false), no unknown fields, no nulls, and the model's
    `RULES` over several fields: checked once its fields are valid, each broken one a problem at its field."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=strict_schema)
    RULES: ClassVar[tuple[Rule, ...]] = ()

    # Every field: absent or valid, never null.
    _no_nulls = field_validator("*", mode="before")(staticmethod(no_nulls))

    @model_validator(mode="after")
    def _rules_hold(self) -> Self:
        values = {name: getattr(self, name) for name in type(self).model_fields}
        broken = [
            {
                "type": "value_error",
                "loc": (rule.field,) if rule.field else (),
                "input": None,
                "ctx": {"error": rule.message.format(**values)},
            }
            for rule in self.RULES
            if not holds(rule.schema, values)
        ]
        if broken:
            raise ValidationError.from_exception_data(type(self).__name__, broken)  # type: ignore[arg-type]
        return self


Latitude = Annotated[float, Field(ge=-90, le=90), AfterValidator(centimetre)]
Longitude = Annotated[float, Field(ge=-180, le=180), AfterValidator(centimetre)]


class Location(Strict):
    """Where the problem is: coordinates, an address, or both."""

    RULES = (
        Rule({"dependentRequired": {"lat": ["lon"], "lon": ["lat"]}}, None, "lat and lon go together"),
        Rule(
            {"anyOf": [{"required": ["lat"]}, {"required": ["address"]}]}, None, "give lat and lon, an address, or both"
        ),
    )

    lat: Latitude | None = Field(default=None, description="Latitude, WGS 84")
    lon: Longitude | None = Field(default=None, description="Longitude, WGS 84")
    address: Address | None = None


class Reporter(Strict):
    """Who reports. Never shown publicly; shown to the responsible agency only; stored encrypted."""

    RULES = (
        Rule(
            {"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]}, None, "give at least one of email or phone"
        ),
    )

    name: PersonName
    email: Email | None = Field(default=None, description="An ASCII address of the form email-validator accepts")
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN, description="E.164, e.g. +6281234567890")


_ANONYMOUS: JsonDict = {"properties": {"anonymous": {"const": True}}, "required": ["anonymous"]}


class ReportSubmission(Strict):
    """The body of `POST /reports`."""

    RULES = (
        Rule(
            {"if": _ANONYMOUS, "then": {"not": {"required": ["reporter"]}}},
            "reporter",
            "must not be sent when anonymous is true",
        ),
        Rule(
            {"if": _ANONYMOUS, "else": {"required": ["reporter"]}},
            "reporter",
            "Field required unless anonymous is true",
        ),
    )

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


AgencyActionName = Literal[
    "verify", "transfer", "start", "respond", "extend", "reject", "close", "not_responsible", "assign", "mark_duplicate"
]
# An officer's subject in the user pool (Cognito: a UUID); what GET /agency/officers lists as `sub`.
OfficerSub = Annotated[str, Field(min_length=1, max_length=128, pattern="^[A-Za-z0-9_.@+-]+$")]
Message = Annotated[str, _trim_check(1, 4000, LONG_TEXT_REFUSED), _trim_schema(1, 4000, LONG_TEXT_REFUSED)]


Timestamp = Annotated[
    str,
    AfterValidator(aware_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "ISO 8601 with an offset"}),
]


# Which fields an action needs: field -> (the actions that require it, whether no other action may send it).
ACTION_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "message": (("respond", "extend", "reject", "not_responsible"), False),
    "agency_id": (("transfer",), True),
    "due_at": (("extend",), True),
    "assignee_sub": (("assign",), True),
    "duplicate_of": (("mark_duplicate",), True),
}


# `assign` changes no timeline: a message with it would be dropped, so it is refused.
NO_MESSAGE_WITH_ASSIGN = Rule(
    {"if": {"properties": {"action": {"enum": ["assign"]}}}, "then": {"not": {"required": ["message"]}}},
    "message",
    "not allowed with assign",
)


def _action_rules(name: str, actions: tuple[str, ...], exclusive: bool) -> tuple[Rule, ...]:
    when: JsonDict = {"properties": {"action": {"enum": list(actions)}}}
    needs = Rule({"if": when, "then": {"required": [name]}}, name, "Field required for {action}")
    only = Rule({"if": when, "else": {"not": {"required": [name]}}}, name, f"only allowed with {' or '.join(actions)}")
    return (needs, only) if exclusive else (needs,)


class AgencyAction(Strict):
    """The body of `POST /agency/reports/{tracking_id}/actions`."""

    RULES = (
        *(rule for name, spec in ACTION_FIELDS.items() for rule in _action_rules(name, *spec)),
        NO_MESSAGE_WITH_ASSIGN,
    )

    action: AgencyActionName
    message: Message | None = Field(
        default=None, description="Required for respond, extend, reject and not_responsible (the reason)"
    )
    private: bool = Field(default=False, description="True: the message is shown to the reporter only, not publicly")
    agency_id: Slug | None = Field(default=None, description="transfer only: the new responsible agency")
    due_at: Timestamp | None = Field(default=None, description="extend only: the new deadline")
    assignee_sub: OfficerSub | None = Field(
        default=None, description="assign only: the officer, a `sub` of GET /agency/officers (or the caller's own)"
    )
    duplicate_of: str | None = Field(
        default=None,
        max_length=40,
        description="mark_duplicate only: the Tracking ID of the open, public report of the caller's scope that this "
        "one repeats",
    )


MAX_BULK = 50  # reports of one bulk action: a coordinator's screenful, answered within the API's 29 s


# Distinct (uniqueItems): `lapor.agency.act_on_many` refuses a report named twice.
BulkTrackingIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=40)]],
    Field(min_length=1, max_length=MAX_BULK, json_schema_extra={"uniqueItems": True}),
]


class AgencyBulkAction(Strict):
    """The body of `POST /agency/bulk-actions`: one disposition (transfer or assign) for several reports."""

    RULES = (
        *(rule for name in ("agency_id", "assignee_sub") for rule in _action_rules(name, *ACTION_FIELDS[name])),
        NO_MESSAGE_WITH_ASSIGN,
    )

    action: Literal["transfer", "assign"]
    tracking_ids: BulkTrackingIds = Field(description="The reports, as their Tracking IDs (at most 50, distinct)")
    message: Message | None = Field(default=None, description="transfer: a note for the agency it goes to")
    private: bool = Field(default=False, description="True: the note is shown to the reporter only, not publicly")
    agency_id: Slug | None = Field(default=None, description="transfer only: the new responsible agency")
    assignee_sub: OfficerSub | None = Field(default=None, description="assign only: a `sub` of GET /agency/officers")


ReplyTitle = Annotated[str, _trim_check(1, 80, SHORT_TEXT_REFUSED), _trim_schema(1, 80, SHORT_TEXT_REFUSED)]


class SavedReplyInput(Strict):
    """The body of `POST /agency/replies` and `PUT /agency/replies/{reply_id}`."""

    title: ReplyTitle = Field(description="A short name officers choose it by")
    text: Message = Field(description="What fills the response composer")


class ReporterMessage(Strict):
    """The body of `POST /reports/{tracking_id}/messages`."""

    message: Message


class RatingRequest(Strict):
    """The body of `POST /reports/{tracking_id}/rating`."""

    score: Annotated[int, BeforeValidator(whole_number)] = Field(ge=1, le=5)
    comment: Comment | None = None


class AttachmentRequest(Strict):
    """The body of `POST .../attachments`: the type of the photo about to be uploaded."""

    content_type: Literal["image/jpeg", "image/png", "image/webp"]


class PhotoVisibility(Strict):
    """The body of `PUT /agency/reports/{id}/photos/{attachment_id}/visibility`: show the photo publicly or not."""

    public: bool = Field(description="True: the photo is shown on public pages (once the report is verified)")


# ---------------------------------------------------------------- the administrators' settings

DirectoryName = Annotated[str, _trim_check(2, 200, SHORT_TEXT_REFUSED), _trim_schema(2, 200, SHORT_TEXT_REFUSED)]


class OfficerInvite(Strict):
    """The body of `POST /agency/admin/officers`: Cognito emails the invitation."""

    email: Email = Field(description="Their work address: it is their sign-in name and receives the invitation")
    name: PersonName
    agency_id: Slug = Field(description="An agency of the administrator's scope")
    role: OfficerRole = Field(description="At most the administrator's own")


class OfficerUpdate(Strict):
    """The body of `PATCH /agency/admin/officers/{officer_id}`: any of the three, at least one."""

    RULES = (
        Rule(
            {"anyOf": [{"required": ["agency_id"]}, {"required": ["role"]}, {"required": ["enabled"]}]},
            None,
            "give at least one of agency_id, role or enabled",
        ),
    )

    agency_id: Slug | None = Field(default=None, description="Move them to this agency of the scope")
    role: OfficerRole | None = None
    enabled: bool | None = Field(default=None, description="False: they can no longer sign in or use a token")


class AgencyInput(Strict):
    """The body of `PUT /agency/admin/agencies/{agency_id}`: the whole agency."""

    name: DirectoryName
    parent_id: Slug | None = Field(default=None, description="The agency above (the escalation path); absent: the top")
    level: AgencyLevel = Field(description="Below its parent's level")
    region_code: Annotated[str, Field(pattern=r"^[0-9]{2}(\.[0-9]{2}){0,3}$")] | None = Field(
        default=None, description="Kemendagri region code, e.g. 62.05"
    )
    email: Email | None = Field(default=None, description="Where new reports are announced")
    webhook_url: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="https:// URL receiving signed events (POST)"
    )


class CategoryInput(Strict):
    """The body of `PUT /agency/admin/categories/{code}`."""

    name: DirectoryName
    default_agency_id: Slug = Field(description="The agency that receives this category's reports by default")


# ---------------------------------------------------------------- Open311 GeoReport v2 (the form's fields)


# Its fields are the ones `lapor.open311` accepts, and no others.
class Open311RequestForm(BaseModel):
    """The form-encoded body of `POST /open311/v2/requests.{json,xml}` (read by `lapor.open311`, described here).

    The same rules as POST /reports apply once the form is read: description 20-4000 characters after
    trimming; a location (lat and long, address_string, or both); email, first_name, last_name and phone
    make the reporter (a name and an email or phone), none of them makes the report anonymous.
    """

    # Never validated (lapor.open311 reads the form and validates a ReportSubmission): built only for the
    # OpenAPI document.
    model_config = ConfigDict(extra="forbid", populate_by_name=False, json_schema_extra=strict_schema, defer_build=True)

    api_key: str = Field(description="The partner key an operator issued with `lapor open311-key create`")
    jurisdiction_id: str | None = Field(default=None, description="Optional; when given, this deployment's own")
    service_code: str = Field(description="A service_code of GET services")
    lat: str | None = Field(default=None, pattern=LATITUDE_TEXT, description="Latitude, WGS 84, with long")
    long: str | None = Field(default=None, pattern=LONGITUDE_TEXT, description="Longitude, WGS 84, with lat")
    address_string: str | None = Field(default=None, min_length=1, max_length=300, description="The address")
    email: str | None = Field(
        default=None, max_length=254, pattern=EMAIL_PATTERN, description="The reporter's email (never shown publicly)"
    )
    first_name: PersonName | None = Field(default=None, description="The reporter's first name")
    last_name: PersonName | None = Field(default=None, description="The reporter's last name")
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN, description="The reporter's phone, E.164")
    description: Description
    device_id: str | None = Field(default=None, description="Accepted for compatibility, never stored")
    account_id: str | None = Field(default=None, description="Accepted for compatibility, never stored")
    address_id: str | None = Field(default=None, description="Accepted for compatibility, never stored")
    attribute_kind: ReportKind | None = Field(default=None, alias="attribute[kind]", description="Default complaint")
    attribute_title: Title | None = Field(
        default=None, alias="attribute[title]", description="Default: the description's first words"
    )
    attribute_anonymous: Literal["true", "false"] | None = Field(default=None, alias="attribute[anonymous]")
    attribute_confidential: Literal["true", "false"] | None = Field(
        default=None,
        alias="attribute[confidential]",
        description="true: never shown publicly, never listed through Open311, stored encrypted",
    )


# ---------------------------------------------------------------- validation

# The JSON bodies of the contract (`Operation.request`), by the name it gives them.
BODIES: dict[str, type[Strict]] = {
    model.__name__: model
    for model in (
        ReportSubmission,
        AgencyAction,
        AgencyBulkAction,
        SavedReplyInput,
        ReporterMessage,
        RatingRequest,
        AttachmentRequest,
        PhotoVisibility,
        OfficerInvite,
        OfficerUpdate,
        AgencyInput,
        CategoryInput,
        Reporter,
    )
}
M = TypeVar("M", bound=Strict)


def parse(model: type[M], data: Any) -> M:
    """A parsed JSON body as `model` (defaults filled in, text trimmed and normalized), or ValidationFailed
    with every problem located under ``body``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems(exc), "Request body is not valid") from None


def problems(exc: ValidationError) -> list[FieldProblem]:
    """pydantic's errors as the contract's problems, in words that name no Python class."""
    return [
        FieldProblem(
            ("body", *error["loc"]),
            "Input should be a valid dictionary"  # pydantic adds "or instance of <the model>"
            if error["type"] == "model_type"
            else re.sub(r"^(Value|Assertion) error, ", "", error["msg"]),
        )
        for error in exc.errors(include_url=False, include_input=False)
    ]

"""The HTTP contract's request bodies as pydantic v2 models: strict types, unknown fields rejected.

They are the one place the rules of what comes in are written. The OpenAPI document renders them, and
`make openapi` compiles them (`body_schemas_source`) into `lapor.body_schemas`, which `lapor.bodies` checks
bodies with at run time, so no function imports this module or pydantic. What goes out is typed once in
`lapor.shapes` (plain dicts, no pydantic).
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pydantic_core
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.config import JsonDict

from lapor.bodies import (
    EMAIL_PATTERN,
    EMAIL_REFUSED_PATTERN,
    FUNCTIONS,
    LATITUDE_TEXT,
    LONG_TEXT_REFUSED,
    LONGITUDE_TEXT,
    SHORT_TEXT_REFUSED,
    WS,
    WS_WIDE,
    Refuse,
    Rule,
    TrimCheck,
    aware_timestamp,
    centimetre,
    no_nulls,
    normalized_email,
    whole_number,
)
from lapor.statuses import Channel, ReportKind

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def _trim_check(minimum: int, maximum: int, refused: str) -> AfterValidator:
    """A string whose length counts after trimming surrounding white space; stored trimmed."""
    return AfterValidator(TrimCheck(minimum, maximum, refused))


def _trim_schema(minimum: int, maximum: int, refused: str) -> WithJsonSchema:
    """The same rule as a JSON Schema pattern, so generated clients and fuzzers agree with us."""
    # White space that may surround the text: what strip() removes, less what is refused outright.
    edge = rf"[ {WS_WIDE}\t\n]" if refused == LONG_TEXT_REFUSED else rf"[ {WS_WIDE}]"
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

# Email addresses: see `lapor.bodies` (the form the schema states, and why it is the whole check).
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


class Model(BaseModel):
    """Every request model: built on first use (the OpenAPI document, or compiling `lapor.body_schemas`)."""

    model_config = ConfigDict(defer_build=True)


class Strict(Model):
    """Strict types (no "1.5" for a number, no 0 for false), no unknown fields, no nulls, and the model's
    `RULES` over several fields (checked after validation, nested objects included: `lapor.bodies`)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=strict_schema)
    RULES: ClassVar[tuple[Rule, ...]] = ()

    # Every field: absent or valid, never null.
    _no_nulls = field_validator("*", mode="before")(staticmethod(no_nulls))


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


AgencyActionName = Literal["verify", "transfer", "start", "respond", "extend", "reject", "close"]
Message = Annotated[str, _trim_check(1, 4000, LONG_TEXT_REFUSED), _trim_schema(1, 4000, LONG_TEXT_REFUSED)]


Timestamp = Annotated[
    str,
    AfterValidator(aware_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "ISO 8601 with an offset"}),
]


# Which fields an action needs: field -> (the actions that require it, whether no other action may send it).
ACTION_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "message": (("respond", "extend", "reject"), False),
    "agency_id": (("transfer",), True),
    "due_at": (("extend",), True),
}


def _action_rules(name: str, actions: tuple[str, ...], exclusive: bool) -> tuple[Rule, ...]:
    when: JsonDict = {"properties": {"action": {"enum": list(actions)}}}
    needs = Rule({"if": when, "then": {"required": [name]}}, name, "Field required for {action}")
    only = Rule({"if": when, "else": {"not": {"required": [name]}}}, name, f"only allowed with {' or '.join(actions)}")
    return (needs, only) if exclusive else (needs,)


class AgencyAction(Strict):
    """The body of `POST /agency/reports/{tracking_id}/actions`."""

    RULES = tuple(rule for name, spec in ACTION_FIELDS.items() for rule in _action_rules(name, *spec))

    action: AgencyActionName
    message: Message | None = Field(default=None, description="Required for respond, extend (the reason) and reject")
    private: bool = Field(default=False, description="True: the message is shown to the reporter only, not publicly")
    agency_id: Slug | None = Field(default=None, description="transfer only: the new responsible agency")
    due_at: Timestamp | None = Field(default=None, description="extend only: the new deadline")


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


# ---------------------------------------------------------------- Open311 GeoReport v2 (the form's fields)


# Its fields are the ones `lapor.open311` accepts, and no others.
class Open311RequestForm(BaseModel):
    """The form-encoded body of `POST /open311/v2/requests.{json,xml}` (read by `lapor.open311`, described here).

    The same rules as POST /reports apply once the form is read: description 20-4000 characters after
    trimming; a location (lat and long, address_string, or both); email, first_name, last_name and phone
    make the reporter (a name and an email or phone), none of them makes the report anonymous.
    """

    # Never validated (lapor.open311 reads the form): built for the OpenAPI document and for the form's field
    # names in lapor.body_schemas.
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


# ---------------------------------------------------------------- the compiled bodies (lapor.body_schemas)

BODY_SCHEMAS = Path(__file__).with_name("body_schemas.py")


class _Code:
    """A value rendered as the code that makes it (a check of `lapor.bodies`)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return self.code


def _check_code(function: Any) -> _Code:
    if isinstance(function, (Refuse, TrimCheck)):
        return _Code(repr(function))
    name = getattr(function, "__name__", "")
    if FUNCTIONS.get(name) is function:
        return _Code(name)
    raise TypeError(f"{function!r} is not a check of lapor.bodies: a compiled schema could not name it")


def _compiled(schema: Any) -> Any:
    """A model's pydantic-core schema with every model as a typed dict (a plain dict comes out), the checks
    named as code, and what only the JSON Schema reads (metadata) left out."""
    if isinstance(schema, dict):
        if schema.get("type") in ("definitions", "definition-ref"):
            raise TypeError("a body model used twice is a definition: compile it before using it here")
        if schema.get("type") == "model":
            config, fields = schema["config"], schema["schema"]["fields"]
            for field in fields.values():
                if set(field) - {"type", "schema", "metadata"}:
                    raise TypeError(f"field settings a typed dict would drop: {sorted(field)}")
            return {
                "type": "typed-dict",
                "fields": {
                    name: {
                        "type": "typed-dict-field",
                        "schema": _compiled(field["schema"]),
                        "required": field["schema"]["type"] != "default",
                    }
                    for name, field in fields.items()
                },
                "extra_behavior": config.get("extra_fields_behavior", "ignore"),
                "config": config,
            }
        return {key: _compiled(value) for key, value in schema.items() if key not in ("metadata", "ref")}
    if isinstance(schema, list):
        return [_compiled(item) for item in schema]
    if callable(schema):
        return _check_code(schema)
    return schema


def _rules(model: type[Strict], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Rule]]:
    """The model's rules, then its nested models' in field order, each with where its object is."""
    found = [(path, rule) for rule in model.RULES]
    for name, field in model.model_fields.items():
        nested = [t for t in getattr(field.annotation, "__args__", (field.annotation,)) if isinstance(t, type)]
        for kind in nested:
            if issubclass(kind, Strict):
                found += _rules(kind, (*path, name))
    return found


def _codes(value: Any) -> list[_Code]:
    if isinstance(value, _Code):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [code for item in value for code in _codes(item)] if isinstance(value, list) else []


def _request_models() -> list[str]:
    from lapor.contract import OPERATIONS

    return sorted({op.request for op in OPERATIONS if op.request})


def validated_bodies() -> list[str]:
    """The request bodies functions validate: every strict model a contract operation names (the Open311
    form is read by `lapor.open311`, then validated as a ReportSubmission)."""
    return [name for name in _request_models() if issubclass(globals()[name], Strict)]


def form_fields() -> dict[str, list[str]]:
    """The fields of every other request model (a form `lapor.open311` reads field by field)."""
    others = [globals()[name] for name in _request_models() if not issubclass(globals()[name], Strict)]
    return {m.__name__: [f.alias or name for name, f in m.model_fields.items()] for m in others}


def body_schemas_source() -> str:
    """The source of `lapor.body_schemas`: what `make openapi` writes, and a test compares with the file."""
    schemas, rules = {}, {}
    for name in validated_bodies():
        model: type[Strict] = globals()[name]
        model.model_rebuild(force=True)
        schemas[name] = _compiled(model.__pydantic_core_schema__)
        rules[name] = _rules(model)
    used = sorted({code.code for code in _codes(schemas) if code.code in FUNCTIONS})
    render = pprint.PrettyPrinter(width=120, sort_dicts=False).pformat
    return "\n".join(
        [
            '"""Generated by `make openapi` from lapor.models: do not edit (tests/unit/test_bodies.py checks that it',
            "is current). The pydantic-core schema of every request body, its rules over several fields, and the",
            'fields of forms."""',
            "",
            "from typing import Any",
            "",
            f"from lapor.bodies import {', '.join(['Refuse', 'Rule', 'TrimCheck', *used])}",
            "",
            f"SCHEMAS: dict[str, Any] = {render(schemas)}",
            "",
            f"RULES: dict[str, list[tuple[tuple[str, ...], Rule]]] = {render(rules)}",
            "",
            f"FORM_FIELDS: dict[str, list[str]] = {render(form_fields())}",
            "",
            "# The pydantic-core these schemas are for: the layer ships exactly this one.",
            f"PYDANTIC_CORE_VERSION = {pydantic_core.__version__!r}",
            "",
        ]
    )

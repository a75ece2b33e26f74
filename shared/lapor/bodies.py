"""Request bodies checked at run time, without pydantic.

The rules of every request body are written once, as the pydantic models of `lapor.models`: the OpenAPI
document renders them, and `make openapi` compiles them (`generate_body_schemas`) into `lapor.body_schemas`,
the pydantic-core schema of each body plus the rules over several fields. A function validates with
pydantic-core's own validator built from that schema, so the problems and the values are those pydantic
would give (tests/unit/test_bodies.py checks this against the models, and that the compiled file is current),
but a cold start pays for pydantic-core alone: importing pydantic and building the models took a cold
submission 0.15 of its floor (the bench's Lambda CPU share, 2026-11-30).

Two differences from the models, both deliberate: a body comes out as a plain dict (every field, None where
an optional field was left out), and a value that should be an object but is not reads "Input should be a
valid dictionary" (pydantic added "or instance of" and a Python class name).

The checks below are what the models' validators call: plain callables with a `repr` that is the code
making them, so that the compiled schema can name them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lapor.errors import FieldProblem, ValidationFailed

# White space exactly as Python's str.strip() and str.isspace() see it, spelled out: `\s` means different
# things in Python and in the ECMA-262 regexes of JSON Schema, and the schema must say what we accept.
WS_WIDE = r"\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = rf"\t\n\x0b\x0c\r\x1c-\x20{WS_WIDE}"

# Characters free text refuses. Control characters (C0) everywhere, except newline and tab in long text;
# in titles and names also those that reorder or hide text (bidi overrides and isolates, zero-width).
CONTROL = r"\x00-\x1f"
CONTROL_BUT_NEWLINE_AND_TAB = r"\x00-\x08\x0b-\x1f"
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


def _refusal(kind: str, message: str, context: dict[str, Any] | None = None) -> Exception:
    """The error a check raises (pydantic-core's, loaded by then: only validation calls a check; importing
    this module for `without_nulls` costs nothing)."""
    from pydantic_core import PydanticCustomError

    return PydanticCustomError(kind, message, context)


class Refuse:
    """A check that a string holds none of the `refused` characters (a regex class body)."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.message = _REFUSED_MESSAGES[refused]

    def __call__(self, value: str) -> str:
        # `re` compiles the class on first use and keeps it: a function checks few of the bodies.
        if re.search(f"[{self.refused}]", value):
            raise _refusal("refused_character", self.message)
        return value

    def __repr__(self) -> str:
        return f"Refuse({self.refused!r})"


class TrimCheck:
    """A string whose length counts after trimming surrounding white space; stored trimmed."""

    def __init__(self, minimum: int, maximum: int, refused: str) -> None:
        self.minimum, self.maximum, self.refuse = minimum, maximum, Refuse(refused)

    def __call__(self, value: str) -> str:
        value = self.refuse(value).strip()
        if len(value) < self.minimum:
            raise _refusal("string_too_short", "String should have at least {n} characters", {"n": self.minimum})
        if len(value) > self.maximum:
            raise _refusal("string_too_long", "String should have at most {n} characters", {"n": self.maximum})
        return value

    def __repr__(self) -> str:
        return f"TrimCheck({self.minimum}, {self.maximum}, {self.refuse.refused!r})"


def normalized_email(value: str) -> str:
    """`value` checked against the form above, with its domain in lower case (email-validator's `normalized`)."""
    if not re.fullmatch(EMAIL_PATTERN, value) or re.search(EMAIL_REFUSED_PATTERN, value):
        raise _refusal("email", "is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def no_nulls(value: Any) -> Any:
    """Every field of a strict body: absent or valid, never null."""
    if value is None:
        raise _refusal("null", "Input should not be null; leave the field out instead")
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
        raise _refusal(
            "timestamp", "Input should be an ISO 8601 timestamp with an offset, e.g. 2026-12-01T17:00:00+07:00"
        ) from None
    return value


# The plain functions a compiled schema may name (the checks above that are classes name themselves).
_PLAIN: tuple[Callable[..., Any], ...] = (normalized_email, no_nulls, centimetre, whole_number, aware_timestamp)
FUNCTIONS = {f.__name__: f for f in _PLAIN}


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


# ---------------------------------------------------------------- validation

_validators: dict[str, Any] = {}
_lock = threading.Lock()


def validator(name: str) -> Any:
    """pydantic-core's validator of the body `name` (a model of `lapor.models`), built on first use."""
    found = _validators.get(name)
    if found is None:
        with _lock:
            found = _validators.get(name)
            if found is None:
                from pydantic_core import SchemaValidator

                from lapor.body_schemas import SCHEMAS

                found = _validators[name] = SchemaValidator(SCHEMAS[name])
    return found


def prepare(*names: str) -> None:
    """Build the validators of `names` now (a function's INIT, for the bodies each of its requests has)."""
    for name in names:
        validator(name)


def validate_body(name: str, data: Any) -> dict[str, Any]:
    """A parsed JSON body checked against the body `name`: its values (defaults filled in, text trimmed and
    normalized), or ValidationFailed with every problem located under ``body``."""
    from pydantic_core import ValidationError

    try:
        parsed: dict[str, Any] = validator(name).validate_python(data)
    except ValidationError as exc:
        raise ValidationFailed(problems(exc), "Request body is not valid") from None
    found = combination_problems(name, parsed)
    if found:
        raise ValidationFailed(found, "Request body is not valid")
    return parsed


def problems(exc: Any) -> list[FieldProblem]:
    """pydantic's errors as the contract's problems (one place maps them, for bodies and tests alike)."""
    return [
        FieldProblem(("body", *error["loc"]), re.sub(r"^(Value|Assertion) error, ", "", error["msg"]))
        for error in exc.errors(include_url=False, include_input=False)
    ]


def combination_problems(name: str, parsed: dict[str, Any]) -> list[FieldProblem]:
    """What breaks a rule of the body `name`: the body's own rules first, then its nested objects' (in field
    order), each evaluated on that object's values."""
    from lapor.body_schemas import RULES

    found = []
    for path, rule in RULES[name]:
        values: Any = parsed
        for step in path:
            values = values[step] if values is not None else None
        if values is None or holds(rule.schema, values):
            continue
        at = ("body", *path)
        found.append(FieldProblem((*at, rule.field) if rule.field else at, rule.message.format(**values)))
    return found


def without_nulls(value: Any) -> Any:
    """A validated object as stored: the optional fields that were left out are left out again."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value

"""The request models themselves: every check on a field and every rule over several fields both fails
and holds, found by walking the models (a new check without a case here fails), and no problem names a
Python class."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Annotated, Any, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lapor import models
from lapor.errors import ValidationFailed
from lapor.models import BODIES, Refuse, Strict, TrimCheck, parse
from pydantic import BaseModel

from tests.events import valid_submission

# A valid body of each: the cases below change one field of it.
EXAMPLES: dict[str, dict[str, Any]] = {
    "AgencyAction": {"action": "respond", "message": "Sudah kami perbaiki."},
    "AgencyBulkAction": {"action": "transfer", "tracking_ids": ["LPR-7KQ2-M9XD-3FHW"], "agency_id": "dinas-pu"},
    "AgencyInput": {
        "name": "Bappeda",
        "parent_id": "pemkab-barito-utara",
        "level": "office",
        "region_code": "62.05",
        "email": "bappeda@example.org",
        "webhook_url": "https://bappeda.example.org/lapor",
    },
    "CategoryInput": {"name": "Air Bersih", "default_agency_id": "dpupr-barito-utara"},
    "OfficerInvite": {
        "email": "petugas@example.org",
        "name": "Petugas Baru",
        "agency_id": "dpupr-barito-utara",
        "role": "officer",
    },
    "OfficerUpdate": {"enabled": False},
    "AttachmentRequest": {"content_type": "image/png"},
    "PhotoVisibility": {"public": True},
    "RatingRequest": {"score": 5, "comment": "Cepat"},
    "ReportSubmission": valid_submission(),
    "Reporter": valid_submission()["reporter"],
    "ReporterMessage": {"message": "Masih rusak."},
    "SavedReplyInput": {"title": "Terima kasih", "text": "Laporan Anda kami terima."},
}
# What a failing check says, for the checks whose message is not one of their own attributes.
EMAIL_MSG = "is not a valid email address"
TIMESTAMP_MSG = "Input should be an ISO 8601 timestamp with an offset, e.g. 2026-12-01T17:00:00+07:00"


def problems(name: str, body: Any) -> list[tuple[tuple[Any, ...], str]]:
    try:
        parse(BODIES[name], body)
    except ValidationFailed as failed:
        return [(p.loc, p.msg) for p in failed.problems]
    return []


def with_value(name: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """The example body of `name` with the field at `path` set to `value`."""
    body = {**EXAMPLES[name]}
    if (name, path) == ("AgencyAction", ("due_at",)):  # only an extension may send it
        body = {"action": "extend", "message": "Menunggu anggaran."}
    if (name, path) == ("AgencyAction", ("duplicate_of",)):  # only marking a duplicate may send it
        body = {"action": "mark_duplicate"}
    node = body
    for step in path[:-1]:
        node[step] = node = {**node[step]}
    node[path[-1]] = value
    return body


def _checks(annotation: Any) -> Iterator[Any]:
    """The validators in an annotation, through `X | None` and `Annotated[...]`."""
    if get_origin(annotation) is Annotated:
        for item in annotation.__metadata__:
            yield getattr(item, "func", None)
    for arg in get_args(annotation):
        yield from _checks(arg)


def fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    """Every field of `model` (nested models' too), with the checks its type carries."""
    for name, field in model.model_fields.items():
        checks = [getattr(m, "func", None) for m in field.metadata] + list(_checks(field.annotation))
        yield (*path, name), [c for c in checks if c is not None]
        for kind in get_args(field.annotation):
            if isinstance(kind, type) and issubclass(kind, Strict):
                yield from fields(kind, (*path, name))


def cases(check: Any) -> tuple[list[tuple[Any, Any]], list[tuple[Any, str]]]:
    """(values that hold, each with what is stored), (values that fail, each with its problem)."""
    if isinstance(check, TrimCheck):
        low, high, bad = check.minimum, check.maximum, check.refuse.refused[2:4]
        assert bad in ("00",), "the cases below insert NUL, which every free text refuses"
        return (
            [(f" {'x' * low} ", "x" * low), ("x" * high, "x" * high)],
            [
                (" " + "x" * (low - 1) + " ", f"String should have at least {low} characters"),
                ("x" * (high + 1), f"String should have at most {high} characters"),
                ("x" * low + "\x00", check.refuse.message),
            ],
        )
    if isinstance(check, Refuse):
        return [("Jl. A\nRT 03\t", "Jl. A\nRT 03\t")], [("Jl. A\x00", check.message)]
    if check is models.normalized_email:
        return [("Siti@Sub.Example.ORG", "Siti@sub.example.org")], [("a..b@example.org", EMAIL_MSG)]
    if check is models.aware_timestamp:
        kept = "2026-12-01T17:00:00+07:00"
        return [(kept, kept)], [("2026-12-01T17:00:00", TIMESTAMP_MSG), ("besok", TIMESTAMP_MSG)]
    if check is models.whole_number:
        return [(4.0, 4), (3, 3)], [(4.5, "Input should be a valid integer"), (True, "Input should be a valid integer")]
    if check is models.centimetre:  # a normalization: it refuses nothing (the field's bounds do)
        return [(1.123456789, 1.1234568), (-0.95, -0.95)], []
    raise AssertionError(f"no cases for the check {check!r}: add them here")


CHECKED = [(name, path, check) for name in sorted(BODIES) for path, checks in fields(BODIES[name]) for check in checks]


def test_the_walk_finds_every_kind_of_check() -> None:
    kinds = {type(c).__name__ if isinstance(c, (Refuse, TrimCheck)) else c.__name__ for _, _, c in CHECKED}
    assert kinds == {"TrimCheck", "Refuse", "normalized_email", "aware_timestamp", "whole_number", "centimetre"}
    assert ("ReportSubmission", ("reporter", "email"), models.normalized_email) in CHECKED


@pytest.mark.parametrize(("name", "path", "check"), CHECKED, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v)
def test_each_check_on_a_field_fails_and_holds(name: str, path: tuple[str, ...], check: Any) -> None:
    holding, failing = cases(check)
    for value, stored in holding:
        parsed = parse(BODIES[name], with_value(name, path, value)).model_dump()
        for step in path:
            parsed = parsed[step]
        assert parsed == stored, (path, value)
    for value, message in failing:
        assert problems(name, with_value(name, path, value)) == [(("body", *path), message)], (path, value)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_field_refuses_null(name: str) -> None:
    for path, _ in fields(BODIES[name]):
        body = with_value(name, path, None)
        assert problems(name, body) == [(("body", *path), "Input should not be null; leave the field out instead")]


# ---------------------------------------------------------------- rules over several fields

# Values each field a rule reads can take; None means absent.
CHOICES: dict[str, tuple[Any, ...]] = {
    "anonymous": (None, True, False),
    "reporter": (None, {"name": "Siti", "email": "siti@example.org"}),
    "lat": (None, 1.5),
    "lon": (None, 2.5),
    "address": (None, "Jl. Merdeka 1"),
    "email": (None, "siti@example.org"),
    "phone": (None, "+6281234567890"),
    "action": get_args(models.AgencyActionName),
    "message": (None, "Sudah kami perbaiki."),
    "agency_id": (None, "dinas-pu"),
    "due_at": (None, "2026-12-01T17:00:00+07:00"),
    "role": (None, "dispatcher"),
    "enabled": (None, False),
    "assignee_sub": (None, "5d2e7c41-officer"),
    "duplicate_of": (None, "LPR-7KQ2-M9XD-3FHW"),
}
# A model whose field takes fewer values than CHOICES says (its rules are checked once its fields are valid).
NARROWER: dict[type[Strict], dict[str, tuple[Any, ...]]] = {
    models.AgencyBulkAction: {"action": get_args(models.AgencyBulkAction.model_fields["action"].annotation)},
}
# Where each model's rules are checked: (the body, the object's path in it, the fields its rules read).
RULED: dict[type[Strict], tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    models.ReportSubmission: ("ReportSubmission", (), ("anonymous", "reporter")),
    models.Location: ("ReportSubmission", ("location",), ("lat", "lon", "address")),
    models.Reporter: ("ReportSubmission", ("reporter",), ("email", "phone")),
    models.AgencyAction: (
        "AgencyAction",
        (),
        ("action", "message", "agency_id", "due_at", "assignee_sub", "duplicate_of"),
    ),
    models.AgencyBulkAction: ("AgencyBulkAction", (), ("action", "message", "agency_id", "assignee_sub")),
    models.OfficerUpdate: ("OfficerUpdate", (), ("agency_id", "role", "enabled")),
}


def test_every_model_with_rules_is_ruled_here() -> None:
    ruled = {m for m in vars(models).values() if isinstance(m, type) and issubclass(m, Strict) and m.RULES}
    assert ruled == set(RULED)


@pytest.mark.parametrize("model", list(RULED), ids=lambda m: m.__name__)
def test_each_rule_over_several_fields_fails_and_holds(model: type[Strict]) -> None:
    name, at, read = RULED[model]
    for rule in model.RULES:
        outcomes = set()
        choices = {**CHOICES, **NARROWER.get(model, {})}
        for combination in itertools.product(*(choices[n] for n in read)):
            values = {k: v for k, v in zip(read, combination, strict=True) if v is not None}
            if model is models.Reporter:
                values["name"] = "Siti"
            body = {**EXAMPLES[name], **values} if not at else {**EXAMPLES[name], at[0]: values}
            if not at:
                body = {k: v for k, v in body.items() if k not in read or k in values}
            every = dict.fromkeys(read) | values
            problem = (("body", *at, *([rule.field] if rule.field else [])), rule.message.format(**every))
            broken = problem in problems(name, body)
            assert broken is not models.holds(rule.schema, every), (rule.message, values)
            outcomes.add(broken)
        assert outcomes == {True, False}, f"{rule.message!r} never fails or never holds"


# ---------------------------------------------------------------- problems in plain words

TEXTS = ["", " ", "a", "  Jalan berlubang di depan SDN 1  ", "Siti\u202eRahma", "siti@Example.org", "+6281234567890"]
TEXTS += ["jalan-jembatan", "2026-12-01T17:00:00+07:00", "complaint", "web", "extend", "image/png", "true"]
NUMBERS = [0, 1, 4, 5, 6, -1, 4.0, 4.5, -0.95, 91.0, -181, 1e308, math.inf, -math.inf, math.nan]
SCALARS = st.one_of(st.sampled_from(TEXTS), st.text(max_size=30), st.sampled_from(NUMBERS), st.booleans(), st.none())


def _objects(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of `model`'s fields (values of every kind, nested objects built the same way)."""
    found: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        nested = [t for t in get_args(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        found[name] = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), *[_objects(t) for t in nested])
    extra = st.dictionaries(st.sampled_from(["extra", "Title"]), SCALARS, max_size=1)
    return st.builds(lambda a, b: {**a, **b}, st.fixed_dictionaries({}, optional=found), extra)


CLASS_NAMES = {m.__name__ for m in vars(models).values() if isinstance(m, type) and issubclass(m, BaseModel)}


@pytest.mark.parametrize("name", sorted(BODIES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_problem_names_a_python_class(name: str, data: st.DataObject) -> None:
    changed = st.builds(lambda change: {**EXAMPLES[name], **change}, _objects(BODIES[name]))
    body = data.draw(st.one_of(changed, _objects(BODIES[name]), SCALARS, st.lists(SCALARS, max_size=1)))
    for loc, msg in problems(name, body):
        assert loc[0] == "body" and msg
        assert not [c for c in CLASS_NAMES if c in msg] and "instance of" not in msg, msg


def test_a_value_that_is_not_an_object_is_a_problem_in_plain_words() -> None:
    assert problems("ReportSubmission", valid_submission(location="Jl. A", reporter=["Siti"])) == [
        (("body", "location"), "Input should be a valid dictionary"),
        (("body", "reporter"), "Input should be a valid dictionary"),
    ]
    assert problems("RatingRequest", [5]) == [(("body",), "Input should be a valid dictionary")]

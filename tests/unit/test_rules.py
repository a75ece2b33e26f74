"""Each rule over several fields is written once, as JSON Schema, and the check evaluates that schema.

These tests hold the check (`lapor.models.holds`) to a real JSON Schema validator on every combination
of present and absent fields each rule reads, so the OpenAPI document and the server cannot disagree.
"""

from __future__ import annotations

import itertools
from typing import Any, get_args

import jsonschema
import pytest
from lapor import models
from lapor.errors import ValidationFailed
from lapor.models import AgencyAction, Location, Reporter, ReportSubmission, holds, parse

from tests.events import valid_submission

# Values each field a rule reads can take; None means absent.
CHOICES: dict[str, tuple[Any, ...]] = {
    "anonymous": (None, True, False),
    "reporter": (None, {"name": "Siti"}),
    "lat": (None, 1.5),
    "lon": (None, 2.5),
    "address": (None, "Jl. Merdeka 1"),
    "email": (None, "siti@example.org"),
    "phone": (None, "+6281234567890"),
    "action": get_args(models.AgencyActionName),
    "message": (None, "Sudah kami perbaiki."),
    "agency_id": (None, "dinas-pu"),
    "due_at": (None, "2026-12-01T17:00:00+07:00"),
    "assignee_sub": (None, "5d2e7c41-officer"),
}
RULED = {
    ReportSubmission: ("anonymous", "reporter"),
    Location: ("lat", "lon", "address"),
    Reporter: ("email", "phone"),
    AgencyAction: ("action", "message", "agency_id", "due_at", "assignee_sub"),
    models.AgencyBulkAction: ("action", "message", "agency_id", "assignee_sub"),
}


@pytest.mark.parametrize("model", list(RULED), ids=lambda m: m.__name__)
def test_each_rule_checks_what_its_schema_says(model: type[models.Strict]) -> None:
    names = RULED[model]
    assert model.RULES, f"{model.__name__} has no rules"
    combinations = list(itertools.product(*(CHOICES[n] for n in names)))
    for rule in model.RULES:
        outcomes = set()
        for combination in combinations:
            values = dict(zip(names, combination, strict=True))
            instance = {k: v for k, v in values.items() if v is not None}
            expected = jsonschema.Draft202012Validator(rule.schema).is_valid(instance)
            assert holds(rule.schema, values) == expected, (rule.message, values)
            outcomes.add(expected)
        assert outcomes == {True, False}, f"{rule.message!r} never fails or never holds: it checks nothing"


def test_the_published_schema_is_the_rules() -> None:
    for model in RULED:
        schema = model.model_json_schema()
        assert schema["allOf"] == [rule.schema for rule in model.RULES]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"anonymous": True}, [("body", "reporter", "must not be sent when anonymous is true")]),
        (
            {"location": {"lon": 2.0}, "reporter": {"name": "Siti"}},
            [
                ("body", "location", "lat and lon go together"),
                ("body", "location", "give lat and lon, an address, or both"),
                ("body", "reporter", "give at least one of email or phone"),
            ],
        ),
    ],
)
def test_a_submission_reports_every_broken_rule_with_its_place(change: dict[str, Any], expected: list[Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(ReportSubmission, {**valid_submission(), **change})
    assert [(*p.loc, p.msg) for p in caught.value.problems] == expected


def test_an_action_names_itself_in_what_it_lacks() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(AgencyAction, {"action": "extend", "agency_id": "dinas-pu"})
    assert [(*p.loc, p.msg) for p in caught.value.problems] == [
        ("body", "message", "Field required for extend"),
        ("body", "agency_id", "only allowed with transfer"),
        ("body", "due_at", "Field required for extend"),
    ]

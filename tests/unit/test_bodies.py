"""The bodies functions check (`lapor.bodies`) are the models' rules, compiled: the compiled file is current,
and for any input pydantic-core's validator built from it gives the problems and the values the pydantic
model gives."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lapor import bodies, body_schemas, models
from lapor.errors import ValidationFailed
from pydantic import BaseModel, ValidationError

from tests.events import valid_submission

ROOT = Path(__file__).resolve().parents[2]
BODIES = models.validated_bodies()
# A valid body of each: the generated inputs change some of its fields, so that most reach every check.
EXAMPLES: dict[str, dict[str, Any]] = {
    "AgencyAction": {"action": "respond", "message": "Sudah kami perbaiki."},
    "AttachmentRequest": {"content_type": "image/png"},
    "RatingRequest": {"score": 5, "comment": "Cepat"},
    "ReportSubmission": valid_submission(),
    "ReporterMessage": {"message": "Masih rusak."},
    "SavedReplyInput": {"title": "Terima kasih", "text": "Laporan Anda kami terima."},
}

TEXTS = [
    "",
    " ",
    "a",
    "ab",
    "  Jalan berlubang di depan SDN 1  ",
    "Lubang besar sejak dua minggu, sudah ada motor yang jatuh.",
    "Baris satu\nbaris dua\tdengan tab",
    "Siti\u202eRahma",
    "Siti\x00Rahma",
    "x" * 151,
    "y" * 4001,
    "siti@Example.org",
    "a..b@example.org",
    "+6281234567890",
    "081234",
    "jalan-jembatan",
    "Dinas PU",
    "2026-12-01T17:00:00+07:00",
    "2026-12-01T17:00:00",
    "complaint",
    "aspiration",
    "web",
    "verify",
    "extend",
    "transfer",
    "respond",
    "image/png",
    "image/gif",
    "true",
    "4",
]
NUMBERS = [0, 1, 4, 5, 6, -1, 4.0, 4.5, -0.95, 114.8956123456789, 91.0, -181, 1e308, math.inf, -math.inf, math.nan]
SCALARS = st.one_of(
    st.sampled_from(TEXTS),
    st.text(max_size=30),
    st.sampled_from(NUMBERS),
    st.booleans(),
    st.none(),
)


def _fields(model: type[BaseModel]) -> dict[str, st.SearchStrategy[Any]]:
    """Each field of `model` with values of every kind, nested objects built the same way."""
    found: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        nested = [t for t in getattr(field.annotation, "__args__", (field.annotation,)) if isinstance(t, type)]
        kinds = [_objects(t) for t in nested if issubclass(t, BaseModel)]
        found[name] = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), *kinds)
    return found


def _objects(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.sampled_from(["extra", "Title", "lat "]), SCALARS, max_size=1)
    fields = st.fixed_dictionaries({}, optional=_fields(model))
    return st.builds(lambda a, b: {**a, **b}, fields, extra)


def _by_pydantic(model: type[BaseModel], data: Any) -> tuple[Any, Any]:
    try:
        return model.model_validate(data).model_dump(), None
    except ValidationError as exc:
        return None, [_as_dict_error(e) for e in exc.errors(include_url=False, include_input=False)]


def _as_dict_error(error: Any) -> Any:
    """The one deliberate difference: not an object reads "Input should be a valid dictionary", without
    pydantic's "or instance of <class>"."""
    if error["type"] == "model_type":
        return {"type": "dict_type", "loc": error["loc"], "msg": "Input should be a valid dictionary"}
    return error


def _compiled(name: str, data: Any) -> tuple[Any, Any]:
    try:
        return bodies.validator(name).validate_python(data), None
    except ValidationError as exc:
        return None, exc.errors(include_url=False, include_input=False)


def test_the_compiled_file_is_current() -> None:
    """`make openapi` writes it; run that after changing a model."""
    fresh: dict[str, Any] = {}
    exec(compile(models.body_schemas_source(), "body_schemas", "exec"), fresh)
    for name in ("SCHEMAS", "RULES", "FORM_FIELDS", "PYDANTIC_CORE_VERSION"):
        assert repr(fresh[name]) == repr(getattr(body_schemas, name)), f"run `make openapi`: {name} is stale"


def test_the_layer_ships_the_pydantic_core_the_bodies_were_compiled_for() -> None:
    """A schema is read by the pydantic-core it was made with: the layer pins that one (and no pydantic)."""
    import pydantic_core

    layer = (ROOT / "shared" / "requirements.txt").read_text().splitlines()
    assert pydantic_core.__version__ == body_schemas.PYDANTIC_CORE_VERSION
    assert f"pydantic-core=={pydantic_core.__version__}" in layer
    assert not [line for line in layer if line.startswith("pydantic>") or line.startswith("pydantic=")]


def test_every_body_a_function_validates_is_compiled() -> None:
    assert BODIES == sorted(body_schemas.SCHEMAS) == sorted(body_schemas.RULES) == sorted(EXAMPLES)
    assert all(bodies.validate_body(name, body) for name, body in EXAMPLES.items())
    assert {"ReportSubmission", "AgencyAction", "RatingRequest", "SavedReplyInput"} <= set(BODIES)
    assert body_schemas.FORM_FIELDS["Open311RequestForm"][:3] == ["api_key", "jurisdiction_id", "service_code"]


@pytest.mark.parametrize("name", BODIES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_validator_agrees_with_the_model(name: str, data: st.DataObject) -> None:
    model = getattr(models, name)
    changed = st.builds(lambda change: {**EXAMPLES[name], **change}, _objects(model))
    body = data.draw(st.one_of(changed, _objects(model), SCALARS, st.lists(SCALARS, max_size=1)))
    expected_values, expected_errors = _by_pydantic(model, body)
    values, errors = _compiled(name, body)
    assert errors == expected_errors
    assert values == expected_values


@pytest.mark.parametrize(
    "body",
    [
        valid_submission(),
        valid_submission(anonymous=True, reporter=None, confidential=True, location={"address": "Jl. A"}),
        valid_submission(title="  Jalan berlubang di depan SDN 1  ", location={"lat": 1.123456789, "lon": 2.5}),
        valid_submission(reporter={"name": "Siti", "phone": "+6281234567890"}),
    ],
)
def test_valid_submissions_come_out_as_the_model_dumps_them(body: dict[str, Any]) -> None:
    assert bodies.validate_body("ReportSubmission", body) == models.ReportSubmission.model_validate(body).model_dump()


def test_a_value_that_is_not_an_object_is_a_problem_in_plain_words() -> None:
    with pytest.raises(ValidationFailed) as caught:
        bodies.validate_body("ReportSubmission", valid_submission(location="Jl. A", reporter=["Siti"]))
    assert [(p.loc, p.msg) for p in caught.value.problems] == [
        (("body", "location"), "Input should be a valid dictionary"),
        (("body", "reporter"), "Input should be a valid dictionary"),
    ]


def test_stored_objects_leave_out_what_was_left_out() -> None:
    parsed = bodies.validate_body("ReportSubmission", valid_submission(location={"address": "Jl. A"}))
    assert parsed["location"] == {"lat": None, "lon": None, "address": "Jl. A"}
    assert bodies.without_nulls(parsed["location"]) == {"address": "Jl. A"}
    assert bodies.without_nulls(None) is None


def test_a_check_the_compiled_file_cannot_name_is_refused() -> None:
    with pytest.raises(TypeError, match=r"not a check of lapor\.bodies"):
        models._compiled({"type": "function-plain", "function": {"type": "no-info", "function": lambda v: v}})

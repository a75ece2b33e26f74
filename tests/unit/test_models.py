"""Free text and email rules of the request bodies, and their schema saying exactly the same."""

from __future__ import annotations

import re
from typing import Any

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lapor.errors import ValidationFailed
from lapor.models import (
    EMAIL_PATTERN,
    EMAIL_REFUSED_PATTERN,
    AgencyAction,
    RatingRequest,
    ReporterMessage,
    ReportSubmission,
    normalized_email,
    parse,
)

from tests.events import valid_submission

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# C0, DEL and C1 (U+0085 is a line break to some readers, U+009B a terminal escape).
CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
SHORT_MSG = "must not contain control, bidirectional-override or zero-width characters"
LONG_MSG = "must not contain control characters other than newline and tab"
TITLE = "Jalan berlubang di depan SDN 1"


def validate_body(model: Any, body: Any) -> dict[str, Any]:
    """What the router does with a body of `model`, its values as a dict."""
    return parse(model, body).model_dump()


def problems(model: Any, body: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        validate_body(model, body)
    except ValidationFailed as failed:
        return [(p.loc, p.msg) for p in failed.problems]
    return []


def with_reporter(**reporter: str) -> dict[str, Any]:
    return valid_submission(reporter={"name": "Siti Rahma", "email": "siti@example.org", **reporter})


@pytest.mark.parametrize("char", CONTROL + BIDI + ZERO_WIDTH)
def test_titles_and_names_refuse_control_bidi_and_zero_width_characters(char: str) -> None:
    assert problems(ReportSubmission, valid_submission(title=TITLE[:5] + char + TITLE[5:])) == [
        (("body", "title"), SHORT_MSG)
    ]
    assert problems(ReportSubmission, with_reporter(name=f"Siti{char} Rahma")) == [
        (("body", "reporter", "name"), SHORT_MSG)
    ]


@pytest.mark.parametrize("char", [c for c in CONTROL if c not in "\n\t"])
def test_long_text_refuses_control_characters_but_newline_and_tab(char: str) -> None:
    text = f"Lubang besar sejak dua minggu,{char} sudah ada motor yang jatuh."
    assert problems(ReportSubmission, valid_submission(description=text)) == [(("body", "description"), LONG_MSG)]
    address = {"address": f"Jl. Yetro{char} Sinseng"}
    assert problems(ReportSubmission, valid_submission(location=address)) == [
        (("body", "location", "address"), LONG_MSG)
    ]
    assert problems(ReporterMessage, {"message": text}) == [(("body", "message"), LONG_MSG)]
    assert problems(AgencyAction, {"action": "respond", "message": text}) == [(("body", "message"), LONG_MSG)]
    assert problems(RatingRequest, {"score": 4, "comment": text}) == [(("body", "comment"), LONG_MSG)]


def test_long_text_keeps_newlines_tabs_and_any_script() -> None:
    text = "Baris satu:\n\tjalan berlubang\nبسم الله — 路面坑洼 👍🏽 (keluarga 👨‍👩‍👧)"
    parsed = validate_body(ReportSubmission, valid_submission(description=text, location={"address": "Jl. A\nRT 03"}))
    assert parsed["description"] == text and parsed["location"]["address"] == "Jl. A\nRT 03"
    assert validate_body(RatingRequest, {"score": 5, "comment": "Bagus\n\tsekali"})["comment"] == "Bagus\n\tsekali"


def test_each_bad_field_gets_exactly_one_error() -> None:
    body = valid_submission(
        title="\u202eabc",  # too short and a bidi override: one error
        description="\x00" * 30,
        reporter={"name": "\u200bS", "email": "siti@@example.org"},
    )
    found = problems(ReportSubmission, body)
    assert sorted(loc for loc, _ in found) == [
        ("body", "description"),
        ("body", "reporter", "email"),
        ("body", "reporter", "name"),
        ("body", "title"),
    ]


@pytest.mark.parametrize(
    "email",
    [
        "a..b@example.org",
        ".siti@example.org",
        "siti.@example.org",
        "siti@-example.org",
        "siti@example-.org",
        "siti@example..org",
        "siti@ab--cd.org",
        "siti@xn--abc.org",
        "siti@example.123",
        "siti@example",
        "siti@localhost",
        "siti@printer.local",
        "siti@site.TEST",
        "siti@x.onion",
        "siti@@example.org",
        "siti rahma@example.org",
        "Siti <siti@example.org>",
        "siti@exam_ple.org",
        "s" * 65 + "@example.org",
        "siti@" + "a" * 64 + ".org",
        "siti@example.org\n",
        '"siti"@example.org',
    ],
)
def test_emails_that_cannot_receive_mail_are_refused(email: str) -> None:
    found = problems(ReportSubmission, with_reporter(email=email))
    assert [loc for loc, _ in found] == [("body", "reporter", "email")]
    assert found[0][1].startswith("is not a valid email address")


@pytest.mark.parametrize(
    "email", ["siti@example.org", "siti.rahma+lapor@mail.baritoutarakab.go.id", "S_R-1@x-y.co.id", "a@b.id"]
)
def test_ordinary_emails_are_accepted(email: str) -> None:
    parsed = validate_body(ReportSubmission, with_reporter(email=email))
    assert (
        parsed["reporter"] is not None
        and parsed["reporter"]["email"] == validate_email(email, check_deliverability=False).normalized
    )


def field_schema(model: Any, *path: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    node = schema
    for name in path:
        node = node["properties"][name]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


SAMPLES = (
    [TITLE, f"  {TITLE}\u3000", f"\t{TITLE}", f"{TITLE}\n", "x" * 10, "x" * 150, "x" * 151, " " * 12]
    + [TITLE[:5] + c + TITLE[5:] for c in ["\n", "\t", "\r", "\x00", "\x1f", "\x7f", "\x85", "\x9b", "\u2028"]]
    + [TITLE[:5] + c + TITLE[5:] for c in ["\u202e", "\u200b"]]
    + ["Lubang besar sejak dua minggu.\n\tSudah ada motor jatuh.", "a", "ab", " a ", "\ta\n", "\x0b" + "a" * 30]
)


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (ReportSubmission, ("title",)),
        (ReportSubmission, ("description",)),
        (ReportSubmission, ("reporter", "name")),
        (ReporterMessage, ("message",)),
    ],
)
def test_the_schema_of_each_text_field_says_exactly_what_is_accepted(model: Any, path: tuple[str, ...]) -> None:
    # These schemas are a type and a pattern; the pattern is matched as JSON Schema's (ECMA-262) regexes do,
    # whose `$` is the very end (Python's `$` also matches before a final newline).
    schema = field_schema(model, *path)
    assert set(schema) <= {"type", "pattern", "description", "title"}
    pattern = re.compile(schema["pattern"].removeprefix("^").removesuffix("$"))
    for sample in SAMPLES:
        if path == ("reporter", "name"):
            accepted = not problems(model, with_reporter(name=sample))
        elif model is ReporterMessage:
            accepted = not problems(model, {"message": sample})
        else:
            accepted = not problems(model, valid_submission(**{path[0]: sample}))
        assert (pattern.fullmatch(sample) is not None) is accepted, (path, sample)


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow], deadline=None)
@given(st.from_regex(re.compile(EMAIL_PATTERN), fullmatch=True))
def test_every_email_the_schema_allows_passes_email_validator(email: str) -> None:
    """The form is the whole check at run time (email-validator is not loaded there): every address of the
    form is one email-validator accepts, and is stored as email-validator normalizes it."""
    if len(email) > 254 or re.search(EMAIL_REFUSED_PATTERN, email):
        assert problems(ReportSubmission, with_reporter(email=email))
        return
    expected = validate_email(email, check_deliverability=False).normalized
    assert not problems(ReportSubmission, with_reporter(email=email))
    assert normalized_email(email) == expected
    assert validate_body(ReportSubmission, with_reporter(email=email))["reporter"]["email"] == expected


@pytest.mark.parametrize(
    "email", ["Siti@Example.ORG", "a.b+c@Sub.EXAMPLE.co.id", "o'brien@mail.Example.com", "x@abc-def.ID"]
)
def test_an_email_is_stored_as_email_validator_normalizes_it(email: str) -> None:
    expected = validate_email(email, check_deliverability=False).normalized
    assert expected != email  # each has a capital in its domain, which email-validator lowers
    assert validate_body(ReportSubmission, with_reporter(email=email))["reporter"]["email"] == expected


@pytest.mark.parametrize("email", ["a@xn--p1ai.com", "a@b.local", "a..b@example.org", "a@-x.org", "a@x.123", "é@x.org"])
def test_emails_outside_the_form_are_refused(email: str) -> None:
    assert problems(ReportSubmission, with_reporter(email=email)) == [
        (("body", "reporter", "email"), "is not a valid email address")
    ]

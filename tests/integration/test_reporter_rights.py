"""The reporter's rights over their data with the access code (issue 23, item 2): a copy of everything stored,
correcting the contact, erasing it; each use recorded for the reporter and the agency only, and counted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims
from tests.integration.test_undeliverable_email import emitted

DPUPR = claims("dpupr-barito-utara")
EXPORT = "/reports/{tracking_id}/private/export"
CONTACT = "/reports/{tracking_id}/private/contact"
PRIVATE = "/reports/{tracking_id}/private"
ONE = "/agency/reports/{tracking_id}"
NAME, EMAIL, PHONE = "Rahmawati Kusumadewi", "rahmawati.kd@example.org", "+6281377775555"
NEW_EMAIL, NEW_PHONE = "rahma.baru@example.org", "+6281399998888"
FROM_REPORTER = "Saya bisa dihubungi sore hari di nomor 0813-7777-5555."
FROM_AGENCY = "Kami akan menghubungi Ibu Rahmawati secara langsung."
SECRET_TEXT = "Petugas loket meminta uang tambahan Rp50.000 untuk surat pindah."


def submit(api: Api, **overrides: Any) -> tuple[str, str]:
    body = valid_submission(reporter={"name": NAME, "email": EMAIL, "phone": PHONE}, **overrides)
    receipt = api.submit(body)
    return receipt["tracking_id"], receipt["access_code"]


def with_messages(api: Api, tid: str, code: str) -> None:
    assert api.reporter("POST", "/reports/{tracking_id}/messages", tid, code, body={"message": FROM_REPORTER})[0] == 201
    assert api.act(DPUPR, tid, action="verify", message=FROM_AGENCY, private=True)[0] == 200


def raw_partition(aws: Aws, tracking_id: str) -> list[dict[str, Any]]:
    from lapor.store import from_item

    items = [from_item(i) for i in aws.raw_items() if i["pk"]["S"] == f"REPORT#{tracking_id}"]
    return sorted(items, key=lambda item: str(item["sk"]))


def without_sealed(value: Any) -> Any:
    """A stored value with every sealed part left out, bytes as base64 (as the export shows them)."""
    import base64

    if isinstance(value, dict):
        return {k: without_sealed(v) for k, v in value.items() if k != "sealed"}
    if isinstance(value, list):
        return [without_sealed(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def events(view: dict[str, Any]) -> list[str]:
    return [entry["event"] for entry in view["timeline"]]


@pytest.mark.parametrize("confidential", [False, True])
def test_the_export_holds_exactly_what_the_table_holds_for_the_report(
    api: Api, aws: Aws, confidential: bool, captured_logs: CapturedLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a report with private messages both ways
    tid, code = submit(api, confidential=confidential, description=SECRET_TEXT)
    with_messages(api, tid, code)

    # When the reporter asks for their data
    status, export, headers = api.reporter("GET", EXPORT, tid, code)

    # Then every item the table holds for the report is in it, item by item, attribute by attribute
    assert status == 200 and headers["Cache-Control"] == "no-store"
    raw = raw_partition(aws, tid)
    stored = {record["key"]: record["attributes"] for record in export["stored"]}
    assert sorted(stored) == [item["sk"] for item in raw]
    for item in raw:
        attributes = stored[item["sk"]]
        # every attribute but the keys and the access code's secrets (credentials, not data about the reporter)
        plain = {k: v for k, v in item.items() if k not in ("pk", "sk", "access_code_hash", "wrong_codes")}
        assert set(attributes) == set(plain), item["sk"]
        assert without_sealed(attributes) == json.loads(json.dumps(without_sealed(plain))), item["sk"]
    # and what is sealed is shown opened: the contact, the confidential text, both private messages
    report = stored["REPORT"]
    assert report["sealed"]["reporter"] == {"name": NAME, "email": EMAIL, "phone": PHONE}
    assert (report["sealed"].get("description") == SECRET_TEXT) is confidential
    opened = [attributes.get("sealed") for key, attributes in stored.items() if key.startswith("PRIVATE#")]
    assert FROM_REPORTER in opened and FROM_AGENCY in opened
    # and the readable view, with this very request recorded for the reporter and the agency only
    assert export["report"]["reporter"]["email"] == EMAIL and export["erased"] == []
    assert events(export["report"])[-1] == "data_exported" and export["report"]["timeline"][-1]["private"]
    assert any(key.startswith("DATA_REQUEST#") for key in stored)
    assert "data_exported" in events(api.agency(DPUPR, "GET", ONE, tid)[1])
    assert "data_exported" not in events(api.public(tid))
    # and nothing of it reached a log line
    for text in (NAME, EMAIL, PHONE, FROM_REPORTER, FROM_AGENCY, SECRET_TEXT, code):
        assert text not in captured_logs.text
    assert emitted(capsys.readouterr().out, "PersonalDataExported") == [1.0]


def test_erasing_the_contact_leaves_an_anonymous_report_and_the_agency_is_told(
    api: Api, aws: Aws, captured_logs: CapturedLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an identified report with private messages
    tid, code = submit(api)
    with_messages(api, tid, code)

    # When the reporter erases their contact, twice (a retry)
    first = api.reporter("DELETE", CONTACT, tid, code)
    second = api.reporter("DELETE", CONTACT, tid, code)

    # Then both answer 204 and the contact is gone from every raw item, the messages still readable
    assert first[0] == second[0] == 204 and first[1] in ("", None)
    raw = json.dumps(aws.raw_items(), default=str)
    for text in (NAME, EMAIL, PHONE):
        assert text not in raw
    status, export, _ = api.reporter("GET", EXPORT, tid, code)
    assert status == 200 and "reporter" not in export["report"] and "reporter" not in export["stored"][0]["attributes"]
    assert export["report"]["anonymous"] is True
    assert [e["event"] for e in export["erased"]] == ["contact_erased"]
    assert FROM_REPORTER in [e.get("message") for e in export["report"]["timeline"]]
    # and the agency's view says the reporter erased it (recorded once: the retry changed nothing)
    agency = api.agency(DPUPR, "GET", ONE, tid)[1]
    assert "reporter" not in agency and events(agency).count("contact_erased") == 1
    assert FROM_AGENCY in [e.get("message") for e in agency["timeline"]]
    assert api.public(tid)["anonymous"] is True and "contact_erased" not in events(api.public(tid))
    # and a correction has nothing left to correct
    body = {"name": NAME, "email": NEW_EMAIL}
    assert api.reporter("PATCH", CONTACT, tid, code, body=body)[0] == 409
    for text in (NAME, EMAIL, PHONE):
        assert text not in captured_logs.text
    assert emitted(capsys.readouterr().out, "ContactErased") == [1.0]


def test_correcting_the_contact_replaces_it_sealed_as_before(api: Api, aws: Aws) -> None:
    tid, code = submit(api)
    with_messages(api, tid, code)

    corrected = {"name": NAME, "email": NEW_EMAIL, "phone": NEW_PHONE}
    status, view, _ = api.reporter("PATCH", CONTACT, tid, code, body=corrected)
    assert status == 200 and view["reporter"] == corrected and events(view)[-1] == "contact_corrected"
    # Sending it again (a retry) changes and records nothing
    assert events(api.reporter("PATCH", CONTACT, tid, code, body=corrected)[1]).count("contact_corrected") == 1

    raw = json.dumps(aws.raw_items(), default=str)
    assert NEW_EMAIL not in raw and EMAIL not in raw and NEW_PHONE not in raw  # sealed, the old one gone
    agency = api.agency(DPUPR, "GET", ONE, tid)[1]
    assert agency["reporter"] == corrected and "contact_corrected" in events(agency)
    assert FROM_REPORTER in [e.get("message") for e in agency["timeline"]]  # the same data key opens the rest


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": NAME},
        {"name": "x", "email": NEW_EMAIL},
        {"name": NAME, "phone": "0812"},
        {"name": NAME, "email": "not an email"},
        {"name": NAME, "email": NEW_EMAIL, "extra": 1},
        [],
        "text",
    ],
)
def test_a_bad_correction_is_422_and_changes_nothing(api: Api, aws: Aws, body: Any) -> None:
    tid, code = submit(api)
    before = raw_partition(aws, tid)
    status, problem, _ = api.reporter("PATCH", CONTACT, tid, code, body=body)
    assert status in (400, 422) and problem["status"] == status
    assert raw_partition(aws, tid) == before


def test_an_anonymous_report_has_no_contact_to_correct_and_erasing_it_is_done_already(api: Api) -> None:
    receipt = api.submit(valid_submission(anonymous=True, reporter=None))
    tid, code = receipt["tracking_id"], receipt["access_code"]
    assert api.reporter("PATCH", CONTACT, tid, code, body={"name": NAME, "email": EMAIL})[0] == 409
    assert api.reporter("DELETE", CONTACT, tid, code)[0] == 204
    status, export, _ = api.reporter("GET", EXPORT, tid, code)
    assert status == 200 and events(export["report"]).count("contact_erased") == 0


@pytest.mark.parametrize("code", [None, "", "AAAAA-AAAAA-AAAAA-AAAAA", "x" * 500])
def test_wrong_codes_get_the_private_views_403_and_change_nothing(
    api: Api, aws: Aws, code: str | None, captured_logs: CapturedLogs
) -> None:
    tid, _ = submit(api)
    before = next(i for i in raw_partition(aws, tid) if i["sk"] == "REPORT")
    for method, body in (("GET", None), ("PATCH", {"name": NAME, "email": NEW_EMAIL}), ("DELETE", None)):
        path = EXPORT if method == "GET" else CONTACT
        status, problem, _ = api.reporter(method, path, tid, code, body=body)
        assert status == 403 and problem["title"] == "Forbidden"
        if code:
            assert code not in json.dumps(problem) and code not in captured_logs.text
    after = next(i for i in raw_partition(aws, tid) if i["sk"] == "REPORT")
    assert {k: v for k, v in after.items() if k != "wrong_codes"} == {
        k: v for k, v in before.items() if k != "wrong_codes"
    }
    assert not [i for i in raw_partition(aws, tid) if str(i["sk"]).startswith("DATA_REQUEST#")]


def test_wrong_codes_past_the_limit_are_429_on_every_right_and_the_right_code_still_opens(api: Api) -> None:
    from lapor.reporter import MAX_WRONG_CODES

    tid, code = submit(api)
    for _ in range(MAX_WRONG_CODES):
        assert api.reporter("GET", EXPORT, tid, "WRONG-CODE0-00000-00000")[0] == 403
    for method, path in (("GET", EXPORT), ("PATCH", CONTACT), ("DELETE", CONTACT), ("GET", PRIVATE)):
        status, _, headers = api.reporter(method, path, tid, "WRONG", body={"name": NAME, "email": EMAIL})
        assert status == 429 and int(headers["Retry-After"]) > 0
    assert api.reporter("GET", EXPORT, tid, code)[0] == 200
    assert api.reporter("DELETE", CONTACT, tid, code)[0] == 204


def test_unknown_and_malformed_reports_are_404(api: Api) -> None:
    for tid in ("LPR-0000-0000-0000", "nonsense", "x" * 40):
        assert api.reporter("GET", EXPORT, tid, "AAAAA-AAAAA-AAAAA-AAAAA")[0] == 404
        assert api.reporter("DELETE", CONTACT, tid, "AAAAA-AAAAA-AAAAA-AAAAA")[0] == 404


def test_after_retention_the_export_says_what_was_erased_and_when(api: Api, aws: Aws) -> None:
    from lapor.retention import erase_expired_personal_data

    tid, code = submit(api)
    with_messages(api, tid, code)
    assert api.act(DPUPR, tid, action="respond", message="Sudah ditangani.")[0] == 200
    assert api.act(DPUPR, tid, action="close")[0] == 200
    assert erase_expired_personal_data(datetime.now(UTC) + timedelta(days=400))["erased"] == 1

    status, export, _ = api.reporter("GET", EXPORT, tid, code)
    assert status == 200 and [e["event"] for e in export["erased"]] == ["personal_data_erased"]
    assert "reporter" not in export["report"]
    assert not [r for r in export["stored"] if r["key"].startswith("PRIVATE#")]
    assert api.reporter("DELETE", CONTACT, tid, code)[0] == 204  # nothing left to erase


def test_exports_and_corrections_past_the_days_cap_are_429_and_erasing_still_works(api: Api, aws: Aws) -> None:
    from lapor.rights import DATA_REQUESTS_PER_DAY

    tid, code = submit(api)
    for n in range(DATA_REQUESTS_PER_DAY - 1):
        assert api.reporter("GET", EXPORT, tid, code)[0] == 200, n
    corrected = {"name": NAME, "email": NEW_EMAIL}
    assert api.reporter("PATCH", CONTACT, tid, code, body=corrected)[0] == 200  # the day's last one
    status, problem, headers = api.reporter("GET", EXPORT, tid, code)
    assert status == 429 and str(DATA_REQUESTS_PER_DAY) in problem["detail"]
    assert 0 < int(headers["Retry-After"]) <= 24 * 3600 + 1
    assert api.reporter("PATCH", CONTACT, tid, code, body={"name": NAME, "phone": NEW_PHONE})[0] == 429
    assert api.reporter("PATCH", CONTACT, tid, code, body=corrected)[0] == 200  # unchanged: nothing to record
    assert api.reporter("DELETE", CONTACT, tid, code)[0] == 204
    recorded = [i for i in raw_partition(aws, tid) if str(i["sk"]).startswith("DATA_REQUEST#")]
    assert len(recorded) == DATA_REQUESTS_PER_DAY + 1  # the erasure too

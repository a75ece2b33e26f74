"""Saved replies and the CSV export of the agency API, on moto: each agency's own, and nothing private."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

DPUPR = claims("dpupr-barito-utara")
DPUPR_COLLEAGUE = claims("dpupr-barito-utara")
DINKES = claims("dinkes-barito-utara")
PEMKAB_DISPATCHER = claims("pemkab-barito-utara", "dispatcher")
ONE = "/agency/replies/{reply_id}"
REPLY = {"title": "Sudah ditambal", "text": "Lubang sudah ditambal oleh tim kami. Terima kasih."}


def replies(api: Api, who: dict[str, str]) -> list[dict[str, Any]]:
    status, body, _ = api.agency(who, "GET", "/agency/replies")
    assert status == 200
    return list(body["items"])


def reply_call(api: Api, who: dict[str, str] | None, method: str, reply_id: str, **kwargs: Any) -> tuple:
    return api.call("agency_reports", method, ONE, path_params={"reply_id": reply_id}, claims=who, **kwargs)


def test_saved_replies_are_shared_by_an_agencys_officers_and_by_nobody_else(api: Api) -> None:
    status, created, headers = api.agency(DPUPR, "POST", "/agency/replies", body=REPLY)
    assert status == 201 and headers["Cache-Control"] == "no-store"
    assert {k: created[k] for k in REPLY} == REPLY
    assert replies(api, DPUPR_COLLEAGUE) == [created]
    assert replies(api, DINKES) == []
    assert replies(api, PEMKAB_DISPATCHER) == []  # a dispatcher has its own agency's replies, not those below

    # Another agency can neither change nor delete them, even knowing the id: it is simply not theirs
    assert reply_call(api, DINKES, "PUT", created["reply_id"], body=REPLY)[0] == 404
    assert reply_call(api, DINKES, "DELETE", created["reply_id"])[0] == 404
    assert replies(api, DPUPR) == [created]

    changed = {"title": "  Ditambal ", "text": "\nSudah diperbaiki.\t"}  # stored trimmed
    status, updated, _ = reply_call(api, DPUPR_COLLEAGUE, "PUT", created["reply_id"], body=changed)
    assert status == 200 and updated["reply_id"] == created["reply_id"]
    assert (updated["title"], updated["text"]) == ("Ditambal", "Sudah diperbaiki.")
    assert replies(api, DPUPR) == [updated]
    assert reply_call(api, DPUPR, "DELETE", created["reply_id"])[0] == 204
    assert replies(api, DPUPR) == []
    assert reply_call(api, DPUPR, "DELETE", created["reply_id"])[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": "", "text": "x"}, "title"), ({"title": "t"}, "text"), ({**REPLY, "agency_id": "dinkes"}, "agency_id")],
)
def test_a_saved_reply_needs_a_title_and_a_text_and_nothing_else(api: Api, body: dict[str, Any], field: str) -> None:
    status, problem, _ = api.agency(DPUPR, "POST", "/agency/replies", body=body)
    assert status == 422 and field in json.dumps(problem["errors"])
    assert replies(api, DPUPR) == []


@pytest.mark.parametrize("reply_id", ["nope", "../x", "0" * 40])
def test_an_unknown_or_malformed_reply_id_is_404(api: Api, reply_id: str) -> None:
    assert reply_call(api, DPUPR, "PUT", reply_id, body=REPLY)[0] == 404


def test_a_token_without_agency_gets_401_on_replies(api: Api) -> None:
    assert api.agency(None, "GET", "/agency/replies")[0] == 401


def test_replies_are_stored_apart_from_the_directory(api: Api, aws: Aws) -> None:
    api.agency(DPUPR, "POST", "/agency/replies", body=REPLY)
    from lapor.store import read_directory

    directory = read_directory()
    assert REPLY["text"] not in json.dumps(directory)


def test_the_csv_export_lists_the_scope_without_content_or_reporter(api: Api) -> None:
    confidential = api.submit(valid_submission(confidential=True))
    other = api.submit(valid_submission(category="kesehatan", agency_id="dinkes-barito-utara"))
    status, text, headers = api.agency(DPUPR, "GET", "/agency/reports.csv")
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["tracking_id"] for row in rows] == [confidential["tracking_id"]]
    assert rows[0]["status"] == "submitted" and rows[0]["overdue"] == "0" and rows[0]["escalation_level"] == "0"
    assert rows[0]["agency_id"] == "dpupr-barito-utara" and rows[0]["category"] == "jalan-jembatan"
    assert text.split("\r\n")[0] == (
        "tracking_id,kind,category,status,submitted_at,updated_at,due_at,overdue,escalation_level,agency_id,"
        "original_agency_id,open311_key_id"
    )
    assert rows[0]["kind"] == "complaint" and rows[0]["original_agency_id"] == "dpupr-barito-utara"
    assert rows[0]["submitted_at"] == confidential["submitted_at"] and rows[0]["due_at"] == confidential["due_at"]
    for private in ("Jalan berlubang", "Lubang besar", "Siti", "siti@example.org", "Yetro"):
        assert private not in text

    _, text, _ = api.agency(PEMKAB_DISPATCHER, "GET", "/agency/reports.csv", query={"category": "kesehatan"})
    assert [row["tracking_id"] for row in csv.DictReader(io.StringIO(text))] == [other["tracking_id"]]
    _, text, _ = api.agency(PEMKAB_DISPATCHER, "GET", "/agency/reports.csv", query={"status": "verified"})
    assert list(csv.DictReader(io.StringIO(text))) == []
    _, text, _ = api.agency(DPUPR, "GET", "/agency/reports.csv", query={"overdue": "1"})
    assert list(csv.DictReader(io.StringIO(text))) == []


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        (DPUPR, {"agency": "dinkes-barito-utara"}, 403),  # not in this officer's scope
        (DPUPR, {"category": "no-such"}, 200),  # a filter that matches nothing
        (DPUPR, {"overdue": "yes"}, 422),
        (DPUPR, {"status": "lost"}, 422),
        (PEMKAB_DISPATCHER, {"agency": "dinkes-barito-utara"}, 200),
        (None, {}, 401),
    ],
)
def test_the_csv_export_checks_its_filters_and_the_scope(
    api: Api, who: dict[str, str] | None, query: dict[str, str], status: int
) -> None:
    assert api.agency(who, "GET", "/agency/reports.csv", query=query)[0] == status

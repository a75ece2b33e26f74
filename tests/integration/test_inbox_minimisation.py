"""Data minimisation for officers (issue 23, item 5): the inbox shows no reporter and decrypts nothing; only
opening one report shows the identity, and that is what the audit trail records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, claims

DPUPR = claims("dpupr-barito-utara")
DISPATCHER = {**claims("pemkab-barito-utara", role="dispatcher"), "sub": "dispatcher-1"}
ONE = "/agency/reports/{tracking_id}"
REPORTER = {"name": "Siti Rahma", "email": "siti@example.org", "phone": "+6281234567890"}


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(service, operation) of every boto3 call, as tests/integration/test_permissions.py records them."""
    from botocore.client import BaseClient

    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    yield calls


def trail(tracking_id: str) -> list[dict[str, Any]]:
    from lapor.store import audit_trail

    return audit_trail(tracking_id)


def test_inbox_pages_make_no_kms_call_and_carry_no_reporter(api: Api, aws_calls: list[tuple[str, str]]) -> None:
    ids = [
        api.submit(valid_submission())["tracking_id"],
        api.submit(valid_submission(confidential=True))["tracking_id"],
        api.submit(valid_submission(anonymous=True, reporter=None))["tracking_id"],
    ]
    api.act(DPUPR, ids[0], action="verify", message="Untuk pelapor saja.", private=True)
    recorded = [len(trail(tid)) for tid in ids]
    # An officer's first inbox page puts them in the roster coordinators assign from (one PutItem of their
    # sub, name, agency and role); the pages after it read only (GetItem: the account's refusal, lapor.admin).
    for who in (DPUPR, DISPATCHER):
        del aws_calls[:]
        assert api.agency(who, "GET", "/agency/reports")[0] == 200
        assert sorted({call[1] for call in aws_calls}) == ["GetItem", "PutItem", "Query"]
    for who, query in ((DPUPR, None), (DPUPR, {"status": "submitted"}), (DISPATCHER, {"limit": "2"})):
        del aws_calls[:]
        status, page, _ = api.agency(who, "GET", "/agency/reports", query=query)
        assert status == 200 and page["items"]
        assert [call for call in aws_calls if call[0] == "kms"] == []
        # Reads only (GetItem: the account's refusal, lapor.admin): no audit entry written
        assert {call[1] for call in aws_calls} <= {"Query", "GetItem"}
        body = json.dumps(page)
        assert all("reporter" not in item and "timeline" not in item for item in page["items"])
        assert not any(value in body for value in REPORTER.values())
    # A confidential report's content stays sealed in the list; a public one shows its title.
    page = api.agency(DPUPR, "GET", "/agency/reports")[1]["items"]
    listed = {item["tracking_id"]: item for item in page}
    assert "title" not in listed[ids[1]] and listed[ids[0]]["title"] == valid_submission()["title"]
    assert [len(trail(tid)) for tid in ids] == recorded  # listing is not recorded: nothing was shown


def test_opening_one_report_shows_the_reporter_and_writes_exactly_one_audit_entry(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    for _ in range(3):
        assert api.agency(DPUPR, "GET", "/agency/reports")[0] == 200
    assert trail(tid) == []
    status, view, _ = api.agency(DPUPR, "GET", ONE, tid)
    assert status == 200 and view["reporter"] == REPORTER
    entries = trail(tid)
    assert [(e["access"], e["officer_sub"]) for e in entries] == [("read", DPUPR["sub"])]

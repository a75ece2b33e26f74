"""End to end: an operator can tell which officer (token `sub`) saw a report and acted on it, what one officer
account reached in a window, and how many reporters an agency can tell of a breach (`lapor audit`)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import RunningStack
from tests.e2e.client import call
from tests.events import valid_submission


def subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_lapor_audit_lists_who_read_and_acted_on_a_report(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    tid = call(api, "POST", "/reports", valid_submission(confidential=True)).json["tracking_id"]
    reader = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    actor = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    path = f"/agency/reports/{tid}"
    assert call(api, "GET", path, headers={"Authorization": f"Bearer {reader}"}).status == 200
    verify = call(api, "POST", f"{path}/actions", {"action": "verify"}, {"Authorization": f"Bearer {actor}"})
    assert verify.status == 200

    lines = local_stack.cli("audit", "--tracking-id", tid.lower()).splitlines()
    trail = [json.loads(line) for line in lines]
    assert [(e["officer_sub"], e["access"], e.get("action")) for e in trail] == [
        (subject(reader), "read", None),
        (subject(actor), "action", "verify"),
    ]
    # Nothing of it in what the public or the agency sees.
    for view in (
        call(api, "GET", f"/reports/{tid}").raw,
        call(api, "GET", path, headers={"Authorization": f"Bearer {reader}"}).raw,
    ):
        assert subject(reader).encode() not in view and subject(actor).encode() not in view


def wait_for_the_next_second() -> str:
    """The next whole second, once it has begun (audit entries are timed to the second): an ISO time."""
    now = datetime.now(UTC)
    time.sleep(1 - now.microsecond / 1_000_000 + 0.05)
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def test_lapor_audit_officer_lists_what_one_account_reached_in_a_window(local_stack: RunningStack) -> None:
    """Given two officers of one agency, and reports one of them opened before the window of a stolen token."""
    api = local_stack.api_url
    stolen = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    colleague = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    earlier, identified, anonymous = (
        call(api, "POST", "/reports", body).json["tracking_id"]
        for body in (
            valid_submission(),
            valid_submission(),
            valid_submission(anonymous=True, reporter=None, confidential=True),
        )
    )

    def as_officer(token: str, method: str, path: str, body: Any = None) -> None:
        assert call(api, method, path, body, {"Authorization": f"Bearer {token}"}).status == 200

    as_officer(stolen, "GET", f"/agency/reports/{earlier}")  # before the window
    start = wait_for_the_next_second()
    as_officer(stolen, "GET", f"/agency/reports/{identified}")
    as_officer(stolen, "POST", f"/agency/reports/{anonymous}/actions", {"action": "verify"})
    as_officer(stolen, "GET", f"/agency/reports/{identified}")
    as_officer(colleague, "GET", f"/agency/reports/{earlier}")  # someone else, in the window
    end = datetime.now(UTC).isoformat()

    # When the operator asks what the stolen account reached in the window
    lines = local_stack.cli("audit", "--officer", subject(stolen), "--from", start, "--to", end).splitlines()

    # Then it is these two reports, in the order reached, with how and whether their reporter can be told
    reached = [json.loads(line) for line in lines]
    assert [(r["tracking_id"], r["accesses"], r["actions"], r["reporter_has_contact"]) for r in reached] == [
        (identified, {"read": 2}, [], True),
        (anonymous, {"action": 1}, ["verify"], False),
    ]
    assert all(r["agency_id"] == "dpupr-barito-utara" and start <= r["first_at"] <= r["last_at"] for r in reached)
    # And the colleague's window holds the earlier report only; before the window, the stolen account's does
    colleague_lines = local_stack.cli("audit", "--officer", subject(colleague), "--from", start, "--to", end)
    assert [json.loads(line)["tracking_id"] for line in colleague_lines.splitlines()] == [earlier]
    last_second_before = (datetime.fromisoformat(start) - timedelta(seconds=1)).isoformat()  # --to is inclusive
    before = local_stack.cli(
        "audit", "--officer", subject(stolen), "--from", "2020-01-01T00:00:00Z", "--to", last_second_before
    )
    assert earlier in before and identified not in before


def reachable(local_stack: RunningStack, agency: str) -> dict[str, Any]:
    return dict(json.loads(local_stack.cli("audit", "--reports-with-contact", "--agency", agency)))


def test_lapor_audit_counts_the_reporters_an_agency_and_those_below_it_can_notify(local_stack: RunningStack) -> None:
    """Given two identified reports and an anonymous one for an office below the regency"""
    api = local_stack.api_url
    office, regency = "dinkes-barito-utara", "pemkab-barito-utara"
    office_before, regency_before = reachable(local_stack, office), reachable(local_stack, regency)
    for body in (
        valid_submission(agency_id=office),
        valid_submission(agency_id=office, confidential=True),
        valid_submission(agency_id=office, anonymous=True, reporter=None),
    ):
        assert call(api, "POST", "/reports", body).status == 201

    # When the operator counts the reporters to notify, for the office and for the regency above it
    office_after, regency_after = reachable(local_stack, office), reachable(local_stack, regency)

    # Then both count three more reports, two of them with a reporter who left contact data
    for before, after in ((office_before, office_after), (regency_before, regency_after)):
        assert (after["reports"] - before["reports"], after["with_contact"] - before["with_contact"]) == (3, 2)
    assert set(regency_after["by_agency"]) == {regency, office, "dpupr-barito-utara", "disdukcapil-barito-utara"}
    assert regency_after["by_agency"][office] == {
        "reports": office_after["reports"],
        "with_contact": office_after["with_contact"],
    }

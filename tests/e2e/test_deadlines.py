"""End to end over HTTP: a missed verification deadline escalates the report on the local stack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lapor.calendar import add_working_days
from lapor.timefmt import to_store

from tests.conftest import RunningStack
from tests.e2e.client import call, eventually
from tests.e2e.test_agency_loop import mails_to
from tests.events import valid_submission


def overdue_open_reports_of(local_stack: RunningStack, agency_id: str, at: datetime) -> int:
    """How many open reports of an agency the deadline job will escalate at `at` (read as an operator would,
    through the local AWS endpoint): other tests share this stack and may have left some."""
    items = local_stack.aws_client("dynamodb").scan(TableName="lapor-ReportsTable")["Items"]
    return sum(
        1
        for item in items
        if item.get("agency_id", {}).get("S") == agency_id
        and "due_pk" in item
        and item["due_at"]["S"] <= to_store(at)
        and item.get("due_stage", {}).get("S") in ("verify", "respond")
    )


def test_overdue_report_escalates_and_everyone_can_see_it(local_stack: RunningStack) -> None:
    """Promise: a report left unverified past its deadline is escalated one level up, both agencies are told,
    and /stats counts every escalation exactly once. Other reports on the shared stack may be escalated by
    the same run, so the expected figure is read from the table, not assumed; the notices and counters are
    applied asynchronously, so the test waits for them with a bound."""
    api = local_stack.api_url
    receipt = call(api, "POST", "/reports", valid_submission(category="kesehatan", agency_id=None)).json
    tid = receipt["tracking_id"]
    eventually(lambda: mails_to(local_stack.mail_dir, "dinkes@baritoutara.lapor.example", tid))
    before = {s["agency_id"]: s for s in call(api, "GET", "/stats").json["agencies"]}
    # Four working days later the verification deadline (three working days) has passed
    at = add_working_days(datetime.now(UTC), 4, "Asia/Jakarta") - timedelta(hours=12)
    due_at_dinkes = overdue_open_reports_of(local_stack, "dinkes-barito-utara", at)
    assert due_at_dinkes >= 1
    summary = json.loads(local_stack.cli("escalate", "--at", at.isoformat()).strip().splitlines()[-1])
    assert summary["escalated"] >= 1
    public = call(api, "GET", f"/reports/{tid}").json
    assert "escalated" in [e["event"] for e in public["timeline"]] and public["escalation_level"] == 1
    assert public["agency"]["id"] == "pemkab-barito-utara"
    token = local_stack.cli("dev-token", "--agency", "pemkab-barito-utara").strip()
    inbox = call(api, "GET", "/agency/reports", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert tid in [i["tracking_id"] for i in inbox]
    # Both agencies are told
    eventually(
        lambda: mails_to(local_stack.mail_dir, "pengaduan@baritoutara.lapor.example", tid),
        message="no mail to the regency",
    )
    eventually(
        lambda: len(mails_to(local_stack.mail_dir, "dinkes@baritoutara.lapor.example", tid)) == 2,
        message="no mail to dinkes",
    )

    def counted() -> bool:
        after = {s["agency_id"]: s for s in call(api, "GET", "/stats").json["agencies"]}
        return (
            after["dinkes-barito-utara"]["escalated"] == before["dinkes-barito-utara"]["escalated"] + due_at_dinkes
            and after["pemkab-barito-utara"]["received"] >= before["pemkab-barito-utara"]["received"] + 1
        )

    eventually(counted, message="/stats does not count the escalation")

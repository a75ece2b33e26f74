"""End to end on the running stack: an office returns a report (bukan wewenang), the coordinator lists it in one
query and transfers it on in bulk; `lapor reindex-scope` places every report in its coordinators' inboxes."""

from __future__ import annotations

import json

from tests.conftest import RunningStack
from tests.e2e.client import call
from tests.events import valid_submission


def test_an_office_returns_a_report_and_the_coordinator_disposes_of_it_in_bulk(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    tid = call(api, "POST", "/reports", valid_submission()).json["tracking_id"]
    office = {"Authorization": f"Bearer {local_stack.cli('dev-token', '--agency', 'dpupr-barito-utara').strip()}"}
    coordinator_token = local_stack.cli("dev-token", "--agency", "pemkab-barito-utara", "--role", "dispatcher")
    coordinator = {"Authorization": f"Bearer {coordinator_token.strip()}"}

    returned = call(
        api, "POST", f"/agency/reports/{tid}/actions", {"action": "not_responsible", "message": "Bukan kami."}, office
    )
    assert returned.status == 200 and returned.json["agency"]["id"] == "pemkab-barito-utara"
    inbox = call(api, "GET", "/agency/reports?status=submitted", headers=coordinator).json["items"]
    assert tid in [item["tracking_id"] for item in inbox]
    body = {"action": "transfer", "tracking_ids": [tid], "agency_id": "dinkes-barito-utara", "message": "Ke Dinkes."}
    bulk = call(api, "POST", "/agency/bulk-actions", body, coordinator)
    assert bulk.status == 200 and [item["status"] for item in bulk.json["items"]] == [200]

    # Every report written since the indexes exist is in them already: the reindex reads all, changes none.
    summary = json.loads(local_stack.cli("reindex-scope"))
    assert summary["read"] >= 1 and summary["updated"] == 0 and summary["raced"] == 0
    assert summary["nearby_set"] == 0 and summary["nearby_raced"] == 0

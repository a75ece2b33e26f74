"""Who saw a reporter's identity is answerable: every officer read and action is in an internal audit trail.

The trail holds the officer's `sub` (the token's subject) and the name they sign in with (their work
email), and no view shows it: not the public one, not the reporter's, not the agency's.
"""

from __future__ import annotations

import json
from typing import Any

from tests.events import valid_submission
from tests.integration.conftest import Api, claims

ONE = "/agency/reports/{tracking_id}"
PRIVATE = "/reports/{tracking_id}/private"


def officer(sub: str, agency_id: str = "dpupr-barito-utara", role: str = "officer") -> dict[str, str]:
    return {**claims(agency_id, role), "sub": sub, "email": f"{sub}@dpupr.example"}


def trail(tracking_id: str) -> list[dict[str, Any]]:
    from lapor.store import audit_trail

    return audit_trail(tracking_id)


def test_every_officer_read_and_action_is_recorded_with_the_officers_sub(api: Api) -> None:
    receipt = api.submit(valid_submission(confidential=True))
    tid = receipt["tracking_id"]
    reader, actor, dispatcher = (
        officer("6f1c2a9e-reader"),
        officer("0b7d4e21-actor"),
        officer("93aa51f0-dispatcher", "pemkab-barito-utara", "dispatcher"),
    )
    assert trail(tid) == []

    assert api.agency(reader, "GET", ONE, tid)[0] == 200
    status, page, _ = api.agency(dispatcher, "GET", "/agency/reports")
    assert status == 200 and tid in [r["tracking_id"] for r in page["items"]]
    assert api.act(actor, tid, action="verify")[0] == 200
    assert api.act(actor, tid, action="respond", message="Sudah ditambal.")[0] == 200
    assert api.act(actor, tid, action="verify")[0] == 409  # refused, but the attempt is on record too

    entries = [(e["officer_sub"], e["access"], e.get("action"), e["version"]) for e in trail(tid)]
    assert entries == [
        ("6f1c2a9e-reader", "read", None, 1),
        ("0b7d4e21-actor", "action", "verify", 1),
        ("0b7d4e21-actor", "action", "respond", 2),
        ("0b7d4e21-actor", "action", "verify", 3),
    ]
    # The dispatcher's inbox showed no identity and decrypted nothing: listing is not recorded (issue 23).
    assert {e["officer_agency_id"] for e in trail(tid)} == {"dpupr-barito-utara"}
    # The name each signed in with too: the trail stays readable when a replaced user pool issues new subs.
    assert {e["officer_sub"]: e["officer_username"] for e in trail(tid)} == {
        "6f1c2a9e-reader": "6f1c2a9e-reader@dpupr.example",
        "0b7d4e21-actor": "0b7d4e21-actor@dpupr.example",
    }

    # No view shows who looked: not the public one, the reporter's or the agency's.
    views = [
        api.public(tid),
        api.reporter("GET", PRIVATE, tid, receipt["access_code"])[1],
        api.agency(reader, "GET", ONE, tid)[1],
        api.agency(dispatcher, "GET", "/agency/reports")[1],
    ]
    for view in views:
        text = json.dumps(view)
        assert "6f1c2a9e" not in text and "0b7d4e21" not in text and "93aa51f0" not in text
        assert "audit" not in text


def test_a_token_without_a_subject_reads_nothing(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    anonymous_officer = {k: v for k, v in claims("dpupr-barito-utara").items() if k != "sub"}
    status, problem, _ = api.agency(anonymous_officer, "GET", ONE, tid)
    assert status == 401 and "Siti" not in json.dumps(problem)
    assert trail(tid) == []


def test_an_officer_of_another_agency_is_refused_before_anything_is_recorded(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    assert api.agency(officer("x-dinkes", "dinkes-barito-utara"), "GET", ONE, tid)[0] == 403
    assert trail(tid) == []


# Issue 24, item 4: every agency operation on one report, with a request it accepts (or refuses after the
# officer was let in: the attempt is recorded too), and the audit entry's `access`. An operation on one report
# added to the contract without an entry here fails the walk below, until it records and is listed.
PER_REPORT_REQUESTS: dict[str, tuple[dict[str, Any], set[int], str]] = {
    "getAgencyReport": ({}, {200}, "read"),
    "postAgencyAction": ({"body": {"action": "verify"}}, {200}, "action"),
    "postAgencyAttachment": ({"body": {"content_type": "image/jpeg"}}, {201}, "attach_photo"),
    # The slot's photo is not processed yet: refused with 409, after the officer's look was recorded.
    "putAgencyPhotoVisibility": ({"body": {"public": True}}, {200, 409}, "photo_visibility"),
    "listAgencyNearbyReports": ({}, {200}, "nearby"),
}
# Operations that concern no single report: lists, the CSV export (no reporter data, nothing decrypted:
# issue 23) and the agency's saved replies.
WITHOUT_ONE_REPORT = {
    "listAgencyReports",
    "listAgencyOfficers",
    "exportAgencyReports",
    "listSavedReplies",
    "createSavedReply",
    "updateSavedReply",
    "deleteSavedReply",
}
# Operations that name several reports in their body (issue 26): each report gets one entry, as its single
# operation would write.
ON_SEVERAL_REPORTS = {"postAgencyBulkAction"}


def test_every_agency_operation_on_one_report_writes_exactly_one_audit_entry_for_it(api: Api) -> None:
    from lapor.contract import AGENCY_OPERATIONS, OPERATIONS

    # Every operation an officer's token opens (AGENCY_OPERATIONS and the tools: the CSV export, replies).
    # The administrators' operations name no report: their trail is the settings one (test_agency_admin.py).
    agency = [op for op in OPERATIONS if op.agency_token and op.tag != "administration"]
    assert {op.operation_id for op in AGENCY_OPERATIONS} <= {op.operation_id for op in agency}
    per_report = [op for op in agency if "{tracking_id}" in op.path]
    # The operations without a report in their path are exactly the known lists and replies: a new one that
    # names a report elsewhere (a query, a body) needs a look here first.
    assert {op.operation_id for op in agency} - {op.operation_id for op in per_report} == (
        WITHOUT_ONE_REPORT | ON_SEVERAL_REPORTS
    )
    assert {op.operation_id for op in per_report} == set(PER_REPORT_REQUESTS), "each per-report operation is walked"

    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    other = api.submit(valid_submission(confidential=True))["tracking_id"]
    who = officer("5d2e7c41-walker")
    status, slot, _ = api.agency(who, "POST", ONE + "/attachments", tid, body={"content_type": "image/jpeg"})
    assert status == 201
    attachment_id = slot["attachment_id"]

    for op in per_report:
        request, accepted, access = PER_REPORT_REQUESTS[op.operation_id]
        before = trail(tid)
        params = {"tracking_id": tid, **({"attachment_id": attachment_id} if "{attachment_id}" in op.path else {})}
        status, answer, _ = api.call("agency_reports", op.method, op.path, path_params=params, claims=who, **request)
        assert status in accepted, (op.operation_id, status, answer)
        added = trail(tid)[len(before) :]
        assert [(e["officer_sub"], e["access"]) for e in added] == [("5d2e7c41-walker", access)], op.operation_id
    assert trail(other) == []  # each entry is on its own report's trail only


def test_operations_without_one_report_write_no_audit_entry(api: Api) -> None:
    tid = api.submit(valid_submission(confidential=True))["tracking_id"]
    who = officer("7a9b0c12-lister")
    assert api.agency(who, "GET", "/agency/reports")[0] == 200
    assert api.agency(who, "GET", "/agency/reports.csv")[0] == 200
    assert api.agency(who, "POST", "/agency/replies", body={"title": "Ditambal", "text": "Sudah."})[0] == 201
    assert api.agency(who, "GET", "/agency/replies")[0] == 200
    coordinator = officer("41c0ffee-lister", "pemkab-barito-utara", "dispatcher")
    assert api.agency(coordinator, "GET", "/agency/officers")[0] == 200
    assert api.agency(coordinator, "GET", "/agency/reports", query={"mine": "1"})[0] == 200
    assert trail(tid) == []


def test_a_bulk_disposition_writes_one_audit_entry_on_each_report_it_names(api: Api) -> None:
    first, second, untouched = (api.submit(valid_submission(confidential=True))["tracking_id"] for _ in range(3))
    coordinator = officer("41c0ffee-coordinator", "pemkab-barito-utara", "dispatcher")
    body = {"action": "transfer", "tracking_ids": [first, second], "agency_id": "dinkes-barito-utara"}
    status, outcome, _ = api.agency(coordinator, "POST", "/agency/bulk-actions", body=body)
    assert status == 200 and [o["status"] for o in outcome["items"]] == [200, 200]
    for tid in (first, second):
        (entry,) = trail(tid)
        assert (entry["officer_sub"], entry["action"]) == ("41c0ffee-coordinator", "transfer")
        assert entry["to_agency_id"] == "dinkes-barito-utara"
    assert trail(untouched) == []

"""Disposition as SP4N LAPOR! does it (issue 26, items 4 and 5), on moto through the agency function.

An office that is not responsible says so (*bukan wewenang*) and the report returns to the coordinator one
level up with its verification clock restarted; the coordinator transfers it on, assigns it to one officer
(and reassigns it), alone or in bulk; a coordinator's inbox is one query per page whatever the number of
offices below.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims, sent_emails

ONE = "/agency/reports/{tracking_id}"
REGENCY = "pemkab-barito-utara"


def person(sub: str, agency_id: str, role: str = "officer") -> dict[str, str]:
    return {**claims(agency_id, role), "sub": sub, "email": f"{sub}@{agency_id}.example"}


DPUPR = person("1b2c-dpupr-ani", "dpupr-barito-utara")
DPUPR_OTHER = person("3d4e-dpupr-budi", "dpupr-barito-utara")
DINKES = person("5f60-dinkes-citra", "dinkes-barito-utara")
COORDINATOR = person("7a8b-pemkab-dewi", REGENCY, "dispatcher")


def submit(api: Api, agency_id: str = "dpupr-barito-utara", **fields: Any) -> str:
    return str(api.submit(valid_submission(agency_id=agency_id, **fields))["tracking_id"])


def trail(tracking_id: str) -> list[dict[str, Any]]:
    from lapor.store import audit_trail

    return audit_trail(tracking_id)


# ---------------------------------------------------------------- bukan wewenang


def test_not_responsible_returns_the_report_to_the_coordinator_with_the_verification_clock_restarted(
    api: Api, aws: Aws
) -> None:
    from lapor.calendar import add_working_days
    from lapor.config import settings
    from lapor.timefmt import from_store

    tid = submit(api)
    assert api.act(DPUPR, tid, action="verify")[0] == 200
    assert api.act(COORDINATOR, tid, action="assign", assignee_sub=COORDINATOR["sub"])[0] == 200
    before = datetime.now(UTC)
    status, view, _ = api.act(DPUPR, tid, action="not_responsible", message="Jalan provinsi, bukan kewenangan kami.")
    after = datetime.now(UTC)
    assert status == 200, view
    # Back at the regency, waiting for its disposition: submitted, a fresh verification deadline, unassigned.
    assert view["agency"]["id"] == REGENCY and view["status"] == "submitted"
    s = settings()
    due = from_store(view["due_at"])
    earliest = add_working_days(before, s.verify_working_days, s.time_zone)
    assert earliest <= due <= add_working_days(after, s.verify_working_days, s.time_zone)
    assert view.get("assignee") is None
    entry = view["timeline"][-1]
    assert (entry["event"], entry["status"], entry["message"]) == (
        "not_responsible",
        "submitted",
        "Jalan provinsi, bukan kewenangan kami.",
    )
    # The public (and the reporter) see it passed on, to the coordinator, with the reason.
    public = api.public(tid)["timeline"][-1]
    assert (public["event"], public["message"]) == ("transferred", "Jalan provinsi, bukan kewenangan kami.")
    # The coordinator has it in its inbox (the regency's index), the office no longer.
    listed = api.agency(COORDINATOR, "GET", "/agency/reports", query={"status": "submitted"})[1]["items"]
    assert tid in [item["tracking_id"] for item in listed]
    assert tid not in [item["tracking_id"] for item in api.agency(DPUPR, "GET", "/agency/reports")[1]["items"]]
    # Told by email, as a transfer would.
    api.deliver_events()
    assert any("bukan wewenang" in message.subject for message in sent_emails())
    # Recorded first, with where it went.
    last = trail(tid)[-1]
    assert (last["officer_sub"], last["action"], last["to_agency_id"]) == (DPUPR["sub"], "not_responsible", REGENCY)

    # The coordinator transfers it on with a note: the office's verification clock starts again.
    note = "Mohon ditangani Dinas Kesehatan."
    status, moved, _ = api.act(COORDINATOR, tid, action="transfer", agency_id="dinkes-barito-utara", message=note)
    assert status == 200 and moved["agency"]["id"] == "dinkes-barito-utara" and moved["status"] == "submitted"
    assert moved["timeline"][-1]["message"] == note


def test_only_the_responsible_agency_says_it_is_not_responsible(api: Api) -> None:
    tid = submit(api)
    # An officer of another office cannot even see it; the coordinator sees it but is not the office.
    assert api.act(DINKES, tid, action="not_responsible", message="Bukan kami.")[0] == 403
    assert api.act(COORDINATOR, tid, action="not_responsible", message="Bukan kami.")[0] == 403
    # The reason is required.
    assert api.act(DPUPR, tid, action="not_responsible")[0] == 422
    # At the top of the hierarchy nobody is above to take it back.
    top = submit(api, agency_id="kemenpan-rb")
    status, problem, _ = api.act(person("9c-top", "kemenpan-rb"), top, action="not_responsible", message="Bukan.")
    assert status == 409 and "coordinator above" in problem["detail"]
    # Nothing changed.
    _, view, _ = api.agency(DPUPR, "GET", ONE, tid)
    assert view["agency"]["id"] == "dpupr-barito-utara" and view["version"] == 1


# ---------------------------------------------------------------- assignment


def test_a_coordinator_assigns_reassigns_and_each_officer_lists_what_is_theirs(api: Api) -> None:
    first, second = submit(api), submit(api)
    # Officers join the roster by opening their inbox.
    for officer in (DPUPR, DPUPR_OTHER, DINKES):
        assert api.agency(officer, "GET", "/agency/reports")[0] == 200
    status, roster, _ = api.agency(COORDINATOR, "GET", "/agency/officers")
    assert status == 200
    assert {(o["sub"], o["name"], o["agency_id"]) for o in roster["items"]} >= {
        (DPUPR["sub"], DPUPR["email"], "dpupr-barito-utara"),
        (DINKES["sub"], DINKES["email"], "dinkes-barito-utara"),
    }
    assert api.agency(DPUPR, "GET", "/agency/officers")[0] == 403  # an officer does not assign

    status, view, _ = api.act(COORDINATOR, first, action="assign", assignee_sub=DPUPR["sub"])
    assert status == 200 and view["assignee"] == {
        "sub": DPUPR["sub"],
        "name": DPUPR["email"],
        "agency_id": "dpupr-barito-utara",
    }
    assert api.act(COORDINATOR, second, action="assign", assignee_sub=DPUPR_OTHER["sub"])[0] == 200

    def mine(officer: dict[str, str], **query: str) -> list[str]:
        status, page, _ = api.agency(officer, "GET", "/agency/reports", query={"mine": "1", **query})
        assert status == 200
        return [item["tracking_id"] for item in page["items"]]

    assert mine(DPUPR) == [first] and mine(DPUPR_OTHER) == [second] and mine(DINKES) == []
    assert mine(DPUPR, status="submitted") == [first] and mine(DPUPR, status="verified") == []
    inbox = {i["tracking_id"]: i for i in api.agency(COORDINATOR, "GET", "/agency/reports")[1]["items"]}
    assert inbox[first]["assignee"]["name"] == DPUPR["email"]

    # Reassigned: it leaves the first officer's list for the other's; the same assignment again is 409.
    assert api.act(COORDINATOR, first, action="assign", assignee_sub=DPUPR_OTHER["sub"])[0] == 200
    assert mine(DPUPR) == [] and sorted(mine(DPUPR_OTHER)) == sorted([first, second])
    assert api.act(COORDINATOR, first, action="assign", assignee_sub=DPUPR_OTHER["sub"])[0] == 409
    # A transfer ends the assignment (it was to the other agency's officer).
    assert api.act(COORDINATOR, second, action="transfer", agency_id="dinkes-barito-utara")[0] == 200
    assert mine(DPUPR_OTHER) == [first]
    _, moved, _ = api.agency(DINKES, "GET", ONE, second)
    assert moved.get("assignee") is None
    # Closing ends it too.
    assert api.act(COORDINATOR, first, action="reject", message="Laporan ganda.")[0] == 200
    assert mine(DPUPR_OTHER) == []
    assert [e["action"] for e in trail(first) if e.get("action") == "assign"] == ["assign", "assign", "assign"]


def test_assignment_is_refused_to_officers_and_for_officers_who_may_not_see_the_report(api: Api) -> None:
    tid = submit(api)
    for officer in (DPUPR, DINKES):
        api.agency(officer, "GET", "/agency/reports")
    # An officer cannot assign, even to themself.
    assert api.act(DPUPR, tid, action="assign", assignee_sub=DPUPR["sub"])[0] == 403
    # An officer of another office may not see it; someone never seen here is unknown.
    status, problem, _ = api.act(COORDINATOR, tid, action="assign", assignee_sub=DINKES["sub"])
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "assignee_sub"]
    assert api.act(COORDINATOR, tid, action="assign", assignee_sub="never-signed-in")[0] == 422
    # assign needs assignee_sub and takes no message.
    assert api.act(COORDINATOR, tid, action="assign")[0] == 422
    assert api.act(COORDINATOR, tid, action="assign", assignee_sub=DPUPR["sub"], message="Tolong.")[0] == 422
    _, view, _ = api.agency(DPUPR, "GET", ONE, tid)
    assert view.get("assignee") is None and view["version"] == 1


# ---------------------------------------------------------------- bulk


def test_a_bulk_transfer_reports_each_report_and_a_partial_failure_changes_only_the_rest(api: Api) -> None:
    done, elsewhere, already = submit(api), submit(api, agency_id="pemprov-kalteng"), submit(api)
    assert api.act(COORDINATOR, already, action="transfer", agency_id="dinkes-barito-utara")[0] == 200
    unknown = "LPR-0000-0000-0000"
    body = {
        "action": "transfer",
        "tracking_ids": [done, elsewhere, already, unknown],
        "agency_id": "dinkes-barito-utara",
        "message": "Disposisi ke Dinas Kesehatan.",
    }
    status, result, _ = api.agency(COORDINATOR, "POST", "/agency/bulk-actions", body=body)
    assert status == 200
    outcomes = {item["tracking_id"]: item for item in result["items"]}
    assert [item["tracking_id"] for item in result["items"]] == body["tracking_ids"]  # in the order sent
    assert outcomes[done]["status"] == 200 and outcomes[done]["version"] == 2
    assert outcomes[elsewhere]["status"] == 403 and outcomes[elsewhere]["problem"]["status"] == 403
    assert outcomes[already]["status"] == 409 and "already" in outcomes[already]["problem"]["detail"]
    assert outcomes[unknown]["status"] == 404
    assert api.agency(DINKES, "GET", ONE, done)[1]["agency"]["id"] == "dinkes-barito-utara"
    # Sent again: nothing is done twice.
    status, again, _ = api.agency(COORDINATOR, "POST", "/agency/bulk-actions", body=body)
    assert [item["status"] for item in again["items"]] == [409, 403, 409, 404]
    assert api.agency(DINKES, "GET", ONE, done)[1]["version"] == 2


def test_a_bulk_assignment_and_bad_bulk_bodies(api: Api) -> None:
    first, second = submit(api), submit(api)
    api.agency(DPUPR, "GET", "/agency/reports")
    body = {"action": "assign", "tracking_ids": [first, second], "assignee_sub": DPUPR["sub"]}
    status, result, _ = api.agency(COORDINATOR, "POST", "/agency/bulk-actions", body=body)
    assert status == 200 and [item["status"] for item in result["items"]] == [200, 200]
    assert api.agency(DPUPR, "GET", ONE, first)[1]["assignee"]["sub"] == DPUPR["sub"]
    # An officer's bulk assignment: refused per report.
    status, result, _ = api.agency(DPUPR, "POST", "/agency/bulk-actions", body=body)
    assert status == 200 and [item["status"] for item in result["items"]] == [403, 403]
    for bad in (
        {**body, "tracking_ids": []},
        {**body, "tracking_ids": [first, first]},
        {**body, "tracking_ids": [first] * 51},
        {**body, "action": "respond"},
        {"action": "transfer", "tracking_ids": [first]},  # no agency_id
        {**body, "agency_id": "dinkes-barito-utara"},  # agency_id with assign
    ):
        status, problem, _ = api.agency(COORDINATOR, "POST", "/agency/bulk-actions", body=bad)
        assert status == 422, (bad, problem)
    assert api.agency(DPUPR, "GET", ONE, first)[1]["version"] == 2  # only the one assignment


# ---------------------------------------------------------------- a coordinator's inbox at a regency's size


@contextmanager
def counted_queries() -> Iterator[list[dict[str, Any]]]:
    """Every Query the lapor layer's DynamoDB client makes meanwhile: its index and how many items it read."""
    from lapor.aws import client

    seen: list[dict[str, Any]] = []

    def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append({"scanned": int(parsed.get("ScannedCount", 0)), "count": int(parsed.get("Count", 0))})

    events = client("dynamodb").meta.events
    events.register("after-call.dynamodb.Query", record)
    try:
        yield seen
    finally:
        events.unregister("after-call.dynamodb.Query", record)


OFFICES = 40


@pytest.fixture
def regency_of_40_offices(api: Api) -> list[str]:
    """The seeded directory with 40 offices under the regency (as a real one has), one report in each but two."""
    from lapor import store

    directory = store.read_directory()
    offices = [f"kantor-{n:02d}-barito-utara" for n in range(OFFICES)]
    directory["agencies"] += [
        {"id": office, "name": f"Kantor {n}", "parent_id": REGENCY, "level": "office", "region_code": "62.05"}
        for n, office in enumerate(offices)
    ]
    store.write_directory(directory)
    store.forget_directory()
    for office in offices[:-2]:
        submit(api, agency_id=office)
    return offices


@pytest.mark.parametrize("query", [{}, {"status": "submitted"}, {"status": "verified"}], ids=str)
def test_a_coordinators_inbox_is_one_query_per_page_whatever_the_number_of_offices(
    api: Api, regency_of_40_offices: list[str], query: dict[str, str]
) -> None:
    verified = submit(api, agency_id=regency_of_40_offices[0])
    assert api.act(COORDINATOR, verified, action="verify")[0] == 200
    listed: list[str] = []
    pages = 0
    cursor: str | None = None
    with counted_queries() as queries:
        while True:
            page_query = {**query, "limit": "10", **({"cursor": cursor} if cursor else {})}
            status, page, _ = api.agency(COORDINATOR, "GET", "/agency/reports", query=page_query)
            assert status == 200
            pages += 1
            listed += [item["tracking_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
    # What the per-agency merge would list: the same reports, newest first, no gap and no repeat.
    from lapor import store

    expected = []
    for agency_id in [REGENCY, *regency_of_40_offices]:
        expected += store.inbox_page(agency_id, query.get("status"), None, 1000)
    expected.sort(key=store.inbox_cursor, reverse=True)
    assert listed == [item["tracking_id"] for item in expected] and len(set(listed)) == len(listed)
    assert len(listed) == (1 if query.get("status") == "verified" else OFFICES - 2 + (0 if query else 1))
    assert len(queries) == pages  # one query per page, not one per office
    assert sum(q["scanned"] for q in queries) <= len(listed) + pages  # each page reads one item beyond it


def test_reports_stored_before_the_coordinators_indexes_are_placed_in_them_by_the_reindex(api: Api, aws: Aws) -> None:
    from lapor.agency import reindex_coordinators

    old, new = submit(api), submit(api)
    # As a report written before issue 26: no scope, no coordinators' keys.
    keys = [
        f"scope_{level}{suffix}" for level in ("national", "province", "regency") for suffix in ("_pk", "_status_pk")
    ]
    aws.client("dynamodb").update_item(
        TableName=aws.reports_table,
        Key={"pk": {"S": f"REPORT#{old}"}, "sk": {"S": "REPORT"}},
        UpdateExpression="REMOVE " + ", ".join(["#s", *(f"#k{n}" for n in range(len(keys)))]),
        ExpressionAttributeNames={"#s": "scope", **{f"#k{n}": key for n, key in enumerate(keys)}},
    )

    def listed() -> list[str]:
        return [item["tracking_id"] for item in api.agency(COORDINATOR, "GET", "/agency/reports")[1]["items"]]

    assert listed() == [new]
    assert reindex_coordinators() == {
        "read": 2,
        "updated": 1,
        "unchanged": 1,
        "raced": 0,
        "nearby_set": 0,
        "nearby_raced": 0,
    }
    assert sorted(listed()) == sorted([new, old])
    assert reindex_coordinators()["updated"] == 0  # run again: nothing to do
    # The report's own inbox and version are untouched.
    assert api.agency(DPUPR, "GET", ONE, old)[1]["version"] == 1


def test_a_coordinators_csv_export_reads_one_index_too(api: Api, regency_of_40_offices: list[str]) -> None:
    with counted_queries() as queries:
        status, csv_text, _ = api.agency(COORDINATOR, "GET", "/agency/reports.csv", query={"status": "submitted"})
    assert status == 200
    assert len(csv_text.strip().splitlines()) == 1 + OFFICES - 2  # the header and one row per report
    assert len(queries) == 1


def test_a_directory_with_a_coordinator_below_one_of_its_own_level_still_lists_every_report(api: Api) -> None:
    from lapor import store

    directory = store.read_directory()
    directory["agencies"] += [
        {"id": "kec-teweh", "name": "Kecamatan Teweh", "parent_id": REGENCY, "level": "regency", "region_code": "1"},
        {"id": "desa-lemo", "name": "Desa Lemo", "parent_id": "kec-teweh", "level": "office", "region_code": "1"},
    ]
    store.write_directory(directory)
    store.forget_directory()
    village, office = submit(api, agency_id="desa-lemo"), submit(api)
    kecamatan = person("0e-kec-eka", "kec-teweh", "dispatcher")

    def listed(who: dict[str, str]) -> set[str]:
        return {item["tracking_id"] for item in api.agency(who, "GET", "/agency/reports")[1]["items"]}

    assert listed(kecamatan) == {village}  # its own level's index, keyed by the kecamatan
    with counted_queries() as queries:
        assert listed(COORDINATOR) == {village, office}  # the regency's key went to the kecamatan: merged
    assert len(queries) > 1


def test_an_officer_moved_to_another_agency_no_longer_lists_what_was_assigned_there(api: Api) -> None:
    tid = submit(api)
    api.agency(DPUPR, "GET", "/agency/reports")
    assert api.act(COORDINATOR, tid, action="assign", assignee_sub=DPUPR["sub"])[0] == 200
    moved = {**DPUPR, "custom:agency_id": "dinkes-barito-utara"}  # an admin changed their agency
    status, page, _ = api.agency(moved, "GET", "/agency/reports", query={"mine": "1"})
    assert status == 200 and page["items"] == []
    assert [i["tracking_id"] for i in api.agency(DPUPR, "GET", "/agency/reports", query={"mine": "1"})[1]["items"]] == [
        tid
    ]

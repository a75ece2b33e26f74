"""Deadlines on moto: escalation up the hierarchy, auto-close, reading only what is due, safe to rerun."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lapor.calendar import add_working_days

from tests.conftest import load_function
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims, sent_emails

DPUPR = claims("dpupr-barito-utara")
PEMKAB = claims("pemkab-barito-utara")
ONE = "/agency/reports/{tracking_id}"


def run(at: datetime, **kwargs: Any) -> dict[str, int]:
    from lapor.escalation import escalate_due_reports

    return escalate_due_reports(at, **kwargs)


def working_days_later(days: int, start: datetime | None = None) -> datetime:
    """A moment just after the end of the `days`-th working day from `start` (default now)."""
    return add_working_days(start or datetime.now(UTC), days, "Asia/Jakarta") + timedelta(seconds=1)


def item(tracking_id: str) -> dict[str, Any]:
    from lapor.store import read_report

    found = read_report(tracking_id)
    assert found is not None
    return found


def test_nothing_happens_before_the_deadline(api: Api) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    assert run(datetime.now(UTC))["escalated"] == 0
    assert run(working_days_later(3) - timedelta(seconds=2))["escalated"] == 0
    assert item(tid)["escalation_level"] == 0


def test_missed_verification_escalates_one_level_and_both_agencies_hear_of_it(api: Api, aws: Aws) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    while api.deliver_events()["records"]:
        pass
    at = working_days_later(4)
    assert run(at)["escalated"] == 1
    report = item(tid)
    assert report["agency_id"] == "pemkab-barito-utara" and report["escalation_level"] == 1
    assert report["original_agency_id"] == "dpupr-barito-utara" and report["status"] == "submitted"
    assert report["due_at"] > at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert report["timeline"][-1]["event"] == "escalated" and report["timeline"][-1]["actor"] == "system"
    assert [i["tracking_id"] for i in api.agency(PEMKAB, "GET", "/agency/reports")[1]["items"]] == [tid]
    assert api.agency(DPUPR, "GET", ONE, tid)[0] == 403
    while api.deliver_events()["records"]:
        pass
    recipients = [m.destinations["ToAddresses"][0] for m in sent_emails()]
    assert recipients == [
        "dpupr@baritoutara.lapor.example",  # the submission
        "pengaduan@baritoutara.lapor.example",  # the escalation: the new agency...
        "dpupr@baritoutara.lapor.example",  # ...and the previous one
    ]
    assert "escalated" in api.public(tid)["timeline"][-1]["event"] or api.public(tid)["escalation_level"] == 1


def test_escalation_climbs_to_the_top_and_then_stays_overdue(api: Api) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    at = datetime.now(UTC)
    chain = ["pemkab-barito-utara", "pemprov-kalteng", "kemenpan-rb"]
    for level, agency in enumerate(chain, start=1):
        at = working_days_later(4, at)
        assert run(at)["escalated"] == 1
        assert item(tid)["agency_id"] == agency and item(tid)["escalation_level"] == level
    at = working_days_later(4, at)
    assert run(at) == {"read": 1, "escalated": 0, "overdue": 1, "closed": 0, "skipped": 0}
    top = item(tid)
    assert top["overdue"] is True and "due_pk" not in top and top["agency_id"] == "kemenpan-rb"
    assert run(working_days_later(30, at))["read"] == 0  # out of the due index: never read again
    view = api.agency(claims("kemenpan-rb"), "GET", ONE, tid)[1]
    assert view["overdue"] is True


def test_missed_response_escalates_with_a_new_response_deadline(api: Api) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    api.act(DPUPR, tid, action="verify")
    assert run(working_days_later(4))["escalated"] == 0  # verified: five working days now
    at = working_days_later(6)
    assert run(at)["escalated"] == 1
    report = item(tid)
    assert report["status"] == "verified" and report["due_stage"] == "respond"
    assert report["due_at"] == add_working_days(at, 5, "Asia/Jakarta").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_response_left_unanswered_for_ten_working_days_is_closed(api: Api) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    api.act(DPUPR, tid, action="verify")
    api.act(DPUPR, tid, action="respond", message="Sudah diperbaiki.")
    assert run(working_days_later(9))["closed"] == 0
    assert run(working_days_later(11))["closed"] == 1
    report = item(tid)
    assert report["status"] == "closed" and "due_pk" not in report and "due_at" not in report
    assert report["timeline"][-1]["event"] == "closed" and report["timeline"][-1]["actor"] == "system"


@pytest.mark.parametrize("action", ["reject", "close"])
def test_finished_reports_leave_the_due_index(api: Api, action: str) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    if action == "close":
        api.act(DPUPR, tid, action="verify")
        api.act(DPUPR, tid, action="respond", message="Selesai.")
    status, _, _ = api.act(DPUPR, tid, action=action, **({"message": "Bukan wewenang."} if action == "reject" else {}))
    assert status == 200
    assert "due_pk" not in item(tid)
    assert run(working_days_later(40))["read"] == 0


def test_extend_moves_the_report_in_the_due_index(api: Api) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    api.act(DPUPR, tid, action="verify")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    api.act(DPUPR, tid, action="extend", due_at=due.isoformat(), message="Pemeriksaan lapangan.")
    assert run(due - timedelta(seconds=1))["read"] == 0
    assert run(due + timedelta(seconds=1))["escalated"] == 1


def test_two_runs_for_the_same_moment_escalate_once(api: Api) -> None:
    ids = [api.submit(valid_submission())["tracking_id"] for _ in range(3)]
    at = working_days_later(4)
    assert run(at)["escalated"] == 3
    assert run(at)["escalated"] == 0
    assert {item(t)["escalation_level"] for t in ids} == {1}


def test_overlapping_runs_escalate_each_report_once(api: Api, serialized_dynamodb: None) -> None:
    ids = [api.submit(valid_submission())["tracking_id"] for _ in range(6)]
    at = working_days_later(4)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: run(at, page_size=2), range(3)))
    assert sum(r["escalated"] for r in results) == 6
    assert {item(t)["escalation_level"] for t in ids} == {1}
    assert {item(t)["agency_id"] for t in ids} == {"pemkab-barito-utara"}


def test_a_run_that_dies_half_way_is_finished_by_the_next(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from lapor import escalation, store

    ids = [api.submit(valid_submission())["tracking_id"] for _ in range(4)]
    real_apply = store.apply_change
    calls = {"n": 0}

    def dies_on_third(tracking_id: str, change: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("Lambda timed out")
        return real_apply(tracking_id, change)

    monkeypatch.setattr(escalation.store, "apply_change", dies_on_third)
    at = working_days_later(4)
    with pytest.raises(RuntimeError):
        run(at)
    monkeypatch.setattr(escalation.store, "apply_change", real_apply)
    assert run(at)["escalated"] == 2
    assert {item(t)["escalation_level"] for t in ids} == {1}


def test_reads_only_what_is_due_among_thousands(api: Api, aws: Aws) -> None:
    # Given 5,000 open reports whose deadlines are weeks away, and 20 that are overdue
    import boto3
    from lapor.store import to_item

    ddb = boto3.client("dynamodb", region_name="ap-southeast-3")
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    template = item(api.submit(valid_submission())["tracking_id"])
    for start in range(0, 5000, 25):
        batch = []
        for n in range(start, start + 25):
            filler = {**template, "pk": f"REPORT#FILLER-{n}", "tracking_id": f"FILLER-{n}", "due_at": future}
            batch.append({"PutRequest": {"Item": to_item(filler)}})
        ddb.batch_write_item(RequestItems={aws.reports_table: batch})
    due_ids = [api.submit(valid_submission())["tracking_id"] for _ in range(19)]
    # When the job runs four working days later
    summary = run(working_days_later(4))
    # Then it read at most 25 items to escalate the 20 due ones (the first report is due too)
    assert summary["escalated"] == 20
    assert summary["read"] <= 25, summary
    assert {item(t)["escalation_level"] for t in due_ids} == {1}


def test_scheduled_handler_uses_the_events_time(api: Api, lambda_context: Any) -> None:
    tid = api.submit(valid_submission())["tracking_id"]
    handler = load_function("escalate_overdue")
    at = working_days_later(4)
    result = handler.lambda_handler({"time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}, lambda_context)
    assert result["escalated"] == 1 and item(tid)["escalation_level"] == 1
    assert json.dumps(result)

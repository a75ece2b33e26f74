"""GET /stats: counters that move with the reports match what happened, and are never computed by scanning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lapor.calendar import add_working_days

from tests.events import valid_submission
from tests.integration.conftest import Api, claims

DPUPR = claims("dpupr-barito-utara")
DINKES = claims("dinkes-barito-utara")


def stats(api: Api) -> dict[str, dict[str, Any]]:
    status, body, _ = api.call("track_report", "GET", "/stats")
    assert status == 200
    return {row["agency_id"]: row for row in body["agencies"]}


def drain(api: Api) -> None:
    while api.deliver_events()["records"]:
        pass


def test_figures_match_a_scripted_set_of_reports(api: Api) -> None:
    from lapor.escalation import escalate_due_reports

    road = valid_submission()
    health = valid_submission(category="kesehatan", agency_id=None)
    # Given five reports to the roads office and two to the health office, handled differently
    answered = [api.submit(road)["tracking_id"] for _ in range(3)]
    rejected = api.submit(road)["tracking_id"]
    api.submit(road)  # left alone: it will climb the hierarchy
    to_transfer = api.submit(health)["tracking_id"]
    closed = api.submit(health)["tracking_id"]
    for tid in answered:
        api.act(DPUPR, tid, action="verify")
        api.act(DPUPR, tid, action="respond", message="Sudah ditangani.")
    api.act(DPUPR, rejected, action="reject", message="Bukan pelayanan publik.")
    api.act(DINKES, to_transfer, action="transfer", agency_id="disdukcapil-barito-utara")
    api.act(DINKES, closed, action="verify")
    api.act(DINKES, closed, action="respond", message="Obat sudah tersedia.")
    api.act(DINKES, closed, action="close")
    drain(api)
    # When the roads office lets the last one pass its deadline, and it climbs to the top
    at = datetime.now(UTC)
    for _ in range(4):
        at = add_working_days(at, 4, "Asia/Jakarta") + timedelta(seconds=1)
        escalate_due_reports(at)
        drain(api)
    figures = stats(api)
    # Then every figure is what happened
    dpupr = figures["dpupr-barito-utara"]
    assert (dpupr["received"], dpupr["rejected"], dpupr["escalated"], dpupr["responded"]) == (5, 1, 1, 3)
    assert dpupr["closed"] == 3  # the three answered reports closed themselves after 10 working days
    assert dpupr["open"] == 0 and dpupr["overdue"] == 0
    assert dpupr["median_first_response_working_days"] == 0.0
    dinkes = figures["dinkes-barito-utara"]
    assert (dinkes["received"], dinkes["open"], dinkes["closed"], dinkes["responded"]) == (2, 0, 1, 1)
    disdukcapil = figures["disdukcapil-barito-utara"]
    assert disdukcapil["received"] == 1 and disdukcapil["escalated"] == 1 and disdukcapil["open"] == 0
    top = figures["kemenpan-rb"]
    assert top["received"] == 2 and top["open"] == 2 and top["overdue"] == 2 and top["escalated"] == 0
    for middle in ("pemkab-barito-utara", "pemprov-kalteng"):
        assert figures[middle]["received"] == 2 and figures[middle]["escalated"] == 2 and figures[middle]["open"] == 0


def test_a_redelivered_event_counts_once(api: Api, aws: Any) -> None:
    import boto3

    from tests.integration.conftest import sqs_event

    api.submit(valid_submission())
    sqs = boto3.client("sqs", region_name="ap-southeast-3")
    (message,) = sqs.receive_message(QueueUrl=aws.queue_url)["Messages"]
    for _ in range(3):
        api.modules["notify_agency"].lambda_handler(sqs_event([message]), api.context)
    assert stats(api)["dpupr-barito-utara"]["received"] == 1


def test_median_first_response_in_working_days(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    tids = [api.submit(valid_submission())["tracking_id"] for _ in range(3)]
    for days, tid in zip((1, 2, 5), tids, strict=True):
        api.act(DPUPR, tid, action="verify")
        later = add_working_days(datetime.now(UTC), days, "Asia/Jakarta") - timedelta(hours=12)
        monkeypatch.setattr("lapor.agency.utcnow", lambda later=later: later)
        api.act(DPUPR, tid, action="respond", message="Selesai.")
    drain(api)
    assert stats(api)["dpupr-barito-utara"]["median_first_response_working_days"] == 2.0

"""Email that cannot be delivered never freezes a report: refused for good is recorded and acknowledged,
transient failures are retried with a cap, and what the relay gives up on waits for `lapor outbox`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims, sent_emails

DPUPR = claims("dpupr-barito-utara")
AGENCY_MAIL = "dpupr@baritoutara.lapor.example"


def stats(api: Api) -> dict[str, Any]:
    status, body, _ = api.call("track_report", "GET", "/stats")
    assert status == 200
    return {row["agency_id"]: row for row in body["agencies"]}["dpupr-barito-utara"]


def drain(api: Api) -> int:
    """Deliver until the queue is empty (failed records come back at once and end in the DLQ after five)."""
    failures = 0
    while True:
        result = api.deliver_events()
        if result["records"] == 0:
            return failures
        failures += len(result["batchItemFailures"])


def report(tracking_id: str) -> dict[str, Any]:
    from lapor.store import get_report

    item = get_report(tracking_id)
    assert item is not None
    return item


def emitted(out: str, metric: str) -> list[float]:
    """Every value of a metric in what was printed (EMF lines on standard output)."""
    values: list[float] = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            values += json.loads(line).get(metric, [])
    return values


@pytest.fixture
def throttled_ses(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """SES answers Throttling for the next `left` calls (set by the test), then sends for real."""
    from lapor import aws as lapor_aws

    ses = lapor_aws.client("ses")
    real_send = ses.send_email
    state = {"left": 0, "calls": 0}

    def send(**kwargs: Any) -> Any:
        state["calls"] += 1
        if state["left"] > 0:
            state["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail"
            )
        return real_send(**kwargs)

    monkeypatch.setattr(ses, "send_email", send)
    yield state


def test_an_address_ses_refuses_forever_is_recorded_once_and_the_report_moves_on(
    api: Api, aws: Aws, captured_logs: CapturedLogs, capsys: pytest.CaptureFixture[str]
) -> None:
    from lapor import aws as lapor_aws
    from lapor.relay import relay_pending_events

    tracking_id = api.submit(valid_submission(confidential=True))["tracking_id"]
    ses = lapor_aws.client("ses")
    with Stubber(ses) as stub:
        # What the sandbox answers for an unverified recipient; the stub has one answer only, so a second
        # attempt to send would fail the test with UnStubbedResponseError.
        stub.add_client_error(
            "send_email",
            service_error_code="MessageRejected",
            service_message=f"Email address is not verified: {AGENCY_MAIL}",
            http_status_code=400,
        )
        assert drain(api) == 0  # acknowledged on the first delivery: nothing retried, nothing in the DLQ
        later = datetime.now(UTC) + timedelta(hours=3)
        assert relay_pending_events(now=later)["sent"] == 0
        stub.assert_no_pending_responses()
    assert aws.messages(aws.dlq_url) == []
    assert sent_emails() == []

    item = report(tracking_id)
    assert item["outbox"] == {}
    (failed,) = [e for e in item["timeline"] if e["event"] == "notification_failed"]
    assert failed["internal"] is True and failed["actor"] == "system"
    assert "agency_notified" not in [e["event"] for e in item["timeline"]]
    # The event's figures applied: the report counts as received and open.
    figures = stats(api)
    assert (figures["received"], figures["open"]) == (1, 1)
    # Only the agency sees the entry; the public and the reporter do not.
    assert [e["event"] for e in api.public(tracking_id)["timeline"]] == ["submitted"]
    status, agency_view, _ = api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", tracking_id)
    assert status == 200
    assert [e["event"] for e in agency_view["timeline"]] == ["submitted", "notification_failed"]
    assert "tidak dapat dikirim" in agency_view["timeline"][-1]["message"]
    # Counted as a metric, logged by reason, and the refused address is in no log line.
    assert emitted(capsys.readouterr().out, "DeliveryRejected_email") == [1.0]
    assert "MessageRejected" in captured_logs.text and AGENCY_MAIL not in captured_logs.text


def test_the_public_and_reporter_views_never_show_internal_entries(api: Api, aws: Aws) -> None:
    from lapor import aws as lapor_aws

    receipt = api.submit(valid_submission())
    with Stubber(lapor_aws.client("ses")) as stub:
        stub.add_client_error("send_email", service_error_code="InvalidParameterValue", http_status_code=400)
        drain(api)
    status, private, _ = api.reporter(
        "GET", "/reports/{tracking_id}/private", receipt["tracking_id"], receipt["access_code"]
    )
    assert status == 200
    assert [e["event"] for e in private["timeline"]] == ["submitted"]
    assert "notification_failed" not in json.dumps(api.public(receipt["tracking_id"]))


def test_ses_throttling_for_a_while_ends_with_the_agency_notified_once(
    api: Api, aws: Aws, throttled_ses: dict[str, int]
) -> None:
    from lapor.relay import relay_pending_events

    tracking_id = api.submit(valid_submission())["tracking_id"]
    throttled_ses["left"] = 7  # more than one message's five receives: the relay has to send it again
    assert drain(api) == 5
    assert len(aws.messages(aws.dlq_url)) == 1
    assert stats(api)["received"] == 0  # not yet acknowledged

    summary = relay_pending_events(now=datetime.now(UTC) + timedelta(minutes=3))
    assert summary["sent"] == 1
    assert drain(api) == 2

    assert throttled_ses["calls"] == 8
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [[AGENCY_MAIL]]
    item = report(tracking_id)
    assert item["outbox"] == {}
    assert [e["event"] for e in item["timeline"]] == ["submitted", "agency_notified"]
    assert stats(api)["received"] == 1
    assert relay_pending_events(now=datetime.now(UTC) + timedelta(hours=3))["sent"] == 0
    assert drain(api) == 0 and len(sent_emails()) == 1


def test_ses_throttling_forever_stops_after_the_cap_and_waits_for_an_operator(
    api: Api, aws: Aws, throttled_ses: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    from lapor.config import settings
    from lapor.observability import flush_metrics
    from lapor.relay import redrive_stuck, relay_pending_events, stuck_events

    cap = settings().outbox_max_attempts
    assert cap == 8  # the number the README documents
    tracking_id = api.submit(valid_submission())["tracking_id"]
    throttled_ses["left"] = 10**6
    drain(api)
    flush_metrics()
    capsys.readouterr()  # only what the relay runs below emit
    moment = datetime.now(UTC)
    rounds = []
    for _ in range(cap + 3):
        moment += timedelta(hours=2)  # past the longest backoff, so that every round finds it due
        summary = relay_pending_events(now=moment)
        flush_metrics()  # as the relay's handler does after each run
        rounds.append((summary["sent"], summary["gave_up"], summary["stuck"]))
        drain(api)
    # Sent again `cap` times, then given up once, then left alone: reported as stuck by every later run.
    assert rounds == [(1, 0, 0)] * cap + [(0, 1, 1), (0, 0, 1), (0, 0, 1)]
    assert throttled_ses["calls"] == 5 * (1 + cap)  # five receives per send, and no more sends
    assert emitted(capsys.readouterr().out, "OutboxStuck") == [0.0] * cap + [1.0] * 3  # the alarm's metric, every run
    assert stats(api)["received"] == 0
    (stuck,) = stuck_events()
    assert (stuck["tracking_id"], stuck["type"], stuck["attempts"]) == (tracking_id, "report.submitted", cap)

    # SES works again: the operator re-drives it and the report moves on.
    throttled_ses["left"] = 0
    assert redrive_stuck() == {"reports": 1, "sent": 1, "failed": 0}
    assert drain(api) == 0
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [[AGENCY_MAIL]]
    assert stats(api)["received"] == 1
    assert stuck_events() == []
    final = relay_pending_events(now=moment + timedelta(hours=2))
    assert (final["stuck"], final["cleared"]) == (0, 1)  # the report left the outbox index
    assert "outbox_pk" not in report(tracking_id)


def test_lapor_outbox_lists_and_redrives_on_a_deployed_stack(
    api: Api, aws: Aws, throttled_ses: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    from lapor.relay import relay_pending_events
    from lapor_local.cli import main

    tracking_id = api.submit(valid_submission())["tracking_id"]
    throttled_ses["left"] = 10**6
    drain(api)
    moment = datetime.now(UTC)
    for _ in range(9):
        moment += timedelta(hours=2)
        relay_pending_events(now=moment)
        drain(api)
    capsys.readouterr()
    deployed = ["--table", aws.reports_table, "--queue-url", aws.queue_url]

    assert main(["outbox", *deployed]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["tracking_id"] == tracking_id

    assert main(["outbox", "--table", aws.reports_table, "--redrive"]) == 2  # the queue is needed to re-drive
    assert "--queue-url" in capsys.readouterr().err

    throttled_ses["left"] = 0
    assert main(["outbox", *deployed, "--redrive", tracking_id]) == 0
    assert json.loads(capsys.readouterr().out) == {"reports": 1, "sent": 1, "failed": 0}
    drain(api)
    assert len(sent_emails()) == 1
    capsys.readouterr()
    assert main(["outbox", *deployed]) == 0
    assert capsys.readouterr().out == ""

"""An anonymous report's Tracking ID is in no log line, through the whole loop.

A log line tied to an anonymous report by its public Tracking ID could tell who sent it (a time, an
agency, a sequence of events): submit (with the queue down, so the relay sends the event), notification,
agency reads and actions, the reporter's own view, message and rating, and the deadline run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import Api, claims

DPUPR = claims("dpupr-barito-utara")
ONE = "/agency/reports/{tracking_id}"
PRIVATE = "/reports/{tracking_id}/private"


def full_loop(api: Api, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    from lapor import aws as lapor_aws
    from lapor.escalation import escalate_due_reports
    from lapor.relay import relay_pending_events

    sqs = lapor_aws.client("sqs")

    def refuse(**_: Any) -> None:
        raise sqs.exceptions.QueueDoesNotExist({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "Send")

    with monkeypatch.context() as patched:
        patched.setattr(sqs, "send_message", refuse)
        receipt = api.submit(body)
    tid, code = receipt["tracking_id"], receipt["access_code"]
    assert relay_pending_events(now=datetime.now(UTC) + timedelta(minutes=5))["sent"] == 1
    api.deliver_events()
    assert api.agency(DPUPR, "GET", ONE, tid)[0] == 200
    assert api.agency(DPUPR, "GET", "/agency/reports")[0] == 200
    assert api.act(DPUPR, tid, action="verify")[0] == 200
    assert api.act(DPUPR, tid, action="respond", message="Lubang sudah ditambal kemarin.")[0] == 200
    api.deliver_events()
    assert api.reporter("GET", PRIVATE, tid, code)[0] == 200
    assert api.reporter("GET", PRIVATE, tid, "AAAAA-AAAAA-AAAAA-AAAAA")[0] == 403
    assert (
        api.reporter("POST", "/reports/{tracking_id}/messages", tid, code, body={"message": "Belum beres."})[0] == 201
    )
    api.deliver_events()
    assert api.act(DPUPR, tid, action="respond", message="Sudah kami tambal lagi.")[0] == 200
    assert api.reporter("POST", "/reports/{tracking_id}/rating", tid, code, body={"score": 5})[0] == 201
    api.deliver_events()
    assert api.act(DPUPR, tid, action="close")[0] in (200, 409)
    api.deliver_events()
    escalate_due_reports(datetime.now(UTC) + timedelta(days=90))
    return tid


@pytest.mark.parametrize("confidential", [False, True])
def test_no_log_line_carries_an_anonymous_reports_tracking_id(
    api: Api, captured_logs: CapturedLogs, monkeypatch: pytest.MonkeyPatch, confidential: bool
) -> None:
    tid = full_loop(api, valid_submission(anonymous=True, reporter=None, confidential=confidential), monkeypatch)
    logged = captured_logs.text
    # The loop did log (sends deferred, events handled, actions), just nothing that names this report.
    for line in ("event send deferred", "event handled", "agency action", "report submitted"):
        assert line in logged
    for spelling in (tid, tid.lower(), tid.replace("-", ""), tid[4:]):
        assert spelling not in logged


def test_an_identified_reports_tracking_id_is_logged(
    api: Api, captured_logs: CapturedLogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same loop for an identified report: operators can follow it (and the scan above can see an id).
    tid = full_loop(api, valid_submission(), monkeypatch)
    assert tid in captured_logs.text

"""notify_agency on moto: who is told, through which channel, exactly once, and nothing confidential."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims, sent_emails

DPUPR = claims("dpupr-barito-utara")
SECRETS = ["Jalan berlubang", "Lubang besar", "Yetro Sinseng", "Siti Rahma", "+6281234567890"]


def report_item(aws: Aws, tracking_id: str) -> dict[str, Any]:
    from lapor.store import REPORT_ATTRIBUTES, read_report

    item = read_report(tracking_id, REPORT_ATTRIBUTES)  # the outbox too, which no view reads
    assert item is not None
    return item


def test_submission_emails_the_agency_once_with_nothing_confidential(api: Api, aws: Aws) -> None:
    receipt = api.submit(valid_submission(confidential=True))
    result = api.deliver_events()
    assert result["batchItemFailures"] == [] and result["records"] == 1
    (mail,) = sent_emails()
    assert mail.destinations["ToAddresses"] == ["dpupr@baritoutara.lapor.example"]
    assert receipt["tracking_id"] in mail.subject and receipt["tracking_id"] in mail.body
    assert f"https://lapor.test/console/reports/{receipt['tracking_id']}" in mail.body
    for secret in [*SECRETS, "siti@example.org", receipt["access_code"]]:
        assert secret not in mail.subject + mail.body
    item = report_item(aws, receipt["tracking_id"])
    assert item["outbox"] == {}
    assert [e["event"] for e in item["timeline"]] == ["submitted", "agency_notified"]
    assert item["timeline"][-1]["actor"] == "system"


def test_a_message_delivered_twice_sends_one_email(api: Api, aws: Aws) -> None:
    import boto3

    api.submit(valid_submission())
    sqs = boto3.client("sqs", region_name="ap-southeast-3")
    (message,) = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    from tests.integration.conftest import sqs_event

    for _ in range(3):  # SQS is at least once: the same message, three times
        assert api.modules["notify_agency"].lambda_handler(sqs_event([message]), api.context)["batchItemFailures"] == []
    assert len(sent_emails()) == 1


def test_a_relay_resend_after_handling_sends_nothing(api: Api, aws: Aws) -> None:
    from datetime import UTC, datetime, timedelta

    from lapor.relay import relay_pending_events

    api.submit(valid_submission())
    api.deliver_events()
    assert relay_pending_events(now=datetime.now(UTC) + timedelta(minutes=5))["sent"] == 0
    assert api.deliver_events()["records"] == 0 and len(sent_emails()) == 1


def test_ses_down_for_a_while_loses_nothing_and_sends_nothing_twice(
    api: Api, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import aws as lapor_aws

    receipts = [api.submit(valid_submission()) for _ in range(3)]
    ses = lapor_aws.client("ses")
    real_send = ses.send_email
    outage = {"left": 4}

    def flaky(**kwargs: Any) -> Any:
        if outage["left"] > 0:
            outage["left"] -= 1
            raise ses.exceptions.MessageRejected({"Error": {"Code": "Throttling", "Message": "down"}}, "SendEmail")
        return real_send(**kwargs)

    monkeypatch.setattr(ses, "send_email", flaky)
    rounds = []
    for _ in range(6):
        result = api.deliver_events()
        rounds.append(len(result["batchItemFailures"]))
        if result["records"] == 0:
            break
    assert rounds[0] == 3  # the first round failed each record, one by one (partial batch response)
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == ["dpupr@baritoutara.lapor.example"] * 3
    for receipt in receipts:
        assert report_item(aws, receipt["tracking_id"])["outbox"] == {}


def test_partial_batch_failure_names_only_the_failing_record(api: Api, aws: Aws) -> None:
    import boto3

    from tests.integration.conftest import sqs_event

    api.submit(valid_submission())
    sqs = boto3.client("sqs", region_name="ap-southeast-3")
    (good,) = sqs.receive_message(QueueUrl=aws.queue_url)["Messages"]
    broken = {**good, "MessageId": "broken-1", "Body": "{not json"}
    result = api.modules["notify_agency"].lambda_handler(sqs_event([good, broken]), api.context)
    assert result["batchItemFailures"] == [{"itemIdentifier": "broken-1"}]
    assert len(sent_emails()) == 1


def test_response_emails_the_reporter_but_never_an_anonymous_one(api: Api, aws: Aws) -> None:
    identified = api.submit(valid_submission(confidential=True))["tracking_id"]
    anonymous = api.submit(valid_submission(anonymous=True, reporter=None))["tracking_id"]
    for tid in (identified, anonymous):
        api.act(DPUPR, tid, action="verify")
        api.act(DPUPR, tid, action="respond", message="Jawaban rahasia dari dinas.")
    while api.deliver_events()["records"]:
        pass
    to_reporter = [m for m in sent_emails() if m.destinations["ToAddresses"] == ["siti@example.org"]]
    assert len(to_reporter) == 1
    (mail,) = to_reporter
    assert identified in mail.body and "Jawaban rahasia" not in mail.body
    assert f"https://lapor.test/track/{identified}" in mail.body
    agency_mails = [m for m in sent_emails() if m.destinations["ToAddresses"] == ["dpupr@baritoutara.lapor.example"]]
    assert len(agency_mails) == 2  # one per submission; verify and respond tell nobody


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    fail_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_next > 0:
            _Hook.fail_next -= 1
            self.send_response(503)
        else:
            _Hook.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def webhook(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from lapor import config, directory, store

    monkeypatch.setenv("LAPOR_ALLOW_HTTP_WEBHOOKS", "1")  # as the local stack does: the receiver is plain http
    config.settings.cache_clear()
    _Hook.received = []
    _Hook.fail_next = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/lapor"
    data = json.loads((directory.Path(__file__).resolve().parents[2] / "infra" / "directory.json").read_text())
    for agency in data["agencies"]:
        if agency["id"] == "dpupr-barito-utara":
            agency["webhook_url"] = url
    store.write_directory(data)
    store.forget_directory()
    yield url
    server.shutdown()


def test_webhook_is_signed_per_agency_and_sent_once(api: Api, aws: Aws, webhook: str) -> None:
    from lapor.channels import webhook_secret

    receipt = api.submit(valid_submission(confidential=True))
    _Hook.fail_next = 1
    first = api.deliver_events()
    assert len(first["batchItemFailures"]) == 1  # the agency's server said 503: retried
    assert len(sent_emails()) == 1  # the email went out and is not sent again on the retry
    assert api.deliver_events()["batchItemFailures"] == []
    ((headers, body),) = _Hook.received
    signed = headers["X-Lapor-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(webhook_secret("dpupr-barito-utara").encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Lapor-Signature"] == expected
    assert webhook_secret("dpupr-barito-utara") != webhook_secret("dinkes-barito-utara")
    payload = json.loads(body)
    assert payload["type"] == "report.submitted" and payload["tracking_id"] == receipt["tracking_id"]
    for secret in SECRETS:
        assert secret not in body.decode()
    assert len(sent_emails()) == 1
    timeline = report_item(aws, receipt["tracking_id"])["timeline"]
    assert [e["event"] for e in timeline].count("agency_notified") == 1


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(api: Api, aws: Aws) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="ap-southeast-3")
    poison = {"event_id": "e1", "type": "report.submitted", "tracking_id": "LPR-7KQ2-M9XD-3FHW"}
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps(poison)[:-1])  # not JSON: fails every time
    failures = 0
    for _ in range(8):
        result = api.deliver_events()
        failures += len(result["batchItemFailures"])
        if result["records"] == 0:
            break
    assert failures == 5  # the template's maxReceiveCount
    (dead,) = sqs.receive_message(QueueUrl=aws.dlq_url)["Messages"]
    assert dead["Body"] == json.dumps(poison)[:-1]


def test_reporter_replies_email_the_agency_at_most_once_an_hour(
    api: Api, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from lapor import notify
    from lapor.timefmt import utcnow

    receipt = api.submit(valid_submission())
    tid, code = receipt["tracking_id"], receipt["access_code"]

    def reply(text: str) -> None:
        status, _, _ = api.call(
            "reporter_access",
            "POST",
            "/reports/{tracking_id}/messages",
            path_params={"tracking_id": tid},
            headers={"X-Access-Code": code},
            body={"message": text},
        )
        assert status == 201

    def agency_mails() -> list[Any]:
        return [m for m in sent_emails() if m.destinations["ToAddresses"] == ["dpupr@baritoutara.lapor.example"]]

    for text in ("Foto menyusul.", "Ini fotonya.", "Maaf, satu lagi."):
        reply(text)
    while api.deliver_events()["records"]:
        pass
    # One email for the submission, one for the first reply; the next two replies wait in the inbox
    assert len(agency_mails()) == 2
    assert "within the hour are not emailed again" in agency_mails()[-1].body
    item = report_item(aws, tid)
    assert item["outbox"] == {}  # every event was handled all the same
    assert [e["event"] for e in item["timeline"]].count("reporter_replied") == 3
    # An hour after the last email the next reply is emailed again
    later = utcnow() + notify.REPLY_NOTICE_QUIET + timedelta(seconds=1)
    monkeypatch.setattr(notify, "utcnow", lambda: later)
    reply("Sudah sejam, belum ada kabar.")
    while api.deliver_events()["records"]:
        pass
    assert len(agency_mails()) == 3

"""The WhatsApp conversation on moto: messages through the webhook and the queue, replies through the stand-in
Graph API; filing, checking and answering as the web does, once per message, with no number or text kept."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests import whatsapp
from tests.conftest import load_function
from tests.events import api_event, valid_submission
from tests.integration.conftest import REGION, Api, Aws, sqs_event

DESCRIPTION = "Jembatan kayu di Desa Lemo retak\nPapan tengah patah, anak sekolah lewat setiap pagi."


def secret(variable: str) -> str:
    found = boto3.client("secretsmanager", region_name=REGION).get_secret_value(SecretId=os.environ[variable])
    return str(found["SecretString"])


class Phone:
    """A citizen's WhatsApp: sends through the signed webhook, the queue's consumer answers into the outbox."""

    def __init__(self, graph: Any, context: Any, number: str = whatsapp.CITIZEN) -> None:
        from lapor.whatsapp import sign

        self.graph, self.context, self.number = graph, context, number
        self.webhook = load_function("whatsapp_webhook")
        self.consumer = load_function("whatsapp_conversation")
        self.sign = lambda body: sign(secret("WHATSAPP_APP_SECRET_ARN").encode(), body)
        self.seen = 0

    def post(self, payload: dict[str, Any]) -> int:
        body = whatsapp.raw(payload)
        event = api_event("POST", "/whatsapp/webhook", headers={"X-Hub-Signature-256": self.sign(body)})
        event["body"] = body.decode()
        response = self.webhook.lambda_handler(event, self.context)
        assert response["statusCode"] == 200, response
        return int(json.loads(response["body"])["queued"])

    def deliver(self) -> int:
        sqs = boto3.client("sqs", region_name=REGION)
        url, handled = os.environ["WHATSAPP_QUEUE_URL"], 0
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
            result = self.consumer.lambda_handler(sqs_event(messages), self.context)
            assert result["batchItemFailures"] == []
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            handled += 1
        return handled

    def say(self, *texts: str | dict[str, Any]) -> list[str]:
        """Send each message (text, or a payload), let the consumer answer; the replies since the last call."""
        for item in texts:
            self.post(whatsapp.text(item, sender=self.number) if isinstance(item, str) else item)
            self.deliver()
        return self.replies()

    def replies(self) -> list[str]:
        sent = [m for m in self.graph.sent() if m["to"] == self.number]
        new, self.seen = sent[self.seen :], len(sent)
        return [m["text"]["body"] if m["type"] == "text" else json.dumps(m["template"]) for m in new]


@pytest.fixture
def graph(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from lapor import config
    from lapor_local.whatsapp import GraphApiStandIn

    stand_in = GraphApiStandIn(
        tmp_path, lambda: secret("WHATSAPP_ACCESS_TOKEN_ARN"), os.environ["WHATSAPP_PHONE_NUMBER_ID"]
    ).start()
    monkeypatch.setenv("WHATSAPP_GRAPH_URL", stand_in.url)
    config.settings.cache_clear()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def phone(graph: Any, lambda_context: Any) -> Phone:
    return Phone(graph, lambda_context)


def file_anonymous(phone: Phone) -> str:
    location = whatsapp.location(-0.9512, 114.8921, sender=phone.number, name="Desa Lemo")
    replies = phone.say("1", "1", "1", DESCRIPTION, location, "0", "1", "2", "2", "1")
    (receipt,) = [r for r in replies if "Tracking ID:" in r]
    return receipt


def test_any_text_gets_the_menu_in_indonesian_and_en_switches(phone: Phone) -> None:
    (menu,) = phone.say("halo")
    assert "1 Lapor" in menu and "2 Cek status" in menu
    (english,) = phone.say("EN")
    assert "1 Report" in english


def test_an_anonymous_report_filed_on_whatsapp_is_the_web_report(phone: Phone, api: Api, aws: Aws) -> None:
    receipt = file_anonymous(phone)
    tracking_id = receipt.split("Tracking ID: ")[1].split()[0]
    assert "Kode akses: " in receipt and "hanya ditampilkan sekali" in receipt and f"/track/{tracking_id}" in receipt
    view = api.public(tracking_id)
    assert view["title"] == "Jembatan kayu di Desa Lemo retak" and view["anonymous"] is True
    assert view["location"]["lat"] == -0.951  # rounded for the public, as for every report
    # The agency sees no reporter and no number: there is none
    items = json.dumps(aws.raw_items(), default=str) + json.dumps(aws.raw_items(aws.idempotency_table), default=str)
    assert whatsapp.CITIZEN not in items and "Papan tengah patah" not in json.dumps(
        aws.raw_items(aws.idempotency_table), default=str
    )
    assert "whatsapp" in items  # the channel


def test_a_redelivered_message_files_nothing_twice(phone: Phone, aws: Aws) -> None:
    phone.say("1", "1", "1", DESCRIPTION, "0", "0", "1", "2", "2")
    sqs = boto3.client("sqs", region_name=REGION)
    phone.post(whatsapp.text("1", sender=phone.number))
    (message,) = sqs.receive_message(QueueUrl=os.environ["WHATSAPP_QUEUE_URL"]).get("Messages", [])
    # The consumer handles the same queue message twice (SQS delivers at least once)
    phone.consumer.lambda_handler(sqs_event([message]), phone.context)
    phone.consumer.lambda_handler(sqs_event([message]), phone.context)
    reports = [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT"]
    assert len(reports) == 1
    receipts = [r for r in phone.replies() if "Tracking ID:" in r]
    assert len(receipts) == 2 and receipts[0] == receipts[1]  # the same receipt, said again


def test_checking_a_report_shows_the_answer_and_the_reply_goes_to_the_agency(phone: Phone, api: Api) -> None:
    from tests.integration.conftest import claims

    receipt = api.submit(valid_submission())
    tracking_id, code = receipt["tracking_id"], receipt["access_code"]
    dpupr = claims(receipt["agency"]["id"])
    assert api.act(dpupr, tracking_id, action="verify")[0] == 200
    assert api.act(dpupr, tracking_id, action="respond", message="Sudah kami perbaiki kemarin.")[0] == 200
    *_, status = phone.say("2", tracking_id.lower())
    assert "ditanggapi" in status and "Sudah kami perbaiki kemarin." in status
    wrong, again = phone.say("SALAH-123")
    assert "kode akses salah" in wrong and "kode akses lagi" in again
    (opened,) = phone.say(code)
    assert "Sudah kami perbaiki kemarin." in opened
    sent, menu = phone.say("Masih ada lubang di sisi kiri jalan.")
    assert "terkirim" in sent and "1 Lapor" in menu
    status_code, view, _ = api.reporter("GET", "/reports/{tracking_id}/private", tracking_id, code)
    messages = [(e["actor"], e.get("message")) for e in view["timeline"]]
    assert status_code == 200 and ("reporter", "Masih ada lubang di sisi kiri jalan.") in messages, messages
    assert view["status"] == "in_progress"  # reopened, as a reply on the web does


def test_an_unknown_tracking_id_is_said_plainly(phone: Phone) -> None:
    *_, answer = phone.say("2", "LPR-0000-0000-0000")
    assert "tidak ditemukan" in answer


def test_a_sender_past_the_hourly_limit_gets_a_polite_answer(phone: Phone, monkeypatch: pytest.MonkeyPatch) -> None:
    from lapor import config

    monkeypatch.setenv("LAPOR_WHATSAPP_MESSAGES_PER_HOUR", "2")
    config.settings.cache_clear()
    replies = phone.say("halo", "halo", "halo")
    assert "terlalu banyak pesan" in replies[-1]


def test_a_sender_past_the_daily_reports_limit_files_no_more(
    phone: Phone, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import config

    monkeypatch.setenv("LAPOR_WHATSAPP_REPORTS_PER_DAY", "1")
    config.settings.cache_clear()
    file_anonymous(phone)
    replies = phone.say("1", "1", "1", DESCRIPTION, "0", "0", "1", "2", "2", "1")
    assert "sudah mengirim 1 laporan hari ini" in replies[-1]
    assert len([i for i in aws.raw_items() if i["sk"]["S"] == "REPORT"]) == 1


def file_with_updates(phone: Phone, confidential: bool = False) -> str:
    """An anonymous report whose sender asked for updates on WhatsApp; its Tracking ID."""
    replies = phone.say("1", "1", "2", DESCRIPTION, "0", "0", "1", "1" if confidential else "2", "1", "1")
    (receipt,) = [r for r in replies if "Tracking ID:" in r]
    return receipt.split("Tracking ID: ")[1].split()[0]


def respond(api: Api, tracking_id: str, message: str = "Tim kami sudah memperbaiki jembatan itu.") -> None:
    from tests.integration.conftest import claims

    agency = claims(api.public(tracking_id)["agency"]["id"])
    assert api.act(agency, tracking_id, action="verify")[0] == 200
    assert api.act(agency, tracking_id, action="respond", message=message)[0] == 200
    while api.deliver_events()["records"]:
        pass


def test_the_agency_answers_and_the_reporter_hears_of_it_on_whatsapp(phone: Phone, api: Api, aws: Aws) -> None:
    tracking_id = file_with_updates(phone)
    respond(api, tracking_id)
    (update,) = phone.replies()
    assert tracking_id in update and "ditanggapi" in update
    assert "Tim kami" not in update  # identifiers and status words only, never content
    # The agency never sees the number, though it is kept (sealed) for the updates
    from tests.integration.conftest import claims

    agency = claims(api.public(tracking_id)["agency"]["id"])
    status, view, _ = api.agency(agency, "GET", "/agency/reports/{tracking_id}", tracking_id)
    assert status == 200 and whatsapp.CITIZEN not in json.dumps(view) and "reporter" not in view
    assert whatsapp.CITIZEN not in json.dumps(aws.raw_items(), default=str)


def test_outside_the_24_hour_window_the_update_is_the_approved_template(phone: Phone, api: Api, aws: Aws) -> None:
    tracking_id = file_with_updates(phone, confidential=True)
    ddb = boto3.client("dynamodb", region_name=REGION)
    for item in aws.raw_items(aws.idempotency_table):
        if item["pk"]["S"].startswith("wachat:"):  # a day later: the conversation has expired
            ddb.delete_item(TableName=aws.idempotency_table, Key={"pk": item["pk"]})
    respond(api, tracking_id, "Isi rahasia tanggapan")
    (sent,) = [m for m in phone.graph.sent() if m["type"] == "template"]
    assert sent["template"]["name"] == "lapor_status_update" and sent["template"]["language"] == {"code": "id"}
    parameters = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert parameters == [tracking_id, "ditanggapi"]


def test_stop_ends_the_updates(phone: Phone, api: Api) -> None:
    tracking_id = file_with_updates(phone)
    assert "tidak akan menerima kabar" in phone.say("STOP")[0]
    respond(api, tracking_id)
    assert phone.replies() == []


def test_retention_erases_the_number_with_the_reports_personal_data(
    phone: Phone, api: Api, aws: Aws, lambda_context: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from lapor.crypto import open_fields
    from lapor.store import get_report

    from tests.integration.conftest import claims

    tracking_id = file_with_updates(phone)
    assert open_fields(tracking_id, get_report(tracking_id)["sealed"])["whatsapp"]["to"] == whatsapp.CITIZEN
    respond(api, tracking_id)
    agency = claims(api.public(tracking_id)["agency"]["id"])
    assert api.act(agency, tracking_id, action="close")[0] == 200
    later = datetime.now(UTC) + timedelta(days=400)
    erase = load_function("erase_personal_data")
    assert erase.lambda_handler({"time": later.strftime("%Y-%m-%dT%H:%M:%SZ")}, lambda_context)["erased"] == 1
    assert get_report(tracking_id).get("sealed") is None  # the data key is gone: so is the number


def test_erasing_the_contact_erases_the_number_and_the_updates_stop(phone: Phone, api: Api, aws: Aws) -> None:
    from lapor.crypto import open_fields
    from lapor.store import get_report

    replies = phone.say("1", "1", "2", DESCRIPTION, "0", "0", "1", "2", "1", "1")
    (receipt,) = [r for r in replies if "Tracking ID:" in r]
    tracking_id = receipt.split("Tracking ID: ")[1].split()[0]
    code = receipt.split("Kode akses: ")[1].split()[0]
    assert "whatsapp" in open_fields(tracking_id, get_report(tracking_id)["sealed"])
    # The reporter erases their contact (DELETE /reports/{id}/private/contact), twice (a retry)
    for _ in range(2):
        assert api.reporter("DELETE", "/reports/{tracking_id}/private/contact", tracking_id, code)[0] == 204
    # The number has left the sealed fields, the erasure is recorded once, and the agency's answer sends nothing
    report = get_report(tracking_id)
    assert "whatsapp" not in open_fields(tracking_id, report["sealed"]) and report["has_contact"] is False
    status, export, _ = api.reporter("GET", "/reports/{tracking_id}/private/export", tracking_id, code)
    assert status == 200 and whatsapp.CITIZEN not in json.dumps(export)
    assert [e["event"] for e in export["erased"]] == ["contact_erased"]
    respond(api, tracking_id)
    assert phone.replies() == []

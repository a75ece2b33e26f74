"""WhatsApp end to end on the running local stack, over HTTP, with Meta-shaped payloads: a citizen files an
anonymous report with a photo and a location and follows it on the web; a replay files nothing twice; a bad
signature changes nothing; no number or text is logged, queued in the clear or stored."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

from tests import photos, whatsapp
from tests.conftest import ROOT, RunningStack
from tests.e2e.client import call, eventually

NUMBER = "6285712345678"
DESCRIPTION = "Drainase tersumbat di Jl. Negara km 3\nAir meluap ke rumah warga setiap hujan deras."


class Citizen:
    """A WhatsApp user as the stack sees one: Meta's signed webhook calls in, the outbox's replies out."""

    def __init__(self, stack: RunningStack, number: str) -> None:
        self.stack, self.number = stack, number
        state = json.loads((stack.state_dir / "local-stack.json").read_text())
        self.env = state["environment"]
        self.secret = stack.cli("whatsapp", "app-secret").strip()
        self.seen = len(self.sent())

    def sent(self) -> list[dict[str, Any]]:
        outbox = self.stack.state_dir / "whatsapp" / "outbox.jsonl"
        lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
        return [m for m in map(json.loads, lines) if m["to"] == self.number]

    def post(self, body: bytes, signature: str | None = "sign") -> Any:
        from lapor.whatsapp import sign

        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = sign(self.secret.encode(), body) if signature == "sign" else signature
        request = urllib.request.Request(
            f"{self.stack.api_url}/whatsapp/webhook", data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def say(self, payload: dict[str, Any]) -> list[str]:
        """Send one message; the replies to it (waits until they stop coming)."""
        status, answer = self.post(whatsapp.raw(payload))
        assert status == 200 and answer == {"queued": 1}, answer
        eventually(lambda: len(self.sent()) > self.seen, seconds=30, message="no WhatsApp reply")
        time.sleep(0.5)
        new = self.sent()[self.seen :]
        self.seen += len(new)
        return [m["text"]["body"] for m in new if m["type"] == "text"]

    def text(self, body: str) -> list[str]:
        return self.say(whatsapp.text(body, sender=self.number))

    def photo(self, data: bytes) -> list[str]:
        token = self.stack.aws_client("secretsmanager").get_secret_value(
            SecretId=self.env["WHATSAPP_ACCESS_TOKEN_ARN"]
        )["SecretString"]
        url = f"{self.env['WHATSAPP_GRAPH_URL']}/{self.env['WHATSAPP_GRAPH_VERSION']}/"
        url += f"{self.env['WHATSAPP_PHONE_NUMBER_ID']}/media"
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            media_id = json.loads(response.read())["id"]
        return self.say(whatsapp.image(media_id, sender=self.number))


def test_a_citizen_files_an_anonymous_report_with_a_photo_and_a_location(local_stack: RunningStack) -> None:
    citizen = Citizen(local_stack, NUMBER)
    assert "1 Lapor" in citizen.text("halo")[0]
    for answer in ("1", "1", "1", DESCRIPTION):
        citizen.text(answer)
    citizen.say(whatsapp.location(-0.9478123, 114.8891234, sender=NUMBER, name="Jl. Negara km 3"))
    assert "Foto 1 diterima" in citizen.photo(photos.phone_jpeg())[0]
    for answer in ("0", "1", "2", "1"):  # no more photos, anonymous, public, updates on WhatsApp
        citizen.text(answer)
    (receipt, _menu) = citizen.text("1")
    tracking_id = receipt.split("Tracking ID: ")[1].split()[0]
    code = receipt.split("Kode akses: ")[1].split()[0]
    # The web tracking page and the public view show it; the photo went through the web's stripping
    page = call(local_stack.api_url, "GET", f"/track/{tracking_id}")
    assert page.status == 200
    public = call(local_stack.api_url, "GET", f"/reports/{tracking_id}").json
    assert public["title"] == "Drainase tersumbat di Jl. Negara km 3" and public["anonymous"] is True
    assert public["location"]["lat"] == -0.948

    def stored() -> list[dict[str, Any]]:
        view = call(local_stack.api_url, "GET", f"/reports/{tracking_id}/private", headers={"X-Access-Code": code})
        return [p for p in view.json["photos"] if p["status"] == "stored"]

    (photo,) = eventually(stored, message="the WhatsApp photo was not processed")
    assert photo["sha256"]

    # The agency answers in the console; the citizen hears of it on WhatsApp and answers there
    token = local_stack.cli("dev-token", "--agency", public["agency"]["id"]).strip()
    officer = {"Authorization": f"Bearer {token}"}
    for action in ({"action": "verify"}, {"action": "respond", "message": "Saluran sudah dibersihkan."}):
        assert (
            call(local_stack.api_url, "POST", f"/agency/reports/{tracking_id}/actions", action, officer).status == 200
        )
    eventually(lambda: len(citizen.sent()) > citizen.seen, seconds=30, message="no WhatsApp update")
    (update,) = [m["text"]["body"] for m in citizen.sent()[citizen.seen :]]
    citizen.seen += 1
    assert tracking_id in update and "ditanggapi" in update
    citizen.text("2")
    assert "Saluran sudah dibersihkan." in citizen.text(tracking_id)[0]
    assert "Saluran sudah dibersihkan." in citizen.text(code)[0]
    assert "terkirim" in citizen.text("Terima kasih, sudah lancar sekarang.")[0]
    agency_view = call(local_stack.api_url, "GET", f"/agency/reports/{tracking_id}", headers=officer).json
    said = [(e["actor"], e.get("message")) for e in agency_view["timeline"]]
    assert ("reporter", "Terima kasih, sudah lancar sekarang.") in said
    assert NUMBER not in json.dumps(agency_view)

    # Privacy: no number or text in any log line, stored item or waiting queue message
    ddb = local_stack.aws_client("dynamodb")
    stored_items = "".join(
        json.dumps(ddb.scan(TableName=t)["Items"], default=str)
        for t in ("lapor-ReportsTable", "lapor-IdempotencyTable")
    )
    sqs = local_stack.aws_client("sqs")
    waiting = ""
    for queue in ("lapor-WhatsAppInboundQueue.fifo", "lapor-WhatsAppInboundDeadLetterQueue.fifo"):
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        waiting += json.dumps(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
    logged = local_stack.logs()
    assert "whatsapp webhook accepted" in logged
    for secret in (NUMBER, "+" + NUMBER, code, "Air meluap ke rumah warga", "wamid.", "sudah lancar sekarang"):
        assert secret not in logged, f"logged: {secret[:12]}"
        assert secret not in waiting, f"queued: {secret[:12]}"
    for secret in (NUMBER, code, "wamid."):
        assert secret not in stored_items, f"stored: {secret[:12]}"


def test_a_replayed_webhook_files_nothing_twice_and_a_bad_signature_changes_nothing(
    local_stack: RunningStack,
) -> None:
    citizen = Citizen(local_stack, "6285700000001")
    body = whatsapp.raw(whatsapp.text("halo", sender=citizen.number))
    assert citizen.post(body) == (200, {"queued": 1})
    assert citizen.post(body) == (200, {"queued": 0})  # Meta's retry
    eventually(lambda: citizen.sent(), message="no reply")
    time.sleep(1)
    assert len(citizen.sent()) == 1
    other = whatsapp.raw(whatsapp.text("1", sender=citizen.number))
    for signature in (None, "sha256=" + "0" * 64, "sha1=abc"):
        status, problem = citizen.post(other, signature)
        assert status == 401 and problem["status"] == 401
    status, problem = citizen.post(
        other.replace(b'"1"', b'"2"'), "sha256=" + __import__("hashlib").sha256(b"").hexdigest()
    )
    assert status == 401
    time.sleep(1)
    assert len(citizen.sent()) == 1  # nothing queued, nothing answered


def test_the_handshake_over_http(local_stack: RunningStack) -> None:
    state = json.loads((local_stack.state_dir / "local-stack.json").read_text())
    token = local_stack.aws_client("secretsmanager").get_secret_value(
        SecretId=state["environment"]["WHATSAPP_VERIFY_TOKEN_ARN"]
    )["SecretString"]
    query = f"hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
    with urllib.request.urlopen(f"{local_stack.api_url}/whatsapp/webhook?{query}", timeout=10) as response:
        assert response.read() == b"1158201444"
    refused = call(local_stack.api_url, "GET", "/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1")
    assert refused.status == 403


def test_lapor_whatsapp_chat_plays_the_citizen_from_the_terminal(local_stack: RunningStack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lapor_local", "whatsapp", "chat", "--number", "6285799999999"],
        cwd=ROOT,
        env=local_stack.env,
        input="halo\n3\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 Lapor" in result.stdout and "/privasi" in result.stdout

"""End to end over HTTP: the two-way loop between an agency and a reporter, on the local stack."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path

from tests.conftest import RunningStack
from tests.e2e.client import call, eventually
from tests.events import valid_submission

AGENCY_MAIL = "dpupr@baritoutara.lapor.example"
REPORTER_MAIL = "siti@example.org"


def mails_to(folder: Path, address: str, tracking_id: str) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes())
        if message["To"] == address and tracking_id in message["Subject"]:
            found.append(message.get_payload(decode=True).decode())
    return found


def test_confidential_report_from_submission_to_closing(local_stack: RunningStack) -> None:
    """Promise: a confidential report goes from submission to closing over HTTP; the agency is notified of
    every event meant for it (in whatever order the asynchronous notices land), `closed` is the last status
    change, and neither emails nor the public view ever carry the content or the reporter."""
    api = local_stack.api_url
    secret_title = "Pungutan liar di loket KTP Muara Teweh"
    body = valid_submission(confidential=True, title=secret_title)
    receipt = call(api, "POST", "/reports", body).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    # The agency's email appears locally, without the content
    (mail,) = eventually(lambda: mails_to(local_stack.mail_dir, AGENCY_MAIL, tid), message="no agency email")
    assert secret_title not in mail and REPORTER_MAIL not in mail
    # The officer finds it in the inbox (no reporter there, nothing decrypted) and opens it, decrypted
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    inbox = call(api, "GET", "/agency/reports", headers=officer).json["items"]
    mine = next(i for i in inbox if i["tracking_id"] == tid)
    assert "reporter" not in mine and "title" not in mine and REPORTER_MAIL not in json.dumps(inbox)
    opened = call(api, "GET", f"/agency/reports/{tid}", headers=officer).json
    assert opened["title"] == secret_title and opened["reporter"]["email"] == REPORTER_MAIL
    assert call(api, "GET", "/agency/reports").status == 401
    expired = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara", "--hours", "-1").strip()
    assert call(api, "GET", f"/agency/reports/{tid}", headers={"Authorization": f"Bearer {expired}"}).status == 401
    forged = token.rsplit(".", 1)[0] + ".c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ"
    assert (
        call(
            api, "POST", f"/agency/reports/{tid}/actions", {"action": "verify"}, {"Authorization": f"Bearer {forged}"}
        ).status
        == 401
    )
    assert call(api, "GET", "/agency/reports", headers={"Authorization": "Bearer " + token[:-4] + "AAAA"}).status == 401
    # verify, respond
    version = call(api, "GET", f"/agency/reports/{tid}", headers=officer).headers["ETag"]
    assert (
        call(
            api, "POST", f"/agency/reports/{tid}/actions", {"action": "verify"}, {**officer, "If-Match": version}
        ).status
        == 200
    )
    reply = call(
        api,
        "POST",
        f"/agency/reports/{tid}/actions",
        {"action": "respond", "message": "Petugas sudah ditegur."},
        officer,
    )
    assert reply.status == 200 and reply.json["status"] == "responded"
    # The reporter reads the reply with the access code, and their email appears
    private = call(api, "GET", f"/reports/{tid}/private", headers={"X-Access-Code": code}).json
    answered = [e.get("message") for e in private["timeline"] if e["event"] == "responded"]
    assert answered == ["Petugas sudah ditegur."] and private["title"] == secret_title
    (to_reporter,) = eventually(lambda: mails_to(local_stack.mail_dir, REPORTER_MAIL, tid), message="no reporter email")
    assert "Petugas sudah ditegur" not in to_reporter
    assert call(api, "GET", f"/reports/{tid}/private", headers={"X-Access-Code": "WRONG"}).status == 403
    # The reporter answers: the report is reopened
    answer = call(
        api, "POST", f"/reports/{tid}/messages", {"message": "Masih diminta uang kemarin."}, {"X-Access-Code": code}
    )
    assert answer.status == 201 and answer.json["status"] == "in_progress"
    # Respond again, then close
    assert (
        call(
            api,
            "POST",
            f"/agency/reports/{tid}/actions",
            {"action": "respond", "message": "Sudah diberi sanksi."},
            officer,
        ).status
        == 200
    )
    closed = call(api, "POST", f"/agency/reports/{tid}/actions", {"action": "close"}, officer)
    assert closed.status == 200 and closed.json["status"] == "closed"

    # The agency is told of the submission and of the reopening. Those notices are delivered
    # asynchronously, so they may land in the timeline before or after later status changes: wait for
    # both, then check the promise (every notice arrives, `closed` is the last status change), not an order.
    def both_notices_arrived() -> dict | None:
        view = call(api, "GET", f"/reports/{tid}").json
        return view if [e["event"] for e in view["timeline"]].count("agency_notified") == 2 else None

    public = eventually(
        both_notices_arrived, message="the agency was not told of both the submission and the reopening"
    )
    events = [e["event"] for e in public["timeline"]]
    changes = [event for event in events if event != "agency_notified"]
    assert changes[0] == "submitted" and changes[-1] == "closed"
    assert {"verified", "responded", "reporter_replied", "reopened"} <= set(changes)
    # The public sees the whole timeline, never the content nor the reporter
    text = json.dumps(public)
    for secret in (
        secret_title,
        "Petugas sudah ditegur",
        "Masih diminta uang",
        "Sudah diberi sanksi",
        "Siti Rahma",
        REPORTER_MAIL,
    ):
        assert secret not in text

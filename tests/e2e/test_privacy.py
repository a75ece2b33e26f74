"""Privacy on the running stack: after a whole identified, confidential round trip, nothing personal was
logged by any function or by the stack itself, and nothing personal is stored in plaintext."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request

from lapor_local.eventbridge import LOCAL_SOURCE_IP

from tests import photos
from tests.conftest import RunningStack
from tests.e2e.client import call, eventually
from tests.events import valid_submission

NAME, EMAIL, PHONE = "Rahmawati Kusumadewi", "rahmawati.k@example.org", "+6285211112222"
TITLE = "Pungutan liar di Puskesmas Lahei oleh petugas"
DESCRIPTION = "Petugas meminta Rp 50.000 di luar tarif resmi untuk surat keterangan sehat."
ADDRESS = "Jl. Pramuka No. 17, Lahei"
IP, AGENT = "198.51.100.201", "PrivacyProbe/7.3 (Android 9; Itel A16)"


def test_nothing_personal_in_logs_or_plaintext_storage(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    probe = {"X-Forwarded-For": IP, "User-Agent": AGENT}
    body = valid_submission(
        title=TITLE,
        description=DESCRIPTION,
        category="kesehatan",
        agency_id=None,
        confidential=True,
        location={"lat": -0.8123457, "lon": 115.0123457, "address": ADDRESS},
        reporter={"name": NAME, "email": EMAIL, "phone": PHONE},
    )
    receipt = call(api, "POST", "/reports", body, probe).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    token = local_stack.cli("dev-token", "--agency", "dinkes-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}", **probe}
    call(api, "GET", f"/agency/reports/{tid}", headers=officer)
    call(api, "POST", f"/agency/reports/{tid}/actions", {"action": "verify"}, officer)
    call(
        api,
        "POST",
        f"/agency/reports/{tid}/actions",
        {"action": "respond", "message": "Petugas Budi diperiksa."},
        officer,
    )
    call(api, "GET", f"/reports/{tid}/private", headers={"X-Access-Code": code, **probe})
    call(api, "GET", f"/reports/{tid}/private", headers={"X-Access-Code": "WRONG-GUESS-12345", **probe})
    call(
        api,
        "POST",
        f"/reports/{tid}/messages",
        {"message": "Saya bisa dihubungi lagi."},
        {"X-Access-Code": code, **probe},
    )
    eventually(lambda: list(local_stack.mail_dir.glob(f"*{EMAIL}*.eml")), message="the reporter was not emailed")

    logged = local_stack.logs()
    assert "request handled" in logged  # the functions did log: just nothing personal
    secrets = [NAME, EMAIL, PHONE, TITLE, DESCRIPTION, ADDRESS, IP, AGENT, code, token, "WRONG-GUESS-12345"]
    secrets += ["Petugas Budi diperiksa", "Saya bisa dihubungi"]
    for secret in secrets:
        assert secret not in logged, f"logged: {secret[:12]}..."

    ddb = local_stack.aws_client("dynamodb")
    stored = ""
    for table in ("lapor-ReportsTable", "lapor-IdempotencyTable"):
        stored += json.dumps(ddb.scan(TableName=table)["Items"], default=str)
    for secret in secrets:
        assert secret not in stored, f"stored: {secret[:12]}..."


def test_an_anonymous_photo_leaves_no_trace_of_the_sender(local_stack: RunningStack) -> None:
    """A phone photo full of GPS, make, serial and names, sent anonymously through the presigned POST:
    no byte of what is stored or shown, no key, log line or table item identifies the sender."""
    api = local_stack.api_url
    probe = {"X-Forwarded-For": IP, "User-Agent": AGENT}
    body = valid_submission(anonymous=True, reporter=None, category="jalan-jembatan", agency_id="dpupr-barito-utara")
    receipt = call(api, "POST", "/reports", body, probe).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    slot = call(
        api, "POST", f"/reports/{tid}/attachments", {"content_type": "image/jpeg"}, {"X-Access-Code": code, **probe}
    )
    assert slot.status == 201, slot.json
    assert slot.json["upload"]["url"].startswith(local_stack.aws_url)  # straight to S3, not through the API
    assert photos.post_upload(slot.json, photos.phone_jpeg()) == 204

    def stored() -> list[dict]:
        view = call(api, "GET", f"/reports/{tid}/private", headers={"X-Access-Code": code}).json
        return [p for p in view["photos"] if p["status"] == "stored"]

    (photo,) = eventually(stored, message="the photo was not processed")
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    call(api, "POST", f"/agency/reports/{tid}/actions", {"action": "verify"}, officer)
    assert call(api, "GET", f"/reports/{tid}").json["photos"] == []  # until an officer shows it
    shown_path = f"/agency/reports/{tid}/photos/{photo['id']}/visibility"
    assert call(api, "PUT", shown_path, {"public": True}, officer).status == 200
    (shown,) = call(api, "GET", f"/reports/{tid}").json["photos"]
    with urllib.request.urlopen(shown["url"], timeout=10) as response:
        served = response.read()
    assert hashlib.sha256(served).hexdigest() == photo["sha256"]
    assert photos.exiv2_metadata(served) == {}

    s3 = local_stack.aws_client("s3")
    bucket = json.loads((local_stack.state_dir / "local-stack.json").read_text())["environment"]["PHOTOS_BUCKET"]
    # Other tests share this stack's bucket (and their uploads may still be in flight): look at this report's.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []) if tid in o["Key"]]
    assert keys == [f"photos/{tid}/{photo['id']}.jpg"]  # the original is gone
    everything = served + " ".join(keys).encode() + local_stack.logs().encode()
    everything += json.dumps(
        local_stack.aws_client("dynamodb").scan(TableName="lapor-ReportsTable")["Items"], default=str
    ).encode()
    # S3's events carry the uploader's IP (the local stack's stand-in: LOCAL_SOURCE_IP); the rule drops it, so
    # neither the photo queue, its dead-letter queue nor any log line holds it (issue 23).
    sqs = local_stack.aws_client("sqs")
    for queue in ("lapor-PhotoUploadsQueue", "lapor-PhotoUploadsDeadLetterQueue"):
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        waiting = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        everything += json.dumps(waiting).encode()
    for secret in (*photos.SECRETS, IP, AGENT, code, LOCAL_SOURCE_IP):
        assert secret.encode() not in everything, f"found: {secret[:12]}..."
    for degrees in ("115.0123", "-0.8123", "0.8123"):  # the GPS position in any spelling we store
        assert degrees.encode() not in served


def test_the_public_sees_the_area_of_an_anonymous_report_and_nothing_of_a_rejected_one(
    local_stack: RunningStack,
) -> None:
    """Issue 23 over HTTP: a phone's position (5 decimals) reaches the agency exactly and every public route
    (lookup, Open311 listing and single request, JSON and XML) to 3 decimals at most; once rejected, no
    public route carries its title, description or location, and the lookup shows the reason."""
    api = local_stack.api_url
    title, description = (
        "Tetangga Budi Santoso membakar sampah",
        "Budi Santoso di Jl. Pramuka 17 membakar sampah plastik.",
    )
    body = valid_submission(
        title=title,
        description=description,
        anonymous=True,
        reporter=None,
        category="jalan-jembatan",
        agency_id="dpupr-barito-utara",
        location={"lat": -0.81234, "lon": 115.01236},
    )
    tid = call(api, "POST", "/reports", body).json["tracking_id"]
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    public_routes = [
        f"/reports/{tid}",
        f"/open311/v2/requests/{tid}.json",
        f"/open311/v2/requests/{tid}.xml",
        f"/open311/v2/requests.json?service_request_id={tid}",
        f"/open311/v2/requests.xml?service_request_id={tid}",
    ]
    for path in public_routes:
        reply = call(api, "GET", path)
        text = reply.raw.decode("utf-8")
        assert reply.status == 200 and tid in text, path
        assert not re.search(r"\d\.\d{4,}", text) and "-0.812" in text and "115.012" in text, path
    assert call(api, "GET", f"/agency/reports/{tid}", headers=officer).json["location"] == {
        "lat": -0.81234,
        "lon": 115.01236,
    }

    reason = "Sengketa antarwarga, bukan pelayanan publik."
    rejected = call(api, "POST", f"/agency/reports/{tid}/actions", {"action": "reject", "message": reason}, officer)
    assert rejected.status == 200
    view = call(api, "GET", f"/reports/{tid}").json
    assert view["status"] == "rejected" and view["photos"] == []
    assert {"title", "description", "location"}.isdisjoint(view)
    # The agency's notifications are written by a consumer and may land after the rejection: find it by name.
    assert [e["message"] for e in view["timeline"] if e["event"] == "rejected"] == [reason]
    for path in public_routes:
        text = call(api, "GET", path).raw.decode("utf-8")
        for withheld in ("Budi", "Pramuka", "sampah", "-0.81", "115.01"):
            assert withheld not in text, f"{path}: {withheld}"


def test_private_messages_of_a_public_report_are_sealed_and_the_inbox_shows_no_reporter(
    local_stack: RunningStack,
) -> None:
    """Issue 23 over HTTP: the private messages of a report that is not confidential are nowhere in plain text in
    the table, and the officer's inbox carries no reporter; opening the report shows both."""
    api = local_stack.api_url
    body = valid_submission(
        category="jalan-jembatan",
        agency_id="dpupr-barito-utara",
        reporter={"name": NAME, "email": EMAIL, "phone": PHONE},
    )
    receipt = call(api, "POST", "/reports", body).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    mine, theirs = "Telepon saya di 0813-7777-4321 sore hari.", "Petugas akan menghubungi 0813-7777-4321."
    assert call(api, "POST", f"/reports/{tid}/messages", {"message": mine}, {"X-Access-Code": code}).status < 300
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    action = {"action": "verify", "message": theirs, "private": True}
    assert call(api, "POST", f"/agency/reports/{tid}/actions", action, officer).status == 200

    stored = json.dumps(local_stack.aws_client("dynamodb").scan(TableName="lapor-ReportsTable")["Items"], default=str)
    for secret in (mine, theirs, "0813-7777-4321", NAME, EMAIL, PHONE):
        assert secret not in stored, f"stored: {secret[:12]}..."
    inbox = call(api, "GET", "/agency/reports?limit=100", headers=officer).json["items"]
    assert tid in [item["tracking_id"] for item in inbox]
    assert all("reporter" not in item for item in inbox)
    assert not any(secret in json.dumps(inbox) for secret in (NAME, EMAIL, PHONE, mine, theirs))
    opened = call(api, "GET", f"/agency/reports/{tid}", headers=officer).json
    assert opened["reporter"]["email"] == EMAIL
    assert {mine, theirs} <= {entry["message"] for entry in opened["timeline"]}


def test_the_reporters_rights_over_http_leave_no_trace_of_the_contact(local_stack: RunningStack) -> None:
    """Issue 23, item 2 on the running stack: export, correct and erase the contact with the access code; the
    agency's view says the reporter erased it; no log line and no stored item holds the old or new contact."""
    api = local_stack.api_url
    new_email = "rahma.baru@example.org"
    body = valid_submission(reporter={"name": NAME, "email": EMAIL, "phone": PHONE})
    receipt = call(api, "POST", "/reports", body).json
    tid, code = receipt["tracking_id"], receipt["access_code"]
    reporter = {"X-Access-Code": code}

    export = call(api, "GET", f"/reports/{tid}/private/export", headers=reporter)
    assert export.status == 200 and export.json["report"]["reporter"]["phone"] == PHONE
    assert {record["key"] for record in export.json["stored"]} >= {"REPORT"}
    corrected = call(api, "PATCH", f"/reports/{tid}/private/contact", {"name": NAME, "email": new_email}, reporter)
    assert corrected.status == 200 and corrected.json["reporter"] == {"name": NAME, "email": new_email}
    assert call(api, "DELETE", f"/reports/{tid}/private/contact", headers=reporter).status == 204
    assert call(api, "DELETE", f"/reports/{tid}/private/contact", headers=reporter).status == 204
    assert call(api, "DELETE", f"/reports/{tid}/private/contact", headers={"X-Access-Code": "WRONG"}).status == 403

    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    agency = call(api, "GET", f"/agency/reports/{tid}", headers={"Authorization": f"Bearer {token}"}).json
    assert "reporter" not in agency and agency["anonymous"] is True
    rights = ("data_exported", "contact_corrected", "contact_erased")
    events = [entry["event"] for entry in agency["timeline"] if entry["event"] in rights]
    assert events == list(rights)  # the retried erasure changed and recorded nothing
    assert "contact_erased" not in [entry["event"] for entry in call(api, "GET", f"/reports/{tid}").json["timeline"]]

    stored = json.dumps(local_stack.aws_client("dynamodb").scan(TableName="lapor-ReportsTable")["Items"], default=str)
    logged = local_stack.logs()
    for secret in (NAME, EMAIL, PHONE, new_email, code):
        assert secret not in logged and secret not in stored, f"found: {secret[:12]}..."

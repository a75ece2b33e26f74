"""Least privilege for real: every AWS call each function makes is allowed by its own statements in
template.yaml, and every statement (each action on each resource, each allowed partition) is used.

The calls are recorded while one scenario drives every function through its paths on moto (the citizen's,
the agency's, the reporter's, the queue consumer's with a webhook, the schedules'); tests/iam.py evaluates
the template's statements against them as IAM would, conditions included. A function added to the template
must be driven here too, or the first test says so.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from tests import photos
from tests.conftest import ROOT, load_function
from tests.events import valid_submission
from tests.iam import Call, KeySchemas, Request, allowing, requests_for
from tests.integration.conftest import REGION, Api, Aws, claims, fresh_aws

DPUPR = claims("dpupr-barito-utara")
DISPATCHER = claims("dpupr-barito-utara", role="dispatcher")
ADMIN = claims("pemkab-barito-utara", role="admin")
COORDINATOR = {**claims("pemkab-barito-utara", role="dispatcher"), "sub": "coordinator-1"}


def _layer_modules() -> dict[str, Any]:
    return {name: module for name, module in sys.modules.items() if name == "lapor" or name.startswith("lapor.")}


class Recorder:
    """Every boto3 call made while a function's handler runs, by the function's logical id.

    In AWS each function runs in its own process, so whatever the layer keeps per process (clients, the
    directory, secrets) is fetched by each function itself. Here all run in one: whenever another function
    runs, the layer is imported afresh with the function (a new "process"), so each function's first calls
    are recorded as its own. One scenario runs at a time and a handler may call AWS from worker threads (the
    inbox decrypts in a pool): the function being run is process-wide state, not thread-local.
    """

    def __init__(self) -> None:
        self.running: str | None = None
        self.calls: dict[str, list[Call]] = {}
        self._loaded: tuple[str, Callable[[Any, Any], Any]] | None = None

    def _handler(self, logical_id: str, load: Callable[[], Callable[[Any, Any], Any]]) -> Callable[[Any, Any], Any]:
        if self._loaded is None or self._loaded[0] != logical_id:
            for name in _layer_modules():
                del sys.modules[name]
            self._loaded = (logical_id, load())
        return self._loaded[1]

    def function(self, logical_id: str, load: Callable[[], Callable[[Any, Any], Any]]) -> Callable[[Any, Any], Any]:
        """A Lambda handler that runs `load()`'s handler in the function's own fresh layer."""

        def run(event: Any, context: Any) -> Any:
            handler = self._handler(logical_id, load)
            self.running = logical_id
            self.calls.setdefault(logical_id, [])
            try:
                return handler(event, context)
            finally:
                self.running = None

        return run

    def record(self, call: Call) -> None:
        if self.running is not None:
            self.calls[self.running].append(call)


# The three tests ask three questions of one run of the scenario (the longest of the integration tests): one
# account and one recording for the module, on one worker.
pytestmark = pytest.mark.xdist_group("permissions")


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    with pytest.MonkeyPatch.context() as monkeypatch, fresh_aws(monkeypatch) as found:
        yield found


@contextmanager
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Wraps `BaseClient._make_api_call`: it sees calls of clients created at any time, retries once."""
    from botocore.client import BaseClient

    found = Recorder()
    original = BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        response = None
        try:
            response = original(self, operation_name, api_params)
            return response
        finally:
            found.record(Call(self.meta.service_model.service_name, operation_name, dict(api_params), REGION, response))

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)

    # A presigned URL or POST calls nothing, but whoever follows it acts with the signer's permissions:
    # it is recorded as the call it authorizes, with the object's encryption as S3 would use it.
    from botocore import signers

    def presigned_url(self: Any, ClientMethod: str, Params: Any = None, **kwargs: Any) -> Any:
        running, found.running = found.running, None
        try:
            head = original(self, "HeadObject", dict(Params or {})) if ClientMethod == "get_object" else None
        finally:
            found.running = running
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        found.record(Call("s3", operation, dict(Params or {}), REGION, head))
        return signed_url(self, ClientMethod, Params, **kwargs)

    def presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        found.record(Call("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, REGION, None))
        return signed_post(self, Bucket, Key, *args, **kwargs)

    signed_url, signed_post = signers.generate_presigned_url, signers.generate_presigned_post
    monkeypatch.setattr(signers, "generate_presigned_url", presigned_url)
    monkeypatch.setattr(signers, "generate_presigned_post", presigned_post)
    before = _layer_modules()
    yield found
    # The rest of the session goes on with the layer modules it imported before.
    for name in _layer_modules():
        del sys.modules[name]
    sys.modules.update(before)


def logical_ids() -> dict[str, str]:
    """functions/<folder> -> the template's logical id."""
    from lapor_local.template import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    return {
        Path(r["Properties"]["CodeUri"]).name: logical_id
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }


class _Hook(BaseHTTPRequestHandler):
    """The agency's server: it fails the first webhook (notify gives its claim back and retries), then accepts."""

    failed = False

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204 if _Hook.failed else 503)
        _Hook.failed = True
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@contextmanager
def agency_webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The agency receives webhooks too, so that notify signs one (and reads the signing secret)."""
    from lapor import config, store

    monkeypatch.setenv("LAPOR_ALLOW_HTTP_WEBHOOKS", "1")  # as the local stack does: the receiver is plain http
    config.settings.cache_clear()
    _Hook.failed = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = json.loads((ROOT / "infra" / "directory.json").read_text())
    for agency in data["agencies"]:
        if agency["id"] == "dpupr-barito-utara":
            agency["webhook_url"] = f"http://127.0.0.1:{server.server_port}/lapor"
    store.write_directory(data)
    store.forget_directory()
    yield
    server.shutdown()


def drive_whatsapp(api: Api, tmp_path: Path) -> None:
    """The WhatsApp paths: the handshake, signed messages and a retry; a named report filed with a photo, filed
    again after a crash before its conversation was saved (the receipt replayed), a report checked, opened with
    its access code and answered."""
    import boto3
    from lapor.whatsapp import sign
    from lapor_local.whatsapp import GraphApiStandIn

    from tests import photos as sample
    from tests import whatsapp
    from tests.integration.conftest import sqs_event

    def secret(variable: str) -> str:
        found = boto3.client("secretsmanager", region_name=REGION).get_secret_value(SecretId=os.environ[variable])
        return str(found["SecretString"])

    query = {"hub.mode": "subscribe", "hub.verify_token": secret("WHATSAPP_VERIFY_TOKEN_ARN"), "hub.challenge": "7"}
    assert api.call("whatsapp_webhook", "GET", "/whatsapp/webhook", query=query)[0] == 200
    graph = GraphApiStandIn(
        tmp_path, lambda: secret("WHATSAPP_ACCESS_TOKEN_ARN"), os.environ["WHATSAPP_PHONE_NUMBER_ID"]
    )
    graph.start()
    os.environ["WHATSAPP_GRAPH_URL"] = graph.url
    sqs = boto3.client("sqs", region_name=REGION)
    ddb = boto3.client("dynamodb", region_name=REGION)
    queue = os.environ["WHATSAPP_QUEUE_URL"]

    def post(payload: dict[str, Any]) -> None:
        body = whatsapp.raw(payload)
        headers = {"X-Hub-Signature-256": sign(secret("WHATSAPP_APP_SECRET_ARN").encode(), body)}
        status, _, _ = api.call("whatsapp_webhook", "POST", "/whatsapp/webhook", body=body.decode(), headers=headers)
        assert status == 200

    def deliver() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1).get("Messages", [])
        if messages:
            assert (
                api.modules["whatsapp_conversation"].lambda_handler(sqs_event(messages), api.context)[
                    "batchItemFailures"
                ]
                == []
            )
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
        return messages

    def say(*items: str | dict[str, Any]) -> None:
        for item in items:
            post(whatsapp.text(item) if isinstance(item, str) else item)
            deliver()

    try:
        first = whatsapp.text("halo")
        post(first)
        post(first)  # Meta's retry
        deliver()
        photo = graph.add_media("image/jpeg", sample.phone_jpeg())
        say("1", "1", "1", "Jembatan kayu retak di tengah\nPapan patah, anak sekolah lewat tiap pagi.", "0")
        say(whatsapp.image(photo), "0", "2", "Siti Rahma", "2", "1")  # named, public, updates on WhatsApp
        chat = [
            i
            for i in ddb.scan(TableName=os.environ["IDEMPOTENCY_TABLE"])["Items"]
            if i["pk"]["S"].startswith("wachat:")
        ]
        post(whatsapp.text("1"))
        (message,) = deliver()
        # The function died after filing, before saving the conversation: the same message files nothing new.
        ddb.put_item(TableName=os.environ["IDEMPOTENCY_TABLE"], Item=chat[0])
        assert (
            api.modules["whatsapp_conversation"].lambda_handler(sqs_event([message]), api.context)["batchItemFailures"]
            == []
        )
        receipt = next(m["text"]["body"] for m in reversed(graph.sent()) if "Tracking ID:" in m["text"]["body"])
        tracking_id = receipt.split("Tracking ID: ")[1].split()[0]
        code = receipt.split("Kode akses: ")[1].split()[0]
        say("2", tracking_id, code, "Mohon segera diperbaiki, sudah berbahaya.")
        # The agency answers: the reporter hears of it on WhatsApp (inside the 24-hour window: free text)
        agency = claims(api.public(tracking_id)["agency"]["id"])
        assert api.act(agency, tracking_id, action="verify")[0] == 200
        assert api.act(agency, tracking_id, action="respond", message="Sudah kami jadwalkan.")[0] == 200
        while api.deliver_events()["records"]:
            pass
        assert any(tracking_id in m.get("text", {}).get("body", "") for m in graph.sent()[-2:])
    finally:
        graph.stop()
        del os.environ["WHATSAPP_GRAPH_URL"]


def drive_every_function(aws: Aws, recorder: Recorder, lambda_context: Any, tmp_path: Path) -> None:
    """The paths each function has, each at least once: what a day of real use would call."""
    ids = logical_ids()
    modules = {
        folder: SimpleNamespace(
            lambda_handler=recorder.function(logical_id, lambda folder=folder: load_function(folder).lambda_handler)
        )
        for folder, logical_id in ids.items()
    }
    api = Api(lambda_context, modules)

    def get(function: str, resource: str, **params: str) -> None:
        status, _, _ = api.call(function, "GET", resource, path_params=params or None)
        assert status == 200, (function, resource)

    # The citizen web, the API's documentation and the public lookups.
    get("web_pages", "/")
    get("web_pages", "/agencies/{agency_id}/qr.svg", agency_id="dpupr-barito-utara")
    get("web_pages", "/statistik")
    get("console", "/console")
    get("api_docs", "/openapi.json")
    for resource in ("/agencies", "/categories", "/stats", "/health"):
        get("track_report", resource)

    # WhatsApp: Meta's handshake, a signed message and its retry.
    drive_whatsapp(api, tmp_path)

    # Submissions: identified and public, confidential, anonymous; one retried with its Idempotency-Key.
    key = str(uuid.uuid4())
    status, public, _ = api.call(
        "submit_report", "POST", "/reports", body=valid_submission(), headers={"Idempotency-Key": key}
    )
    assert status == 201
    again = api.call("submit_report", "POST", "/reports", body=valid_submission(), headers={"Idempotency-Key": key})
    assert again[0] == 201 and again[1]["tracking_id"] == public["tracking_id"]
    confidential = api.submit(valid_submission(confidential=True))
    anonymous = [api.submit(valid_submission(anonymous=True, reporter=None)) for _ in range(2)]
    get("track_report", "/reports/{tracking_id}", tracking_id=public["tracking_id"])
    get("web_pages", "/reports/{tracking_id}/qr.png", tracking_id=public["tracking_id"])
    support = "/reports/{tracking_id}/support"
    assert api.call("support_report", "POST", support, path_params={"tracking_id": public["tracking_id"]})[0] == 200
    hidden = api.call("support_report", "POST", support, path_params={"tracking_id": confidential["tracking_id"]})
    assert 400 <= hidden[0] < 500  # a confidential report takes no public support
    near = {"lat": "-0.9553", "lon": "114.8956", "category": "jalan-jembatan"}
    found = api.call("track_report", "GET", "/reports/nearby", query=near)
    assert found[0] == 200 and found[1], found  # "Sudah dilaporkan?" reads the nearby index
    while api.deliver_events()["records"]:
        pass

    # The agency: inbox (all and by status), one report decrypted, actions.
    tid = confidential["tracking_id"]
    assert api.agency(DPUPR, "GET", "/agency/reports")[0] == 200
    assert api.agency(DPUPR, "GET", "/agency/reports", query={"status": "submitted"})[0] == 200
    assert api.agency(DPUPR, "GET", "/agency/reports.csv")[0] == 200
    # Saved replies: create, list, change, delete.
    status, reply, _ = api.agency(DPUPR, "POST", "/agency/replies", body={"title": "Ditambal", "text": "Sudah."})
    assert status == 201
    assert api.agency(DPUPR, "GET", "/agency/replies")[0] == 200
    one = {"reply_id": reply["reply_id"]}
    body = {"title": "Ditambal", "text": "Sudah ditambal."}
    assert (
        api.call("agency_reports", "PUT", "/agency/replies/{reply_id}", path_params=one, claims=DPUPR, body=body)[0]
        == 200
    )
    assert api.call("agency_reports", "DELETE", "/agency/replies/{reply_id}", path_params=one, claims=DPUPR)[0] == 204
    assert api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", tid)[0] == 200
    assert api.act(DISPATCHER, tid, action="verify")[0] == 200
    assert api.act(DPUPR, tid, action="respond", message="Lubang sudah ditambal.", private=True)[0] == 200
    # The same problem again: candidates nearby, then marked as a duplicate (one transaction over two reports).
    again = api.submit(valid_submission())["tracking_id"]
    found = api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}/nearby", again)
    assert found[0] == 200 and public["tracking_id"] in [r["tracking_id"] for r in found[1]]
    assert api.act(DPUPR, again, action="mark_duplicate", duplicate_of=public["tracking_id"])[0] == 200

    # The reporter: a wrong code, the private view, a rating and a message (which reopens the report).
    code = confidential["access_code"]
    assert api.reporter("GET", "/reports/{tracking_id}/private", tid, "WRONG-CODE0-00000-00000")[0] == 403
    assert api.reporter("GET", "/reports/{tracking_id}/private", tid, code)[0] == 200
    assert api.reporter("POST", "/reports/{tracking_id}/rating", tid, code, body={"score": 5})[0] == 201
    assert (
        api.reporter("POST", "/reports/{tracking_id}/messages", tid, code, body={"message": "Terima kasih."})[0] < 300
    )
    # A private message on a report with nothing sealed yet (anonymous, public) creates its data key: the
    # reporter's on one, the agency's on the other (issue 23).
    first, second = anonymous
    message = {"message": "Di depan toko."}
    reply = "/reports/{tracking_id}/messages"
    assert api.reporter("POST", reply, first["tracking_id"], first["access_code"], body=message)[0] < 300
    assert api.act(DPUPR, second["tracking_id"], action="verify", message="Untuk pelapor.", private=True)[0] == 200
    while api.deliver_events()["records"]:
        pass

    # Coordinators (issue 26): each level's inbox (all, and by status) is one query on its own index; the
    # regency's coordinator assigns from the roster (DPUPR's officer joined it by opening the inbox), the
    # assignee lists "mine", a bulk transfer, and the office it went to returns it (bukan wewenang).
    for level_agency in ("kemenpan-rb", "pemprov-kalteng", "pemkab-barito-utara"):
        coordinator = {**claims(level_agency, role="dispatcher"), "sub": f"coordinator-{level_agency}"}
        assert api.agency(coordinator, "GET", "/agency/reports")[0] == 200
        assert api.agency(coordinator, "GET", "/agency/reports", query={"status": "submitted"})[0] == 200
    assert api.agency(COORDINATOR, "GET", "/agency/officers")[0] == 200
    assert api.act(COORDINATOR, tid, action="assign", assignee_sub=DPUPR["sub"])[0] == 200
    assert api.agency(DPUPR, "GET", "/agency/reports", query={"mine": "1"})[0] == 200
    bulk = {"action": "transfer", "tracking_ids": [second["tracking_id"]], "agency_id": "dinkes-barito-utara"}
    status, outcome, _ = api.agency(COORDINATOR, "POST", "/agency/bulk-actions", body=bulk)
    assert status == 200 and [o["status"] for o in outcome["items"]] == [200], outcome
    dinkes = claims("dinkes-barito-utara")
    returned = api.act(dinkes, second["tracking_id"], action="not_responsible", message="Urusan DPUPR.")
    assert returned[0] == 200
    while api.deliver_events()["records"]:
        pass

    # Photos: a slot for the reporter of each report and one for the agency, uploads through the presigned
    # POSTs, their processing (an open and a confidential report), and the links of every view.
    def upload(slot: dict[str, Any]) -> None:
        files = {"file": ("photo.jpg", photos.phone_jpeg(), "image/jpeg")}
        assert requests.post(slot["upload"]["url"], data=slot["upload"]["fields"], files=files, timeout=30).ok

    attachments = "/reports/{tracking_id}/attachments"
    jpeg = {"content_type": "image/jpeg"}
    for report in (public, confidential):
        status, slot, _ = api.reporter("POST", attachments, report["tracking_id"], report["access_code"], body=jpeg)
        assert status == 201
        upload(slot)
    status, slot, _ = api.agency(DPUPR, "POST", "/agency" + attachments, tid, body=jpeg)
    assert status == 201
    upload(slot)
    assert api.process_photos() == 3
    assert api.act(DPUPR, public["tracking_id"], action="verify")[0] == 200
    # An officer shows the reporter's photo on public pages (nothing is public before an officer looks).
    status, seen, _ = api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", public["tracking_id"])
    (shown,) = [p["id"] for p in seen["photos"] if p["status"] == "stored"]
    visibility = "/agency/reports/{tracking_id}/photos/{attachment_id}/visibility"
    status, _, _ = api.call(
        "agency_reports",
        "PUT",
        visibility,
        path_params={"tracking_id": public["tracking_id"], "attachment_id": shown},
        claims=DPUPR,
        body={"public": True},
    )
    assert status == 200
    get("track_report", "/reports/{tracking_id}", tracking_id=public["tracking_id"])
    for report in (public, confidential):
        assert (
            api.reporter("GET", "/reports/{tracking_id}/private", report["tracking_id"], report["access_code"])[0]
            == 200
        )
        assert api.agency(DPUPR, "GET", "/agency/reports/{tracking_id}", report["tracking_id"])[0] == 200
    while api.deliver_events()["records"]:
        pass

    # Open311: the directory as services, a filing (identified, retried with its Idempotency-Key) with an
    # operator-issued partner key, then the public listings (all, by service) and reads by id.
    from lapor.open311 import create_partner_key

    partner = create_partner_key("permissions scenario")[1]
    get("open311", "/open311/v2/services.json")
    get("open311", "/open311/v2/services/{service_file}", service_file="jalan-jembatan.json")
    filing = urlencode(
        {
            "api_key": partner,
            "service_code": "jalan-jembatan",
            "description": "Lampu jalan padam sejak tiga minggu di depan pasar, rawan kecelakaan malam hari.",
            "lat": "-0.9553",
            "long": "114.8956",
            "email": "warga@example.org",
            "first_name": "Warga",
        }
    )
    form = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(2):
        status, filed, _ = api.call("open311_submit", "POST", "/open311/v2/requests.json", body=filing, headers=form)
        assert status == 201, filed
    get("open311", "/open311/v2/requests.json")
    status, _, _ = api.call(
        "open311", "GET", "/open311/v2/requests.json", query={"service_code": "jalan-jembatan", "status": "open"}
    )
    assert status == 200
    request_id = filed[0]["service_request_id"]
    get("open311", "/open311/v2/requests/{request_file}", request_file=f"{request_id}.json")
    status, _, _ = api.call(
        "open311",
        "GET",
        "/open311/v2/requests.json",
        query={"service_request_id": f"{request_id},{public['tracking_id']}"},
    )
    assert status == 200
    while api.deliver_events()["records"]:
        pass

    # The regency's administrator: officers in the pool (invite, list, move, disable, sign out, reset MFA), the
    # directory (an agency created, changed and removed, a category created and removed) and the history.
    os.environ["USER_POOL_ID"] = aws.resolver.ref("AgencyUserPool")
    from lapor import config

    config.settings.cache_clear()

    def admin(method: str, resource: str, expected: int, **kwargs: Any) -> Any:
        status, found, _ = api.call("agency_admin", method, resource, claims=ADMIN, **kwargs)
        assert status == expected, found
        return found

    officer = {
        "email": "baru@example.org",
        "name": "Petugas Baru",
        "agency_id": "dinkes-barito-utara",
        "role": "officer",
    }
    one = {"officer_id": admin("POST", "/agency/admin/officers", 201, body=officer)["id"]}
    admin("GET", "/agency/admin/officers", 200)
    moved = {"agency_id": "dpupr-barito-utara", "role": "dispatcher"}
    admin("PATCH", "/agency/admin/officers/{officer_id}", 200, path_params=one, body=moved)
    admin("PATCH", "/agency/admin/officers/{officer_id}", 200, path_params=one, body={"enabled": False})
    admin("PATCH", "/agency/admin/officers/{officer_id}", 200, path_params=one, body={"enabled": True})
    admin("POST", "/agency/admin/officers/{officer_id}/sign-out", 200, path_params=one)
    admin("POST", "/agency/admin/officers/{officer_id}/reset-mfa", 200, path_params=one)
    office = {"agency_id": "bappeda-barito-utara"}
    body = {"name": "Bappeda", "parent_id": "pemkab-barito-utara", "level": "office"}
    admin("PUT", "/agency/admin/agencies/{agency_id}", 200, path_params=office, body=body)
    admin("PUT", "/agency/admin/agencies/{agency_id}", 200, path_params=office, body=body, headers={"If-Match": "1"})
    admin("DELETE", "/agency/admin/agencies/{agency_id}", 204, path_params=office)
    category = {"code": "air-bersih"}
    body = {"name": "Air Bersih", "default_agency_id": "dpupr-barito-utara"}
    admin("PUT", "/agency/admin/categories/{code}", 200, path_params=category, body=body)
    admin("DELETE", "/agency/admin/categories/{code}", 204, path_params=category)
    admin("GET", "/agency/admin/directory", 200)
    admin("GET", "/agency/admin/history", 200)
    del os.environ["USER_POOL_ID"]  # the rest of the scenario (and the session) has no pool
    config.settings.cache_clear()

    # The confidential report (with its photos and private messages) is answered and closed.
    assert api.act(DPUPR, tid, action="respond", message="Sudah ditambal.")[0] == 200
    assert api.act(DPUPR, tid, action="close")[0] == 200
    while api.deliver_events()["records"]:
        pass

    # The schedules: deadlines ten days later, and the relay once an event was left in the outbox.
    later = datetime.now(UTC) + timedelta(days=10)
    escalated = modules["escalate_overdue"].lambda_handler(
        {"time": later.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}, lambda_context
    )
    assert escalated["escalated"] >= 1
    api.submit(valid_submission())
    aws.messages()  # the queue "loses" the events published so far: their outbox entries stay

    # The relay's handler reads the clock itself; its grace period is over ten days later.
    def relay_later() -> Callable[[Any, Any], Any]:
        from lapor.relay import relay_pending_events

        return lambda event, context: relay_pending_events(now=later)

    relay = recorder.function(ids["relay_events"], relay_later)
    assert relay({"source": "aws.events"}, lambda_context)["sent"] >= 1

    # Retention, the day after the closed reports' period ended (the rated one and the duplicate): their personal
    # data erased for good.
    after_retention = datetime.now(UTC) + timedelta(days=366)
    erased = modules["erase_personal_data"].lambda_handler(
        {"time": after_retention.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}, lambda_context
    )
    assert erased["erased"] == 2 and erased["messages"] >= 1

    # The reporter's rights (issue 23): a copy of everything stored (photo links included), the contact
    # corrected, then erased.
    rights, code = public["tracking_id"], public["access_code"]
    assert api.reporter("GET", "/reports/{tracking_id}/private/export", rights, code)[0] == 200
    contact = {"name": "Siti Rahma", "email": "siti.baru@example.org"}
    assert api.reporter("PATCH", "/reports/{tracking_id}/private/contact", rights, code, body=contact)[0] == 200
    assert api.reporter("DELETE", "/reports/{tracking_id}/private/contact", rights, code)[0] == 204


@pytest.fixture(scope="module")
def recorded(aws: Aws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    from lapor_local.runtime import LambdaContext

    with pytest.MonkeyPatch.context() as monkeypatch, recording(monkeypatch) as recorder, agency_webhook(monkeypatch):
        drive_every_function(aws, recorder, LambdaContext(), tmp_path_factory.mktemp("scenario"))
        yield recorder


def key_schemas(aws: Aws) -> KeySchemas:
    schemas = KeySchemas()
    for logical_id, resource in aws.resolver.template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        name = aws.resolver.ref(logical_id)

        def hash_key(schema: list[dict[str, str]]) -> str:
            return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

        schemas.tables[name] = hash_key(props["KeySchema"])
        for index in props.get("GlobalSecondaryIndexes", []):
            schemas.indexes[(name, index["IndexName"])] = hash_key(index["KeySchema"])
    return schemas


def key_attributes(aws: Aws) -> set[str]:
    """Every key attribute of every table and index of the template."""
    found: set[str] = set()
    for resource in aws.resolver.template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            props = resource["Properties"]
            for schema in [props["KeySchema"], *(i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", []))]:
                found.update(k["AttributeName"] for k in schema)
    return found


def resolved_statements(aws: Aws, logical_id: str) -> list[dict[str, Any]]:
    resource = aws.resolver.template["Resources"][logical_id]
    found: list[dict[str, Any]] = []
    for policy in resource["Properties"].get("Policies", []):
        found.extend(aws.resolver.resolve(policy["Statement"]))
    return found


def function_requests(aws: Aws, recorded: Recorder, logical_id: str) -> list[Request]:
    schemas = key_schemas(aws)
    return [request for call in recorded.calls.get(logical_id, []) for request in requests_for(call, schemas)]


def test_the_scenario_drives_every_function(recorded: Recorder) -> None:
    assert set(recorded.calls) == set(logical_ids().values())


def test_every_stored_report_holds_listed_attributes_only(aws: Aws, recorded: Recorder) -> None:
    # The policies list what each function may read of a report (lapor.store's lists): an attribute a report
    # item holds beyond lapor.store.REPORT_ATTRIBUTES (a name made at run time, or a new one nobody listed)
    # would be read by no function, or refused to the one that needs it.
    from lapor.store import DATA_REQUEST_ATTRIBUTES, DATA_REQUEST_PREFIX, MESSAGE_ATTRIBUTES, REPORT_ATTRIBUTES

    def listed(sk: str) -> tuple[str, ...]:
        if sk == "REPORT":
            return REPORT_ATTRIBUTES
        if sk.startswith(DATA_REQUEST_PREFIX):
            return ("pk", "sk", "status", *DATA_REQUEST_ATTRIBUTES)
        return ("pk", "sk", *MESSAGE_ATTRIBUTES)

    reports = [i for i in aws.raw_items() if i["pk"]["S"].startswith("REPORT#")]
    assert any("wrong_codes" in i for i in reports)  # the scenario's wrong code was counted
    unlisted = {f"{i['sk']['S'].partition('#')[0]}: {a}" for i in reports for a in i if a not in listed(i["sk"]["S"])}
    assert unlisted == set()


def test_every_call_is_allowed_and_every_grant_is_used(aws: Aws, recorded: Recorder) -> None:
    refused: list[str] = []
    unused: list[str] = []
    for logical_id in sorted(logical_ids().values()):
        statements = resolved_statements(aws, logical_id)
        requests = function_requests(aws, recorded, logical_id)
        refused += [f"{logical_id}: {r}" for r in requests if not allowing(statements, r)]
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                for resource in resources:
                    narrowed = {**statement, "Action": action, "Resource": resource}
                    if not any(allowing([narrowed], r) for r in requests):
                        unused.append(f"{logical_id} {statement.get('Sid')}: {action} on {resource}")
            # Every partition a statement allows is one the function really uses.
            for operator, keys in (statement.get("Condition") or {}).items():
                allow_list = operator.startswith("ForAllValues:String") and "Not" not in operator
                for value in keys.get("dynamodb:LeadingKeys", []) if allow_list else []:
                    only = {
                        **statement,
                        "Condition": {**statement["Condition"], operator: {**keys, "dynamodb:LeadingKeys": [value]}},
                    }
                    if not any(allowing([only], r) for r in requests):
                        unused.append(f"{logical_id} {statement.get('Sid')}: partition {value}")
            # Every attribute a statement allows is one some allowed call asks for by name (the code's projection
            # and the policy agree), but for key attributes: AWS wants every table and index key listed.
            allowed_requests = [r for r in requests if allowing([statement], r)]
            asked = {a for r in allowed_requests for a in r.context.get("dynamodb:Attributes", ())}
            for operator, keys in (statement.get("Condition") or {}).items():
                for attribute in keys.get("dynamodb:Attributes", []) if operator.startswith("ForAllValues:") else []:
                    if attribute not in asked and attribute not in key_attributes(aws):
                        unused.append(f"{logical_id} {statement.get('Sid')}: attribute {attribute}")
    assert refused == [], "calls AWS would refuse:\n" + "\n".join(refused)
    assert unused == [], "grants no call needs:\n" + "\n".join(unused)

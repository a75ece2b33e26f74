"""Open311 GeoReport v2 over HTTP on the local stack: a partner files, an agency acts, clients read.

The `georeport` client from PyPI is used as it is, the way a partner's tool would use this endpoint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from georeport import GeoReport

from tests.conftest import RunningStack
from tests.e2e.client import Reply, call, eventually
from tests.e2e.test_agency_loop import mails_to
from tests.events import valid_submission

JURISDICTION = "baritoutarakab.go.id"
DESCRIPTION = "Jembatan kayu di Desa Lemo retak di tengah, anak sekolah tetap lewat setiap pagi."


def new_key(stack: RunningStack, name: str) -> str:
    return stack.cli("open311-key", "create", "--name", name).strip()


def file(api: str, fmt: str, fields: dict[str, str]) -> Reply:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return call(api, "POST", f"/open311/v2/requests.{fmt}", urlencode(fields).encode(), headers)


def filed_id(reply: Reply, fmt: str) -> str:
    assert reply.status == 201, reply.raw
    if fmt == "json":
        return str(reply.json[0]["service_request_id"])
    root = ElementTree.fromstring(reply.raw)
    assert root.tag == "service_requests"
    return str(root.findtext("request/service_request_id"))


def as_list(value: Any) -> list[Any]:
    """xmltodict reads one repeated element as a dict and many as a list."""
    return value if isinstance(value, list) else [value]


def open311_request(api: str, tracking_id: str) -> dict[str, Any]:
    reply = call(api, "GET", f"/open311/v2/requests/{tracking_id}.json")
    assert reply.status == 200, reply.raw
    (one,) = reply.json
    return dict(one)


def test_a_report_filed_through_open311_is_followed_to_closed(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    key = new_key(local_stack, "Aplikasi Lapor Warga")
    token = local_stack.cli("dev-token", "--agency", "dpupr-barito-utara").strip()
    officer = {"Authorization": f"Bearer {token}"}
    for fmt, email in (("json", "rina.open311@example.org"), ("xml", "bayu.open311@example.org")):
        fields = {
            "api_key": key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "jalan-jembatan",
            "description": DESCRIPTION,
            "lat": "-0.8712",
            "long": "114.9034",
            "email": email,
            "first_name": "Rina",
            "last_name": "Open311",
        }
        tid = filed_id(file(api, fmt, fields), fmt)
        # Routed, notified and given its deadline like any report
        assert call(api, "GET", f"/reports/{tid}").json["agency"]["id"] == "dpupr-barito-utara"
        eventually(lambda tid=tid: mails_to(local_stack.mail_dir, "dpupr@baritoutara.lapor.example", tid))
        first = open311_request(api, tid)
        assert first["status"] == "open" and first["status_notes"].startswith("Laporan diterima")
        assert first["expected_datetime"] and email not in json.dumps(first)
        # verify, respond, close on the agency API
        for action in ({"action": "verify"}, {"action": "respond", "message": "Jembatan ditutup sementara."}):
            assert call(api, "POST", f"/agency/reports/{tid}/actions", action, officer).status == 200
        responded = open311_request(api, tid)
        assert responded["status"] == "open"
        assert responded["status_notes"] == "Instansi sudah menanggapi laporan."
        (to_reporter,) = eventually(lambda tid=tid, email=email: mails_to(local_stack.mail_dir, email, tid))
        assert tid in to_reporter
        assert call(api, "POST", f"/agency/reports/{tid}/actions", {"action": "close"}, officer).status == 200
        closed = open311_request(api, tid)
        assert closed["status"] == "closed" and closed["expected_datetime"] is None
        assert closed["status_notes"] == "Laporan selesai dan ditutup."
        xml = ElementTree.fromstring(call(api, "GET", f"/open311/v2/requests/{tid}.xml").raw)
        assert xml.findtext("request/status") == "closed"
        listed = call(api, "GET", "/open311/v2/requests.json?status=closed&service_code=jalan-jembatan").json
        assert tid in [r["service_request_id"] for r in listed]


def test_a_confidential_report_never_shows_up_in_open311(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    key = new_key(local_stack, "Mitra Rahasia")
    secret_text = "Oknum petugas meminta uang untuk mempercepat perbaikan jembatan di Lemo."
    fields = {"api_key": key, "service_code": "jalan-jembatan", "description": secret_text, "address_string": "Lemo"}
    filed = [filed_id(file(api, "json", {**fields, "attribute[confidential]": "true"}), "json")]
    filed.append(
        call(api, "POST", "/reports", valid_submission(confidential=True, description=secret_text)).json["tracking_id"]
    )
    for tid in filed:
        for query in ("", "?status=open", "?service_code=jalan-jembatan", f"?service_request_id={tid}"):
            for fmt in ("json", "xml"):
                reply = call(api, "GET", f"/open311/v2/requests.{fmt}{query}")
                assert reply.status == 200 and tid.encode() not in reply.raw and b"Oknum" not in reply.raw
        for fmt in ("json", "xml"):
            missing = call(api, "GET", f"/open311/v2/requests/{tid}.{fmt}")
            unknown = call(api, "GET", f"/open311/v2/requests/LPR-0000-0000-0000.{fmt}")
            assert missing.status == unknown.status == 404 and missing.raw == unknown.raw


def test_partner_keys_are_issued_counted_and_revoked_by_the_operator(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    key = new_key(local_stack, "Mitra Sementara")
    fields = {"api_key": key, "service_code": "lainnya", "description": DESCRIPTION, "address_string": "Muara Teweh"}
    assert file(api, "json", fields).status == 201
    (record,) = [
        json.loads(line) for line in local_stack.cli("open311-key", "list").splitlines() if "Sementara" in line
    ]
    assert record["uses"] == 1 and record["revoked_at"] is None and key not in json.dumps(record)
    local_stack.cli("open311-key", "revoke", "--key-id", record["key_id"])
    refused = file(api, "xml", fields)
    assert refused.status == 403 and ElementTree.fromstring(refused.raw).findtext("error/code") == "403"
    assert file(api, "json", {**fields, "api_key": "o311_guessed"}).json[0]["code"] == 403


def test_the_georeport_client_reads_services_definitions_and_requests(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    key = new_key(local_stack, "georeport")
    fields = {"api_key": key, "service_code": "kesehatan", "description": DESCRIPTION, "address_string": "Puskesmas"}
    tid = filed_id(file(api, "json", fields), "json")
    other = call(api, "POST", "/reports", valid_submission(category="kesehatan")).json["tracking_id"]
    today = datetime.now(UTC)
    since, until = (f"{day:%Y-%m-%dT%H:%M:%SZ}" for day in (today - timedelta(days=1), today + timedelta(days=1)))
    for fmt in ("json", "xml"):
        client = GeoReport(f"{api}/open311/v2", jurisdiction=JURISDICTION, api_key=key, output_format=fmt)
        services = as_list(client.get_service_list())
        # Every category of the directory at this moment (the tests share one stack, and an administrator's test
        # adds categories to it), the seeded ones among them
        categories = {c["code"] for c in call(api, "GET", "/categories").json}
        assert {"jalan-jembatan", "kesehatan", "kependudukan", "lainnya"} <= categories
        assert {s["service_code"] for s in services} == categories
        definition = client.get_service_definition("kesehatan")
        attributes = definition["attributes"] if fmt == "json" else as_list(definition["attributes"]["attribute"])
        assert {a["code"] for a in attributes} == {"kind", "title", "anonymous", "confidential"}
        listed = as_list(client.get_service_requests(service_code="kesehatan", status="open"))
        assert {tid, other} <= {r["service_request_id"] for r in listed}
        assert all(r["service_code"] == "kesehatan" and r["status"] == "open" for r in listed)
        both = as_list(client.get_service_requests(service_request_id=f"{tid},{other}"))
        assert {r["service_request_id"] for r in both} == {tid, other}
        around = as_list(client.get_service_requests(start_date=since, end_date=until, status="open"))
        assert tid in {r["service_request_id"] for r in around}
        one = client.get_service_request(tid)
        assert one["service_request_id"] == tid and one["status"] == "open" and one["service_name"] == "Kesehatan"

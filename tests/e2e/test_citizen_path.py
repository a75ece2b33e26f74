"""End to end over HTTP: the citizen path on the local stack, as the README tells a newcomer to try it."""

from __future__ import annotations

import json
import uuid

from tests.conftest import RunningStack
from tests.e2e.client import call
from tests.events import valid_submission


def test_submit_then_track_then_look_into_the_local_table(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    reply = call(api, "POST", "/reports", valid_submission(confidential=True), {"Idempotency-Key": str(uuid.uuid4())})
    assert reply.status == 201 and reply.headers["Content-Type"].startswith("application/json")
    receipt = reply.json
    assert receipt["tracking_url"] == f"{api}/track/{receipt['tracking_id']}"
    view = call(api, "GET", f"/reports/{receipt['tracking_id'].lower().replace('-', '')}").json
    assert view["tracking_id"] == receipt["tracking_id"] and view["status"] == "submitted"
    assert "title" not in view and "reporter" not in view
    # The local AWS endpoint is there to look into, as `aws --endpoint-url` would
    ddb = local_stack.aws_client("dynamodb")
    item = ddb.get_item(
        TableName="lapor-ReportsTable", Key={"pk": {"S": f"REPORT#{receipt['tracking_id']}"}, "sk": {"S": "REPORT"}}
    )
    raw = json.dumps(item["Item"], default=str)
    assert "Jalan berlubang" not in raw and "siti@example.org" not in raw and receipt["access_code"] not in raw


def test_retry_with_the_same_key_returns_the_same_receipt(local_stack: RunningStack) -> None:
    key = str(uuid.uuid4())
    first = call(local_stack.api_url, "POST", "/reports", valid_submission(), {"Idempotency-Key": key})
    again = call(local_stack.api_url, "POST", "/reports", valid_submission(), {"Idempotency-Key": key})
    other = call(
        local_stack.api_url,
        "POST",
        "/reports",
        valid_submission(title="Judul yang berbeda sama sekali"),
        {"Idempotency-Key": key},
    )
    assert first.status == again.status == 201 and first.json == again.json
    assert other.status == 422
    # A guessable key is refused before anything else: it could be guessed by someone else.
    guessed = call(local_stack.api_url, "POST", "/reports", valid_submission(), {"Idempotency-Key": "1"})
    assert guessed.status == 400 and guessed.json["errors"][0]["loc"] == ["header", "Idempotency-Key"]


def test_bad_input_gets_problems_never_a_server_error(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    assert call(api, "POST", "/reports", b"{nope").status == 400
    assert call(api, "POST", "/reports", {"title": "x" * 70_000}).status == 413
    reply = call(api, "POST", "/reports", {"title": "short"})
    assert reply.status == 422 and reply.headers["Content-Type"] == "application/problem+json"
    assert all(set(e) == {"loc", "msg"} for e in reply.json["errors"])
    unknown = call(api, "GET", "/reports/LPR-7KQ2-M9XD-3FHW")
    malformed = call(api, "GET", "/reports/LPR-0000")
    assert unknown.status == malformed.status == 404 and unknown.raw == malformed.raw


def test_directory_health_and_docs(local_stack: RunningStack) -> None:
    api = local_stack.api_url
    assert call(api, "GET", "/health").json == {"status": "ok"}
    agencies = {a["id"]: a["parent_id"] for a in call(api, "GET", "/agencies").json}
    assert agencies["dpupr-barito-utara"] == "pemkab-barito-utara" and agencies["kemenpan-rb"] is None
    assert {c["code"] for c in call(api, "GET", "/categories").json} >= {"jalan-jembatan", "kesehatan"}
    document = call(api, "GET", "/openapi.json").json
    assert document["openapi"].startswith("3.1") and "/reports" in document["paths"]
    docs = call(api, "GET", "/docs")
    assert docs.status == 200 and b"swagger-ui-bundle" in docs.raw
    # Like the citizen pages: scripts from this origin only, and the page has no inline script to allow.
    assert "script-src 'self';" in docs.headers["Content-Security-Policy"] and b"<script>" not in docs.raw
    assert call(api, "GET", "/docs/swagger-init.js").status == 200
    bundle = call(api, "GET", "/docs/swagger-ui-bundle.min.js")
    assert bundle.status == 200 and len(bundle.raw) > 500_000  # served by the API itself: works offline
    assert b"https://" not in docs.raw and b"//cdn" not in docs.raw  # nothing from outside the deployment

"""POST /reports on moto: every rule of the contract, privacy in storage and logs, idempotency, the outbox."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import CapturedLogs, load_function
from tests.events import api_event, valid_submission
from tests.integration.conftest import PUBLIC_BASE_URL, Aws


@pytest.fixture
def submit(aws: Aws, lambda_context: Any) -> Any:
    module = load_function("submit_report")

    def call(body: Any, headers: dict[str, str] | None = None, **event: Any) -> tuple[int, dict[str, Any], dict]:
        response = module.lambda_handler(
            api_event("POST", "/reports", body=body, headers=headers, **event), lambda_context
        )
        return response["statusCode"], json.loads(response["body"]), response["headers"]

    return call


@pytest.fixture
def track(aws: Aws, lambda_context: Any) -> Any:
    module = load_function("track_report")

    def call(tracking_id: str) -> tuple[int, dict[str, Any]]:
        event = api_event("GET", "/reports/{tracking_id}", path_params={"tracking_id": tracking_id})
        response = module.lambda_handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"])

    return call


def reports_in(aws: Aws) -> list[dict[str, Any]]:
    return [i for i in aws.raw_items() if i["sk"]["S"] == "REPORT"]


@pytest.mark.parametrize("kind", ["complaint", "aspiration", "information_request"])
def test_each_kind_is_accepted_and_tracked(submit: Any, track: Any, kind: str) -> None:
    # Given a valid report of each kind, when it is submitted
    status, receipt, headers = submit(valid_submission(kind=kind))
    # Then the citizen gets a receipt and can follow it by its Tracking ID
    assert status == 201, receipt
    assert receipt["tracking_id"].startswith("LPR-") and len(receipt["tracking_id"]) == 18
    assert receipt["status"] == "submitted"
    assert receipt["agency"]["id"] == "dpupr-barito-utara"
    assert receipt["tracking_url"] == f"{PUBLIC_BASE_URL}/track/{receipt['tracking_id']}"
    assert headers["Location"] == f"/reports/{receipt['tracking_id']}"
    status, view = track(receipt["tracking_id"])
    assert status == 200 and view["kind"] == kind and view["title"].startswith("Jalan berlubang")


def test_receipt_deadline_is_three_working_days(submit: Any) -> None:
    _, receipt, _ = submit(valid_submission())
    submitted = datetime.fromisoformat(receipt["submitted_at"])
    due = datetime.fromisoformat(receipt["due_at"])
    assert submitted.utcoffset() is not None and due.utcoffset() is not None
    from lapor.calendar import add_working_days

    assert due == add_working_days(submitted, 3, "Asia/Jakarta")


def test_category_default_agency_is_used_when_none_is_given(submit: Any) -> None:
    status, receipt, _ = submit(valid_submission(category="kesehatan", agency_id=None))
    assert status == 201 and receipt["agency"]["id"] == "dinkes-barito-utara"


def test_unknown_category_and_agency_are_422_and_store_nothing(submit: Any, aws: Aws) -> None:
    status, problem, headers = submit(valid_submission(category="tidak-ada", agency_id="dinas-hantu"))
    assert status == 422 and headers["Content-Type"] == "application/problem+json"
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("body", "category"), ("body", "agency_id")}
    assert reports_in(aws) == [] and aws.messages() == []


def test_anonymous_report_stores_and_logs_nothing_identifying(
    submit: Any, track: Any, aws: Aws, captured_logs: CapturedLogs
) -> None:
    # Given an anonymous report sent through a proxy with a distinctive IP and user agent
    body = valid_submission(anonymous=True, reporter=None)
    status, receipt, _ = submit(
        body,
        headers={"X-Forwarded-For": "198.51.100.23, 10.0.0.1", "User-Agent": "Fingerprint/9.9 (Secret)"},
        source_ip="198.51.100.23",
        user_agent="Fingerprint/9.9 (Secret)",
    )
    assert status == 201
    # Then nothing stored and nothing logged carries the IP, the user agent or the Tracking ID's link to a time
    stored = json.dumps(aws.raw_items(), default=str) + json.dumps(aws.raw_items(aws.idempotency_table), default=str)
    logged = captured_logs.text
    for secret in ("198.51.100.23", "Fingerprint/9.9", "Secret)", "UniqueAgent"):
        assert secret not in stored and secret not in logged
    assert receipt["access_code"] not in stored and receipt["access_code"] not in logged
    assert receipt["tracking_id"] not in logged
    assert "report submitted" in logged  # the log exists: it just holds nothing identifying
    (item,) = reports_in(aws)
    assert "sealed" not in item  # anonymous and public: nothing to encrypt, no reporter at all
    _, view = track(receipt["tracking_id"])
    assert view["anonymous"] is True and "reporter" not in view


def test_anonymous_with_reporter_is_refused(submit: Any, aws: Aws) -> None:
    status, problem, _ = submit(valid_submission(anonymous=True))
    assert status == 422
    assert problem["errors"] == [{"loc": ["body", "reporter"], "msg": "must not be sent when anonymous is true"}]
    assert reports_in(aws) == []


def test_confidential_content_is_never_stored_in_plaintext_nor_shown(
    submit: Any, track: Any, aws: Aws, captured_logs: CapturedLogs
) -> None:
    body = valid_submission(
        confidential=True,
        title="Pungutan liar di loket KTP Muara Teweh",
        description="Petugas meminta uang tambahan Rp 150.000 untuk mempercepat KTP elektronik.",
        location={"lat": -0.9612, "lon": 114.8877, "address": "Kantor Disdukcapil lantai dua"},
        category="kependudukan",
        agency_id=None,
    )
    status, receipt, _ = submit(body)
    assert status == 201
    raw = json.dumps(aws.raw_items(), default=str)
    logged = captured_logs.text
    secrets = ["Pungutan liar", "Rp 150.000", "Kantor Disdukcapil lantai dua", "114.8877", "Siti Rahma"]
    secrets += ["siti@example.org", "+6281234567890"]
    for secret in secrets:
        assert secret not in raw, secret
        assert secret not in logged, secret
    status, view = track(receipt["tracking_id"])
    assert status == 200 and view["confidential"] is True
    assert not {"title", "description", "location", "reporter"} & set(view)
    assert secrets[0] not in json.dumps(view)


def test_confidential_envelope_opens_only_with_the_tracking_id_as_context(submit: Any, aws: Aws) -> None:
    from lapor.crypto import open_fields
    from lapor.store import get_report

    _, receipt, _ = submit(valid_submission(confidential=True))
    item = get_report(receipt["tracking_id"])
    assert item is not None
    opened = open_fields(receipt["tracking_id"], item["sealed"])
    assert opened["title"] == "Jalan berlubang di depan SDN 1 Muara Teweh"
    assert opened["reporter"]["email"] == "siti@example.org"
    with pytest.raises(Exception):  # noqa: B017 - KMS refuses another context, whatever its error class
        open_fields("LPR-0000-0000-0000", item["sealed"])


def test_identified_public_report_encrypts_the_reporter_only(submit: Any, track: Any, aws: Aws) -> None:
    _, receipt, _ = submit(valid_submission())
    raw = json.dumps(aws.raw_items(), default=str)
    assert "Jalan berlubang di depan SDN 1" in raw  # public content is public
    assert "siti@example.org" not in raw and "Siti Rahma" not in raw
    _, view = track(receipt["tracking_id"])
    assert "reporter" not in view and view["location"]["lat"] == -0.955  # the public sees the area


def test_access_code_is_stored_only_as_a_hash(submit: Any, aws: Aws) -> None:
    from lapor.ids import access_code_matches

    _, receipt, _ = submit(valid_submission())
    (item,) = reports_in(aws)
    stored = json.dumps(item, default=str)
    code = receipt["access_code"]
    assert code not in stored and code.replace("-", "") not in stored
    assert access_code_matches(receipt["tracking_id"], code.lower(), item["access_code_hash"]["S"])
    assert not access_code_matches(receipt["tracking_id"], "AAAAA-AAAAA-AAAAA-AAAAA", item["access_code_hash"]["S"])


def test_same_idempotency_key_and_body_replays_the_first_receipt(submit: Any, aws: Aws) -> None:
    body = valid_submission()
    key = "7b1f5c1e-8a2d-4c3e-9f40-5e6d7c8b9a01"
    first = submit(body, headers={"Idempotency-Key": key})
    again = submit(json.dumps(body, indent=2), headers={"Idempotency-Key": key})
    assert first[0] == again[0] == 201
    assert first[1] == again[1]  # the same Tracking ID and the same access code
    assert len(reports_in(aws)) == 1
    assert len(aws.messages()) == 1
    # The replay is stored sealed: the access code is not readable in the idempotency table.
    assert first[1]["access_code"] not in json.dumps(aws.raw_items(aws.idempotency_table), default=str)


def test_same_idempotency_key_with_another_body_is_422_and_creates_nothing(submit: Any, aws: Aws) -> None:
    key = "bXkta2V5LXdpdGgtMTI4LWJpdHMtb2YtcmFuZG9t"
    submit(valid_submission(), headers={"Idempotency-Key": key})
    status, problem, _ = submit(valid_submission(title="Another title entirely"), headers={"Idempotency-Key": key})
    assert status == 422
    assert problem["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert len(reports_in(aws)) == 1


def test_ten_concurrent_retries_create_one_report(submit: Any, aws: Aws, serialized_dynamodb: None) -> None:
    body = valid_submission()
    key = "0f8e3a6c-2b1d-4e5f-a7c9-8d6b4a2e0c13"
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: submit(body, headers={"Idempotency-Key": key}), range(10)))
    created = [r for r in results if r[0] == 201]
    assert all(r[0] in (201, 409) for r in results), [r[:2] for r in results]
    assert created and len({r[1]["tracking_id"] for r in created}) == 1
    assert len({r[1]["access_code"] for r in created}) == 1
    assert len(reports_in(aws)) == 1


@pytest.mark.parametrize("key", ["x" * 256, "1", "same-key", "00000000-0000-0000-0000-000000000000"])
def test_invalid_idempotency_key_is_400(submit: Any, aws: Aws, key: str) -> None:
    status, problem, _ = submit(valid_submission(), headers={"Idempotency-Key": key})
    assert status == 400 and [e["loc"] for e in problem["errors"]] == [["header", "Idempotency-Key"]]
    assert reports_in(aws) == []


def test_submission_publishes_report_submitted_without_content(submit: Any, aws: Aws) -> None:
    _, receipt, _ = submit(valid_submission())
    (event,) = aws.messages()
    assert event["type"] == "report.submitted" and event["tracking_id"] == receipt["tracking_id"]
    assert event["agency_id"] == "dpupr-barito-utara"
    assert set(event) == {"event_id", "type", "tracking_id", "agency_id", "at", "stats"}
    assert event["stats"] == {"dpupr-barito-utara": {"received": 1, "open": 1}}


def test_event_that_could_not_be_sent_goes_out_later(
    submit: Any, aws: Aws, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given SQS refuses every send while the report is submitted
    from lapor import aws as lapor_aws

    sqs = lapor_aws.client("sqs")

    def refuse(**_: Any) -> None:
        raise sqs.exceptions.QueueDoesNotExist(
            {"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage"
        )

    monkeypatch.setattr(sqs, "send_message", refuse)
    status, receipt, _ = submit(valid_submission())
    # Then the citizen still gets the receipt (the report is stored) but nothing reached the queue
    assert status == 201
    assert aws.messages() == []
    monkeypatch.undo()
    # When the relay runs before the grace period, nothing is sent; after it, the event goes out
    relay = load_function("relay_events")
    from lapor.relay import relay_pending_events

    assert relay_pending_events(now=datetime.now(UTC))["sent"] == 0
    later = datetime.fromtimestamp(datetime.now(UTC).timestamp() + 180, UTC)
    assert relay_pending_events(now=later)["sent"] == 1
    (event,) = aws.messages()
    assert event["type"] == "report.submitted" and event["tracking_id"] == receipt["tracking_id"]
    # And a second relay run at the same moment sends nothing more (the outbox was claimed, with backoff)
    assert relay_pending_events(now=later)["sent"] == 0
    assert relay.lambda_handler({"source": "aws.events"}, lambda_context)["sent"] == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ("", 400),
        ("[1, 2", 400),
        ("NaN", 400),
        (json.dumps({"title": "x" * 70_000}), 413),
        ("[]", 422),
        ('"text"', 422),
    ],
)
def test_malformed_bodies_get_clear_problems(submit: Any, aws: Aws, body: str, status: int) -> None:
    code, problem, headers = submit(body)
    assert code == status
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == status and problem["type"] == "about:blank" and problem["title"]
    assert reports_in(aws) == []


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"title": "   pendek   "}, ["body", "title"], "String should have at least 10 characters"),
        ({"title": "x" * 151}, ["body", "title"], "String should have at most 150 characters"),
        ({"description": "terlalu pendek"}, ["body", "description"], "String should have at least 20 characters"),
        ({"description": "y" * 4001}, ["body", "description"], "String should have at most 4000 characters"),
        ({"kind": "gossip"}, ["body", "kind"], "Input should be 'complaint', 'aspiration' or 'information_request'"),
        ({"channel": "fax"}, ["body", "channel"], "Input should be 'web', 'qr', 'api', 'open311' or 'whatsapp'"),
        (
            {"location": {"lat": -91, "lon": 0}},
            ["body", "location", "lat"],
            "Input should be greater than or equal to -90",
        ),
        (
            {"location": {"lat": 0, "lon": 181}},
            ["body", "location", "lon"],
            "Input should be less than or equal to 180",
        ),
        ({"location": {"lat": "1.5", "lon": 2}}, ["body", "location", "lat"], "Input should be a valid number"),
        ({"location": {"lat": 1, "lon": False}}, ["body", "location", "lon"], "Input should be a valid number"),
        (
            {"location": {"address": "z" * 301}},
            ["body", "location", "address"],
            "String should have at most 300 characters",
        ),
        ({"location": {"lat": 1.0}}, ["body", "location"], "lat and lon go together"),
        ({"anonymous": "yes"}, ["body", "anonymous"], "Input should be a valid boolean"),
        ({"reporter": None}, ["body", "reporter"], "Field required unless anonymous is true"),
        (
            {"reporter": {"name": "S", "email": "s@example.org"}},
            ["body", "reporter", "name"],
            "String should have at least 2 characters",
        ),
        ({"reporter": {"name": "Siti"}}, ["body", "reporter"], "give at least one of email or phone"),
        (
            {"reporter": {"name": "Siti", "phone": "0812345"}},
            ["body", "reporter", "phone"],
            "String should match pattern '^\\+[1-9][0-9]{6,14}$'",
        ),
        (
            {"title": "Jalan berlubang \u202edi depan SDN 1"},
            ["body", "title"],
            "must not contain control, bidirectional-override or zero-width characters",
        ),
        (
            {"description": "Lubang besar sejak dua minggu,\x07 sudah ada motor yang jatuh."},
            ["body", "description"],
            "must not contain control characters other than newline and tab",
        ),
        (
            {"reporter": {"name": "Siti", "email": "siti@example..org"}},
            ["body", "reporter", "email"],
            "is not a valid email address",
        ),
        ({"secret_field": 1}, ["body", "secret_field"], "Extra inputs are not permitted"),
        ({"category": 5}, ["body", "category"], "Input should be a valid string"),
    ],
)
def test_each_field_rule_is_enforced(submit: Any, aws: Aws, change: dict, loc: list, msg: str) -> None:
    body = {**valid_submission(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    status, problem, _ = submit(body)
    assert status == 422, problem
    assert {"loc": loc, "msg": msg} in problem["errors"], problem["errors"]
    assert reports_in(aws) == []


def test_coordinates_are_kept_to_a_centimetre(submit: Any, track: Any, aws: Aws) -> None:
    _, receipt, _ = submit(valid_submission(location={"lat": -0.955312345678, "lon": 1.5e-147}))
    (item,) = reports_in(aws)
    assert item["location"]["M"]["lat"] == {"N": "-0.9553123"} and item["location"]["M"]["lon"] == {"N": "0.0"}
    _, view = track(receipt["tracking_id"])
    assert view["location"]["lat"] == -0.955 and view["location"]["lon"] == 0.0  # the public sees the area


def test_every_problem_is_reported_at_once(submit: Any) -> None:
    status, problem, _ = submit({"title": "x", "description": "y", "category": "kesehatan", "kind": "z", "extra": 1})
    assert status == 422
    assert len(problem["errors"]) == 4 and problem["detail"] == "4 fields are not valid"

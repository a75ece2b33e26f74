"""The router and the one mapping from domain errors to problem responses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from lapor import errors, store
from lapor.http import MAX_BODY_BYTES, Request, Response, Router, idempotency_key, problem_for
from lapor.ids import new_tracking_id
from lapor.models import ReportSubmission
from lapor.public import public_report

from tests.conftest import CapturedLogs
from tests.events import api_event, valid_submission


def make_router() -> Router:
    router = Router("test")

    @router.operation("submitReport")
    def create(request: Request) -> Response:
        return Response(201, {"got": request.parsed, "title": request.body_as(ReportSubmission).title})

    @router.operation("health")
    def boom(request: Request) -> Response:
        raise RuntimeError("secret-email@example.org leaked into an exception message")

    @router.operation("getReportQrPng")
    def png(request: Request) -> Response:
        return Response(200, b"\x89PNG", content_type="image/png")

    return router


def test_json_body_reaches_the_route() -> None:
    body = valid_submission(title="  Jalan berlubang di depan SDN 1  ")
    response = make_router()(api_event("POST", "/reports", body=body))
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {"got": body, "title": "Jalan berlubang di depan SDN 1"}
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"


def test_body_limit_is_64_kib() -> None:
    router = make_router()
    at_limit = json.dumps({"a": "x" * (MAX_BODY_BYTES - 10)})
    assert router(api_event("POST", "/reports", body=at_limit))["statusCode"] == 422  # read, then refused
    over = json.dumps({"a": "x" * MAX_BODY_BYTES})
    response = router(api_event("POST", "/reports", body=over))
    assert response["statusCode"] == 413 and response["headers"]["Content-Type"] == "application/problem+json"


def test_lone_surrogates_are_not_json() -> None:
    response = make_router()(api_event("POST", "/reports", body='{"a": "\\ud800"}'))
    assert response["statusCode"] == 400


def test_base64_bodies_are_decoded_and_binary_garbage_is_a_400() -> None:
    router = make_router()
    event = api_event("POST", "/reports", body=base64.b64encode(json.dumps(valid_submission()).encode()).decode())
    event["isBase64Encoded"] = True
    assert router(event)["statusCode"] == 201
    event["body"] = "//79/A=="
    assert router(event)["statusCode"] == 400


def test_unexpected_errors_are_500_problems_logged_without_their_message(captured_logs: CapturedLogs) -> None:
    response = make_router()(api_event("GET", "/health"))
    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body["title"] == "Internal error" and "secret-email" not in response["body"]
    logged = captured_logs.text
    assert "RuntimeError" in logged and "secret-email" not in logged


def test_binary_bodies_are_base64_encoded() -> None:
    response = make_router()(api_event("GET", "/reports/{tracking_id}/qr.png"))
    assert response["isBase64Encoded"] is True and response["body"] == "iVBORw=="


def test_unknown_route_is_a_404_problem() -> None:
    response = make_router()(api_event("GET", "/nothing"))
    assert response["statusCode"] == 404 and json.loads(response["body"])["status"] == 404


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.BadRequestBody(), 400),
        (errors.Unauthorized(), 401),
        (errors.Forbidden(), 403),
        (errors.ReportNotFound(), 404),
        (errors.Conflict(), 409),
        (errors.RequestInProgress(), 409),
        (errors.PayloadTooLarge(), 413),
        (errors.IdempotencyKeyReused(), 422),
        (errors.ValidationFailed([errors.FieldProblem(("body", "x"), "bad")]), 422),
        (errors.RateLimited("slow down", 30), 429),
        (errors.ConfigurationError("x"), 500),
    ],
)
def test_every_domain_error_has_one_status_and_a_problem_body(exc: Exception, status: int) -> None:
    response = problem_for(exc).to_proxy()
    body = json.loads(response["body"])
    assert response["statusCode"] == status == body["status"]
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert set(body) >= {"type", "title", "status", "detail"}
    if status == 429:
        assert response["headers"]["Retry-After"] == "30"
    if status == 422:
        assert all(set(e) == {"loc", "msg"} for e in body["errors"])


def test_unknown_and_malformed_tracking_ids_share_one_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the public lookup, over a store that holds no report
    monkeypatch.setattr(store, "read_public_report", lambda tracking_id: None)
    router = Router("track_report")

    @router.operation("getReport")
    def get(request: Request) -> Response:
        return Response(200, public_report(request.path_params["tracking_id"]))

    def lookup(tracking_id: str) -> dict[str, Any]:
        return router(api_event("GET", "/reports/{tracking_id}", path_params={"tracking_id": tracking_id}))

    # When one asks for a well-formed but unknown ID and for a malformed one, Then both get the same 404
    unknown, malformed = lookup(new_tracking_id()), lookup("LPR-NOT-AN-ID")
    assert unknown["statusCode"] == 404 and malformed == unknown


# Literal keys (not generated here): parallel test workers must collect the same parameters.
GOOD_KEYS = [
    "d11b923b-3304-4191-9be0-7a0cec7977e7",  # a version-4 UUID, as the citizen page sends
    "52B32565-6EA3-48EF-B6B0-201A07F361AA",
    "c32a93263bda4af99d03cea1ae9ee9de",  # 128 random bits in hex
    "OyR9GSuoWGjUKMCPgZ1igQ",  # 16 random bytes, base64url without padding
    "A" * 21 + "B",
    "-_" * 127 + "x",
]
BAD_KEYS = [
    "",
    "1",
    "42",
    "key-1",
    "A" * 21,
    "x" * 256,
    "tab\there" * 4,
    "ünïcode-ünïcode-ünïcode",
    "f3VdPDjPBrRfljVd/P2KSzyxW8O9ZKLp+/",  # base64, not base64url
    "H8Kign8usHkAMI7SR46zTw==",  # padded: "=" is not base64url's alphabet
    "f8051dd0-ec52-11f1-8e88-02fc00000001",  # a time-based UUID (version 1): guessable
    "00000000-0000-0000-0000-000000000000",
    # Shaped right, made by hand (the second audit): the random part is one symbol repeated.
    "aaaaaaaaaaaaaaaaaaaaaa",
    "A" * 22,
    "-" * 40,
    "00000000-0000-4000-8000-000000000000",
    "ffffffff-ffff-4fff-bfff-ffffffffffff",
    "1c0a7d55 ca26 4563 8fa7 b3ae0346492c",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_guessable_or_malformed_idempotency_keys_are_400(key: str) -> None:
    with pytest.raises(errors.InvalidHeader) as refused:
        idempotency_key(Request(api_event("POST", "/x", headers={"Idempotency-Key": key})))
    response = problem_for(refused.value).to_proxy()
    body = json.loads(response["body"])
    assert response["statusCode"] == body["status"] == 400
    assert [e["loc"] for e in body["errors"]] == [["header", "Idempotency-Key"]]


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_random_idempotency_keys_are_accepted(key: str) -> None:
    assert idempotency_key(Request(api_event("POST", "/x", headers={"Idempotency-Key": key}))) == key


# Shaped right, made by hand: the description says they are refused, the schema cannot (see lapor.http).
HAND_MADE = {"aaaaaaaaaaaaaaaaaaaaaa", "A" * 22, "-" * 40, "00000000-0000-4000-8000-000000000000"}
HAND_MADE.add("ffffffff-ffff-4fff-bfff-ffffffffffff")


@pytest.mark.parametrize("key", GOOD_KEYS + BAD_KEYS)
def test_the_openapi_pattern_says_which_keys_are_accepted_but_for_hand_made_ones(key: str) -> None:
    from jsonschema import Draft202012Validator
    from lapor.contract import IDEMPOTENCY_KEY

    try:
        idempotency_key(Request(api_event("POST", "/x", headers={"Idempotency-Key": key})))
        accepted = True
    except errors.InvalidHeader:
        accepted = False
    assert Draft202012Validator(IDEMPOTENCY_KEY.schema).is_valid(key) is (accepted or key in HAND_MADE)
    assert "single symbol repeated" in IDEMPOTENCY_KEY.description


def test_base_url_comes_from_configuration_or_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from lapor.config import settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    settings.cache_clear()
    request = Request(api_event("GET", "/x"))
    assert request.base_url == "https://abc123.execute-api.ap-southeast-3.amazonaws.com/v1"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://lapor.baritoutarakab.go.id/")
    settings.cache_clear()
    assert Request(api_event("GET", "/x")).base_url == "https://lapor.baritoutarakab.go.id"
    settings.cache_clear()


def test_query_parameters_are_checked_against_the_contracts_schemas() -> None:
    router = Router("test")

    @router.operation("listAgencyReports")
    def inbox(request: Request) -> Response:
        return Response(200, request.checked_query())

    ok = router(api_event("GET", "/agency/reports", query={"status": "verified", "limit": "100", "x": "1"}))
    assert ok["statusCode"] == 200 and json.loads(ok["body"]) == {"status": "verified", "limit": "100"}
    bad = router(api_event("GET", "/agency/reports", query={"status": "open", "limit": "101", "cursor": "\n"}))
    assert bad["statusCode"] == 422
    assert [e["loc"] for e in json.loads(bad["body"])["errors"]] == [
        ["query", "status"],
        ["query", "limit"],
        ["query", "cursor"],
    ]


def test_a_body_is_validated_before_its_handler_even_one_that_does_nothing() -> None:
    """Validation cannot be forgotten: the router checks every JSON body the contract declares, before the
    handler runs; a handler that ignores its body still answers the contract's 422."""
    router, ran = Router("test"), []

    @router.operation("postRating")
    def ignore(request: Request) -> Response:
        ran.append(request)
        return Response(204)

    path = "/reports/{tracking_id}/rating"
    response = router(api_event("POST", path, body={"score": "5", "comment": "Cepat", "extra": 1}))
    assert response["statusCode"] == 422 and response["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(response["body"]) == {
        "type": "about:blank",
        "title": "Request body is not valid",
        "status": 422,
        "detail": "2 fields are not valid",
        "errors": [
            {"loc": ["body", "score"], "msg": "Input should be a valid integer"},
            {"loc": ["body", "extra"], "msg": "Extra inputs are not permitted"},
        ],
    }
    assert router(api_event("POST", path, body=[]))["statusCode"] == 422
    assert router(api_event("POST", path, body="not json"))["statusCode"] == 400
    assert not ran
    assert router(api_event("POST", path, body={"score": 5}))["statusCode"] == 204 and len(ran) == 1


def test_every_json_body_of_the_contract_has_its_model() -> None:
    """The router finds the model by the contract's name for it (a name without one fails at INIT)."""
    from lapor.contract import OPERATIONS
    from lapor.models import BODIES

    json_bodies = {op.request for op in OPERATIONS if op.request and op.request_content_type == "application/json"}
    assert json_bodies == set(BODIES)

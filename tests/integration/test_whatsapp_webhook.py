"""The WhatsApp webhook on moto: Meta's handshake, signed calls queued once and sealed, everything else refused
with nothing changed."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3
import pytest

from tests import whatsapp
from tests.conftest import load_function
from tests.events import api_event
from tests.integration.conftest import REGION, Aws


def secret(arn_variable: str) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    return str(client.get_secret_value(SecretId=os.environ[arn_variable])["SecretString"])


def post(
    function: Any, lambda_context: Any, body: bytes, signature: str | None, base64_body: bool = False
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"} | ({"X-Hub-Signature-256": signature} if signature else {})
    event = api_event("POST", "/whatsapp/webhook", headers=headers)
    event["body"] = base64.b64encode(body).decode() if base64_body else body.decode("utf-8")
    event["isBase64Encoded"] = base64_body
    response: dict[str, Any] = function.lambda_handler(event, lambda_context)
    return response


def signed(body: bytes) -> str:
    from lapor.whatsapp import sign

    return sign(secret("WHATSAPP_APP_SECRET_ARN").encode(), body)


def queued(aws: Aws) -> list[dict[str, Any]]:
    return aws.messages(os.environ["WHATSAPP_QUEUE_URL"])


@pytest.fixture
def webhook(aws: Aws) -> Any:
    return load_function("whatsapp_webhook")


def test_the_handshake_answers_the_challenge_only_for_the_verify_token(
    aws: Aws, webhook: Any, lambda_context: Any
) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": secret("WHATSAPP_VERIFY_TOKEN_ARN"), "hub.challenge": "42"}
    ok = webhook.lambda_handler(api_event("GET", "/whatsapp/webhook", query=query), lambda_context)
    assert (ok["statusCode"], ok["body"], ok["headers"]["Content-Type"]) == (200, "42", "text/plain")
    wrong = webhook.lambda_handler(
        api_event("GET", "/whatsapp/webhook", query={**query, "hub.verify_token": "guess"}), lambda_context
    )
    assert wrong["statusCode"] == 403 and wrong["headers"]["Content-Type"] == "application/problem+json"


def test_a_signed_message_is_queued_once_sealed_and_a_replay_queues_nothing(
    aws: Aws, webhook: Any, lambda_context: Any
) -> None:
    # Given Meta's text message, signed with the app secret
    body = whatsapp.raw(whatsapp.text("Jalan di depan pasar berlubang besar"))
    # When it arrives, and again (Meta's retry), and once more base64-encoded as API Gateway may pass it
    first = post(webhook, lambda_context, body, signed(body))
    again = post(webhook, lambda_context, body, signed(body))
    encoded = post(webhook, lambda_context, body, signed(body), base64_body=True)
    # Then it is queued once, and the queue holds neither the number nor the text
    assert [json.loads(r["body"])["queued"] for r in (first, again, encoded)] == [1, 0, 0]
    (message,) = queued(aws)
    assert set(message) == {"v", "id", "sealed"}
    assert whatsapp.CITIZEN not in json.dumps(message) and "pasar" not in json.dumps(message)
    # And only the keyed hash of the message id is stored
    items = json.dumps(aws.raw_items(aws.idempotency_table))
    assert "wamid." not in items and whatsapp.CITIZEN not in items


def test_statuses_are_counted_and_queue_nothing(aws: Aws, webhook: Any, lambda_context: Any) -> None:
    body = whatsapp.raw(whatsapp.status("read"))
    response = post(webhook, lambda_context, body, signed(body))
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"queued": 0}
    assert queued(aws) == [] and aws.raw_items(aws.idempotency_table) == []


@pytest.mark.parametrize("kind", ["missing", "wrong", "sha1", "one byte changed"])
def test_a_bad_signature_is_401_and_changes_nothing(aws: Aws, webhook: Any, lambda_context: Any, kind: str) -> None:
    body = whatsapp.raw(whatsapp.text("Lampu jalan mati sejak seminggu"))
    signature = {
        "missing": None,
        "wrong": "sha256=" + "0" * 64,
        "sha1": signed(body).replace("sha256=", "sha1="),
        "one byte changed": signed(body.replace(b"Lampu", b"Lampo")),
    }[kind]
    response = post(webhook, lambda_context, body, signature)
    assert response["statusCode"] == 401 and response["headers"]["Content-Type"] == "application/problem+json"
    assert queued(aws) == [] and aws.raw_items(aws.idempotency_table) == []


def test_a_signed_body_that_is_not_json_is_400(aws: Aws, webhook: Any, lambda_context: Any) -> None:
    body = b"not json"
    assert post(webhook, lambda_context, body, signed(body))["statusCode"] == 400
    assert queued(aws) == []


def test_a_message_that_cannot_be_queued_is_taken_again_on_metas_retry(
    aws: Aws, webhook: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lapor import config

    body = whatsapp.raw(whatsapp.text("Sampah menumpuk di pasar"))
    queue = os.environ["WHATSAPP_QUEUE_URL"]
    monkeypatch.setenv("WHATSAPP_QUEUE_URL", queue + "-gone")
    config.settings.cache_clear()
    assert post(webhook, lambda_context, body, signed(body))["statusCode"] == 500  # Meta retries
    monkeypatch.setenv("WHATSAPP_QUEUE_URL", queue)
    config.settings.cache_clear()
    retried = post(webhook, lambda_context, body, signed(body))
    assert json.loads(retried["body"]) == {"queued": 1} and len(queued(aws)) == 1

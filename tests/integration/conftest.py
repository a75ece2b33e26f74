"""Integration tests: the functions and the shared layer on moto, in process.

Tables, queues and keys are created from template.yaml itself by the local stack's resource builder,
so the tests exercise the template's key schema, indexes and redrive policy, not a copy of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import ROOT

REGION = "ap-southeast-3"
PUBLIC_BASE_URL = "https://lapor.test"


def reset_lapor_caches() -> None:
    from lapor import agency, aws, config, store

    agency.forget_enrolled()
    aws.reset_clients()
    config.settings.cache_clear()
    store.forget_directory()


@dataclass
class Aws:
    """Handles on what the template created, for tests to look into."""

    reports_table: str
    idempotency_table: str
    queue_url: str
    dlq_url: str
    field_key_id: str
    resolver: Any = None  # evaluates the template's intrinsics against what was created (tests/iam.py uses it)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)

    def raw_items(self, table: str | None = None) -> list[dict[str, Any]]:
        """Every item of a table as DynamoDB stores it (a scan is fine in a test)."""
        ddb = self.client("dynamodb")
        items, kwargs = [], {"TableName": table or self.reports_table}
        while True:
            page = ddb.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def messages(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Receive (and delete) every message waiting in a queue."""
        sqs = self.client("sqs")
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url or self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh moto account with every table, queue and key of template.yaml, and the directory seeded."""
    with fresh_aws(monkeypatch) as found:
        yield found


@contextmanager
def fresh_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """The `aws` fixture's account, for a fixture of a wider scope (with its own `pytest.MonkeyPatch.context()`)."""
    from lapor_local.resources import AwsClients, create_resources
    from lapor_local.template import Resolver, load_template

    _reuse_motos_constant_keys(monkeypatch)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        template = load_template(ROOT / "template.yaml")
        resolver = Resolver(template, region=REGION)
        create_resources(template, resolver, AwsClients(None, REGION))  # type: ignore[arg-type]
        variables = resolver.resolve(template["Globals"]["Function"]["Environment"]["Variables"])
        for name, value in variables.items():
            monkeypatch.setenv(name, str(value))
        # The WhatsApp functions' own settings (queue, secrets, phone number), as the local stack sets them.
        for resource in template["Resources"].values():
            own = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
            for name, value in own.items():
                if name.startswith("WHATSAPP_") and resource["Type"] == "AWS::Serverless::Function":
                    monkeypatch.setenv(name, str(resolver.resolve(value)))
        monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
        reset_lapor_caches()
        from lapor_local.seed import seed_directory

        seed_directory()
        yield Aws(
            reports_table=resolver.ref("ReportsTable"),
            idempotency_table=resolver.ref("IdempotencyTable"),
            queue_url=resolver.ref("ReportEventsQueue"),
            dlq_url=resolver.ref("ReportEventsDeadLetterQueue"),
            field_key_id=resolver.ref("FieldKey"),
            resolver=resolver,
        )
    reset_lapor_caches()


_KMS_PRIVATE_KEYS: dict[str, Any] = {}
_COGNITO_SIGNING_KEYS: dict[str, Any] = {}


def _reuse_motos_constant_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto makes an RSA key pair for every KMS key, symmetric ones included (lapor's three are symmetric and
    never use it), and parses its one constant Cognito signing key for every user pool: 0.2 s of each test's fresh
    account, for nothing a test looks at. Each is made once per process here; keys, tokens and ciphertexts stay
    moto's own (the symmetric key material is still new for every key)."""
    from moto.cognitoidp import models as cognito
    from moto.kms import models as kms

    made = kms.generate_private_key

    def private_key(key_spec: str) -> Any:
        if key_spec not in _KMS_PRIVATE_KEYS:
            _KMS_PRIVATE_KEYS[key_spec] = made(key_spec)
        return _KMS_PRIVATE_KEYS[key_spec]

    monkeypatch.setattr(kms, "generate_private_key", private_key)
    parse = cognito.jwk.RSAKey.import_key

    def signing_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict) or args or kwargs:
            return parse(value, *args, **kwargs)
        text = json.dumps(value, sort_keys=True)  # the same key material gets the same (immutable) key
        if text not in _COGNITO_SIGNING_KEYS:
            _COGNITO_SIGNING_KEYS[text] = parse(value)
        return _COGNITO_SIGNING_KEYS[text]

    monkeypatch.setattr(cognito.jwk.RSAKey, "import_key", signing_key)


@pytest.fixture
def serialized_dynamodb() -> Iterator[None]:
    """Make moto's DynamoDB serialise writes as DynamoDB does (moto checks conditions without a lock)."""
    from lapor_local.atomic import serialized_dynamodb as serialized

    with serialized():
        yield


def sent_emails() -> list[Any]:
    """Every email moto's SES accepted in this test (objects with source, subject, body, destinations)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def claims(agency_id: str, role: str = "officer") -> dict[str, str]:
    """What API Gateway's Cognito authorizer passes on for an officer."""
    return {"sub": "officer-1", "custom:agency_id": agency_id, "custom:role": role, "token_use": "id"}


@dataclass
class Api:
    """Calls every function of the citizen and agency paths with API Gateway events, in process."""

    context: Any
    modules: dict[str, Any]

    def call(self, function: str, method: str, resource: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        from tests.conforms import check_response
        from tests.events import api_event

        response = self.modules[function].lambda_handler(api_event(method, resource, **kwargs), self.context)
        body = response["body"]
        check_response(method, resource, response["statusCode"], response["headers"]["Content-Type"], body)
        parsed = (
            json.loads(body) if body and response["headers"]["Content-Type"].split(";")[0].endswith("json") else body
        )
        return response["statusCode"], parsed, response["headers"]

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        status, receipt, _ = self.call("submit_report", "POST", "/reports", body=body)
        assert status == 201, receipt
        return receipt

    def agency(
        self, who: dict[str, str] | None, method: str, resource: str, tracking_id: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        params = {"tracking_id": tracking_id} if tracking_id else None
        return self.call("agency_reports", method, resource, path_params=params, claims=who, **kwargs)

    def act(self, who: dict[str, str], tracking_id: str, headers: dict[str, str] | None = None, **body: Any) -> tuple:
        return self.agency(
            who, "POST", "/agency/reports/{tracking_id}/actions", tracking_id, body=body, headers=headers
        )

    def reporter(self, method: str, resource: str, tracking_id: str, code: str | None, **kwargs: Any) -> tuple:
        headers = {"X-Access-Code": code} if code is not None else {}
        return self.call(
            "reporter_access", method, resource, path_params={"tracking_id": tracking_id}, headers=headers, **kwargs
        )

    def public(self, tracking_id: str) -> dict[str, Any]:
        status, view, _ = self.call(
            "track_report", "GET", "/reports/{tracking_id}", path_params={"tracking_id": tracking_id}
        )
        assert status == 200
        return view

    def deliver_events(self) -> dict[str, Any]:
        """Hand the messages waiting in report-events to notify_agency, as the SQS event source would.

        Failed records stay in the queue and are visible again at once (standing in for the visibility
        timeout); the queue counts each receive towards its redrive policy.
        """
        import boto3

        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = os.environ["EVENTS_QUEUE_URL"]
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return {"batchItemFailures": [], "records": 0}
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        try:
            result = self.modules["notify_agency"].lambda_handler(sqs_event(messages), self.context)
        except BatchProcessingError:
            # Every record failed: Lambda fails the whole batch and SQS redelivers all of it.
            result = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return {**result, "records": len(messages)}

    def process_photos(self) -> int:
        """Hand what S3 told EventBridge, and its rule put in the photo-uploads queue, to process_photo; how many
        uploads it was given."""
        import boto3

        forward_s3_events()
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.get_queue_url(QueueName="lapor-PhotoUploadsQueue")["QueueUrl"]
        uploads = 0
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", []):
            self.modules["process_photo"].lambda_handler(sqs_event(messages), self.context)
            uploads += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        return uploads


def forward_s3_events() -> int:
    """What the local stack's forwarder thread does: S3's events, through EventBridge's rules, to their queues."""
    from lapor_local.eventbridge import forward
    from lapor_local.resources import AwsClients

    return forward(AwsClients(None, REGION), REGION)


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-southeast-3:123456789012:lapor-ReportEventsQueue",
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


@pytest.fixture
def api(aws: Aws, lambda_context: Any) -> Api:
    from tests.conftest import load_function

    names = ["submit_report", "track_report", "agency_reports", "reporter_access", "support_report", "notify_agency"]
    return Api(lambda_context, {name: load_function(name) for name in names})

"""Integration tests: the functions and the shared layer on moto, in process.

Tables, queues and keys are created from template.yaml itself by the local stack's resource builder,
so the tests exercise the template's key schema, indexes and redrive policy, not a copy of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from tests.conftest import ROOT

REGION = "ap-southeast-3"
PUBLIC_BASE_URL = "https://lapor.test"


def reset_lapor_caches() -> None:
    from lapor import aws, config, directory

    aws.reset_clients()
    config.settings.cache_clear()
    directory.forget_directory()


@dataclass
class Aws:
    """Handles on what the template created, for tests to look into."""

    reports_table: str
    idempotency_table: str
    queue_url: str
    dlq_url: str
    field_key_id: str

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
    from lapor_local.resources import AwsClients, create_resources
    from lapor_local.template import Resolver, load_template

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
        monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
        reset_lapor_caches()
        from lapor.seed import seed_directory

        seed_directory()
        yield Aws(
            reports_table=resolver.ref("ReportsTable"),
            idempotency_table=resolver.ref("IdempotencyTable"),
            queue_url=resolver.ref("ReportEventsQueue"),
            dlq_url=resolver.ref("ReportEventsDeadLetterQueue"),
            field_key_id=resolver.ref("FieldKey"),
        )
    reset_lapor_caches()


@pytest.fixture
def serialized_dynamodb() -> Iterator[None]:
    """Make moto's DynamoDB serialise writes as DynamoDB does (moto checks conditions without a lock)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {}
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item"):
        original = getattr(DynamoDBBackend, name)
        originals[name] = original

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)

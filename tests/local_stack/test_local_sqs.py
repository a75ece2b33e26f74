"""SQS event sources on the local stack: batches, partial batch failures, retries and the dead-letter queue."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import boto3
from lapor_local.sqs import failed_message_ids
from lapor_local.stack import LocalStack

from tests.local_stack.support import lines, wait_for


def sqs_client(stack: LocalStack) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=stack.aws_url,
        region_name=stack.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def queue_is_empty(stack: LocalStack, logical_id: str) -> bool:
    attributes = sqs_client(stack).get_queue_attributes(
        QueueUrl=stack.ref(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def deliveries(out_dir: Path) -> list[dict[str, Any]]:
    return lines(out_dir / "worker.jsonl")


def test_messages_reach_the_function_as_lambdas_sqs_event_and_are_deleted(stack: LocalStack, out_dir: Path) -> None:
    sqs = sqs_client(stack)
    sent = sqs.send_message(
        QueueUrl=stack.ref("WorkQueue"),
        MessageBody="ok",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "report.submitted"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    for number in range(3):
        sqs.send_message(QueueUrl=stack.ref("WorkQueue"), MessageBody=f"ok-{number}")

    wait_for(lambda: len(deliveries(out_dir)) == 4)
    wait_for(lambda: queue_is_empty(stack, "WorkQueue"))

    record = next(item["record"] for item in deliveries(out_dir) if item["id"] == sent["MessageId"])
    assert record["body"] == "ok"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.get_att("WorkQueue", "Arn")
    assert record["awsRegion"] == stack.region
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "report.submitted",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AQI="


def test_with_report_batch_item_failures_only_the_failed_messages_come_back(stack: LocalStack, out_dir: Path) -> None:
    sqs = sqs_client(stack)
    sqs.send_message_batch(
        QueueUrl=stack.ref("WorkQueue"),
        Entries=[{"Id": "1", "MessageBody": "ok"}, {"Id": "2", "MessageBody": "fail-once"}],
    )

    wait_for(lambda: len(deliveries(out_dir)) == 3)
    wait_for(lambda: queue_is_empty(stack, "WorkQueue"))

    counts = Counter(item["body"] for item in deliveries(out_dir))
    assert counts == {"ok": 1, "fail-once": 2}


def test_when_the_function_raises_the_whole_batch_comes_back(stack: LocalStack, out_dir: Path) -> None:
    sqs_client(stack).send_message(QueueUrl=stack.ref("WorkQueue"), MessageBody="raise-once")

    wait_for(lambda: len(deliveries(out_dir)) == 2)
    wait_for(lambda: queue_is_empty(stack, "WorkQueue"))

    assert [item["count"] for item in deliveries(out_dir)] == [1, 2]


def test_a_message_that_always_fails_ends_in_the_dead_letter_queue_after_max_receive_count(
    stack: LocalStack, out_dir: Path
) -> None:
    sqs = sqs_client(stack)
    sent = sqs.send_message(QueueUrl=stack.ref("WorkQueue"), MessageBody="fail-always")

    dead = wait_for(
        lambda: sqs.receive_message(QueueUrl=stack.ref("WorkDeadLetterQueue"), WaitTimeSeconds=0).get("Messages")
    )

    assert [message["MessageId"] for message in dead] == [sent["MessageId"]]
    assert [item["count"] for item in deliveries(out_dir)] == [1, 2], "maxReceiveCount is 2 in the template"


def test_failed_messages_wait_for_the_retry_delay(make_stack: Any, out_dir: Path) -> None:
    stack = make_stack(retry_delay_seconds=1)
    sqs_client(stack).send_message(QueueUrl=stack.ref("WorkQueue"), MessageBody="fail-once")

    wait_for(lambda: len(deliveries(out_dir)) == 2)

    first, second = deliveries(out_dir)
    assert second["at"] - first["at"] >= 0.9
    assert second["count"] == 2


def test_partial_batch_responses_follow_lambdas_rules() -> None:
    batch = {"a", "b", "c"}

    assert failed_message_ids({"batchItemFailures": []}, batch) == set()
    assert failed_message_ids(None, batch) == set()
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, batch) == {"b"}
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, batch) == batch
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, batch) == batch

"""SQS event sources: what Lambda's event source mapping does, as one polling thread per source.

A failed message becomes visible again after `retry_delay_seconds` instead of after the queue's
VisibilityTimeout (minutes, for a real deployment), so that retries and the dead-letter queue can be seen
and tested locally. moto applies the queue's RedrivePolicy itself when it hands out a message.

The pollers use short polls a fifth of a second apart rather than SQS long polls: a long poll cannot be
interrupted, and the stack has to stop within a moment.
"""

from __future__ import annotations

import base64
import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("lapor.local")

POLL_INTERVAL_SECONDS = 0.2


@dataclass(frozen=True)
class SqsEventSource:
    """One `Type: SQS` event of a function."""

    function: str
    queue_arn: str
    batch_size: int = 10
    report_batch_item_failures: bool = False


def sqs_event_sources(functions: Mapping[str, Mapping[str, Any]]) -> list[SqsEventSource]:
    """The SQS events of the functions (logical id → resolved properties)."""
    sources = []
    for function_id, properties in functions.items():
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") != "SQS":
                continue
            event_props = event["Properties"]
            sources.append(
                SqsEventSource(
                    function=function_id,
                    queue_arn=event_props["Queue"],
                    batch_size=int(event_props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (event_props.get("FunctionResponseTypes") or []),
                )
            )
    return sources


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A record of Lambda's SQS event for one received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """Which messages to retry after a successful call, following Lambda's partial batch response rules.

    An item identifier that is empty or not in the batch makes Lambda treat the whole batch as failed.
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed = {str(item.get("itemIdentifier") or "") for item in response["batchItemFailures"]}
    return failed if failed <= batch_ids else set(batch_ids)


class SqsPoller(threading.Thread):
    """Receives batches from one queue and hands them to one function until `stop` is set."""

    def __init__(
        self,
        source: SqsEventSource,
        sqs: Any,
        queue_url: str,
        invoke: Callable[[str, dict[str, Any]], Any],
        region: str,
        retry_delay_seconds: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"sqs-{source.function}", daemon=True)
        self.source = source
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.region = region
        self.retry_visibility = math.ceil(retry_delay_seconds)  # SQS counts whole seconds
        self.stop = stop

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(self.source.batch_size, 10),
                    WaitTimeSeconds=0,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if not messages:
                    self.stop.wait(POLL_INTERVAL_SECONDS)
                elif not self.stop.is_set():
                    self._deliver(messages)
            except Exception:
                if self.stop.is_set():
                    return
                log.exception("SQS poller for %s failed; retrying", self.source.function)
                self.stop.wait(1)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [sqs_record(message, self.source.queue_arn, self.region) for message in messages]}
        batch_ids = {message["MessageId"] for message in messages}
        try:
            response = self.invoke(self.source.function, event)
        except Exception:
            log.exception("%s failed on a batch of %d; all will be retried", self.source.function, len(messages))
            failed = batch_ids
        else:
            failed = failed_message_ids(response, batch_ids) if self.source.report_batch_item_failures else set()
        log.info("SQS %s: %d delivered, %d to retry", self.source.function, len(messages), len(failed))
        done = [message for message in messages if message["MessageId"] not in failed]
        retry = [message for message in messages if message["MessageId"] in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_visibility}
                    for i, m in enumerate(retry)
                ],
            )

"""The Lambda handler of an SQS consumer: Powertools' partial batch responses around one record handler.

Each failing record is reported alone (`ReportBatchItemFailures`), so it is retried without the others and
ends in the dead-letter queue after the queue's maxReceiveCount; the metrics are flushed whatever happens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from lapor.observability import handler


def sqs_consumer(handle: Callable[[Any], Any]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler that gives `handle` each record's JSON body."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: Any) -> Any:
        return handle(json.loads(record.body))

    @handler
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
        )

    return lambda_handler

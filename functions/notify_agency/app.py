"""report-events consumer: tells agencies (email, signed webhook) and reporters (email) what happened.

Partial batch failures are reported per record, so one failing notification never holds back the others;
a record that keeps failing ends in the dead-letter queue after the queue's maxReceiveCount.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from lapor import aws
from lapor.notify import handle_event
from lapor.observability import flush_metrics, logger

aws.prepare("dynamodb", "ses")  # INIT: the clients every request needs; no AWS call

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: object) -> str:
    return handle_event(json.loads(record.body))  # type: ignore[attr-defined]


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        flush_metrics()

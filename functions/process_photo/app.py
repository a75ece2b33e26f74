"""photo-uploads consumer: S3 tells this queue about each upload under originals/; each becomes a clean
photo or a refusal on its report (see `lapor.photos.process_upload`), and the original is deleted.

One upload per batch (BatchSize 1): a 10 MB photo takes the whole function. A record that keeps failing
ends in the dead-letter queue after the queue's maxReceiveCount; the lifecycle rule removes its original.
"""

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from cleaner import clean_image
from lapor.observability import flush_metrics, logger
from lapor.photos import process_upload
from lapor.timefmt import from_store

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: object) -> list[str]:
    notification = json.loads(record.body)  # type: ignore[attr-defined]
    outcomes = []
    # S3's s3:TestEvent, sent when the notification is configured, has no Records.
    for upload in notification.get("Records", []):
        obj = upload["s3"]["object"]
        key, size, at = unquote_plus(obj["key"]), int(obj.get("size", 0)), from_store(upload["eventTime"])
        outcomes.append(process_upload(key, size, at, clean_image))
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        flush_metrics()

"""photo-uploads consumer: S3 tells this queue about each upload under originals/; each becomes a clean
photo or a refusal on its report (see `lapor.photos.process_upload`), and the original is deleted.

One upload per batch (BatchSize 1): a 10 MB photo takes the whole function. A record that keeps failing
ends in the dead-letter queue after the queue's maxReceiveCount; the lifecycle rule removes its original.
"""

from typing import Any
from urllib.parse import unquote_plus

from cleaner import clean_image
from lapor import aws
from lapor.consumer import sqs_consumer
from lapor.photos import process_upload
from lapor.timefmt import from_store

aws.prepare("dynamodb", "s3")  # INIT: every upload reads and updates its report and moves its photo


def handle_notification(notification: dict[str, Any]) -> list[str]:
    outcomes = []
    # S3's s3:TestEvent, sent when the notification is configured, has no Records.
    for upload in notification.get("Records", []):
        obj = upload["s3"]["object"]
        key, size, at = unquote_plus(obj["key"]), int(obj.get("size", 0)), from_store(upload["eventTime"])
        outcomes.append(process_upload(key, size, at, clean_image))
    return outcomes


lambda_handler = sqs_consumer(handle_notification)

"""photo-uploads consumer: PhotoUploadsRule (EventBridge) tells this queue about each upload under originals/;
each becomes a clean photo or a refusal on its report (see `lapor.photos.process_upload`), and the original is
deleted.

What arrives is what the rule's input transformer passes on: bucket, key, size and time, never the
uploader's IP address or identity, which S3's own notifications carry (issue 23).

One upload per batch (BatchSize 1): a 10 MB photo takes the whole function. A record that keeps failing
ends in the dead-letter queue after the queue's maxReceiveCount; the lifecycle rule removes its original.
"""

from typing import Any

from cleaner import clean_image
from lapor import aws
from lapor.consumer import sqs_consumer
from lapor.photos import process_upload
from lapor.timefmt import from_store

aws.prepare("dynamodb", "s3")  # INIT: every upload reads and updates its report and moves its photo


def handle_upload(upload: dict[str, Any]) -> str:
    """One upload, as PhotoUploadsRule hands it on: {"bucket", "key", "size", "eventTime"}."""
    return process_upload(upload["key"], int(upload["size"]), from_store(upload["eventTime"]), clean_image)


lambda_handler = sqs_consumer(handle_upload)

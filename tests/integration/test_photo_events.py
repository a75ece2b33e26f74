"""No IP address anywhere on the photo path (issue 23, item 6).

Real S3 event notifications carry the uploader's IP (`requestParameters.sourceIPAddress`) and identity
(`userIdentity`); moto's leave them out, so these tests hand the photo path events shaped as AWS documents
them, IP included, and look for it in the photo-uploads queue, its dead-letter queue and the logs.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.conftest import CapturedLogs
from tests.events import valid_submission
from tests.integration.conftest import REGION, Api, Aws, forward_s3_events, sqs_event

UPLOADER_IP = "203.0.113.77"  # TEST-NET-3 (RFC 5737)
PRINCIPAL = "AWS:AIDAJDPLRKLG7UEXAMPLE"


def s3_record(bucket: str, key: str, size: int) -> dict[str, Any]:
    """One record of an S3 event notification, as AWS documents it (S3 User Guide, "Event message structure")."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-12-06T02:35:43.000Z",
        "eventName": "ObjectCreated:Post",
        "userIdentity": {"principalId": PRINCIPAL},
        "requestParameters": {"sourceIPAddress": UPLOADER_IP},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "photo-uploads",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": key,
                "size": size,
                "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }


def object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """S3's "Object Created" event on EventBridge, as AWS documents it (S3 User Guide, "EventBridge message
    structure")."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-12-06T02:35:43Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "00617F0837"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": UPLOADER_IP,
            "reason": "POST Object",
        },
    }


def deliver_as_s3(aws: Aws, record: dict[str, Any]) -> None:
    """What S3 does with an upload's record, by the photos bucket's notification configuration: each queue it
    names gets the notification; the local stack carries EventBridge's share on to the rules' targets."""
    sqs = aws.client("sqs")
    bucket = os.environ["PHOTOS_BUCKET"]
    for queue in aws.client("s3").get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", []):
        url = sqs.get_queue_url(QueueName=queue["QueueArn"].rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Records": [record]}))
    forward_s3_events()


def queue_url(name: str) -> str:
    return str(boto3.client("sqs", region_name=REGION).get_queue_url(QueueName=name)["QueueUrl"])


def pending_key(api: Api) -> str:
    """The key of an upload slot nobody used: processing it fails (no object), as a broken upload would."""
    receipt = api.submit(valid_submission(anonymous=True, reporter=None))
    status, slot, _ = api.reporter(
        "POST",
        "/reports/{tracking_id}/attachments",
        receipt["tracking_id"],
        receipt["access_code"],
        body={"content_type": "image/jpeg"},
    )
    assert status == 201
    return str(slot["upload"]["fields"]["key"])


def test_an_aws_shaped_upload_leaves_no_ip_in_the_queue_the_dead_letter_queue_or_the_logs(
    api: Api, aws: Aws, captured_logs: CapturedLogs
) -> None:
    key = pending_key(api)
    deliver_as_s3(aws, s3_record(os.environ["PHOTOS_BUCKET"], key, 2048))
    sqs = aws.client("sqs")
    uploads, dead = queue_url("lapor-PhotoUploadsQueue"), queue_url("lapor-PhotoUploadsDeadLetterQueue")
    received = sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert all(UPLOADER_IP not in m["Body"] and PRINCIPAL not in m["Body"] for m in received)
    (message,) = received
    assert json.loads(message["Body"]) == {
        "bucket": os.environ["PHOTOS_BUCKET"],
        "key": key,
        "size": 2048,
        "eventTime": "2026-12-06T02:35:43Z",
    }

    # The function fails on it (the object is not there) until the queue gives it to its dead-letter queue.
    from tests.conftest import load_function

    handler = load_function("process_photo").lambda_handler
    attempts = 0
    while received := sqs.receive_message(QueueUrl=uploads, VisibilityTimeout=0).get("Messages", []):
        with pytest.raises(BatchProcessingError):  # every record of the batch failed: Lambda retries it
            handler(sqs_event(received), api.context)
        attempts += 1
    assert attempts == 4  # with the look above, the queue's maxReceiveCount (5) receives
    (buried,) = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)["Messages"]
    assert key in buried["Body"] and UPLOADER_IP not in buried["Body"] and PRINCIPAL not in buried["Body"]
    assert captured_logs.text and UPLOADER_IP not in captured_logs.text and PRINCIPAL not in captured_logs.text


def test_the_rule_passes_on_uploads_of_the_photos_bucket_only_and_never_the_ip(aws: Aws) -> None:
    from lapor_local.eventbridge import put_event
    from lapor_local.resources import AwsClients

    local = AwsClients(None, REGION)
    bucket = os.environ["PHOTOS_BUCKET"]
    assert put_event(local, object_created(bucket, "originals/LPR-X/abc", 10)) == 1
    assert put_event(local, object_created(bucket, "photos/LPR-X/abc.jpg", 10)) == 0  # a clean copy: not an upload
    assert put_event(local, object_created("someone-elses-bucket", "originals/LPR-X/abc", 10)) == 0
    (message,) = aws.messages(queue_url("lapor-PhotoUploadsQueue"))
    assert message == {"bucket": bucket, "key": "originals/LPR-X/abc", "size": 10, "eventTime": "2026-12-06T02:35:43Z"}


def test_the_input_transformer_quotes_as_eventbridge_does() -> None:
    from lapor_local.eventbridge import transform

    event = {"detail": {"object": {"key": "originals/a b", "size": 7}}, "time": "2026-12-06T02:35:43Z"}
    paths = {"key": "$.detail.object.key", "size": "$.detail.object.size", "gone": "$.detail.nothing"}
    template = '{"key": <key>, "size": <size>, "gone": <gone>, "text": "<key> is <size> bytes"}'
    assert json.loads(transform({"InputPathsMap": paths, "InputTemplate": template}, event)) == {
        "key": "originals/a b",
        "size": 7,
        "gone": None,
        "text": "originals/a b is 7 bytes",
    }

"""Photos on moto: slots, uploads through the presigned POST, processing from the photo-uploads queue (S3 →
EventBridge → SQS), and what each audience sees. Bucket, queue and notification come from template.yaml."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests
from PIL import Image, ImageOps

from tests import photos
from tests.events import valid_submission
from tests.integration.conftest import REGION, Api, Aws, claims, forward_s3_events, sqs_event

CODE_HEADER = "X-Access-Code"


@pytest.fixture
def photo_api(api: Api) -> Api:
    from tests.conftest import load_function

    api.modules["process_photo"] = load_function("process_photo")
    return api


def slot_for(api: Api, receipt: dict[str, Any], content_type: str = "image/jpeg") -> tuple[int, Any]:
    status, body, _ = api.reporter(
        "POST",
        "/reports/{tracking_id}/attachments",
        receipt["tracking_id"],
        receipt["access_code"],
        body={"content_type": content_type},
    )
    return status, body


def upload(slot: dict[str, Any], data: bytes) -> int:
    """Through the presigned POST, as a browser does (moto answers in process)."""
    files = {"file": ("photo.jpg", data, slot["content_type"])}
    return requests.post(slot["upload"]["url"], data=slot["upload"]["fields"], files=files, timeout=30).status_code


def process_uploads(api: Api) -> list[Any]:
    """Hand what S3 put in the photo-uploads queue to process_photo, as the event source would."""

    forward_s3_events()
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.get_queue_url(QueueName="lapor-PhotoUploadsQueue")["QueueUrl"]
    results = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return results
        results.append(api.modules["process_photo"].lambda_handler(sqs_event(messages), api.context))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])


def objects(prefix: str = "") -> list[str]:
    import os

    listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=os.environ["PHOTOS_BUCKET"], Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def stored_bytes(key: str) -> bytes:
    import os

    return boto3.client("s3", region_name=REGION).get_object(Bucket=os.environ["PHOTOS_BUCKET"], Key=key)["Body"].read()


def private_photos(api: Api, receipt: dict[str, Any]) -> list[dict[str, Any]]:
    status, view, _ = api.reporter(
        "GET", "/reports/{tracking_id}/private", receipt["tracking_id"], receipt["access_code"]
    )
    assert status == 200
    return view["photos"]


def send(api: Api, receipt: dict[str, Any], data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    """Ask for a slot, upload `data`, process it: the photo as the reporter then sees it."""
    status, slot = slot_for(api, receipt, content_type)
    assert status == 201, slot
    assert upload(slot, data) == 204
    process_uploads(api)
    (photo,) = [p for p in private_photos(api, receipt) if p["id"] == slot["attachment_id"]]
    return photo


def test_a_slot_is_a_presigned_post_for_one_key_type_and_size_with_a_short_expiry(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    status, slot = slot_for(photo_api, receipt, "image/png")
    assert status == 201
    fields = slot["upload"]["fields"]
    assert fields["key"] == f"originals/{receipt['tracking_id']}/{slot['attachment_id']}"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"key": fields["key"]} in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    from lapor.timefmt import from_store

    lifetime = from_store(policy["expiration"].replace(".000Z", "Z")) - from_store(slot["expires_at"])
    assert abs(lifetime) <= timedelta(seconds=2)
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert slot["max_bytes"] == 10 * 1024 * 1024


def test_a_phone_photo_is_stored_without_any_metadata_and_as_it_is_shown(photo_api: Api) -> None:
    # Given a phone photo with GPS, make, model, serial, owner, XMP, IPTC, an ICC profile and a comment, sideways
    receipt = photo_api.submit(valid_submission())
    original = photos.phone_jpeg()
    groups = photos.metadata_groups(photos.exiv2_metadata(original))
    assert {"Exif.Image", "Exif.Photo", "Exif.GPSInfo", "Xmp.dc", "Iptc.Application2", "ICC", "Comment"} <= groups
    # When it is uploaded and processed
    photo = send(photo_api, receipt, original)
    # Then the stored picture has none of it, is shown upright at the same size, and is what the record says
    assert photo["status"] == "stored" and photo["author"] == "reporter"
    (key,) = objects("photos/")
    clean = stored_bytes(key)
    for secret in photos.SECRETS:
        assert secret.encode() not in clean
    assert photos.exiv2_metadata(clean) == {}
    seen = photos.pillow_metadata(clean)
    assert seen == {"exif": {}, "gps": {}, "exif_ifd": {}, "info": {}, "applist": []}
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(original)))
    stored = Image.open(io.BytesIO(clean))
    assert stored.size == shown.size == (480, 640)
    for corner in ((5, 5), (474, 5), (5, 634), (474, 634)):
        expected, got = shown.convert("RGB").getpixel(corner), stored.convert("RGB").getpixel(corner)
        assert max(abs(a - b) for a, b in zip(expected, got, strict=True)) < 40, corner

    assert (photo["width"], photo["height"], photo["size"]) == (480, 640, len(clean))
    assert photo["sha256"] == hashlib.sha256(clean).hexdigest() and photo["type"] == "image/jpeg"
    # And the original is gone: only the clean copy is left
    assert objects("originals/") == []
    assert requests.get(photo["url"], timeout=10).content == clean


def test_the_bucket_is_built_from_the_template(aws: Aws) -> None:
    s3 = aws.client("s3")
    bucket = os.environ["PHOTOS_BUCKET"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = [r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] if "Expiration" in r]
    assert rule["Filter"] == {"Prefix": "originals/"} and rule["Expiration"] == {"Days": 1}
    # S3 tells EventBridge (locally: the stand-in bus queue), never the photo-uploads queue directly.
    (queue,) = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert queue["QueueArn"].endswith(":lapor-local-default-event-bus")
    (rule,) = aws.client("events").list_rules()["Rules"]
    assert json.loads(rule["EventPattern"])["detail"]["object"]["key"] == [{"prefix": "originals/"}]
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == ["POST", "GET"]


def test_a_large_photo_is_scaled_to_the_long_side_cap(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    photo = send(photo_api, receipt, photos.phone_jpeg(size=(4000, 3000), quality=60))
    assert (photo["width"], photo["height"]) == (1920, 2560)


@pytest.mark.parametrize(
    ("make", "content_type"),
    [(photos.png_with_text, "image/png"), (photos.webp_with_exif, "image/webp")],
    ids=["png-text-chunks", "webp-exif"],
)
def test_png_text_and_webp_exif_do_not_survive(photo_api: Api, make: Any, content_type: str) -> None:
    receipt = photo_api.submit(valid_submission())
    original = make()
    assert photos.exiv2_metadata(original)
    photo = send(photo_api, receipt, original, content_type)
    assert photo["status"] == "stored"
    clean = stored_bytes(objects("photos/")[0])
    for secret in photos.SECRETS:
        assert secret.encode() not in clean
    assert photos.exiv2_metadata(clean) == {}
    assert photos.pillow_metadata(clean)["info"] == {}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (photos.pdf_named_jpg, "not_an_image"),
        (photos.html_named_jpg, "not_an_image"),
        (photos.polyglot, "other_content"),
        (photos.decompression_bomb, "too_many_pixels"),
        (lambda: photos.decompression_bomb(side=9_000), "too_many_pixels"),
        (photos.webp_memory_bomb, "too_many_pixels"),
        (photos.oversized, "too_large"),
        (lambda: b"\xff\xd8\xff\xe0 this is no jpeg at all", "unreadable"),
    ],
    ids=["pdf", "html", "polyglot", "bomb-144mp", "bomb-81mp", "webp-rgba-64mp-turned", "12mb", "broken-jpeg"],
)
def test_what_is_not_a_plain_picture_is_refused_with_a_reason_and_nothing_is_stored(
    photo_api: Api, make: Any, reason: str
) -> None:
    receipt = photo_api.submit(valid_submission())
    photo = send(photo_api, receipt, make())
    assert photo["status"] == "refused" and photo["reason"] == reason
    assert photo["detail"] and "url" not in photo
    assert objects() == []


def test_an_expired_slot_is_refused_and_nothing_is_stored(photo_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    receipt = photo_api.submit(valid_submission())
    from lapor import photos as domain
    from lapor.timefmt import utcnow

    # Given a slot handed out ten minutes ago (S3 would refuse it; moto does not enforce the expiry)
    with monkeypatch.context() as patched:
        patched.setattr(domain, "utcnow", lambda: utcnow() - timedelta(minutes=10))
        status, slot = slot_for(photo_api, receipt)
    assert status == 201
    # When the upload arrives now
    assert upload(slot, photos.phone_jpeg()) == 204
    process_uploads(photo_api)
    # Then it is refused, and the report shows why
    status, view, _ = photo_api.reporter(
        "GET", "/reports/{tracking_id}/private", receipt["tracking_id"], receipt["access_code"]
    )
    assert [(p["status"], p["reason"]) for p in view["photos"]] == [("refused", "expired")]
    assert objects() == []


def test_a_fourth_photo_is_refused_before_any_upload(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    for _ in range(3):
        assert slot_for(photo_api, receipt)[0] == 201
    status, problem = slot_for(photo_api, receipt)
    assert status == 409 and "at most 3 photos" in problem["detail"]
    # A refused upload does not use up a place: only stored photos and open slots count.


def test_a_refusal_does_not_use_up_a_place(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    assert send(photo_api, receipt, photos.pdf_named_jpg())["status"] == "refused"
    for _ in range(3):
        assert slot_for(photo_api, receipt)[0] == 201
    assert slot_for(photo_api, receipt)[0] == 409


@pytest.mark.parametrize("code", [None, "WRONG-CODE-1234"])
def test_a_wrong_or_missing_access_code_gets_no_slot(photo_api: Api, code: str | None) -> None:
    receipt = photo_api.submit(valid_submission())
    status, problem, _ = photo_api.reporter(
        "POST", "/reports/{tracking_id}/attachments", receipt["tracking_id"], code, body={"content_type": "image/jpeg"}
    )
    assert status == 403 and problem["title"] == "Forbidden"
    assert all("attachments" not in item for item in photo_api_items())


def photo_api_items() -> list[dict[str, Any]]:

    return boto3.client("dynamodb", region_name=REGION).scan(TableName=os.environ["REPORTS_TABLE"])["Items"]


@pytest.mark.parametrize("body", [{"content_type": "application/pdf"}, {}, {"content_type": "image/jpeg", "x": 1}])
def test_only_jpeg_png_or_webp_may_be_announced(photo_api: Api, body: dict[str, Any]) -> None:
    receipt = photo_api.submit(valid_submission())
    status, problem, _ = photo_api.reporter(
        "POST", "/reports/{tracking_id}/attachments", receipt["tracking_id"], receipt["access_code"], body=body
    )
    assert status == 422, problem


def test_the_same_upload_processed_twice_is_recorded_once(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    _, slot = slot_for(photo_api, receipt)
    assert upload(slot, photos.phone_jpeg()) == 204

    forward_s3_events()
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.get_queue_url(QueueName="lapor-PhotoUploadsQueue")["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    handler = photo_api.modules["process_photo"].lambda_handler
    assert handler(sqs_event([message]), photo_api.context) == {"batchItemFailures": []}
    assert handler(sqs_event([message]), photo_api.context) == {"batchItemFailures": []}
    assert [p["status"] for p in private_photos(photo_api, receipt)] == ["stored"]
    assert len(objects("photos/")) == 1 and objects("originals/") == []


def visibility(api: Api, who: dict[str, str], receipt: dict[str, Any], attachment_id: str, public: Any) -> tuple:
    return api.call(
        "agency_reports",
        "PUT",
        "/agency/reports/{tracking_id}/photos/{attachment_id}/visibility",
        path_params={"tracking_id": receipt["tracking_id"], "attachment_id": attachment_id},
        claims=who,
        body={"public": public},
    )


def test_the_public_sees_a_reporters_photo_only_once_an_officer_has_shown_it(photo_api: Api) -> None:
    """Second audit, item 1: a photo uploaded after verification was public at once, unseen by anyone."""
    from lapor.store import audit_trail

    receipt = photo_api.submit(valid_submission())
    officer = claims("dpupr-barito-utara")
    assert photo_api.act(officer, receipt["tracking_id"], action="verify")[0] == 200
    photo = send(photo_api, receipt, photos.phone_jpeg())  # after verification
    assert photo["public"] is False and photo_api.public(receipt["tracking_id"])["photos"] == []
    status, view, _ = visibility(photo_api, officer, receipt, photo["id"], True)
    assert status == 200 and [(p["id"], p["public"]) for p in view["photos"]] == [(photo["id"], True)]
    assert [p["id"] for p in photo_api.public(receipt["tracking_id"])["photos"]] == [photo["id"]]
    assert visibility(photo_api, officer, receipt, photo["id"], False)[0] == 200
    assert photo_api.public(receipt["tracking_id"])["photos"] == []
    recorded = [(e["access"], e.get("public")) for e in audit_trail(receipt["tracking_id"])]
    assert recorded[-2:] == [("photo_visibility", True), ("photo_visibility", False)]
    # Another agency may not, an unknown photo is 404, a refused one 409, and "yes" is no boolean.
    assert visibility(photo_api, claims("dinkes-barito-utara"), receipt, photo["id"], True)[0] == 403
    assert visibility(photo_api, officer, receipt, "0" * 16, True)[0] == 404
    refused = send(photo_api, receipt, photos.pdf_named_jpg())
    assert visibility(photo_api, officer, receipt, refused["id"], True)[0] == 409
    assert visibility(photo_api, officer, receipt, photo["id"], "yes")[0] == 422


def test_the_public_sees_photos_only_of_a_verified_report_that_is_not_confidential(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    photo = send(photo_api, receipt, photos.phone_jpeg())
    officer = claims("dpupr-barito-utara")
    assert visibility(photo_api, officer, receipt, photo["id"], True)[0] == 200
    assert photo_api.public(receipt["tracking_id"])["photos"] == []  # shown, but not yet verified
    status, view, _ = photo_api.act(officer, receipt["tracking_id"], action="verify")
    assert status == 200 and [p["id"] for p in view["photos"]] == [photo["id"]]
    (shown,) = photo_api.public(receipt["tracking_id"])["photos"]
    assert shown["id"] == photo["id"] and shown["url"].split("?")[0] == photo["url"].split("?")[0]
    assert "X-Amz-Expires=300" in shown["url"]


def test_photos_of_a_confidential_report_are_encrypted_with_the_photo_key_and_never_public(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission(confidential=True))
    photo = send(photo_api, receipt, photos.phone_jpeg())
    (key,) = objects("confidential-photos/")
    import os

    head = boto3.client("s3", region_name=REGION).head_object(Bucket=os.environ["PHOTOS_BUCKET"], Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith(os.environ["PHOTO_KEY_ID"])
    officer = claims("dpupr-barito-utara")
    photo_api.act(officer, receipt["tracking_id"], action="verify")
    assert photo_api.public(receipt["tracking_id"])["photos"] == []
    status, view, _ = photo_api.agency(officer, "GET", "/agency/reports/{tracking_id}", receipt["tracking_id"])
    assert status == 200 and [p["id"] for p in view["photos"]] == [photo["id"]]


def agency_slot(api: Api, officer: dict[str, str], receipt: dict[str, Any]) -> tuple[int, Any]:
    path = "/agency/reports/{tracking_id}/attachments"
    status, slot, _ = api.agency(officer, "POST", path, receipt["tracking_id"], body={"content_type": "image/jpeg"})
    return status, slot


def test_an_officer_attaches_a_photo_the_same_way(photo_api: Api) -> None:
    receipt = photo_api.submit(valid_submission())
    status, slot = agency_slot(photo_api, claims("dpupr-barito-utara"), receipt)
    assert status == 201
    assert upload(slot, photos.phone_jpeg()) == 204
    process_uploads(photo_api)
    (photo,) = private_photos(photo_api, receipt)
    assert photo["author"] == "agency" and photo["status"] == "stored"
    assert agency_slot(photo_api, claims("dinkes-barito-utara"), receipt)[0] == 403


def test_the_reporters_refused_uploads_never_use_up_the_agencys_budget(photo_api: Api) -> None:
    """Each side keeps its own MAX_ATTEMPTS: ten refusals by the reporter left the agency a 409 (audit item 5)."""
    from lapor.photos import MAX_ATTEMPTS

    receipt = photo_api.submit(valid_submission())
    for _ in range(MAX_ATTEMPTS):
        assert send(photo_api, receipt, photos.pdf_named_jpg())["status"] == "refused"
    status, problem = slot_for(photo_api, receipt)
    assert status == 409 and "too many photo uploads" in problem["detail"]
    status, slot = agency_slot(photo_api, claims("dpupr-barito-utara"), receipt)
    assert status == 201, slot

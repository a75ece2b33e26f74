"""Photos of a report: upload slots, recording what processing made of an upload, and the links each
audience sees.

Bytes never pass through the API: a slot is a presigned S3 POST for one key under ``originals/``, with
its content type, a size range and a short expiry. S3 tells the photo-uploads queue; `process_upload`
(run by the process_photo function, which alone has Pillow) checks the bytes, stores a clean re-encoded
copy and records the outcome on the report with one conditional write. Clean copies of confidential
reports are stored under another prefix, encrypted with a KMS key the public lookup may not use.

Decoding images needs Pillow, which is not in the layer: the cleaner is passed in by the function.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lapor import store
from lapor.aws import client
from lapor.config import runtime, settings
from lapor.errors import Conflict
from lapor.observability import count, logger
from lapor.statuses import PHOTOS_PUBLIC
from lapor.timefmt import from_store, to_public, to_store, utcnow

if TYPE_CHECKING:
    from lapor.shapes import AttachmentSlot, Photo

MAX_PHOTOS = 3  # per report and author (the reporter, the agency), as FixMyStreet does
# Slots and refusals kept per report and author, so the report item stays small; each side has its own, so
# one cannot use up the other's.
MAX_ATTEMPTS = 10
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2560  # the long side of a stored photo, in pixels
# Refused before decoding: a phone photo has 12 to 24 million pixels; more is a decompression bomb (an
# 8000 x 8000 RGBA WebP of 169 KB took 1 GB to decode). `make bench` checks the worst accepted input fits.
MAX_PIXELS = 24_000_000
SLOT_SECONDS = 300
LINK_SECONDS = 300
STORED_TYPE = "image/jpeg"

ORIGINALS = "originals/"
OPEN_PHOTOS = "photos/"
CONFIDENTIAL_PHOTOS = "confidential-photos/"

# What the sender is told when an upload is refused (the code is stable, the text is for people).
REFUSALS = {
    "expired": "The upload slot had expired; ask for a new one.",
    "too_large": f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.",
    "not_an_image": "The file is not a JPEG, PNG or WebP image.",
    "other_content": "The file holds something other than a picture.",
    "too_many_pixels": f"The picture has more than {MAX_PIXELS // 1_000_000} million pixels.",
    "unreadable": "The picture could not be decoded; it may be damaged.",
}

_ID = re.compile(r"^[a-z0-9]{16}$")


class PhotoRefused(Exception):
    """An upload that is not acceptable; `code` is one of `REFUSALS`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded picture: pixels only, no metadata."""

    data: bytes
    content_type: str
    width: int
    height: int


Cleaner = Callable[[bytes], CleanImage]


def original_key(tracking_id: str, attachment_id: str) -> str:
    return f"{ORIGINALS}{tracking_id}/{attachment_id}"


def parse_original_key(key: str) -> tuple[str, str] | None:
    """(tracking id, attachment id) of an upload's key, or None for anything else."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] + "/" != ORIGINALS or not _ID.match(parts[2]):
        return None
    return parts[1], parts[2]


def clean_key(tracking_id: str, attachment_id: str, confidential: bool) -> str:
    prefix = CONFIDENTIAL_PHOTOS if confidential else OPEN_PHOTOS
    return f"{prefix}{tracking_id}/{attachment_id}.jpg"


def bucket_origin() -> str:
    """Where browsers reach the bucket (presigned POSTs and links), for the pages' Content-Security-Policy."""
    endpoint = runtime().s3_endpoint
    if endpoint:
        match = re.match(r"^(https?://[^/]+)", endpoint)
        return match.group(1) if match else endpoint
    return f"https://{settings().photos_bucket}.s3.{runtime().region}.amazonaws.com"


# ---------------------------------------------------------------- slots


def reserve_slot(item: dict[str, Any], author: str, content_type: str) -> AttachmentSlot:
    """A presigned POST for one new photo of `author` ("reporter" or "agency") on an authorized report.

    Refused (409) when the author already has `MAX_PHOTOS` photos stored or on the way, or `MAX_ATTEMPTS`
    uploads kept (refusals included).
    """
    now = utcnow()
    attachments: dict[str, Any] = item.get("attachments") or {}
    live = [a for a in attachments.values() if _counts(a, now)]
    if sum(1 for a in live if a["author"] == author) >= MAX_PHOTOS:
        raise Conflict(f"A report takes at most {MAX_PHOTOS} photos from each side.")
    drop = [a["id"] for a in attachments.values() if a["status"] == "pending" and not _counts(a, now)]
    kept = [a for a in attachments.values() if a["author"] == author and a["id"] not in drop]
    if len(kept) >= MAX_ATTEMPTS:
        raise Conflict("This report has had too many photo uploads from your side.")
    tracking_id = item["tracking_id"]
    attachment_id = _new_attachment_id()
    expires = now + timedelta(seconds=SLOT_SECONDS)
    slot = {
        "id": attachment_id,
        "author": author,
        "status": "pending",
        "declared_type": content_type,
        "created_at": to_store(now),
        "expires_at": to_store(expires),
    }
    try:
        store.reserve_attachment(tracking_id, slot, int(item.get("attachments_rev", 0)), drop)
    except store.StaleReport:
        raise Conflict("Another photo was added at the same moment; try again.") from None
    key = original_key(tracking_id, attachment_id)
    post = client("s3").generate_presigned_post(
        Bucket=settings().photos_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_BYTES]],
        ExpiresIn=SLOT_SECONDS,
    )
    count("PhotoSlot")
    return {
        "attachment_id": attachment_id,
        "upload": {"url": post["url"], "fields": post["fields"]},
        "content_type": content_type,
        "max_bytes": MAX_BYTES,
        "expires_at": to_public(to_store(expires), settings().time_zone),
    }


def _counts(attachment: dict[str, Any], now: datetime) -> bool:
    """Stored photos count towards the limit, and slots that may still be used; refusals do not."""
    if attachment["status"] == "stored":
        return True
    return attachment["status"] == "pending" and from_store(attachment["expires_at"]) > now


def _new_attachment_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


# ---------------------------------------------------------------- processing


def process_upload(key: str, size: int, uploaded_at: datetime, cleaner: Cleaner) -> str:
    """Turn one upload into a clean photo or a refusal on its report; the original is deleted either way.

    Returns what happened (stored, refused, ignored). Safe to run twice for the same upload: only a
    pending slot is ever settled.
    """
    s3 = client("s3")
    bucket = settings().photos_bucket
    parsed = parse_original_key(key)
    item = store.get_report(parsed[0], store.PHOTO_ATTRIBUTES) if parsed else None
    slot = ((item or {}).get("attachments") or {}).get(parsed[1]) if parsed else None
    if item is None or slot is None or slot["status"] != "pending":
        s3.delete_object(Bucket=bucket, Key=key)
        count("PhotoIgnored")
        return "ignored"
    tracking_id, attachment_id = item["tracking_id"], slot["id"]
    now = utcnow()
    record: dict[str, Any] = {"id": attachment_id, "author": slot["author"], "created_at": slot["created_at"]}
    try:
        # S3 itself refuses an expired or oversized POST; checked again here because not every S3 does.
        if uploaded_at > from_store(slot["expires_at"]):
            raise PhotoRefused("expired")
        if size > MAX_BYTES:
            raise PhotoRefused("too_large")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        data = body.read(MAX_BYTES + 1)
        body.close()
        if len(data) > MAX_BYTES:
            raise PhotoRefused("too_large")
        image = cleaner(data)
    except PhotoRefused as refusal:
        record.update({"status": "refused", "reason": refusal.code, "settled_at": to_store(now)})
    else:
        confidential = bool(item.get("confidential"))
        stored_key = clean_key(tracking_id, attachment_id, confidential)
        encryption: dict[str, Any] = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings().photo_key_id}
            if confidential
            else {"ServerSideEncryption": "AES256"}
        )
        s3.put_object(
            Bucket=bucket,
            Key=stored_key,
            Body=image.data,
            ContentType=image.content_type,
            CacheControl="private, max-age=300",
            **encryption,
        )
        record.update(
            {
                "status": "stored",
                "key": stored_key,
                "type": image.content_type,
                "size": len(image.data),
                "width": image.width,
                "height": image.height,
                "sha256": hashlib.sha256(image.data).hexdigest(),
                "settled_at": to_store(now),
            }
        )
    # Not settled: a concurrent run of the same upload settled the slot first. Its clean copy has this very
    # key, so nothing is left over and nothing may be deleted.
    settled = store.settle_attachment(tracking_id, record)
    s3.delete_object(Bucket=bucket, Key=key)
    outcome = record["status"] if settled else "ignored"
    count({"stored": "PhotoStored", "refused": "PhotoRefused"}.get(outcome, "PhotoIgnored"))
    logger.info("photo processed", extra={"outcome": outcome, "reason": record.get("reason")})
    return outcome


def erase_photo_files(tracking_id: str, photos: list[tuple[str, bool]]) -> None:
    """Delete the files of a report's photos, `(attachment id, stored copy too)` as `lifecycle.plan_erasure`
    says: each upload's original (gone already unless processing failed) and, when asked, the confidential
    stored copy. Deleting a missing object succeeds, so a second run does the same and changes nothing."""
    s3 = client("s3")
    bucket = settings().photos_bucket
    for attachment_id, stored in photos:
        s3.delete_object(Bucket=bucket, Key=original_key(tracking_id, attachment_id))
        if stored:
            s3.delete_object(Bucket=bucket, Key=clean_key(tracking_id, attachment_id, confidential=True))


# ---------------------------------------------------------------- views


def photo_views(item: dict[str, Any], audience: str, time_zone: str) -> list[Photo]:
    """The photos of a report as `audience` (public, reporter, agency) sees them, oldest first.

    Stored photos come with a presigned link valid `LINK_SECONDS`; the reporter and the agency also see
    uploads still being processed and refusals with their reason, and whether each is public. The public
    sees stored photos an officer has shown (`is_public`) of a report that is not confidential and has been
    verified, nothing else.
    """
    attachments = sorted((item.get("attachments") or {}).values(), key=lambda a: (a["created_at"], a["id"]))
    if audience == "public" and (item.get("confidential") or item.get("status") not in PHOTOS_PUBLIC):
        return []
    now = utcnow()
    views = []
    for attachment in attachments:
        status = attachment["status"]
        if status == "pending" and not _counts(attachment, now):
            continue  # a slot that was never used
        if audience == "public" and (status != "stored" or not is_public(attachment)):
            continue
        view: Photo = {"id": attachment["id"], "author": attachment["author"], "status": status}
        if audience != "public" and status == "stored":
            view["public"] = is_public(attachment)
        if status == "stored":
            view = {
                **view,
                "type": attachment["type"],
                "size": attachment["size"],
                "width": attachment["width"],
                "height": attachment["height"],
                "sha256": attachment["sha256"],
                "url": _link(attachment["key"]),
                "url_expires_at": to_public(to_store(now + timedelta(seconds=LINK_SECONDS)), time_zone),
            }
        elif status == "refused":
            view["reason"] = attachment["reason"]
            view["detail"] = REFUSALS.get(attachment["reason"], "The file was refused.")
        views.append(view)
    return views


def is_public(attachment: dict[str, Any]) -> bool:
    """Whether a stored photo may be on public pages: an officer has seen it and said so. The agency's own
    photos are seen by an officer as they are attached; a reporter's waits for one (nobody can publish a
    picture on a public page by filing a report)."""
    return bool(attachment.get("public", attachment["author"] == "agency"))


def _link(key: str) -> str:
    url: str = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": settings().photos_bucket, "Key": key}, ExpiresIn=LINK_SECONDS
    )
    return url

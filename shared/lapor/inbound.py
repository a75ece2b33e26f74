"""WhatsApp (issue 25), the webhook's use cases: Meta's verification handshake, and taking a signed webhook call
in: every new message sealed onto the queue once, status callbacks counted. The conversation each queued
message moves on is `lapor.chat`'s.

A message is known by a keyed hash of its wamid and its sender by a keyed hash of the number: neither a
number, a wa_id nor a text is ever logged, counted as a dimension, or put on the queue outside the sealed
envelope (`seal_inbound`). Nothing here loads pydantic: the webhook's cold start stays light.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from lapor import store
from lapor.channels import enqueue_whatsapp
from lapor.config import settings
from lapor.crypto import keyed_digest, open_for, seal_for, secret_value
from lapor.crypto import whatsapp_sender_id as sender_id
from lapor.errors import BadRequestBody, Forbidden, PayloadTooLarge, Unauthorized
from lapor.observability import count, logger
from lapor.whatsapp import Inbound, messages, signature_valid, statuses, verification_challenge

MESSAGE_KEPT_SECONDS = 7 * 86400  # Meta retries an unanswered webhook for a day or more
MAX_WEBHOOK_BYTES = 64 * 1024  # what the API accepts (lapor.http.MAX_BODY_BYTES); Meta's batches are far smaller
_QUEUE_PURPOSE = "lapor-whatsapp-queue"


def message_id(wamid: str) -> str:
    """A message's id as lapor keys it (deduplication, filing's idempotency): a keyed hash of the wamid."""
    return keyed_digest("lapor-whatsapp-message", wamid.encode("utf-8")).hex()


def verify_subscription(query: dict[str, str]) -> str:
    """Meta's verification request: the challenge to echo, or `Forbidden` (403)."""
    s = settings()
    challenge = verification_challenge(query, secret_value(s.whatsapp_verify_token_arn, "WHATSAPP_VERIFY_TOKEN_ARN"))
    if challenge is None:
        count("WhatsAppVerificationRefused")
        raise Forbidden("The verification request is not valid.")
    return challenge


def accept_webhook(raw_body: bytes, signature: str | None) -> int:
    """Check the signature, then queue each message not seen before (sealed); returns how many were queued.

    A missing or wrong signature is `Unauthorized` and changes nothing. A message that cannot be queued gives
    its claim back and fails the call, so Meta's retry brings it again.
    """
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge()
    s = settings()
    if not signature_valid(secret_value(s.whatsapp_app_secret_arn, "WHATSAPP_APP_SECRET_ARN"), raw_body, signature):
        count("WhatsAppSignatureRefused")
        raise Unauthorized("X-Hub-Signature-256 is missing or does not match the body.")
    try:
        payload = json.loads(raw_body)
    except ValueError as exc:
        raise BadRequestBody() from exc
    for status, n in Counter(statuses(payload)).items():
        count(f"WhatsAppStatus{status.capitalize()}", n)
    queued = 0
    for inbound in messages(payload):
        key = message_id(inbound.wamid)
        if not store.claim_whatsapp_message(key, MESSAGE_KEPT_SECONDS):
            count("WhatsAppMessageRepeated")
            continue
        try:
            enqueue_whatsapp(sender_id(inbound.sender), key, seal_inbound(key, inbound))
        except Exception:
            store.release_whatsapp_message(key)
            raise
        queued += 1
    if queued:
        count("WhatsAppMessageQueued", queued)
    logger.info("whatsapp webhook accepted", extra={"queued": queued})
    return queued


def seal_inbound(key: str, inbound: Inbound) -> dict[str, Any]:
    """The queue message for one inbound message: its keyed id and everything else sealed."""
    return {"v": 1, "id": key, "sealed": seal_for(_QUEUE_PURPOSE, key, inbound.to_json()).hex()}


def open_inbound(body: dict[str, Any]) -> tuple[str, Inbound]:
    """What `seal_inbound` sealed: (the message's keyed id, the message)."""
    key = str(body["id"])
    return key, Inbound.from_json(open_for(_QUEUE_PURPOSE, key, bytes.fromhex(str(body["sealed"]))))

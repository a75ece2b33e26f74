"""Notification channels: email through SES, signed webhooks to agencies' own systems, and WhatsApp (the
Cloud API's messages and media endpoints, and the queue between the WhatsApp webhook and its consumer).

What goes through them never holds confidential content or contact data beyond the recipient's own
address: identifiers, status and links only.

A channel that does not take a message raises `DeliveryFailed`: retried later (SQS redelivery, then the
outbox relay, both capped). `DeliveryRejected` is the permanent kind: sending the same message again can
never succeed (SES refuses the address, a webhook redirects or answers 4xx), so the caller records the
failure instead of retrying.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from lapor.aws import client
from lapor.config import settings
from lapor.crypto import master_secret, secret_value
from lapor.directory import webhook_url_problem
from lapor.errors import ConfigurationError


class DeliveryFailed(Exception):
    """A channel did not take the message; the delivery is retried later."""


class DeliveryRejected(DeliveryFailed):
    """A channel refused the message for good; `reason` is a short code, never an address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# SES errors that the same message meets again on every retry: the recipient (or, in the sandbox, any
# unverified address) is refused, or the address is malformed. Throttling, 5xx answers, paused sending
# and connection errors are transient.
PERMANENT_SES_ERRORS = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "InvalidParameterValue",
        "ConfigurationSetDoesNotExist",
    }
)


def send_email(to: str, subject: str, body: str) -> None:
    """One plain-text email through SES, from the deployment's sender address."""
    sender = settings().sender_email
    if not sender:
        raise ConfigurationError("SENDER_EMAIL is not set")
    try:
        client("ses").send_email(
            Source=sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
    except Exception as exc:
        # By error code only: SES's message names the refused address.
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in PERMANENT_SES_ERRORS:
            raise DeliveryRejected(code) from exc
        raise DeliveryFailed(f"email not accepted: {code or type(exc).__name__}") from exc


def webhook_secret(agency_id: str) -> str:
    """The agency's own signing secret, derived from the deployment's master secret.

    Each agency gets a different secret without anyone keeping a list: `lapor webhook-secret` tells an
    operator the one to give an agency.
    """
    return hmac.new(master_secret(), f"lapor-webhook:{agency_id}".encode(), hashlib.sha256).hexdigest()


# The whole webhook call (connect, send, status line and headers) ends within this many seconds.
WEBHOOK_TIMEOUT_SECONDS = 5.0
# What a receiver may answer for a passing problem; any other 4xx, and every 3xx, is final.
RETRYABLE_4XX = frozenset({408, 425, 429})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Lapor-Signature: ``sha256=<hex HMAC-SHA256 of timestamp + "." + the exact body>``.

    Signing the timestamp with the body lets a receiver refuse a replayed request: it recomputes the
    signature over the X-Lapor-Timestamp it received and rejects anything older than five minutes.
    """
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def post_webhook(url: str, agency_id: str, payload: dict[str, Any], delivery_id: str) -> None:
    """POST the event to the agency's webhook, signed with a timestamp.

    2xx is delivered. A redirect is never followed (it would turn the signed POST into a GET elsewhere)
    and, like any 4xx but 408, 425 and 429, is refused for good; 5xx, those three and no answer within
    `WEBHOOK_TIMEOUT_SECONDS` are retried.
    """
    if webhook_url_problem(url, settings().allow_http_webhooks) is not None:
        raise DeliveryRejected("webhook_url_refused")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lapor-webhook/2",
        "X-Lapor-Event": str(payload.get("type", "")),
        "X-Lapor-Delivery": delivery_id,
        "X-Lapor-Timestamp": timestamp,
        "X-Lapor-Signature": signature(webhook_secret(agency_id), timestamp, body),
    }
    status = _post(url, body, headers, WEBHOOK_TIMEOUT_SECONDS)
    if 200 <= status < 300:
        return
    if 300 <= status < 400 or (400 <= status < 500 and status not in RETRYABLE_4XX):
        raise DeliveryRejected(f"webhook_http_{status}")
    raise DeliveryFailed(f"webhook answered {status}")


def _post(url: str, body: bytes, headers: dict[str, str], seconds: float) -> int:
    """POST `body` and return the answer's status, all within `seconds`; redirects are not followed.

    A socket timeout bounds each read only, so a receiver dripping one byte at a time could hold the call
    for as long as it likes: a timer cuts the connection at the deadline instead.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=seconds, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=seconds)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if connection.sock is not None:
            try:
                # The plain socket's shutdown, also under TLS: it wakes a read blocked in another thread.
                socket.socket.shutdown(connection.sock, socket.SHUT_RDWR)
            except OSError:
                return

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        connection.connect()
        if expired.is_set():
            raise TimeoutError("connect took the whole budget")
        connection.request("POST", target, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = "timed out" if expired.is_set() else type(exc).__name__
        raise DeliveryFailed(f"webhook not reached: {reason}") from exc
    finally:
        timer.cancel()
        connection.close()
    return int(status)


# ---------------------------------------------------------------- WhatsApp

GRAPH_TIMEOUT_SECONDS = 5.0
MEDIA_MAX_BYTES = 10 * 1024 * 1024  # the web upload's limit (lapor.photos.MAX_BYTES); WhatsApp's images are 5 MB


def enqueue_whatsapp(group: str, dedup: str, body: dict[str, Any]) -> None:
    """Put one sealed inbound message on the WhatsApp queue (FIFO: a sender's messages stay in order)."""
    client("sqs").send_message(
        QueueUrl=settings().whatsapp_queue_url,
        MessageBody=json.dumps(body, separators=(",", ":")),
        MessageGroupId=group,
        MessageDeduplicationId=dedup,
    )


def _graph_token() -> str:
    s = settings()
    return secret_value(s.whatsapp_access_token_arn, "WHATSAPP_ACCESS_TOKEN_ARN").decode("utf-8")


def send_whatsapp(payload: dict[str, Any]) -> str:
    """POST one message to ``/{version}/{phone-number-id}/messages``; returns the new message's wamid.

    The Cloud API answers errors as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``:
    a 4xx other than 429 (and its throttling codes) is refused for good, anything else is retried.
    """
    s = settings()
    url = f"{s.whatsapp_graph_url}/{s.whatsapp_graph_version}/{s.whatsapp_phone_number_id}/messages"
    status, answer = _graph("POST", url, json.dumps(payload).encode("utf-8"), "application/json")
    if 200 <= status < 300:
        try:
            return str(json.loads(answer)["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            return ""
    code = _graph_error_code(answer)
    # 4, 80007, 130429 and 131056 are the Cloud API's throttles; 190 (401) an access token that expired or was
    # revoked: retried until it ends in the dead-letter queue, whose alarm tells the operator to replace it.
    if status in (401, 429) or code in (4, 190, 80007, 130429, 131056) or status >= 500:
        raise DeliveryFailed(f"whatsapp answered {status} ({code})")
    raise DeliveryRejected(f"whatsapp_{code or status}")


def download_whatsapp_media(media_id: str) -> tuple[str, bytes]:
    """An image a citizen sent: its media URL from ``/{version}/{media-id}``, then its bytes (with the same
    bearer token); returns (MIME type, bytes). `DeliveryFailed` when either step fails."""
    s = settings()
    status, answer = _graph("GET", f"{s.whatsapp_graph_url}/{s.whatsapp_graph_version}/{media_id}", None, None)
    try:
        media = json.loads(answer) if status == 200 else {}
        url, mime = str(media["url"]), str(media.get("mime_type") or "")
    except (ValueError, KeyError, TypeError) as exc:
        raise DeliveryFailed(f"whatsapp media lookup answered {status}") from exc
    status, data = _graph("GET", url, None, None, MEDIA_MAX_BYTES)
    if status != 200:
        raise DeliveryFailed(f"whatsapp media download answered {status}")
    return mime, data


def _graph_error_code(answer: bytes) -> int | None:
    try:
        code = json.loads(answer)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, int) else None


def _graph(
    method: str, url: str, body: bytes | None, content_type: str | None, limit: int = 64 * 1024
) -> tuple[int, bytes]:
    """One call to the Graph API with the access token: (status, at most `limit` bytes of the answer)."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=GRAPH_TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=GRAPH_TIMEOUT_SECONDS)
    headers = {"Authorization": f"Bearer {_graph_token()}", "User-Agent": "lapor-whatsapp/1"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(limit + 1)
        status = int(response.status)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DeliveryFailed(f"whatsapp not reached: {type(exc).__name__}") from exc
    finally:
        connection.close()
    if len(data) > limit:
        raise DeliveryRejected("whatsapp_answer_too_large")
    return status, data


def upload_photo(url: str, fields: dict[str, str], content_type: str, data: bytes) -> None:
    """POST one photo to an upload slot (the presigned form a browser gets, `lapor.photos.reserve_slot`), so
    that it goes through the very path of a web upload: the photo function strips it or refuses it."""
    boundary = "lapor" + hashlib.sha256(data).hexdigest()[:24]
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo"\r\n'
    head += f"Content-Type: {content_type}\r\n\r\n"
    body = b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status = _post(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, GRAPH_TIMEOUT_SECONDS)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"photo upload answered {status}")

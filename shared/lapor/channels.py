"""Notification channels: email through SES, and signed webhooks to agencies' own systems.

What goes through them never holds confidential content or contact data beyond the recipient's own
address: identifiers, status and links only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from lapor.aws import client
from lapor.config import settings
from lapor.crypto import master_secret
from lapor.errors import ConfigurationError


class DeliveryFailed(Exception):
    """A channel did not take the message; the delivery is retried later."""


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
        raise DeliveryFailed(f"email not accepted: {type(exc).__name__}") from exc


def webhook_secret(agency_id: str) -> str:
    """The agency's own signing secret, derived from the deployment's master secret.

    Each agency gets a different secret without anyone keeping a list: `lapor webhook-secret` tells an
    operator the one to give an agency.
    """
    return hmac.new(master_secret(), f"lapor-webhook:{agency_id}".encode(), hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes) -> str:
    """The value of X-Lapor-Signature: ``sha256=<hex HMAC-SHA256 of the exact body>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post_webhook(url: str, agency_id: str, payload: dict[str, Any], delivery_id: str) -> None:
    """POST the event to the agency's webhook, signed; any non-2xx answer is a failed delivery."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - URLs come from the operator's directory only
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "lapor-webhook/1",
            "X-Lapor-Event": str(payload.get("type", "")),
            "X-Lapor-Delivery": delivery_id,
            "X-Lapor-Signature": signature(webhook_secret(agency_id), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"webhook answered {response.status}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"webhook not reached: {type(exc).__name__}") from exc

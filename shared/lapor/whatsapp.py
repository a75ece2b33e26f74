"""The WhatsApp Business Cloud API's shapes, as Meta documents them: the webhook's signature and verification
handshake, the messages and status callbacks a webhook carries, and the messages lapor sends back.

Pure: no AWS, no network, no secrets of its own (callers pass them in), so every rule here is tested alone.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_PREFIX = "sha256="
MESSAGE_TYPES = ("text", "image", "location", "interactive", "button")
STATUSES = ("sent", "delivered", "read", "failed")
MAX_TEXT = 4096  # the Cloud API's limit for a text message's body

STATUS_WORDS: dict[str, dict[str, str]] = {
    "id": {
        "submitted": "diterima",
        "verified": "diverifikasi",
        "in_progress": "sedang ditangani",
        "responded": "ditanggapi",
        "closed": "selesai",
        "rejected": "ditolak",
    },
    "en": {
        "submitted": "received",
        "verified": "verified",
        "in_progress": "in progress",
        "responded": "answered",
        "closed": "closed",
        "rejected": "rejected",
    },
}


def status_words(lang: str, status: str) -> str:
    """A status in words a citizen reads (the template's second parameter)."""
    return STATUS_WORDS.get(lang, STATUS_WORDS["id"]).get(status, status)


def signature_valid(app_secret: bytes, raw_body: bytes, header: str | None) -> bool:
    """Whether `X-Hub-Signature-256` is ``sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>``.

    Compared in constant time; a missing header, another algorithm's prefix or anything not hex is refused.
    """
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header[len(SIGNATURE_PREFIX) :].strip().lower().encode())


def sign(app_secret: bytes, raw_body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with `raw_body` (the local chat signs its posts with it)."""
    return SIGNATURE_PREFIX + hmac.new(app_secret, raw_body, hashlib.sha256).hexdigest()


def verification_challenge(query: Mapping[str, str], verify_token: bytes) -> str | None:
    """The `hub.challenge` to answer when Meta's verification request is right (mode subscribe, our verify
    token, a challenge), else None."""
    token = query.get("hub.verify_token", "").encode("utf-8")
    challenge = query.get("hub.challenge", "")
    if query.get("hub.mode") != "subscribe" or not challenge or len(challenge) > 200:
        return None
    return challenge if hmac.compare_digest(token, verify_token) else None


@dataclass(frozen=True)
class Inbound:
    """One message a citizen sent: who (`sender`, the wa_id), its id (`wamid`), and what it carries."""

    wamid: str
    sender: str
    kind: str  # text, image, location, or "other" (stickers, audio ...: answered with the menu's hint)
    text: str = ""
    image_id: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Inbound:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _inbound(message: Mapping[str, Any]) -> Inbound | None:
    wamid, sender, kind = message.get("id"), message.get("from"), message.get("type")
    if not isinstance(wamid, str) or not isinstance(sender, str) or not wamid or not sender.isdigit():
        return None
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        return Inbound(wamid, sender, "text", text=str(body or "")[:MAX_TEXT])
    if kind == "image":
        image = message.get("image") or {}
        return Inbound(
            wamid, sender, "image", image_id=str(image.get("id") or ""), text=str(image.get("caption") or "")
        )
    if kind == "location":
        place = message.get("location") or {}
        try:
            lat, lon = float(place["latitude"]), float(place["longitude"])
        except (KeyError, TypeError, ValueError):
            return Inbound(wamid, sender, "other")
        address = ", ".join(str(place[k]) for k in ("name", "address") if place.get(k))
        return Inbound(wamid, sender, "location", lat=lat, lon=lon, address=address[:300])
    if kind == "button":  # a quick-reply button of a template message: its text
        return Inbound(wamid, sender, "text", text=str((message.get("button") or {}).get("text") or ""))
    return Inbound(wamid, sender, "other")


def messages(payload: Any) -> Iterator[Inbound]:
    """Every citizen message of a webhook payload (`entry[].changes[].value.messages[]`), in order."""
    for value in _values(payload):
        for message in value.get("messages") or []:
            if isinstance(message, Mapping) and (found := _inbound(message)) is not None:
                yield found


def statuses(payload: Any) -> Iterator[str]:
    """The status of every delivery callback (`value.statuses[]`): sent, delivered, read or failed."""
    for value in _values(payload):
        for status in value.get("statuses") or []:
            if isinstance(status, Mapping) and status.get("status") in STATUSES:
                yield str(status["status"])


def _values(payload: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(payload, Mapping) or payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or [] if isinstance(entry, Mapping) else []:
            value = change.get("value") if isinstance(change, Mapping) else None
            if isinstance(value, Mapping) and change.get("field") == "messages":
                yield value


def text_message(to: str, body: str) -> dict[str, Any]:
    """The Cloud API's body for a free-text message (inside the 24-hour customer-service window)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body[:MAX_TEXT]},
    }


def template_message(to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    """The Cloud API's body for an approved template with body parameters (outside the 24-hour window)."""
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
        },
    }

"""WhatsApp Cloud API webhook payloads shaped exactly as Meta's documented examples (text, image, location,
statuses), and the signing Meta does, for the tests."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

PHONE_NUMBER_ID = "100000000000001"
CITIZEN = "6281234567890"  # the wa_id: the sender's number, digits only


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def new_wamid() -> str:
    return "wamid.HBgL" + uuid.uuid4().hex.upper()


def _message(sender: str, kind: str, content: dict[str, Any], wamid: str | None) -> dict[str, Any]:
    return _envelope(
        {
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": wamid or new_wamid(),
                    "timestamp": str(int(time.time())),
                    "type": kind,
                    **content,
                }
            ],
        }
    )


def text(body: str, sender: str = CITIZEN, wamid: str | None = None) -> dict[str, Any]:
    return _message(sender, "text", {"text": {"body": body}}, wamid)


def image(media_id: str, sender: str = CITIZEN, caption: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": "x" * 44, "id": media_id}
    if caption:
        content["caption"] = caption
    return _message(sender, "image", {"image": content}, None)


def location(lat: float, lon: float, sender: str = CITIZEN, name: str = "", address: str = "") -> dict[str, Any]:
    place: dict[str, Any] = {"latitude": lat, "longitude": lon}
    if name:
        place["name"] = name
    if address:
        place["address"] = address
    return _message(sender, "location", {"location": place}, None)


def status(state: str, recipient: str = CITIZEN) -> dict[str, Any]:
    return _envelope(
        {
            "statuses": [
                {
                    "id": new_wamid(),
                    "status": state,
                    "timestamp": str(int(time.time())),
                    "recipient_id": recipient,
                    "pricing": {"billable": True, "pricing_model": "PMP", "category": "utility"},
                }
            ]
        }
    )


def raw(payload: dict[str, Any]) -> bytes:
    """The body as Meta sends it: compact JSON with non-ASCII escaped."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")

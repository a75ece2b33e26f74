"""Saved replies: the texts an agency answers with most, kept per agency and seen by its officers only.

The agency comes from the caller's token, never from the request: an officer can neither read nor change
another agency's replies, even with a reply id from there.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from lapor import store
from lapor.agency import Officer
from lapor.config import settings
from lapor.errors import Conflict, NotFound
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow

if TYPE_CHECKING:
    from lapor.models import SavedReplyInput
    from lapor.shapes import SavedReplies, SavedReply

MAX_REPLIES = 50  # "a few" per agency: a list people still read before choosing
_REPLY_ID = re.compile(r"^[0-9a-f]{17}$")


def _agency(claims: dict[str, str]) -> str:
    return Officer.from_claims(claims, current_directory()).agency_id


def _view(item: dict[str, Any]) -> SavedReply:
    return {
        "reply_id": item["reply_id"],
        "title": item["title"],
        "text": item["text"],
        "updated_at": to_public(item["updated_at"], settings().time_zone),
    }


def _checked_id(reply_id: str) -> str:
    if not _REPLY_ID.fullmatch(reply_id):
        raise NotFound("No saved reply has this id.")
    return reply_id


def _stored(reply_id: str, body: SavedReplyInput) -> dict[str, Any]:
    """A saved reply as stored; the model has already trimmed its title and text."""
    return {"reply_id": reply_id, "title": body.title, "text": body.text, "updated_at": to_store(utcnow())}


def list_replies(claims: dict[str, str]) -> SavedReplies:
    return {"items": [_view(item) for item in store.list_replies(_agency(claims), MAX_REPLIES)]}


def create_reply(claims: dict[str, str], body: SavedReplyInput) -> SavedReply:
    agency_id = _agency(claims)
    if len(store.list_replies(agency_id, MAX_REPLIES)) >= MAX_REPLIES:
        raise Conflict(f"An agency keeps at most {MAX_REPLIES} saved replies; delete one first.")
    # Time first, so that ids sort by creation; the random part keeps two at the same millisecond apart.
    reply = _stored(f"{int(time.time() * 1000):011x}{secrets.token_hex(3)}", body)
    if not store.put_reply(agency_id, reply, must_exist=False):
        raise Conflict("A saved reply with this id was created at the same moment; try again.")
    return _view(reply)


def update_reply(claims: dict[str, str], reply_id: str, body: SavedReplyInput) -> SavedReply:
    agency_id = _agency(claims)
    reply = _stored(_checked_id(reply_id), body)
    if not store.put_reply(agency_id, reply, must_exist=True):
        raise NotFound("No saved reply has this id.")
    return _view(reply)


def delete_reply(claims: dict[str, str], reply_id: str) -> None:
    if not store.delete_reply(_agency(claims), _checked_id(reply_id)):
        raise NotFound("No saved reply has this id.")

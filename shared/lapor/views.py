"""What each audience sees of a stored report. Plain dicts, no pydantic: the public lookup must start fast.

The public view never holds the reporter, private messages, or (for confidential reports) the title,
description, location, any message text or any photo; photos of other reports only once verified (see
`lapor.photos`). It is built only from plaintext attributes: the sealed envelope is never even looked at here.
"""

from __future__ import annotations

from typing import Any

from lapor.timefmt import to_public


def public_timeline(item: dict[str, Any], time_zone: str) -> list[dict[str, Any]]:
    """The timeline, oldest first, with every message that is not for the public left out, and without the
    internal entries (a notification that could not be delivered) that only the agency sees."""
    hide_all = bool(item.get("confidential"))
    return [
        _entry(entry, time_zone, None if hide_all or entry.get("private") else entry.get("message"))
        for entry in item.get("timeline", [])
        if not entry.get("internal")
    ]


def _entry(entry: dict[str, Any], time_zone: str, message: str | None) -> dict[str, Any]:
    """A timeline entry as every audience sees it, with the message this audience may read."""
    keys = ("event", "status", "actor")
    return {"at": to_public(entry["at"], time_zone), **{k: entry[k] for k in keys}, "message": message}


def public_view(item: dict[str, Any], time_zone: str) -> dict[str, Any]:
    """`GET /reports/{tracking_id}`: status and timeline for anyone; content only when not confidential."""
    view: dict[str, Any] = {
        "tracking_id": item["tracking_id"],
        "kind": item["kind"],
        "category": item["category"],
        "agency": {"id": item["agency_id"], "name": item["agency_name"]},
        "status": item["status"],
        "submitted_at": to_public(item["submitted_at"], time_zone),
        "updated_at": to_public(item["updated_at"], time_zone),
        "due_at": to_public(item.get("due_at"), time_zone),
        "escalation_level": int(item.get("escalation_level", 0)),
        "anonymous": bool(item.get("anonymous")),
        "confidential": bool(item.get("confidential")),
        "support_count": int(item.get("support_count", 0)),
        "timeline": public_timeline(item, time_zone),
        "photos": _photos(item, "public", time_zone),
    }
    if not item.get("confidential"):
        for name in ("title", "description", "location"):
            if item.get(name) is not None:
                view[name] = item[name]
    return view


def _photos(item: dict[str, Any], audience: str, time_zone: str) -> list[dict[str, Any]]:
    if not item.get("attachments"):
        return []
    from lapor.photos import photo_views  # only reports with photos pay for the S3 client

    return photo_views(item, audience, time_zone)


def full_view(
    item: dict[str, Any],
    time_zone: str,
    audience: str,
    data_key: bytes | None,
) -> dict[str, Any]:
    """What the responsible agency (`audience="agency"`) or the reporter (`"reporter"`) sees.

    Everything, decrypted: title, description, location, the reporter block (absent when anonymous)
    and every message including private ones; internal timeline entries for the agency only. `data_key`
    opens the report's envelope (None when the report has nothing sealed).
    """
    from lapor.crypto import open_fields, open_message

    tracking_id = item["tracking_id"]
    view = public_view({**item, "confidential": False, "attachments": None}, time_zone)
    view["confidential"] = bool(item.get("confidential"))
    view["photos"] = _photos(item, audience, time_zone)
    secret: dict[str, Any] = {}
    if item.get("sealed") is not None and data_key is not None:
        secret = open_fields(tracking_id, item["sealed"], data_key)
    for name in ("title", "description", "location"):
        if secret.get(name) is not None:
            view[name] = secret[name]
    if secret.get("reporter") is not None:
        view["reporter"] = secret["reporter"]
    timeline = []
    for entry in item.get("timeline", []):
        if entry.get("internal") and audience != "agency":
            continue
        message = entry.get("message")
        if entry.get("sealed") is not None and data_key is not None:
            message = open_message(data_key, tracking_id, entry["sealed"])
        timeline.append({**_entry(entry, time_zone, message), "private": bool(entry.get("private"))})
    view["timeline"] = timeline
    rating = item.get("rating")
    if rating:
        view["rating"] = {"score": int(rating["score"]), "at": to_public(rating["at"], time_zone)}
        comment = rating.get("comment")
        if rating.get("sealed") is not None and data_key is not None:
            comment = open_message(data_key, tracking_id, rating["sealed"])
        if comment is not None:
            view["rating"]["comment"] = comment
    if audience == "agency":
        view["version"] = int(item.get("version", 1))
        view["original_agency_id"] = item.get("original_agency_id", item["agency_id"])
        view["overdue"] = bool(item.get("overdue"))
        view["channel"] = item.get("channel")
    return view

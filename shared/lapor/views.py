"""What each audience sees of a stored report, as the dicts `lapor.shapes` types. No pydantic: the public
lookup must start fast.

The public view never holds the reporter, private messages, or (for confidential reports) the title,
description, location, any message text or any photo; photos of other reports only once verified (see
`lapor.photos`). A rejected report shows its status, dates and the rejection reason only. Every public
location is rounded to `PUBLIC_DECIMALS` (`public_location`; Open311 uses it too). Pure domain: the callers
open what is sealed and sign the photo links, and give both to these functions.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from lapor.lifecycle import CONTACT_ERASED, DATA_REQUESTS, ERASED
from lapor.statuses import CONTENT_WITHHELD
from lapor.timefmt import to_public

if TYPE_CHECKING:
    from lapor import shapes

CONTENT: tuple[Literal["title", "description", "location"], ...] = ("title", "description", "location")
# Decimal places of latitude and longitude on every public endpoint (issue 23): 3 is about 110 m, the area
# and not the doorstep. The phone's position (about 1 m) is often where the reporter lives; only the agency
# (and the reporter) see the exact point. The same for identified reports: their identity is never public,
# and an exact point would name where they stand as surely as a name would.
PUBLIC_DECIMALS = 3


def public_location(location: Mapping[str, Any] | None) -> shapes.PublicLocation | None:
    """A stored location as every public endpoint shows it: lat and lon rounded to `PUBLIC_DECIMALS`, the
    address (what the reporter wrote for people to read) as written. None stays None."""
    if location is None:
        return None
    shown: shapes.PublicLocation = {}
    for name in ("lat", "lon"):
        value = location.get(name)
        if value is not None:
            shown[name] = round(float(value), PUBLIC_DECIMALS)
    if location.get("address") is not None:
        shown["address"] = location["address"]
    return shown


def public_content(item: Mapping[str, Any]) -> dict[str, Any]:
    """Title, description and location as the public may see them: none for a confidential report or one
    in `CONTENT_WITHHELD` (rejected: it may name a third party), the location rounded."""
    if item.get("confidential") or item.get("status") in CONTENT_WITHHELD:
        return {}
    content = {name: item[name] for name in ("title", "description") if item.get(name) is not None}
    location = public_location(item.get("location"))
    if location is not None:
        content["location"] = location
    return content


def public_timeline(item: dict[str, Any], time_zone: str) -> list[shapes.TimelineEntry]:
    """The timeline, oldest first, with every message that is not for the public left out, and without the
    internal entries (a notification that could not be delivered) that only the agency sees. Of a report
    whose content is withheld (rejected) only the reason for that status is shown: earlier messages may
    quote what is withheld."""
    hide_all = bool(item.get("confidential"))
    withheld = item.get("status") in CONTENT_WITHHELD

    def shown(entry: dict[str, Any]) -> str | None:
        if hide_all or entry.get("private") or (withheld and entry.get("event") != item.get("status")):
            return None
        message: str | None = entry.get("message")
        return message

    return [
        _entry(entry, time_zone, shown(entry))
        for entry in item.get("timeline", [])
        if not entry.get("internal") and entry.get("event") not in DATA_REQUESTS
    ]


# Agency-only events as the public and the reporter see them: an office saying it is not responsible (bukan
# wewenang) passed the report on, to its coordinator; the reason is the message.
PUBLIC_EVENTS = {"not_responsible": "transferred"}


def _entry(entry: dict[str, Any], time_zone: str, message: str | None, agency: bool = False) -> shapes.TimelineEntry:
    """A timeline entry as every audience sees it (the agency its own events too), with the message this
    audience may read."""
    at = to_public(entry["at"], time_zone)
    event = entry["event"] if agency else PUBLIC_EVENTS.get(entry["event"], entry["event"])
    return {"at": at, "event": event, "status": entry["status"], "actor": entry["actor"], "message": message}


def _summary(item: dict[str, Any], time_zone: str) -> shapes.ReportSummary:
    """The plaintext attributes every view of a report shows."""
    return {
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
    }


def _core(
    item: dict[str, Any], time_zone: str, photos: Sequence[shapes.Photo], *content: Mapping[str, Any]
) -> shapes.ReportCore:
    """What every audience sees besides the timeline; title, description and location from `content` (a later
    source wins)."""
    # Typed as a whole: mypy's strict TypedDict rules do not see optional keys arrive through `**`.
    view = cast("shapes.ReportCore", {**_summary(item, time_zone), "photos": list(photos)})
    for source in content:
        for name in CONTENT:
            if source.get(name) is not None:
                view[name] = source[name]
    return view


def public_view(item: dict[str, Any], time_zone: str, photos: Sequence[shapes.Photo]) -> shapes.PublicReportView:
    """`GET /reports/{tracking_id}`: status and timeline for anyone; content as `public_content` allows; the
    `photos` the public may see (`lapor.photos.photo_views`)."""
    core = _core(item, time_zone, photos, public_content(item))
    return {**core, "timeline": public_timeline(item, time_zone)}


def for_reporter(
    item: dict[str, Any], time_zone: str, secret: Mapping[str, Any], photos: Sequence[shapes.Photo]
) -> shapes.ReporterReportView:
    """What the reporter sees: everything, opened (see `_whole`)."""
    view, private, entries = _whole(item, time_zone, "reporter", secret, photos)
    timeline: list[shapes.FullTimelineEntry] = [
        {**_entry(e, time_zone, e.get("message")), "private": bool(e.get("private"))} for e in entries
    ]
    return {**view, **private, "timeline": timeline}


def for_agency(
    item: dict[str, Any], time_zone: str, secret: Mapping[str, Any], photos: Sequence[shapes.Photo]
) -> shapes.AgencyReportView:
    """What the responsible agency sees: everything, opened, its internal entries, and the version for
    If-Match."""
    view, private, entries = _whole(item, time_zone, "agency", secret, photos)
    timeline: list[shapes.AgencyTimelineEntry] = [
        {**_entry(e, time_zone, e.get("message"), agency=True), "private": bool(e.get("private"))} for e in entries
    ]
    return {
        **view,
        **private,
        "timeline": timeline,
        "version": int(item.get("version", 1)),
        "original_agency_id": item.get("original_agency_id", item["agency_id"]),
        "overdue": bool(item.get("overdue")),
        "channel": item.get("channel"),
        "open311_key_id": item.get("open311_key_id"),
        "assignee": _assignee(item),
    }


def _assignee(item: Mapping[str, Any]) -> shapes.Assignee | None:
    """The officer an open report is assigned to, as stored at assignment (no Cognito call)."""
    assignee = item.get("assignee")
    if not assignee:
        return None
    return {"sub": assignee["sub"], "name": assignee["name"], "agency_id": assignee["agency_id"]}


def for_inbox(item: dict[str, Any], time_zone: str) -> shapes.InboxItem:
    """A report as an agency's inbox lists it: plaintext attributes only (the sealed envelope is never looked
    at, so no reporter and no KMS call), the title only when the report is not confidential."""
    inbox = {
        "version": int(item.get("version", 1)),
        "original_agency_id": item.get("original_agency_id", item["agency_id"]),
        "overdue": bool(item.get("overdue")),
        "channel": item.get("channel"),
        "assignee": _assignee(item),
    }
    view = cast("shapes.InboxItem", {**_summary(item, time_zone), **inbox})
    if not item.get("confidential") and item.get("title") is not None:
        view["title"] = item["title"]
    return view


def _whole(
    item: dict[str, Any], time_zone: str, audience: str, secret: Mapping[str, Any], photos: Sequence[shapes.Photo]
) -> tuple[shapes.ReportCore, shapes.Private, list[dict[str, Any]]]:
    """Everything but the timeline: title, description, location, the reporter block (absent when anonymous)
    and the rating; and each timeline entry `audience` sees (internal ones for the agency only), private ones
    included. `item` comes with its messages opened and `secret` is its sealed fields opened
    (`lapor.crypto.open_report`): nothing sealed is even looked at here."""
    private: shapes.Private = {"reporter": secret["reporter"]} if secret.get("reporter") is not None else {}
    entries = [e for e in item.get("timeline", []) if audience == "agency" or not e.get("internal")]
    rating = item.get("rating")
    if rating:
        rated: shapes.Rating = {"score": int(rating["score"]), "at": to_public(rating["at"], time_zone)}
        if rating.get("comment") is not None:
            rated["comment"] = rating["comment"]
        private["rating"] = rated
    return _core(item, time_zone, photos, item, secret), private, entries


def erased(item: Mapping[str, Any], time_zone: str) -> list[shapes.Erased]:
    """What of a report's personal data is gone for good, and when: its timeline's erasure entries."""
    return [
        {"event": entry["event"], "at": to_public(entry["at"], time_zone)}
        for entry in item.get("timeline", [])
        if entry.get("event") in (ERASED, CONTACT_ERASED)
    ]


def stored_items(
    items: Sequence[Mapping[str, Any]], opened: Callable[[Mapping[str, Any]], Any]
) -> list[shapes.StoredItem]:
    """A report's items as stored, for the reporter's export: every attribute but the table's keys, each
    `sealed` value replaced by `opened(sealed)` (what it holds, decrypted), bytes as base64, sets as lists."""

    def shown(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: opened(v) if k == "sealed" and isinstance(v, Mapping) else shown(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [shown(v) for v in (sorted(value) if isinstance(value, set | frozenset) else value)]
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(bytes(value)).decode("ascii")
        return value

    return [
        {"key": str(item["sk"]), "attributes": shown({k: v for k, v in item.items() if k not in ("pk", "sk")})}
        for item in items
    ]

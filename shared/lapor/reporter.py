"""Use cases of the reporter: their own view, answering the agency, rating a response, and support.

Everything but support needs the access code. Wrong or missing codes are refused (403) and counted per
report; after too many in a window the report refuses every code for the rest of it (429), so guessing
gains nothing. The count lives on the report item, which every attempt reads anyway: no extra read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lapor import store
from lapor.calendar import add_working_days
from lapor.config import settings
from lapor.crypto import message_sealer, report_data_key
from lapor.errors import Conflict, Forbidden, RateLimited, ReportNotFound
from lapor.events import new_event, outbox_due
from lapor.ids import access_code_matches, parse_tracking_id
from lapor.lifecycle import OPEN_STATUSES, commit, deadline_fields, ensure_room, timeline_entry
from lapor.observability import count
from lapor.timefmt import to_store, utcnow
from lapor.views import full_view

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 10


def _window(now: datetime) -> str:
    start = now.timestamp() - now.timestamp() % FAILURE_WINDOW.total_seconds()
    return to_store(datetime.fromtimestamp(start, now.tzinfo))


def _unlocked_report(tracking_id: str, access_code: str | None, now: datetime) -> dict[str, Any]:
    """The report, if `access_code` opens it; counts the failure and refuses otherwise."""
    canonical = parse_tracking_id(tracking_id)
    item = store.get_report(canonical)
    if item is None:
        raise ReportNotFound()
    window = _window(now)
    failures = item.get("access_failures") or {}
    if failures.get("window") == window and int(failures.get("count", 0)) >= MAX_FAILURES:
        retry_after = int(FAILURE_WINDOW.total_seconds() - now.timestamp() % FAILURE_WINDOW.total_seconds()) + 1
        raise RateLimited("Too many wrong access codes for this report; try again later.", retry_after)
    if not access_code_matches(canonical, access_code, item.get("access_code_hash")):
        store.record_access_failure(canonical, window)
        count("AccessCodeRefused")
        raise Forbidden("The access code does not open this report.")
    return item


def reporter_view(tracking_id: str, access_code: str | None) -> dict[str, Any]:
    """`GET /reports/{id}/private`: the reporter's own report, decrypted, private messages included."""
    item = _unlocked_report(tracking_id, access_code, utcnow())
    return full_view(item, settings().time_zone, "reporter", report_data_key(item))


def post_message(tracking_id: str, access_code: str | None, message: str) -> dict[str, Any]:
    """The reporter answers or adds information; after a response this reopens the report."""
    now = utcnow()
    item = _unlocked_report(tracking_id, access_code, now)
    status = item["status"]
    if status not in OPEN_STATUSES:
        raise Conflict(f"The report is {status}; it takes no more messages.")
    ensure_room(item, message)
    s = settings()
    key = report_data_key(item)
    change = store.Change(expected_version=int(item.get("version", 1)), expected_status=(status,))
    change.set_fields["updated_at"] = to_store(now)
    change.timeline.append(
        timeline_entry(
            now, "reporter_replied", status, "reporter", message, private=True, sealer=message_sealer(item, key)
        )
    )
    event_type = "report.reporter_replied"
    if status == "responded":
        change.set_fields.update(
            {
                "status": "in_progress",
                "status_pk": f"AGENCY#{item['agency_id']}#in_progress",
                **deadline_fields("respond", add_working_days(now, s.respond_working_days, s.time_zone)),
            }
        )
        change.timeline.append(timeline_entry(now, "reopened", "in_progress", "reporter"))
        event_type = "report.reopened"
    change.outbox_event = new_event(event_type, item["tracking_id"], item["agency_id"], now)
    change.outbox_at = outbox_due(now)
    updated = commit(item["tracking_id"], change)
    count("ReporterMessage")
    return full_view(updated, s.time_zone, "reporter", key)


def rate(tracking_id: str, access_code: str | None, score: int, comment: str | None) -> dict[str, Any]:
    """Rate the response, once per report, when it is responded or closed."""
    now = utcnow()
    item = _unlocked_report(tracking_id, access_code, now)
    if item["status"] not in ("responded", "closed"):
        raise Conflict("A report can be rated once it has been responded to.")
    if item.get("rating"):
        raise Conflict("This report was already rated.")
    ensure_room(item, comment)
    s = settings()
    key = report_data_key(item)
    sealer = message_sealer(item, key)
    rating: dict[str, Any] = {"score": score, "at": to_store(now)}
    if comment is not None:
        if sealer is not None:
            rating["sealed"] = sealer(comment)
        else:
            rating["comment"] = comment
    change = store.Change(
        expected_version=int(item.get("version", 1)),
        expected_status=("responded", "closed"),
        condition="attribute_not_exists(#rating)",
        condition_names={"#rating": "rating"},
    )
    change.set_fields.update({"rating": rating, "updated_at": to_store(now)})
    change.timeline.append(timeline_entry(now, "rated", item["status"], "reporter", f"{score}/5"))
    change.outbox_event = new_event("report.rated", item["tracking_id"], item["agency_id"], now)
    change.outbox_at = outbox_due(now)
    updated = commit(item["tracking_id"], change, "The report changed meanwhile, or was already rated.")
    count("ReportRated")
    return full_view(updated, s.time_zone, "reporter", key)


def request_photo_slot(tracking_id: str, access_code: str | None, content_type: str) -> dict[str, Any]:
    """An upload slot for one photo of the reporter's open report (at most `photos.MAX_PHOTOS`)."""
    from lapor.photos import reserve_slot

    item = _unlocked_report(tracking_id, access_code, utcnow())
    if item["status"] not in OPEN_STATUSES:
        raise Conflict(f"The report is {item['status']}; it takes no more photos.")
    return reserve_slot(item, "reporter", content_type)


def support(tracking_id: str) -> dict[str, Any]:
    """ "Dukung": one more supporter of a public report. Nothing about the supporter is stored."""
    canonical = parse_tracking_id(tracking_id)
    try:
        updated = store.apply_change(
            canonical,
            store.Change(
                condition="#confidential = :no",
                condition_names={"#confidential": "confidential"},
                condition_values={":no": False},
                add_fields={"support_count": 1},
                bump_version=False,
            ),
        )
    except store.StaleReport:
        if store.get_report(canonical) is None:
            raise ReportNotFound() from None
        raise Conflict("Confidential reports are not shown publicly and cannot be supported.") from None
    count("ReportSupported")
    return {"tracking_id": canonical, "support_count": int(updated["support_count"])}

"""Use cases of the reporter: their own view, answering the agency, rating a response, and support.

Everything but support needs the access code. The code is checked first, in constant time: the right
code always opens the report, whatever others tried. Only a wrong or missing code is counted, per report
and window, with one conditional write; past `MAX_WRONG_CODES` in a window every further wrong code is
429 with Retry-After, so nobody can lock a reporter out and guessing stays slow (the code carries 100
random bits: guessing it is hopeless anyway). The counter lives on the report item, which every attempt
reads anyway.

A reporter may send `reporter_messages_per_day` messages a day (in the deployment's time zone) and
`reporter_messages_per_report` in all (429 past either): messages are items of their own, so they never
fill the report, and the agency can always act on it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lapor import store
from lapor.calendar import add_working_days
from lapor.config import Settings, settings
from lapor.crypto import message_sealer, open_report, report_data_key, sealing_key
from lapor.errors import Conflict, Forbidden, RateLimited, ReportNotFound
from lapor.events import commit
from lapor.ids import access_code_matches, parse_tracking_id
from lapor.lifecycle import REOPEN, Change, MessageSealer, new_event, timeline_entry
from lapor.observability import count
from lapor.photos import photo_views, reserve_slot
from lapor.statuses import OPEN, RATABLE
from lapor.timefmt import to_store, utcnow
from lapor.views import for_reporter

if TYPE_CHECKING:
    from lapor.shapes import AttachmentSlot, ReporterReportView, SupportCount

WRONG_CODE_WINDOW = timedelta(minutes=15)
MAX_WRONG_CODES = 10  # wrong codes evaluated per report and window; more get 429 until the window ends


def _window(now: datetime) -> tuple[str, int]:
    """The current window (its start, stored form) and the seconds until the next one starts."""
    length = int(WRONG_CODE_WINDOW.total_seconds())
    start = int(now.timestamp()) - int(now.timestamp()) % length
    return to_store(datetime.fromtimestamp(start, now.tzinfo)), start + length - int(now.timestamp())


def unlocked_report(tracking_id: str, access_code: str | None, now: datetime) -> dict[str, Any]:
    """The report item (without its later timeline entries), if `access_code` opens it; counts the failure
    and refuses otherwise. A wrong code never costs reading the report's messages.
    """
    canonical = parse_tracking_id(tracking_id)
    item = store.get_report(canonical, store.REPORTER_ATTRIBUTES)
    if item is None:
        raise ReportNotFound()
    if not access_code_matches(canonical, access_code, item.get("access_code_hash")):
        window, left = _window(now)
        if not store.count_wrong_code(canonical, window, MAX_WRONG_CODES, item.get(store.WRONG_CODES)):
            count("AccessCodeThrottled")
            raise RateLimited("Too many wrong access codes for this report; try again later.", left + 1)
        count("AccessCodeRefused")
        raise Forbidden("The access code does not open this report.")
    return item


def _ensure_message_allowed(item: dict[str, Any], now: datetime, s: Settings) -> tuple[str, int]:
    """Refuse (429) a message past the reporter's caps; the day (local) and its count with this message."""
    if int(item.get("reporter_messages", 0)) >= s.reporter_messages_per_report:
        raise RateLimited(
            f"This report has taken the {s.reporter_messages_per_report} messages a reporter can send; "
            "the agency can still answer it.",
            None,
        )
    local = now.astimezone(ZoneInfo(s.time_zone))
    day = local.date().isoformat()
    today = int(item.get("reporter_day_count", 0)) if item.get("reporter_day") == day else 0
    if today >= s.reporter_messages_per_day:
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)
        raise RateLimited(
            f"A reporter can send {s.reporter_messages_per_day} messages a day on a report; try again tomorrow.",
            int((tomorrow - local).total_seconds()) + 1,
        )
    return day, today + 1


def reporter_view(tracking_id: str, access_code: str | None) -> ReporterReportView:
    """`GET /reports/{id}/private`: the reporter's own report, decrypted, private messages included."""
    item = unlocked_report(tracking_id, access_code, utcnow())
    whole = store.read_report(item["tracking_id"])
    if whole is None:
        raise ReportNotFound()
    return opened_view(whole, report_data_key(whole))


def opened_view(item: dict[str, Any], key: bytes | None) -> ReporterReportView:
    shown, secret = open_report(item, key)
    time_zone = settings().time_zone
    return for_reporter(shown, time_zone, secret, photo_views(item, "reporter", time_zone))


def post_message(tracking_id: str, access_code: str | None, message: str) -> ReporterReportView:
    """The reporter answers or adds information; after a response this reopens the report."""
    now = utcnow()
    item = unlocked_report(tracking_id, access_code, now)
    _ensure_open(item)  # before a data key is made for it: a closed report's may have been erased
    key, envelope = sealing_key(item, sealing=True)  # a reporter's message is always private
    change = plan_message(item, message, now, settings(), key)
    if envelope is not None:
        change.set_fields["sealed"] = envelope
    updated = commit(item["tracking_id"], change)
    count("ReporterMessage")
    return opened_view(updated, key)


def _ensure_open(item: dict[str, Any]) -> str:
    """The report's status, if it still takes messages; else `Conflict`."""
    status: str = item["status"]
    if status not in OPEN:
        raise Conflict(f"The report is {status}; it takes no more messages.")
    return status


def plan_message(item: dict[str, Any], message: str, now: datetime, s: Settings, key: bytes | None) -> Change:
    """What one reporter message changes (the message private, sealed under `key`). Raises `Conflict` when the
    report is closed, `RateLimited` past a cap."""
    status = _ensure_open(item)
    day, today = _ensure_message_allowed(item, now, s)
    # The version condition makes the caps exact: of two messages sent at once, one waits for a retry (409).
    change = Change(item, expected_version=int(item.get("version", 1)), expected_status=(status,))
    change.set_fields.update({"updated_at": to_store(now), "reporter_day": day, "reporter_day_count": today})
    change.add_fields["reporter_messages"] = 1
    change.timeline.append(
        timeline_entry(
            now, "reporter_replied", status, "reporter", message, True, message_sealer(item, key, private=True)
        )
    )
    event = "reporter_replied"
    if status in REOPEN.allowed_from:
        change.status = REOPEN.to or status
        change.due_stage, change.due_at = "respond", add_working_days(now, s.respond_working_days, s.time_zone)
        change.timeline.append(timeline_entry(now, REOPEN.event, change.status, "reporter"))
        event = REOPEN.event
    change.event = new_event(event, item["tracking_id"], item["agency_id"], now)
    return change


def rate(tracking_id: str, access_code: str | None, score: int, comment: str | None) -> ReporterReportView:
    """Rate the response, once per report, when it is responded or closed."""
    now = utcnow()
    item = unlocked_report(tracking_id, access_code, now)
    _ensure_ratable(item)  # refused before the KMS call
    key, envelope = sealing_key(item, sealing=comment is not None)  # the comment is private: sealed
    change = plan_rating(item, score, comment, now, message_sealer(item, key, private=True) if key else None)
    if envelope is not None:
        change.set_fields["sealed"] = envelope
    updated = commit(item["tracking_id"], change, "The report changed meanwhile, or was already rated.")
    count("ReportRated")
    return opened_view(updated, key)


def plan_rating(
    item: dict[str, Any], score: int, comment: str | None, now: datetime, sealer: MessageSealer | None
) -> Change:
    """What rating a report changes. Raises `Conflict` unless it is responded or closed and not yet rated."""
    _ensure_ratable(item)
    rating: dict[str, Any] = {"score": score, "at": to_store(now)}
    if comment is not None:
        if sealer is not None:
            rating["sealed"] = sealer(comment)
        else:
            rating["comment"] = comment
    change = Change(
        item,
        expected_version=int(item.get("version", 1)),
        expected_status=RATABLE,
        require_absent=("rating",),
    )
    change.set_fields.update({"rating": rating, "updated_at": to_store(now)})
    change.timeline.append(timeline_entry(now, "rated", item["status"], "reporter", f"{score}/5"))
    change.event = new_event("rated", item["tracking_id"], item["agency_id"], now)
    return change


def _ensure_ratable(item: dict[str, Any]) -> None:
    if item["status"] not in RATABLE:
        raise Conflict("A report can be rated once it has been responded to.")
    if item.get("rating"):
        raise Conflict("This report was already rated.")


def request_photo_slot(tracking_id: str, access_code: str | None, content_type: str) -> AttachmentSlot:
    """An upload slot for one photo of the reporter's open report (at most `photos.MAX_PHOTOS`)."""

    item = unlocked_report(tracking_id, access_code, utcnow())
    if item["status"] not in OPEN:
        raise Conflict(f"The report is {item['status']}; it takes no more photos.")
    return reserve_slot(item, "reporter", content_type)


def support(tracking_id: str) -> SupportCount:
    """ "Dukung": one more supporter of a public report. Nothing about the supporter is stored."""
    canonical = parse_tracking_id(tracking_id)
    try:
        updated = store.apply_change(
            canonical,
            Change(
                require_equal={"confidential": False},
                add_fields={"support_count": 1},
                bump_version=False,
                returns="UPDATED_NEW",
            ),
        )
    except store.StaleReport:
        if store.get_report(canonical, store.KEY_ATTRIBUTES) is None:
            raise ReportNotFound() from None
        raise Conflict("Confidential reports are not shown publicly and cannot be supported.") from None
    count("ReportSupported")
    return {"tracking_id": canonical, "support_count": int(updated["support_count"])}

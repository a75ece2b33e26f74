"""The reporter's rights over their data, with the access code (issue 23; UU PDP Ps 6-8, recorded as Ps 14 asks).

- export: everything the table holds for the report, item by item, with what is sealed opened, next to the
  reporter's view (photos as links);
- correct the contact: the new contact replaces the old inside the sealed envelope (same rules as at
  submission);
- erase the contact: it leaves the sealed envelope and the report goes on as anonymous.

The access code opens the report exactly as for the private view (`reporter.unlocked_report`: the same 403 and
429 rules). Each use is recorded as a timeline entry only the reporter and the agency see (an item of its own,
`store.record_data_request`) and counted. A correction to the contact already stored and an erasure of a
contact already gone change nothing and record nothing, so a retry never counts twice.

The contact is re-sealed under the report's data key, which stays: the private messages and a confidential
report's text are sealed under it too and the report goes on. The old ciphertext is overwritten in the table at
once; the table's point-in-time backups keep it until they age out (docs/personal-data.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lapor import store
from lapor.config import settings
from lapor.crypto import open_fields, open_message, report_data_key, reseal_fields
from lapor.errors import Conflict, RateLimited
from lapor.events import commit
from lapor.lifecycle import CONTACT_CORRECTED, CONTACT_ERASED, DATA_EXPORTED, Change, data_request_entry
from lapor.observability import count
from lapor.reporter import opened_view, unlocked_report
from lapor.timefmt import to_public, to_store, utcnow
from lapor.views import erased, stored_items

if TYPE_CHECKING:
    from lapor.shapes import PersonalDataExport, ReporterReportView

# Exports and corrections a report may record per day (UTC): each is an item its views read back, so a loop
# must not grow them without end. Far more than a person needs; erasing the contact is never refused.
DATA_REQUESTS_PER_DAY = 10

# What stands in for a sealed value whose key is gone (the retention job erased it): nothing can open it.
UNREADABLE = "(erased: its key no longer exists)"


def export_personal_data(tracking_id: str, access_code: str | None) -> PersonalDataExport:
    """`GET /reports/{id}/private/export`: the report and its reporter as the table holds them, this request's
    own record included."""
    now = utcnow()
    item = unlocked_report(tracking_id, access_code, now)
    canonical = item["tracking_id"]
    _ensure_request_allowed(canonical, now)
    _record(canonical, DATA_EXPORTED, item["status"], now)
    items = store.report_items(canonical)
    whole = store.assemble(items) or item
    key = report_data_key(whole)

    def opened(sealed: Mapping[str, Any]) -> Any:
        if key is None:
            return UNREADABLE
        if "edk" in sealed:
            return open_fields(canonical, dict(sealed), key)
        return open_message(key, canonical, dict(sealed))

    time_zone = settings().time_zone
    count("PersonalDataExported")
    return {
        "tracking_id": canonical,
        "exported_at": to_public(to_store(now), time_zone) or "",
        "report": opened_view(whole, key),
        "erased": erased(whole, time_zone),
        "stored": stored_items(items, opened),
    }


def correct_contact(tracking_id: str, access_code: str | None, contact: dict[str, Any]) -> ReporterReportView:
    """`PATCH /reports/{id}/private/contact`: `contact` (validated as at submission) replaces the reporter's
    contact. 409 when the report holds none (anonymous, or erased)."""
    now = utcnow()
    item = unlocked_report(tracking_id, access_code, now)
    sealed = _sealed_contact(item)
    if sealed is None:
        raise Conflict("This report holds no contact data (it was sent anonymously, or the contact was erased).")
    key, fields = sealed
    if fields["reporter"] != contact:
        _ensure_request_allowed(item["tracking_id"], now)
        _reseal(item, key, {**fields, "reporter": contact}, {})
        _record(item["tracking_id"], CONTACT_CORRECTED, item["status"], now)
        count("ContactCorrected")
    return opened_view(store.read_report(item["tracking_id"]) or item, key)


def erase_contact(tracking_id: str, access_code: str | None) -> None:
    """`DELETE /reports/{id}/private/contact`: the contact leaves the report, which goes on as anonymous (the
    agency's timeline says the reporter erased it). Nothing to erase (anonymous, or erased before): done."""
    now = utcnow()
    item = unlocked_report(tracking_id, access_code, now)
    sealed = _sealed_contact(item)
    if sealed is None:
        return
    key, fields = sealed
    remaining = {k: v for k, v in fields.items() if k != "reporter"}
    _reseal(item, key, remaining, {"has_contact": False, "anonymous": True})
    _record(item["tracking_id"], CONTACT_ERASED, item["status"], now)
    count("ContactErased")


def _sealed_contact(item: dict[str, Any]) -> tuple[bytes, dict[str, Any]] | None:
    """The report's data key and its sealed fields, when they hold the reporter's contact; else None."""
    key = report_data_key(item)
    if key is None:
        return None
    fields = open_fields(item["tracking_id"], item["sealed"], key)
    return (key, fields) if fields.get("reporter") is not None else None


def _reseal(item: dict[str, Any], key: bytes, fields: dict[str, Any], plain: dict[str, Any]) -> None:
    """Store `fields` as the report's sealed fields (same data key) with the `plain` attributes, if the report
    is still the version read (409 otherwise)."""
    envelope = reseal_fields(item["tracking_id"], item["sealed"], key, fields)
    change = Change(item, expected_version=int(item.get("version", 1)), set_fields={"sealed": envelope, **plain})
    commit(item["tracking_id"], change)


def _ensure_request_allowed(tracking_id: str, now: datetime) -> None:
    """Refuse (429 until the next UTC day) an export or a correction past `DATA_REQUESTS_PER_DAY`."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if store.data_requests_since(tracking_id, to_store(day)) >= DATA_REQUESTS_PER_DAY:
        raise RateLimited(
            f"A report records {DATA_REQUESTS_PER_DAY} exports and corrections a day; try again tomorrow.",
            int((day + timedelta(days=1) - now).total_seconds()) + 1,
        )


def _record(tracking_id: str, event: str, status: str, now: datetime) -> None:
    store.record_data_request(tracking_id, data_request_entry(now, event, status))

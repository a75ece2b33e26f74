"""Deadlines enforced: escalate what is overdue one level up, close what was answered and left unanswered.

Runs from a schedule. It reads only the sparse `due` index (reports with a running deadline that has
passed), and every change is conditional on the report's deadline and version as read, so two runs for
the same moment, or two overlapping runs, change each report once; a run that dies half way leaves the
rest due, and the next run finishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lapor import stats, store
from lapor.calendar import add_working_days
from lapor.config import Settings, settings
from lapor.directory import Directory, current_directory
from lapor.events import new_event, outbox_due, publish
from lapor.lifecycle import CLEARED_DEADLINE, deadline_fields, timeline_entry
from lapor.observability import count, logger
from lapor.timefmt import to_store, utcnow

STAGE_DAYS = {"verify": "verify_working_days", "respond": "respond_working_days"}


def escalate_due_reports(
    now: datetime | None = None, page_size: int = 100, time_left: Callable[[], float] | None = None
) -> dict[str, int]:
    """Handle every report whose deadline passed by `now`; returns what was read and done."""
    now = now or utcnow()
    directory = current_directory()
    s = settings()
    summary = {"read": 0, "escalated": 0, "overdue": 0, "closed": 0, "skipped": 0}
    for page, scanned in store.due_pages(to_store(now), page_size):
        summary["read"] += scanned
        for item in page:
            try:
                outcome, event = _plan(item, directory, s, now)
                if event is not None:
                    publish(event)
            except store.StaleReport:
                outcome = "skipped"  # an agency acted meanwhile, or another run got there first
            summary[outcome] += 1
        if time_left is not None and time_left() < 10:
            break  # the next run picks up the rest: they are still due
    for outcome in ("escalated", "overdue", "closed"):
        if summary[outcome]:
            count(f"Deadline_{outcome}", summary[outcome])
    logger.info("deadline run", extra={**summary, "at": to_store(now)})
    return summary


def _plan(item: dict[str, Any], directory: Directory, s: Settings, now: datetime) -> tuple[str, dict[str, Any] | None]:
    tracking_id = item["tracking_id"]
    status, stage = item["status"], item.get("due_stage")
    change = store.Change(
        expected_version=int(item.get("version", 1)),
        expected_status=(status,),
        condition="#due = :seen",
        condition_names={"#due": "due_at"},
        condition_values={":seen": item["due_at"]},
    )
    before = stats.state(item)
    change.set_fields["updated_at"] = to_store(now)

    if stage == "auto_close" and status == "responded":
        change.set_fields.update(
            {
                "status": "closed",
                "status_pk": f"AGENCY#{item['agency_id']}#closed",
                "closed_at": to_store(now),
                **store.public_index_keys(item, "closed"),
            }
        )
        change.remove_fields.extend(CLEARED_DEADLINE)
        message = f"Ditutup otomatis: tidak ada jawaban pelapor dalam {s.auto_close_working_days} hari kerja."
        change.timeline.append(timeline_entry(now, "closed", "closed", "system", message))
        after = {**before, "status": "closed", "overdue": False}
        event = new_event("report.closed", tracking_id, item["agency_id"], now, stats=stats.deltas(before, after))
        outcome = "closed"
    elif status in ("submitted", "verified", "in_progress") and stage in STAGE_DAYS:
        current = directory.agency(item["agency_id"])
        parent = directory.agency(current.parent_id) if current and current.parent_id else None
        if parent is not None:
            days = getattr(s, STAGE_DAYS[stage])
            change.set_fields.update(
                {
                    "agency_id": parent.id,
                    "agency_name": parent.name,
                    "inbox_pk": f"AGENCY#{parent.id}",
                    "status_pk": f"AGENCY#{parent.id}#{status}",
                    **deadline_fields(stage, add_working_days(now, days, s.time_zone)),
                }
            )
            change.add_fields["escalation_level"] = 1
            message = f"{item['agency_name']} → {parent.name}"
            change.timeline.append(timeline_entry(now, "escalated", status, "system", message))
            after = {**before, "agency_id": parent.id, "overdue": False}
            event = new_event(
                "report.escalated",
                tracking_id,
                parent.id,
                now,
                previous_agency_id=item["agency_id"],
                stats=stats.deltas(before, after, escalated=True),
            )
            outcome = "escalated"
        else:
            # The top of the hierarchy: nobody above to take it. It stays overdue, flagged, out of the index.
            change.set_fields["overdue"] = True
            change.remove_fields.append("due_pk")
            after = {**before, "overdue": True}
            event = new_event("report.overdue", tracking_id, item["agency_id"], now, stats=stats.deltas(before, after))
            outcome = "overdue"
    else:
        change.remove_fields.extend(["due_pk"])  # nothing to enforce in this state: stop reading it
        change.bump_version = False
        store.apply_change(tracking_id, change)
        return "skipped", None
    change.outbox_event = event
    change.outbox_at = outbox_due(now)
    store.apply_change(tracking_id, change)
    return outcome, event

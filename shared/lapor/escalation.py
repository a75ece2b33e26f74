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
from lapor.directory import Directory
from lapor.events import publish
from lapor.lifecycle import AUTO_CLOSE, Change, new_event, timeline_entry
from lapor.observability import count, logger
from lapor.statuses import AGENCY_OWES
from lapor.store import current_directory
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
            outcome, change = plan_deadline(item, directory, s, now)
            try:
                store.apply_change(item["tracking_id"], change)
                if change.event is not None:
                    publish(change.event)
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


def plan_deadline(item: dict[str, Any], directory: Directory, s: Settings, now: datetime) -> tuple[str, Change]:
    """What a passed deadline changes, and the outcome: "closed" (answered, no reply from the reporter),
    "escalated" (one level up), "overdue" (nobody above) or "skipped" (nothing to enforce in its state).

    Conditional on the deadline and version as read, so that each report changes once.
    """
    status, stage = item["status"], item.get("due_stage")
    change = Change(
        item,
        expected_version=int(item.get("version", 1)),
        expected_status=(status,),
        require_equal={"due_at": item["due_at"]},
        set_fields={"updated_at": to_store(now)},
    )
    before = stats.state(item)
    if stage == "auto_close" and status in AUTO_CLOSE.allowed_from:
        closed = AUTO_CLOSE.to or status
        change.status, change.clear_deadline = closed, True
        change.set_fields["closed_at"] = to_store(now)
        message = f"Ditutup otomatis: tidak ada jawaban pelapor dalam {s.auto_close_working_days} hari kerja."
        change.timeline.append(timeline_entry(now, AUTO_CLOSE.event, closed, "system", message))
        deltas = stats.deltas(before, {**before, "status": closed, "overdue": False})
        change.event = new_event(AUTO_CLOSE.event, item["tracking_id"], item["agency_id"], now, stats=deltas)
        return "closed", change
    if status not in AGENCY_OWES or stage not in STAGE_DAYS:
        change.unenforce_deadline, change.bump_version = True, False  # nothing to enforce: stop reading it
        return "skipped", change
    current = directory.agency(item["agency_id"])
    parent = directory.agency(current.parent_id) if current and current.parent_id else None
    if parent is None:
        # The top of the hierarchy: nobody above to take it. It stays overdue, flagged, out of the index.
        change.overdue = True
        deltas = stats.deltas(before, {**before, "overdue": True})
        change.event = new_event("overdue", item["tracking_id"], item["agency_id"], now, stats=deltas)
        return "overdue", change
    change.agency, change.scope = (parent.id, parent.name), directory.coordinators(parent.id)
    change.due_stage = stage
    change.due_at = add_working_days(now, getattr(s, STAGE_DAYS[stage]), s.time_zone)
    change.add_fields["escalation_level"] = 1
    change.timeline.append(timeline_entry(now, "escalated", status, "system", f"{item['agency_name']} → {parent.name}"))
    deltas = stats.deltas(before, {**before, "agency_id": parent.id, "overdue": False}, escalated=True)
    change.event = new_event(
        "escalated", item["tracking_id"], parent.id, now, previous_agency_id=item["agency_id"], stats=deltas
    )
    return "escalated", change

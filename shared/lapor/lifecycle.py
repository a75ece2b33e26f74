"""The report lifecycle: which action is allowed from which status, and what each one changes.

Pure domain logic: it plans a `store.Change` (status, deadline, index keys, timeline entry, event)
that the store applies in one conditional write. Nothing here talks to AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lapor import stats, store
from lapor.calendar import add_working_days, working_days_between
from lapor.config import Settings
from lapor.directory import Agency
from lapor.errors import Conflict, FieldProblem, ValidationFailed
from lapor.events import new_event, outbox_due, publish
from lapor.store import DUE_PK, Change
from lapor.timefmt import from_store, to_store

OPEN_STATUSES = ("submitted", "verified", "in_progress", "responded")


@dataclass(frozen=True)
class Transition:
    allowed_from: tuple[str, ...]
    to: str | None  # None: the status stays as it is
    event: str  # timeline event
    needs_message: bool = False


TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(("submitted",), "verified", "verified"),
    "transfer": Transition(("submitted", "verified", "in_progress"), "submitted", "transferred"),
    "start": Transition(("verified",), "in_progress", "in_progress"),
    "respond": Transition(("verified", "in_progress"), "responded", "responded", needs_message=True),
    "extend": Transition(("verified", "in_progress"), None, "extended", needs_message=True),
    "reject": Transition(("submitted", "verified"), "rejected", "rejected", needs_message=True),
    "close": Transition(("responded",), "closed", "closed"),
}

MessageSealer = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class ActionRequest:
    """An agency's action, already validated field by field."""

    action: str
    message: str | None = None
    private: bool = False
    agency_id: str | None = None
    due_at: datetime | None = None


def timeline_entry(
    at: datetime,
    event: str,
    status: str,
    actor: str,
    message: str | None = None,
    private: bool = False,
    sealer: MessageSealer | None = None,
) -> dict[str, Any]:
    """A timeline entry; its message sealed when the report is confidential (`sealer` given)."""
    entry: dict[str, Any] = {"at": to_store(at), "event": event, "status": status, "actor": actor}
    if private:
        entry["private"] = True
    if message is not None:
        if sealer is not None:
            entry["sealed"] = sealer(message)
        else:
            entry["message"] = message
    return entry


def deadline_fields(stage: str, due: datetime) -> dict[str, Any]:
    """A running deadline: shown as due_at, and the report joins the sparse due index."""
    return {"due_at": to_store(due), "due_stage": stage, "due_pk": DUE_PK}


CLEARED_DEADLINE = ["due_at", "due_stage", "due_pk", "overdue"]


def plan_action(
    report: dict[str, Any],
    request: ActionRequest,
    actor: Agency,
    new_agency: Agency | None,
    settings: Settings,
    now: datetime,
    expected_version: int,
    sealer: MessageSealer | None,
) -> Change:
    """What an agency action changes, its event included. Raises `Conflict` if the status does not allow it."""
    transition = TRANSITIONS[request.action]
    status = report["status"]
    if status not in transition.allowed_from:
        raise Conflict(f"'{request.action}' is not allowed while the report is {status}.")
    tracking_id = report["tracking_id"]
    agency_id = report["agency_id"]
    new_status = transition.to or status
    first_response_days: int | None = None
    change = Change(expected_version=expected_version, expected_status=(status,))
    fields = change.set_fields
    fields.update({"status": new_status, "updated_at": to_store(now), "status_pk": f"AGENCY#{agency_id}#{new_status}"})
    extra: dict[str, Any] = {}

    if request.action == "verify":
        fields.update(
            deadline_fields("respond", add_working_days(now, settings.respond_working_days, settings.time_zone))
        )
        change.remove_fields.append("overdue")
    elif request.action == "transfer":
        assert new_agency is not None
        if new_agency.id == agency_id:
            raise Conflict("The report is already with this agency.")
        fields.update(
            {
                "agency_id": new_agency.id,
                "agency_name": new_agency.name,
                "inbox_pk": f"AGENCY#{new_agency.id}",
                "status_pk": f"AGENCY#{new_agency.id}#submitted",
                **deadline_fields("verify", add_working_days(now, settings.verify_working_days, settings.time_zone)),
            }
        )
        change.remove_fields.append("overdue")
        extra["previous_agency_id"] = agency_id
    elif request.action == "respond":
        fields.update(
            deadline_fields("auto_close", add_working_days(now, settings.auto_close_working_days, settings.time_zone))
        )
        fields["responded_at"] = to_store(now)
        if not report.get("first_response_at"):
            fields["first_response_at"] = to_store(now)
            first_response_days = working_days_between(from_store(report["submitted_at"]), now, settings.time_zone)
        change.remove_fields.append("overdue")
    elif request.action == "extend":
        assert request.due_at is not None
        latest = from_store(report["submitted_at"]) + timedelta(days=settings.max_total_days)
        if request.due_at <= now or request.due_at > latest:
            raise ValidationFailed(
                [
                    FieldProblem(
                        ("body", "due_at"),
                        f"must be later than now and at most {settings.max_total_days} days after submission",
                    )
                ]
            )
        fields.update(deadline_fields(report.get("due_stage", "respond"), request.due_at))
        change.remove_fields.append("overdue")
    elif request.action in ("reject", "close"):
        change.remove_fields.extend(CLEARED_DEADLINE)
        fields["closed_at"] = to_store(now)
        fields.update(store.public_index_keys(report, new_status))  # the public listing shows it closed

    change.timeline.append(
        timeline_entry(now, transition.event, new_status, actor.name, request.message, request.private, sealer)
    )
    target = fields.get("agency_id", agency_id)
    after = {
        "status": new_status,
        "agency_id": target,
        "overdue": bool(report.get("overdue")) and "overdue" not in change.remove_fields,
    }
    extra["stats"] = stats.deltas(stats.state(report), after, first_response_days=first_response_days)
    event = new_event(f"report.{transition.event}", tracking_id, target, now, **extra)
    change.outbox_event = event
    change.outbox_at = outbox_due(now)
    return change


def commit(
    tracking_id: str, change: Change, stale: str = "The report changed meanwhile; reload it and try again."
) -> dict[str, Any]:
    """Apply a planned change in one conditional write, then send its event (the outbox has it either way);
    returns the report as it now is, every message included.

    Raises `Conflict` (409) when another change got there first.
    """
    try:
        store.apply_change(tracking_id, change)
    except store.StaleReport:
        raise Conflict(stale) from None
    if change.outbox_event is not None:
        publish(change.outbox_event)
    updated = store.read_report(tracking_id)  # the answer shows every message: one Query
    if updated is None:
        raise Conflict(stale)
    return updated

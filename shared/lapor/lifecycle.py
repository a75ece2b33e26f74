"""The report lifecycle: which action is allowed from which status, and what each one changes.

Pure domain logic: it plans a `Change` (status, agency, deadline, timeline entry, event) that the store
alone turns into keys and one conditional write (`events.commit`). Nothing here talks to AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lapor import stats
from lapor.calendar import add_working_days, working_days_between
from lapor.config import Settings
from lapor.directory import Agency
from lapor.errors import Conflict, FieldProblem, ValidationFailed
from lapor.statuses import CLOSED
from lapor.timefmt import from_store, to_store


@dataclass(frozen=True)
class Transition:
    allowed_from: tuple[str, ...]
    to: str | None  # None: the status stays as it is
    event: str  # timeline event


TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(("submitted",), "verified", "verified"),
    "transfer": Transition(("submitted", "verified", "in_progress"), "submitted", "transferred"),
    "start": Transition(("verified",), "in_progress", "in_progress"),
    "respond": Transition(("verified", "in_progress"), "responded", "responded"),
    "extend": Transition(("verified", "in_progress"), None, "extended"),
    "reject": Transition(("submitted", "verified"), "rejected", "rejected"),
    "close": Transition(("responded",), "closed", "closed"),
    # Bukan wewenang: the office is not responsible; the report goes back to the coordinator one level up
    # (the agency's parent), whose verification clock starts again (`plan_action`), to be transferred on.
    "not_responsible": Transition(("submitted", "verified", "in_progress"), "submitted", "not_responsible"),
    # A coordinator gives an open report to one officer (or another one): who works on it, not who is
    # responsible. No status, deadline, timeline entry or event changes; the audit trail records it.
    "assign": Transition(("submitted", "verified", "in_progress", "responded"), None, "assigned"),
}
# Actions only a coordinator (a dispatcher, or a role above it) may take.
COORDINATOR_ACTIONS = frozenset({"assign"})
# Actions that change no timeline and send no event (internal to the agency; the audit trail has them).
INTERNAL_ACTIONS = frozenset({"assign"})
# Keyed by the actions `lapor.models.AgencyAction` accepts; the contract states them from here (`lapor.openapi`).
# Two moves no agency asks for follow the same rules: a reporter's message after a response reopens the report
# (`reporter.plan_message`), and a response nobody answered in time is closed as `close` would (`escalation`).
REOPEN = Transition(("responded",), "in_progress", "reopened")
AUTO_CLOSE = TRANSITIONS["close"]

# A report's events (`report.<event>`): one per move above, and one for each step that changes no status.
STEPS = ("submitted", "reporter_replied", "rated", "escalated", "overdue")
EVENTS = frozenset((*STEPS, REOPEN.event, *(t.event for t in TRANSITIONS.values())))


@dataclass
class Change:
    """One atomic, conditional change to a report, said in the domain's words; the store alone turns it into
    keys, index attributes and a single UpdateItem.

    `seen` is the report as read, that the change was planned from (it places the report in the indexes).
    Conditions: `expected_version` guards against lost updates (the report's `version` is bumped by one);
    `expected_status` must contain the current status; `require_absent` fields must not exist and
    `require_equal` fields must hold the given values (unchanged since read, or a rule such as "not
    confidential"). Effects: move to a `status` and/or an `agency` (id, name) with its `scope`: the inboxes
    (the coordinators' too) and the public listing follow, and an assignment ends; start a deadline
    (`due_stage` falling due at `due_at`), or end it (`clear_deadline`), flag it `overdue` or stop enforcing
    it (`unenforce_deadline`), both leaving the due index; `event` goes into the report's outbox in the same
    write, so it cannot be lost; the messages of `timeline` entries are
    stored in items of their own; `set_fields`, `remove_fields` and `add_fields` change plain attributes.
    """

    seen: Mapping[str, Any] = field(default_factory=dict)
    expected_version: int | None = None
    expected_status: tuple[str, ...] = ()
    require_absent: tuple[str, ...] = ()
    require_equal: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    agency: tuple[str, str] | None = None
    scope: Mapping[str, str] | None = None  # with `agency`: its coordinators (`Directory.coordinators`)
    due_stage: str | None = None
    due_at: datetime | None = None
    clear_deadline: bool = False
    overdue: bool = False
    unenforce_deadline: bool = False
    set_fields: dict[str, Any] = field(default_factory=dict)
    remove_fields: list[str] = field(default_factory=list)
    add_fields: dict[str, int] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    event: dict[str, Any] | None = None
    bump_version: bool = True
    returns: str = "NONE"  # what apply_change answers: NONE, or UPDATED_NEW for the changed attributes


def new_event(event: str, tracking_id: str, agency_id: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """The `report.<event>` event, ready for the outbox and the queue."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    created = dict(
        event_id=uuid.uuid4().hex, type=f"report.{event}", tracking_id=tracking_id, agency_id=agency_id, at=to_store(at)
    )
    return created | {k: v for k, v in extra.items() if v is not None and v != {}}


MessageSealer = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class ActionRequest:
    """An agency's action, already validated field by field."""

    action: str
    message: str | None = None
    private: bool = False
    agency_id: str | None = None
    due_at: datetime | None = None
    assignee_sub: str | None = None  # assign: who, as the request names them
    assignee: Mapping[str, str] | None = None  # assign: their sub, name and agency (`agency.Officer.as_assignee`)


def timeline_entry(
    at: datetime,
    event: str,
    status: str,
    actor: str,
    message: str | None = None,
    private: bool = False,
    sealer: MessageSealer | None = None,
) -> dict[str, Any]:
    """A timeline entry; its message sealed when the public may not read it (`sealer` given: a private message,
    or any message of a confidential report, see `lapor.crypto.message_sealer`)."""
    entry: dict[str, Any] = {"at": to_store(at), "event": event, "status": status, "actor": actor}
    if private:
        entry["private"] = True
    if message is not None:
        if sealer is not None:
            entry["sealed"] = sealer(message)
        else:
            entry["message"] = message
    return entry


def ensure_allowed(report: dict[str, Any], action: str) -> Transition:
    """The action's transition, if the report's status allows it; else `Conflict`. Checked before anything
    is prepared for it (a closed report may have had its data key erased: there is nothing to seal with)."""
    transition = TRANSITIONS[action]
    if report["status"] not in transition.allowed_from:
        raise Conflict(f"'{action}' is not allowed while the report is {report['status']}.")
    return transition


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
    transition = ensure_allowed(report, request.action)
    status = report["status"]
    agency_id = report["agency_id"]
    new_status = transition.to or status
    first_response_days: int | None = None
    change = Change(report, expected_version=expected_version, expected_status=(status,), status=new_status)
    fields = change.set_fields
    fields["updated_at"] = to_store(now)
    extra: dict[str, Any] = {}

    def deadline(stage: str, working_days: int) -> None:
        change.due_stage, change.due_at = stage, add_working_days(now, working_days, settings.time_zone)

    if request.action == "verify":
        deadline("respond", settings.respond_working_days)
    elif request.action in ("transfer", "not_responsible"):
        # Both move the report to another agency whose verification (disposition) clock starts anew: the
        # coordinator has `verify_working_days` to transfer a returned report to the right office.
        assert new_agency is not None
        if new_agency.id == agency_id:
            raise Conflict("The report is already with this agency.")
        change.agency = (new_agency.id, new_agency.name)
        deadline("verify", settings.verify_working_days)
        extra["previous_agency_id"] = agency_id
    elif request.action == "assign":
        assert request.assignee is not None
        if (report.get("assignee") or {}).get("sub") == request.assignee["sub"]:
            raise Conflict("The report is already assigned to this officer.")
        fields["assignee"] = dict(request.assignee)
        return change
    elif request.action == "respond":
        deadline("auto_close", settings.auto_close_working_days)
        fields["responded_at"] = to_store(now)
        if not report.get("first_response_at"):
            fields["first_response_at"] = to_store(now)
            first_response_days = working_days_between(from_store(report["submitted_at"]), now, settings.time_zone)
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
        change.due_stage, change.due_at = report.get("due_stage", "respond"), request.due_at
    elif request.action in ("reject", "close"):
        change.clear_deadline = True
        fields["closed_at"] = to_store(now)

    change.timeline.append(
        timeline_entry(now, transition.event, new_status, actor.name, request.message, request.private, sealer)
    )
    target = change.agency[0] if change.agency else agency_id
    # A deadline that starts or ends takes the overdue flag with it.
    overdue = bool(report.get("overdue")) and change.due_at is None and not change.clear_deadline
    after = {"status": new_status, "agency_id": target, "overdue": overdue}
    extra["stats"] = stats.deltas(stats.state(report), after, first_response_days=first_response_days)
    change.event = new_event(transition.event, report["tracking_id"], target, now, **extra)
    return change


ERASED = "personal_data_erased"  # the timeline's record that a report's personal data was destroyed
# The reporter's rights over their data (UU PDP Ps 6-8, recorded as Ps 14 asks): timeline events that only the
# reporter and the agency see. `CONTACT_ERASED` also says, from then on, that the reporter erased their contact.
DATA_EXPORTED, CONTACT_CORRECTED, CONTACT_ERASED = "data_exported", "contact_corrected", "contact_erased"
DATA_REQUESTS = frozenset((DATA_EXPORTED, CONTACT_CORRECTED, CONTACT_ERASED))


def retention_start(report: Mapping[str, Any]) -> str | None:
    """When a closed or rejected report's retention period started (stored time: when it closed, else its last
    change), for a report that never entered the retention index (closed before retention was deployed); None
    when it is not closed, or already erased (its timeline says so: the index has nothing more to do)."""
    if report.get("status") not in CLOSED:
        return None
    if any(entry.get("event") == ERASED for entry in report.get("timeline") or []):
        return None
    started: str | None = report.get("closed_at") or report.get("updated_at")
    return started


def data_request_entry(at: datetime, event: str, status: str) -> dict[str, Any]:
    """The timeline entry recording one use of a right by the reporter (private: never on a public view)."""
    if event not in DATA_REQUESTS:
        raise ValueError(f"unknown data request {event}")
    return timeline_entry(at, event, status, "reporter", private=True)


@dataclass(frozen=True)
class Erasure:
    """What erasing a closed report's personal data changes besides its sealed envelope and its PRIVATE#
    items: the timeline `entry`, the attributes `kept` in their new form (None: removed), and the photos
    whose files go (`(attachment id, stored copy too)`: every upload's original; a confidential report's
    stored copy as well, a public report's stays with its public record)."""

    entry: dict[str, Any]
    kept: dict[str, Any]
    photos: list[tuple[str, bool]]


def plan_erasure(report: Mapping[str, Any], now: datetime) -> Erasure:
    """What the retention job does to one report whose retention period is over (pure)."""
    confidential = bool(report.get("confidential"))
    kept: dict[str, Any] = {}
    rating = report.get("rating")
    if rating and ("comment" in rating or "sealed" in rating):
        kept["rating"] = {k: v for k, v in rating.items() if k not in ("comment", "sealed")}
    attachments = report.get("attachments") or {}
    if confidential and attachments:
        kept["attachments"] = None
    photos = [(attachment_id, confidential and a.get("status") == "stored") for attachment_id, a in attachments.items()]
    return Erasure(timeline_entry(now, ERASED, report["status"], "system"), kept, photos)

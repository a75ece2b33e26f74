"""Use cases of the agency API: the inbox, one report, and actions on it.

Object-level authorization lives here: an officer acts on the reports their agency is responsible for;
a dispatcher also on those of every agency below theirs. Every report an officer opens (decrypted, the
reporter's identity included), and every action, is first recorded in the report's internal audit trail with
the officer's `sub` (the token's subject), so who saw a reporter's identity is answerable; the record is never
shown in a view. The inbox shows no identity and decrypts nothing, so listing it is not recorded (issue 23).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lapor import store
from lapor.config import settings
from lapor.crypto import message_sealer, open_report, report_data_key, sealing_key
from lapor.directory import Agency, Directory
from lapor.errors import (
    ConfigurationError,
    Conflict,
    FieldProblem,
    Forbidden,
    LaporError,
    NotFound,
    ReportNotFound,
    Unauthorized,
    ValidationFailed,
)
from lapor.events import commit
from lapor.ids import parse_tracking_id
from lapor.lifecycle import ActionRequest, Change, ensure_allowed, plan_action, plan_merge
from lapor.nearby import MAX_WIDE, WIDE_RADIUS_M, find_nearby, nearby_view
from lapor.observability import count, log_fields, logger
from lapor.photos import photo_views, reserve_slot
from lapor.statuses import AGENCY_OWES, OPEN, ROLES
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow
from lapor.views import for_agency, for_inbox

if TYPE_CHECKING:
    from lapor.shapes import AgencyReportView, AttachmentSlot, InboxPage, NearbyReport, OfficerList

PAGE_SIZE, MAX_PAGE = 20, 100  # inbox reports per page: by default, at most
MAX_EXPORT = 5000  # rows of one CSV export: a regency's month is far below this
EXPORT_COLUMNS = (
    "tracking_id",
    "kind",
    "category",
    "status",
    "submitted_at",
    "updated_at",
    "due_at",
    "overdue",
    "escalation_level",
    "agency_id",
    "original_agency_id",
    "open311_key_id",
)


@dataclass(frozen=True)
class Officer:
    """Who is calling, from the authorizer's claims (Cognito in AWS, dev tokens locally)."""

    agency_id: str
    role: str
    sub: str  # the token's subject: who the officer is in this user pool
    # The name they sign in with (their work email): the audit trail stays readable if the pool is replaced.
    username: str

    @classmethod
    def from_claims(cls, claims: dict[str, str], directory: Directory) -> Officer:
        agency_id, role = claims.get("custom:agency_id"), claims.get("custom:role", "officer")
        sub = claims.get("sub")
        if not agency_id:
            raise Unauthorized("The token carries no agency.")
        if not sub:
            raise Unauthorized("The token carries no subject.")
        if role not in ROLES or directory.agency(agency_id) is None:
            raise Forbidden("This token's agency or role is not known here.")
        # A token of a disabled, signed-out or changed account is refused before anything is read (one GetItem:
        # an ID token stays valid for its hour whatever happens to the account; docs/regency-admin.md).
        refused_before = store.tokens_refused_before(sub)
        if refused_before is not None and issued_at(claims) <= refused_before:
            raise Unauthorized("This sign-in has ended; sign in again.")
        username = claims.get("email") or claims.get("cognito:username") or sub
        return cls(agency_id=agency_id, role=role, sub=sub, username=username)

    def record(self, item: dict[str, Any], access: str, **details: Any) -> None:
        """Record in the report's audit trail that this officer is about to see or change it."""
        entry = {
            "officer_sub": self.sub,
            "officer_username": self.username,
            "officer_agency_id": self.agency_id,
            "role": self.role,
            "access": access,
        }
        store.append_audit(item["tracking_id"], to_store(utcnow()), {**entry, **details})

    @property
    def coordinates(self) -> bool:
        """A coordinator (dispatcher, or a role above it): sees the agencies below, assigns and disposes."""
        return self.role in ROLES[ROLES.index("dispatcher") :]

    def scope(self, directory: Directory) -> set[str]:
        """The agencies whose reports this officer may see and act on."""
        agencies = {self.agency_id}
        if self.coordinates:
            agencies |= directory.descendants(self.agency_id)
        return agencies

    def as_assignee(self) -> dict[str, str]:
        """What a report assigned to this officer stores of them: the name shown, without a Cognito call."""
        return {"sub": self.sub, "name": self.username, "agency_id": self.agency_id}

    def enroll(self) -> None:
        """Keep this officer in the roster coordinators assign from (`store.enroll_officer`: written at most
        once a day per officer, or when their name, agency or role changed). A warm function remembers whom it
        enrolled today, so an inbox page costs no write."""
        record = {**self.as_assignee(), "role": self.role}
        now = time.monotonic()
        known = _enrolled.get(self.sub)
        if known is not None and known[0] == record and now - known[1] < ENROLL_EVERY_SECONDS:
            return
        store.enroll_officer(record, utcnow())
        _enrolled[self.sub] = (record, now)


ENROLL_EVERY_SECONDS = 3600
_enrolled: dict[str, tuple[dict[str, str], float]] = {}  # sub -> what was enrolled, when (monotonic)


def forget_enrolled() -> None:
    """Forget whom this function enrolled (tests: a fresh table has no roster)."""
    _enrolled.clear()


def issued_at(claims: dict[str, str]) -> int:
    """When the token was issued, in epoch seconds: API Gateway's Cognito authorizer passes `iat` as a date
    ("Sun Dec 06 15:41:57 UTC 2026"); a token without one counts as issued at 0 (the oldest)."""
    value = claims.get("iat", "")
    if value.isdigit():
        return int(value)
    try:
        return int(datetime.strptime(value, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


def agency_view(item: dict[str, Any], data_key: bytes | None = None) -> AgencyReportView:
    """The agency's view of a stored report (decrypting it needs one KMS call)."""
    key = data_key if data_key is not None else report_data_key(item)
    shown, secret = open_report(item, key)
    time_zone = settings().time_zone
    return for_agency(shown, time_zone, secret, photo_views(item, "agency", time_zone))


def _authorized_report(officer: Officer, tracking_id: str, directory: Directory, whole: bool = True) -> dict[str, Any]:
    """The report, if the officer may see it: `whole` with its timeline (a Query), else the item alone."""
    item = store.read_report(tracking_id) if whole else store.get_report(tracking_id, store.VIEW_ATTRIBUTES)
    if item is None:
        raise ReportNotFound()
    if item["agency_id"] not in officer.scope(directory):
        raise Forbidden("This report is handled by another agency.")
    return item


def get_report(claims: dict[str, str], tracking_id: str) -> AgencyReportView:
    """One report, everything decrypted, if the officer's agency may see it."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory)
    officer.record(item, "read", version=int(item.get("version", 1)))
    return agency_view(item)


def nearby_candidates(claims: dict[str, str], tracking_id: str) -> list[NearbyReport]:
    """Open public reports of the same category near this one, of the officer's scope: what it may be marked a
    duplicate of. Nothing is decrypted (a confidential report's location is sealed: it has no candidates)."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory, whole=False)
    officer.record(item, "nearby")  # the candidates show where the report is: recorded as any look at it
    location = item.get("location") or {}
    if item.get("confidential") or location.get("lat") is None or location.get("lon") is None:
        return []
    scope = officer.scope(directory)
    found = find_nearby(
        float(location["lat"]), float(location["lon"]), WIDE_RADIUS_M, item["category"], store.ReadCount(), exact=True
    )
    candidates = [pair for pair in found if pair[1]["tracking_id"] != tracking_id and pair[1]["agency_id"] in scope]
    time_zone = settings().time_zone
    return [nearby_view(distance, other, time_zone) for distance, other in candidates[:MAX_WIDE]]


def request_photo_slot(claims: dict[str, str], tracking_id: str, content_type: str) -> AttachmentSlot:
    """An upload slot for one photo the officer attaches to an open report their agency may act on."""

    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory)
    officer.record(item, "attach_photo")
    if item["status"] not in OPEN:
        raise Conflict(f"The report is {item['status']}; it takes no more photos.")
    return reserve_slot(item, "agency", content_type)


def set_photo_visibility(
    claims: dict[str, str], tracking_id: str, attachment_id: str, public: bool
) -> AgencyReportView:
    """Show one stored photo on public pages or take it off them, as an officer of the report's agency."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory, whole=False)
    officer.record(item, "photo_visibility", attachment_id=attachment_id, public=public)
    attachment = (item.get("attachments") or {}).get(attachment_id)
    if attachment is None:
        raise NotFound("This report has no photo with that id.")
    if not store.set_photo_public(tracking_id, attachment_id, public, officer.sub, to_store(utcnow())):
        raise Conflict("Only a stored photo can be shown; this one is being processed or was refused.")
    return agency_view(store.read_report(tracking_id) or item)


def list_inbox(
    claims: dict[str, str], status: str | None, limit: int, before: str | None, mine: bool = False
) -> InboxPage:
    """A page of `limit` reports of the officer's inbox (in `status`, after the cursor `before`), newest first;
    a coordinator's spans the agencies below too; `mine`: only the open reports assigned to the caller. Nothing
    is decrypted and nothing about a reporter is shown, so nothing is recorded: only opening a report
    (`get_report`) shows the identity, and is recorded.

    One query per page: an officer's from their agency's inbox, a coordinator's from the index of their
    level (`store.inbox_page`'s `level`), whatever the number of offices below."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    officer.enroll()
    scope = officer.scope(directory)
    if mine:
        found = store.assigned_page(officer.sub, status, before, limit + 1)
    else:
        found = _scope_page(officer.agency_id, scope, directory, status, before, limit + 1)
    page, more = found[:limit], len(found) > limit
    time_zone = settings().time_zone
    return {
        # Assigned within the caller's scope when it was made; an officer who moved since sees only what is
        # still theirs to see (the page may then be short; the cursor still goes on from where it stopped).
        "items": [for_inbox(item, time_zone) for item in page if item["agency_id"] in scope],
        "next_cursor": store.inbox_cursor(page[-1]) if more and page else None,
    }


def _scope_page(
    agency_id: str, scope: set[str], directory: Directory, status: str | None, before: str | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` reports of the agencies in `scope` (`agency_id` and those below it), newest first: one
    query on the agency's inbox, or on the coordinators' index of its level, whatever the number of offices."""
    if len(scope) == 1:
        return store.inbox_page(agency_id, status, before, limit)
    if directory.scope_served_by_level(agency_id):
        return store.inbox_page(agency_id, status, before, limit, level=directory.agencies[agency_id].level)
    # A directory the coordinators' indexes do not fit (an agency below at the coordinator's own level): one
    # query per agency in scope, each already newest first and starting after the cursor; merged.
    merged: list[dict[str, Any]] = []
    for one in sorted(scope):
        merged.extend(store.inbox_page(one, status, before, limit))
    merged.sort(key=store.inbox_cursor, reverse=True)
    return merged[:limit]


def list_officers(claims: dict[str, str]) -> OfficerList:
    """The officers a report in the caller's scope can be assigned to (the roster: those who have used lapor),
    by agency then name. Only a coordinator assigns, so only a coordinator lists them."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    if not officer.coordinates:
        raise Forbidden("Only a coordinator (dispatcher) assigns reports.")
    scope = officer.scope(directory)
    officers = [o for o in store.roster() if o.get("agency_id") in scope]
    officers.sort(key=lambda o: (o["agency_id"], o["name"]))
    return {
        "items": [
            {"sub": o["sub"], "name": o["name"], "agency_id": o["agency_id"], "role": o["role"]} for o in officers
        ]
    }


def _is_overdue(item: dict[str, Any], now: str) -> bool:
    """Flagged at the top of the hierarchy, or past its deadline and not yet escalated by the schedule."""
    if item["status"] not in AGENCY_OWES:
        return False
    late = store.deadline_enforced(item) and bool(item.get("due_at")) and item["due_at"] < now
    return bool(item.get("overdue")) or late


def export_csv(
    claims: dict[str, str], status: str | None, category: str | None, agency_id: str | None, overdue: bool
) -> str:
    """The filtered inbox as CSV: identifiers, status and dates only, never content or reporter data.

    A category that matches nothing gives an empty list; an agency outside the caller's scope is refused.
    Read straight from the stored items, so nothing is decrypted (and no KMS call is made).
    """
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    scope = officer.scope(directory)
    if agency_id is not None and agency_id not in scope:
        raise Forbidden("This token may not see that agency's reports.")
    now = to_store(utcnow())
    time_zone = settings().time_zone
    rows: list[dict[str, Any]] = []
    if agency_id is not None:  # that agency alone (a coordinator's filter)
        found = store.inbox_page(agency_id, status, None, MAX_EXPORT)
    else:
        found = _scope_page(officer.agency_id, scope, directory, status, None, MAX_EXPORT)
    for item in found:
        if category and item["category"] != category:
            continue
        if overdue and not _is_overdue(item, now):
            continue
        rows.append(item)
    out = io.StringIO()
    writer = csv.DictWriter(out, EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in rows[:MAX_EXPORT]:
        writer.writerow(
            {
                **{column: item.get(column) for column in EXPORT_COLUMNS},  # as stored, unless shown otherwise:
                "submitted_at": to_public(item["submitted_at"], time_zone),
                "updated_at": to_public(item["updated_at"], time_zone),
                "due_at": to_public(item.get("due_at"), time_zone) or "",
                "overdue": "1" if _is_overdue(item, now) else "0",
                "escalation_level": int(item.get("escalation_level", 0)),
                "original_agency_id": item.get("original_agency_id", item["agency_id"]),
            }
        )
    return out.getvalue()


def _disposed_to(officer: Officer, item: dict[str, Any], request: ActionRequest, directory: Directory) -> Agency | None:
    """The agency a transfer or a `not_responsible` moves the report to (None for the other actions).

    Bukan wewenang is said by the responsible agency itself, and returns the report to its coordinator one
    level up (the agency's parent); at the top of the hierarchy there is nobody to return it to."""
    if request.action == "transfer":
        new_agency = directory.agency(request.agency_id or "")
        if new_agency is None:
            raise ValidationFailed([FieldProblem(("body", "agency_id"), "is not an agency of GET /agencies")])
        return new_agency
    if request.action == "not_responsible":
        if item["agency_id"] != officer.agency_id:
            raise Forbidden("Only the responsible agency's officers can say the report is not theirs.")
        here = directory.agency(item["agency_id"])
        parent = directory.agency(here.parent_id) if here and here.parent_id else None
        if parent is None:
            raise Conflict("This agency has no coordinator above it to return the report to.")
        return parent
    return None


def _assignee(officer: Officer, item: dict[str, Any], request: ActionRequest, directory: Directory) -> dict[str, str]:
    """Who `assign` gives the report to: the caller, or an officer of the roster (`list_officers`) who may see
    the report; only a coordinator assigns."""
    if not officer.coordinates:
        raise Forbidden("Only a coordinator (dispatcher) assigns reports.")
    wanted = request.assignee_sub or ""
    if wanted == officer.sub:
        return officer.as_assignee()
    found = store.rostered_officer(wanted)
    if found is None or found["agency_id"] not in officer.scope(directory) or found["role"] not in ROLES:
        raise ValidationFailed([FieldProblem(("body", "assignee_sub"), "is not an officer of GET /agency/officers")])
    assignee = Officer(found["agency_id"], found["role"], found["sub"], found["name"])
    if item["agency_id"] not in assignee.scope(directory):
        raise ValidationFailed([FieldProblem(("body", "assignee_sub"), "is an officer who may not see this report")])
    return assignee.as_assignee()


def _duplicate(
    officer: Officer, directory: Directory, item: dict[str, Any], request: ActionRequest
) -> tuple[ActionRequest, tuple[str, Change]]:
    """`mark_duplicate`: the request with the original's canonical Tracking ID, and the original's change. The
    original must be another open, public report of the officer's scope; neither may be confidential (the public
    pointer would tell what a confidential report is about). Anything else is a 422 on the field."""

    def refuse(field: str, message: str) -> ValidationFailed:
        return ValidationFailed([FieldProblem(("body", field), message)])

    if request.private:
        raise refuse("private", "the pointer to the original is public: mark_duplicate takes no private message")
    if item.get("confidential"):
        raise Conflict("A confidential report cannot be marked as a duplicate: its pointer would be public.")
    try:
        original_id = parse_tracking_id(request.duplicate_of or "")
    except ReportNotFound:
        raise refuse("duplicate_of", "is not a Tracking ID") from None
    original = store.get_report(original_id, ("tracking_id", "agency_id", "status", "confidential"))
    if original_id == item["tracking_id"]:
        raise refuse("duplicate_of", "is this report itself")
    if original is None or original["agency_id"] not in officer.scope(directory):
        raise refuse("duplicate_of", "is not a report of your agency's scope")
    if original["status"] not in OPEN or original.get("confidential"):
        raise refuse("duplicate_of", "must be an open report that is not confidential")
    return replace(request, duplicate_of=original_id), (original_id, plan_merge(original, item))


def act(claims: dict[str, str], tracking_id: str, request: ActionRequest, if_match: int | None) -> AgencyReportView:
    """Apply one action; exactly one of two concurrent actions on a report wins, the other gets 409."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory, whole=False)  # the write reads the whole after
    version = int(item.get("version", 1))
    if if_match is not None and if_match != version:
        raise Conflict(f"The report is at version {version}; reload it and try again.")
    new_agency = _disposed_to(officer, item, request, directory)
    if request.action == "assign":
        request = replace(request, assignee=_assignee(officer, item, request, directory))
    actor = directory.agency(officer.agency_id)
    assert actor is not None
    # Recorded before the change: no action is ever unrecorded (a refused attempt is recorded too).
    # A disposition records where the report went (the agency, or the officer it was assigned to).
    disposed = {"to_agency_id": new_agency.id} if new_agency else {}
    if request.assignee:
        disposed = {"assignee_sub": request.assignee["sub"], "assignee_name": request.assignee["name"]}
    officer.record(item, "action", action=request.action, version=version, **disposed)
    ensure_allowed(item, request.action)
    linked = None
    if request.action == "mark_duplicate":
        request, linked = _duplicate(officer, directory, item, request)
    key, envelope = sealing_key(item, sealing=request.private and request.message is not None)
    sealer = message_sealer(item, key, request.private) if request.message is not None else None
    now = utcnow()
    change = plan_action(item, request, actor, new_agency, settings(), now, version, sealer)
    if change.agency is not None:
        change.scope = directory.coordinators(change.agency[0])
    if envelope is not None:
        change.set_fields["sealed"] = envelope
    updated = commit(tracking_id, change, linked=linked)
    count(f"Action_{request.action}")
    logger.info(
        "agency action",
        extra=log_fields(item, action=request.action, agency_id=officer.agency_id, version=version + 1),
    )
    return agency_view(updated, key)


def act_on_many(
    claims: dict[str, str], tracking_ids: list[str], request: ActionRequest
) -> list[tuple[str, AgencyReportView | LaporError]]:
    """One action on several reports, each exactly as `act` would do it (authorised, audited first, its own
    conditional write), one after the other: per report its view, or the domain error that refused it. A
    refusal of one report leaves the others done; any other failure is the request's. A report named twice
    is refused before anything is done (the contract's uniqueItems)."""
    if len(set(tracking_ids)) != len(tracking_ids):
        raise ValidationFailed([FieldProblem(("body", "tracking_ids"), "must not name a report twice")])
    outcomes: list[tuple[str, AgencyReportView | LaporError]] = []
    for given in tracking_ids:
        try:
            outcomes.append((given, act(claims, parse_tracking_id(given), request, None)))
        except (Unauthorized, ConfigurationError):
            raise  # the caller's token or the deployment, not this report: the whole request fails
        except LaporError as exc:
            outcomes.append((given, exc))
    return outcomes


def reindex_coordinators() -> dict[str, int]:
    """Put every report in the inboxes of its agency's coordinators as the directory now says (reports stored
    before the coordinators' indexes existed, or after an agency's parent changed): what was read, changed,
    already right, and lost to a concurrent change (which wrote the right keys itself). The same pass puts every
    open, public, located report in the nearby index whose keys it lacks (stored before the index existed) or
    are not those `store.nearby_keys` gives now: `nearby_set`, and `nearby_raced` when a change got there first."""
    directory = current_directory()
    summary = {"read": 0, "updated": 0, "unchanged": 0, "raced": 0, "nearby_set": 0, "nearby_raced": 0}
    for page in store.report_scopes():
        for item in page:
            summary["read"] += 1
            wanted = directory.coordinators(item["agency_id"])
            if item.get("scope") == wanted:
                summary["unchanged"] += 1
            elif store.set_scope(item, wanted):
                summary["updated"] += 1
            else:
                summary["raced"] += 1
            nearby = store.nearby_keys(item, item["status"])
            if any(item.get(key) != value for key, value in nearby.items()):
                summary["nearby_set" if store.set_nearby(item, nearby) else "nearby_raced"] += 1
    return summary  # printed by `lapor reindex-scope`

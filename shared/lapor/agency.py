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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lapor import store
from lapor.config import settings
from lapor.crypto import message_sealer, open_report, report_data_key, sealing_key
from lapor.directory import Directory
from lapor.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    NotFound,
    ReportNotFound,
    Unauthorized,
    ValidationFailed,
)
from lapor.events import commit
from lapor.lifecycle import ActionRequest, ensure_allowed, plan_action
from lapor.observability import count, log_fields, logger
from lapor.photos import photo_views, reserve_slot
from lapor.statuses import AGENCY_OWES, OPEN, ROLES
from lapor.store import current_directory
from lapor.timefmt import to_public, to_store, utcnow
from lapor.views import for_agency, for_inbox

if TYPE_CHECKING:
    from lapor.shapes import AgencyReportView, AttachmentSlot, InboxPage

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

    def scope(self, directory: Directory) -> set[str]:
        """The agencies whose reports this officer may see and act on."""
        agencies = {self.agency_id}
        if self.role != "officer":
            agencies |= directory.descendants(self.agency_id)
        return agencies


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
    item = store.read_report(tracking_id) if whole else store.get_report(tracking_id)
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


def list_inbox(claims: dict[str, str], status: str | None, limit: int, before: str | None) -> InboxPage:
    """A page of `limit` reports of the officer's inbox (in `status`, after the cursor `before`), newest first;
    a dispatcher's spans the agencies below too. Nothing is decrypted and nothing about a reporter is shown, so
    nothing is recorded: only opening a report (`get_report`) shows the identity, and is recorded."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    # One query per agency in scope, each already newest first and starting after the cursor; merged.
    merged: list[dict[str, Any]] = []
    for agency_id in sorted(officer.scope(directory)):
        merged.extend(store.inbox_page(agency_id, status, before, limit + 1))
    merged.sort(key=store.inbox_cursor, reverse=True)
    page, more = merged[:limit], len(merged) > limit
    time_zone = settings().time_zone
    return {
        "items": [for_inbox(item, time_zone) for item in page],
        "next_cursor": store.inbox_cursor(page[-1]) if more and page else None,
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
    for agency in sorted([agency_id] if agency_id else scope):
        for item in store.inbox_page(agency, status, None, MAX_EXPORT):
            if category and item["category"] != category:
                continue
            if overdue and not _is_overdue(item, now):
                continue
            rows.append(item)
    rows.sort(key=store.inbox_cursor, reverse=True)
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


def act(claims: dict[str, str], tracking_id: str, request: ActionRequest, if_match: int | None) -> AgencyReportView:
    """Apply one action; exactly one of two concurrent actions on a report wins, the other gets 409."""
    directory = current_directory()
    officer = Officer.from_claims(claims, directory)
    item = _authorized_report(officer, tracking_id, directory, whole=False)  # the write reads the whole after
    version = int(item.get("version", 1))
    if if_match is not None and if_match != version:
        raise Conflict(f"The report is at version {version}; reload it and try again.")
    new_agency = None
    if request.action == "transfer":
        new_agency = directory.agency(request.agency_id or "")
        if new_agency is None:
            raise ValidationFailed([FieldProblem(("body", "agency_id"), "is not an agency of GET /agencies")])
    actor = directory.agency(officer.agency_id)
    assert actor is not None
    # Recorded before the change: no action is ever unrecorded (a refused attempt is recorded too).
    officer.record(item, "action", action=request.action, version=version)
    ensure_allowed(item, request.action)
    key, envelope = sealing_key(item, sealing=request.private and request.message is not None)
    sealer = message_sealer(item, key, request.private) if request.message is not None else None
    now = utcnow()
    change = plan_action(item, request, actor, new_agency, settings(), now, version, sealer)
    if envelope is not None:
        change.set_fields["sealed"] = envelope
    updated = commit(tracking_id, change)
    count(f"Action_{request.action}")
    logger.info(
        "agency action",
        extra=log_fields(item, action=request.action, agency_id=officer.agency_id, version=version + 1),
    )
    return agency_view(updated, key)

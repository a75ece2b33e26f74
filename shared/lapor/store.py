"""DynamoDB access: the one module that knows table layouts, keys, indexes and expressions.

Reports table (single table):
  pk=REPORT#<tracking id>, sk=REPORT   the report: public fields, sealed fields, timeline, outbox,
                                       attachments (photo id -> slot or outcome) and attachments_rev
  pk=REPORT#<tracking id>, sk=PUBLIC#<message id>
                                       the text of a public timeline message (an agency's, on a public report)
  pk=REPORT#<tracking id>, sk=PRIVATE#<message id>
                                       the text of a private message, or of any message of a confidential
                                       report (sealed under the report's data key)
  A timeline entry with a message holds only its `message_id`, so a report's size no longer grows with what
  people write: one Query on the partition reads the report with every message, and the public lookup's
  Query (from sk PUBLIC# on) never reaches a PRIVATE# item.
  pk=REPORT#<tracking id>, sk=DATA_REQUEST#<at>#<id>
                                       the reporter used a right over their data (export, correct, erase the
                                       contact): a timeline entry only the reporter and the agency see, an item
                                       of its own so that requests never fill the report (sorts before PUBLIC#)
  pk=DIRECTORY, sk=AGENCY#<id>         an agency of the directory
  pk=DIRECTORY, sk=CATEGORY#<code>     a category of the directory
  pk=STATS, sk=<agency id>              an agency's public counters (see lapor.stats)
  pk=AUDIT#<tracking id>, sk=<at>#<ns>#<id>  who (officer `sub`) read or changed a report: internal, never shown
                                       (`officer_sub` is on audit items only: it keys the officer_audit index;
                                       `expires_at`, epoch seconds, is the table's TTL: AuditRetentionDays)
  pk=OPEN311_KEY, sk=<sha-256 of key>  an Open311 partner's api_key: name, uses, revoked_at
  pk=DIRECTORY#REPLIES#<agency id>, sk=<reply id>   an agency's saved replies (its officers' only)
  pk=DIRECTORY#ACCESS, sk=<officer sub>  refused_before (epoch seconds): that account's tokens issued at or before
                                       it are refused (disabled, signed out everywhere, agency or role changed)
  pk=AUDIT#SETTINGS, sk=<at>#<ns>#<id>   the administrators' audit trail: every attempt (kind=attempt, written
                                       first) and every change made (kind=change, with before and after), the
                                       "Riwayat pengaturan" page; a directory item also carries its `version`
  pk=DIRECTORY#OFFICERS, sk=<sub>      an officer who used the agency API: name (work email), agency, role,
                                       seen_at; coordinators assign reports to them (expires_at: gone after
                                       ROSTER_DAYS without a sign-in)
Indexes (all sparse, keys written only when they apply):
  inbox (inbox_pk=AGENCY#<id>, inbox_sk=<submitted at>#<id>)      the responsible agency's inbox
  inbox_status (status_pk=AGENCY#<id>#<status>, inbox_sk)         the same, by status
  scope_<level> (scope_<level>_pk=AGENCY#<coordinator>, inbox_sk)  a coordinator's inbox: every report of its
    agency and the agencies below, keyed by the report's coordinator at that level (national, province,
    regency: `directory.COORDINATING_LEVELS`, the report's `scope` attribute names them)
  scope_<level>_status (scope_<level>_status_pk=AGENCY#<coordinator>#<status>, inbox_sk)   the same, by status
  assigned (assignee_pk=OFFICER#<sub>, inbox_sk)                  the open reports assigned to one officer
  due (due_pk=DUE, due_at)                                        open reports with a running deadline
  outbox (outbox_pk=OUTBOX, outbox_at)                            reports with events not yet handled
  public (public_pk=PUBLIC#<open|closed>, public_sk=<submitted at>#<id>)    non-confidential reports
  public_service (service_pk=PUBLIC#<category>#<open|closed>, public_sk)    the same, by category
    (both project only public attributes: never the sealed envelope nor the access code's hash)
         (outbox_pk=OUTBOX_STUCK, outbox_at)                      the same, after the relay gave up
  nearby (geo_pk=GEO#<partition row>:<col>, geo_sk=<category>#<cell row>:<col>#<point in cell>#<submitted at>#<id>)
    open, non-confidential reports with a location (set while open, removed when closed or rejected), keyed by
    their public point (`lapor.geo`: cells of 3 x 3 points of the public grid, partitions of 16 x 16 cells). A
    250 m lookup reads its at most 9 cells nearest first, a crowded one point by point (`lapor.nearby`); a
    1,000 m one reads up to 4 partitions (NEARBY_ATTRIBUTES projected)
  retention (retain_pk=RETAIN, retain_at=<closed at>)             closed or rejected reports that still hold
    personal data (set when a report closes, removed once `erase_personal_data` erased it)
  officer_audit (officer_sub, sk)                                 audit entries by officer account, oldest first
    (keyed on what every audit entry has always held: DynamoDB fills it from existing entries too)
Idempotency table: pk=<hash of the Idempotency-Key>, expires_at (TTL).
  pk=delivery:<id>                     a notification's delivery record
  pk=wamid:<keyed hash of a WhatsApp message id>   a webhook message seen (7 days: Meta retries for a day or more)
  pk=wachat:<keyed hash of a sender's number>      one sender's conversation (sealed draft), 24 h after the last message
  pk=walimit:<keyed hash of a sender's number>#<window>   a sender's count of messages or reports in a window
  pk=waoptout:<keyed hash of a sender's number>    whether the sender said STOP to updates (no expiry)
"""

from __future__ import annotations

import heapq
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lapor import geo
from lapor.aws import client
from lapor.config import settings
from lapor.directory import COORDINATING_LEVELS, Directory
from lapor.errors import ConfigurationError
from lapor.lifecycle import Change
from lapor.statuses import CLOSED
from lapor.timefmt import from_store, to_store
from lapor.views import PUBLIC_DECIMALS, public_location

REPORT_PREFIX = "REPORT#"
REPORT_SK = "REPORT"
PUBLIC_PREFIX = "PUBLIC#"  # a public message's sk, and the public indexes' partitions
PRIVATE_PREFIX = "PRIVATE#"
DATA_REQUEST_PREFIX = "DATA_REQUEST#"  # sorts before PUBLIC#: the public lookup's Query never reaches one
WRONG_CODES = "wrong_codes"  # a report's wrong access codes: {window start: count}
DIRECTORY_PK = "DIRECTORY"
AGENCY_PREFIX = "AGENCY#"  # an agency's directory entry, and its inboxes' partitions
CATEGORY_PREFIX = "CATEGORY#"
REPLIES_PK = DIRECTORY_PK + "#REPLIES#"
ACCESS_PK = DIRECTORY_PK + "#ACCESS"
OFFICERS_PK = DIRECTORY_PK + "#OFFICERS"
ROSTER_DAYS = 90  # an officer not seen for this long leaves the roster (the table's TTL)
OUTBOX_PK = "OUTBOX"
STUCK_OUTBOX_PK = OUTBOX_PK + "_STUCK"
DUE_PK = "DUE"
RETAIN_PK = "RETAIN"
STATS_PK = "STATS"
ASSIGNEE_PREFIX = "OFFICER#"  # the assigned index's partitions
GEO_PREFIX = "GEO#"
AUDIT_PREFIX = "AUDIT#"
SETTINGS_AUDIT = "SETTINGS"  # the administrators' trail: pk AUDIT#SETTINGS (`lapor audit` shows it like a report's)
PARTNER_KEY_PK = "OPEN311_KEY"
DELIVERY_PREFIX = "delivery:"
WHATSAPP_MESSAGE_PREFIX = "wamid:"
WHATSAPP_CHAT_PREFIX = "wachat:"
WHATSAPP_LIMIT_PREFIX = "walimit:"
WHATSAPP_OPT_OUT_PREFIX = "waoptout:"
# What a directory read asks for (the template's directory statements allow these attributes only).
DIRECTORY_ATTRIBUTES = ("pk", "sk", "data")
VERSIONED_DIRECTORY_ATTRIBUTES = (*DIRECTORY_ATTRIBUTES, "version")  # what the administrators' editor reads
ACCESS_ATTRIBUTES = ("pk", "sk", "refused_before")  # what every agency request reads of its account
# What the settings history page reads of the administrators' trail (never an attempt's other details).
SETTINGS_TRAIL_ATTRIBUTES = (
    "pk",
    "sk",
    "at",
    "kind",
    "officer_username",
    "officer_agency_id",
    "action",
    "target",
    "before",
    "after",
)
MAX_PAGE = 1000  # items per page of a public listing (DynamoDB also stops a page at 1 MB)
# What the Open311 public indexes project (template.yaml says the same) and what Open311 reads ask for.
OPEN311_ATTRIBUTES = (
    "tracking_id",
    "category",
    "agency_name",
    "status",
    "description",
    "location",
    "submitted_at",
    "updated_at",
    "due_at",
    "timeline",
    "confidential",
)


# ---------------------------------------------------------------- what each reader may read
# Every read of an item names its attributes (ProjectionExpression), and each function's policy lists the same
# (dynamodb:Attributes with dynamodb:Select SPECIFIC_ATTRIBUTES; tests/unit/test_template.py compares them):
# a read asks for what its function needs, never the whole item. So a report item holds attributes with fixed
# names only (no name made at run time: wrong access codes count in the `wrong_codes` map).

# Every top-level attribute of a report item (sk REPORT): the integration tests check that no stored report
# holds another. A new attribute goes here and into the lists below of the readers that need it.
REPORT_ATTRIBUTES = (
    "pk",
    "sk",
    "tracking_id",
    "status",
    "kind",
    "category",
    "agency_id",
    "agency_name",
    "original_agency_id",
    "channel",
    "anonymous",
    "has_contact",
    "confidential",
    "open311_key_id",
    "title",
    "description",
    "location",
    "sealed",  # the envelope: the wrapped data key and the sealed fields (contact, confidential texts)
    "submitted_at",
    "updated_at",
    "responded_at",
    "first_response_at",
    "closed_at",
    "due_at",
    "due_stage",
    "overdue",
    "escalation_level",
    "support_count",
    "version",
    "timeline",
    "rating",
    "attachments",
    "attachments_rev",
    "reporter_messages",
    "reporter_day",
    "reporter_day_count",
    "access_code_hash",
    WRONG_CODES,
    "reply_notice",
    "outbox",
    "outbox_attempts",
    # index keys
    "inbox_pk",
    "inbox_sk",
    "status_pk",
    "due_pk",
    "outbox_pk",
    "outbox_at",
    "public_pk",
    "service_pk",
    "public_sk",
    "retain_pk",
    "retain_at",
    # the coordinators (level -> agency id) and their inboxes' keys (`directory.COORDINATING_LEVELS`)
    "scope",
    "scope_national_pk",
    "scope_national_status_pk",
    "scope_province_pk",
    "scope_province_status_pk",
    "scope_regency_pk",
    "scope_regency_status_pk",
    # the officer a coordinator assigned the report to, and the assigned index's key
    "assignee",
    "assignee_pk",
    # a duplicate's original, an original's merged duplicates, and the nearby index's keys
    "duplicate_of",
    "merged_count",
    "geo_pk",
    "geo_sk",
)
# What a message item (sk PUBLIC#... or PRIVATE#...) holds besides its key.
MESSAGE_ATTRIBUTES = ("message", "sealed")
# What a data request item (sk DATA_REQUEST#...) holds besides its key and `status`: its timeline entry.
DATA_REQUEST_ATTRIBUTES = ("at", "event", "actor", "private")
# The access code's secrets, and the event machinery (events not yet handled, the reply notice's claim).
_ACCESS_CODE = ("access_code_hash", WRONG_CODES)
_EVENTS = ("outbox", "outbox_attempts", "reply_notice")
# What the reporter's export reads: every attribute any item of a report's partition may hold but the access
# code's secrets (its hash and wrong-code counter are credentials, not data about the reporter).
_PARTITION_ATTRIBUTES = dict.fromkeys((*REPORT_ATTRIBUTES, *MESSAGE_ATTRIBUTES, *DATA_REQUEST_ATTRIBUTES))
EXPORT_ATTRIBUTES = tuple(a for a in _PARTITION_ATTRIBUTES if a not in _ACCESS_CODE)
# What a view of a report reads: the agency's (one report, its answer after an action) and the reporter's;
# never the access code's secrets, nor the event machinery.
VIEW_ATTRIBUTES = tuple(a for a in REPORT_ATTRIBUTES if a not in _ACCESS_CODE + _EVENTS)
# What an agency's inbox and its CSV read (`views.for_inbox`, `agency.export_csv`): plaintext listing attributes
# and the inbox indexes' keys; never the sealed envelope, the description, the location or the timeline.
INBOX_ATTRIBUTES = (
    "pk",
    "sk",
    "inbox_pk",
    "status_pk",
    "inbox_sk",  # the page's cursor
    "tracking_id",
    "version",
    "status",
    "kind",
    "title",  # shown for reports that are not confidential (a confidential report's is sealed)
    "category",
    "channel",
    "agency_id",
    "agency_name",
    "original_agency_id",
    "anonymous",
    "confidential",
    "submitted_at",
    "updated_at",
    "due_at",
    "due_pk",  # whether the schedule still enforces the deadline (the CSV's overdue column)
    "overdue",
    "escalation_level",
    "support_count",
    "open311_key_id",
    "assignee",
    # the coordinators' and the assigned indexes' keys
    "scope_national_pk",
    "scope_national_status_pk",
    "scope_province_pk",
    "scope_province_status_pk",
    "scope_regency_pk",
    "scope_regency_status_pk",
    "assignee_pk",
)
# What checking the reporter's access code reads (the view's attributes and the code's secrets).
REPORTER_ATTRIBUTES = tuple(a for a in REPORT_ATTRIBUTES if a not in _EVENTS)
# What handling an event reads: whether the event is still pending, and what the notifications say.
NOTIFY_ATTRIBUTES = (*VIEW_ATTRIBUTES, "outbox")
# What processing an uploaded photo reads: its slot, and whether the report is confidential.
PHOTO_ATTRIBUTES = ("pk", "sk", "tracking_id", "confidential", "attachments")
# What the deadline schedule reads of a due report (through the due index): what `escalation.plan_deadline`,
# the counters and the indexes of a change need.
DEADLINE_ATTRIBUTES = (
    "pk",
    "sk",
    "due_pk",
    "due_at",
    "tracking_id",
    "status",
    "due_stage",
    "version",
    "agency_id",
    "agency_name",
    "overdue",
    "confidential",
    "category",
    "submitted_at",
)
# What the outbox relay reads (through the outbox index).
OUTBOX_ATTRIBUTES = ("pk", "sk", "outbox_pk", "outbox_at", "tracking_id", "outbox", "outbox_attempts")
# What the support counter reads: whether the report exists (its key).
KEY_ATTRIBUTES = ("pk", "sk")
# A saved reply, as its agency's officers read it.
REPLY_ATTRIBUTES = ("pk", "sk", "reply_id", "title", "text", "updated_at")
# An idempotency record (a submission's replay), and a notification's delivery record as its claim reads it.
REPLAY_ATTRIBUTES = ("pk", "body_hash", "sealed_response", "tracking_id", "expires_at")
DELIVERY_ATTRIBUTES = ("pk", "state")
# A WhatsApp sender's conversation as the conversation reads it (its sealed state, the last message handled);
# and what the notifier reads of a sender before an update: STOP, and whether the conversation is still kept
# (WhatsApp's 24-hour window), never the sealed state.
CONVERSATION_ATTRIBUTES = ("pk", "sealed", "last", "expires_at")
WHATSAPP_CONTACT_ATTRIBUTES = ("pk", "opted_out", "expires_at")


class AlreadyExists(Exception):
    """A conditional create found the key taken (`which` says which item: report or idempotency)."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


class WriteConflict(Exception):
    """A transaction collided with a concurrent one; retrying may succeed."""


class StaleReport(Exception):
    """A conditional change found the report in another version or state than expected."""


# ---------------------------------------------------------------- marshalling


def to_attr(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": repr(value) if isinstance(value, float) else str(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def from_attr(attr: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as a Python value (numbers as int when integral)."""
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "B":
        return bytes(value)
    if kind == "SS":
        return set(value)
    raise TypeError(f"unsupported attribute type {kind}")


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_attr(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_attr(v) for k, v in item.items()}


def report_key(tracking_id: str) -> dict[str, Any]:
    return {"pk": {"S": REPORT_PREFIX + tracking_id}, "sk": {"S": REPORT_SK}}


def _inbox_pk(agency_id: str) -> str:
    return AGENCY_PREFIX + agency_id


def _status_pk(agency_id: str, status: str) -> str:
    return f"{AGENCY_PREFIX}{agency_id}#{status}"


def _scope_keys(scope: Mapping[str, str], status: str) -> dict[str, str]:
    """The coordinators' index keys of a report whose coordinators are `scope` (level -> agency id)."""
    keys: dict[str, str] = {}
    for level in COORDINATING_LEVELS:
        if scope.get(level):
            keys[f"scope_{level}_pk"] = _inbox_pk(scope[level])
            keys[f"scope_{level}_status_pk"] = _status_pk(scope[level], status)
    return keys


def _scope_changes(
    scope: Mapping[str, str], status: str, held: Iterable[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The coordinators' keys to set for `scope` and `status`, and the other coordinators' keys to remove: of
    the `held` attributes, or all of them (None: what the report holds is not known)."""
    keys = _scope_keys(scope, status)
    every = [key for level in COORDINATING_LEVELS for key in (f"scope_{level}_pk", f"scope_{level}_status_pk")]
    return keys, [key for key in every if key not in keys and (held is None or key in set(held))]


def _outbox_due(event: Mapping[str, Any]) -> str:
    """When the relay should first look at an event: after the consumer's grace period."""
    return to_store(from_store(event["at"]) + timedelta(seconds=settings().outbox_grace_seconds))


# ---------------------------------------------------------------- directory


def read_directory() -> dict[str, Any]:
    """The directory as stored: ``{"agencies": [...], "categories": [...]}`` (one query, paged)."""
    agencies: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    for item in _partition(DIRECTORY_PK, **_projection(DIRECTORY_ATTRIBUTES)):
        data = item.get("data") or {}
        if item["sk"].startswith(AGENCY_PREFIX):
            agencies.append(data)
        elif item["sk"].startswith(CATEGORY_PREFIX):
            categories.append(data)
    if not agencies:
        raise ConfigurationError("the directory is empty: seed it with `lapor seed`")
    return {"agencies": agencies, "categories": categories}


_directory: tuple[float, Directory] | None = None


def current_directory() -> Directory:
    """The directory as stored, cached for `directory_cache_seconds` per warm function: it changes rarely, and a
    submission should not pay a read for it every time."""
    global _directory
    now = time.monotonic()
    if _directory is None or now - _directory[0] >= settings().directory_cache_seconds:
        _directory = (now, Directory.from_data(read_directory()))
    return _directory[1]


def forget_directory() -> None:
    """Drop the cached directory (after seeding, and in tests)."""
    global _directory
    _directory = None


def write_directory(data: Mapping[str, Any]) -> int:
    """Store every agency and category of `data` (replacing entries with the same id)."""
    puts = [{"pk": DIRECTORY_PK, "sk": AGENCY_PREFIX + a["id"], "data": dict(a)} for a in data.get("agencies", [])] + [
        {"pk": DIRECTORY_PK, "sk": CATEGORY_PREFIX + c["code"], "data": dict(c)} for c in data.get("categories", [])
    ]
    table = settings().reports_table
    for start in range(0, len(puts), 25):
        requests = [{"PutRequest": {"Item": to_item(p)}} for p in puts[start : start + 25]]
        pending: dict[str, Any] = {table: requests}
        for attempt in range(8):
            result = client("dynamodb").batch_write_item(RequestItems=pending)
            pending = result.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(0.05 * 2**attempt)
        if pending:
            raise ConfigurationError("could not write the whole directory")
    return len(puts)


def directory_entries() -> list[dict[str, Any]]:
    """Every agency and category as stored, each with its `kind` (agency, category), `data` and `version` (1 for
    an entry seeded and never edited since)."""
    entries = []
    for item in _partition(DIRECTORY_PK, **_projection(VERSIONED_DIRECTORY_ATTRIBUTES)):
        kind = "agency" if item["sk"].startswith(AGENCY_PREFIX) else "category"
        entries.append({"kind": kind, "data": item.get("data") or {}, "version": int(item.get("version", 1))})
    return entries


def change_directory(
    kind: str, key: str, data: Mapping[str, Any] | None, version: int | None, entry: Mapping[str, Any]
) -> bool:
    """Create (`version` None), replace or delete (`data` None) one agency or category, if it is still at
    `version`, together with its `entry` in the settings trail (one transaction); False when another change came
    first (or, for a create, the id is taken)."""
    sk = (AGENCY_PREFIX if kind == "agency" else CATEGORY_PREFIX) + key
    table = settings().reports_table
    target: dict[str, Any] = {"TableName": table}
    values: dict[str, Any] = {}
    if version is None:
        target["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        # An entry written by `lapor seed` has no version yet: it counts as 1.
        unversioned = " OR attribute_not_exists(version)" if version == 1 else ""
        target["ConditionExpression"] = f"attribute_exists(pk) AND (version = :v{unversioned})"
        values[":v"] = {"N": str(version)}
    if values:
        target["ExpressionAttributeValues"] = values
    if data is None:
        operation = {"Delete": {**target, "Key": {"pk": {"S": DIRECTORY_PK}, "sk": {"S": sk}}}}
    else:
        item = {"pk": DIRECTORY_PK, "sk": sk, "data": dict(data), "version": (version or 0) + 1}
        operation = {"Put": {**target, "Item": to_item(item)}}
    trail = {"Put": {"TableName": table, "Item": to_item(_audit_item(SETTINGS_AUDIT, entry["at"], entry))}}
    ddb = client("dynamodb")
    try:
        ddb.transact_write_items(TransactItems=[operation, trail])
    except ddb.exceptions.TransactionCanceledException:
        return False
    return True


def tokens_refused_before(officer_sub: str) -> int | None:
    """Epoch seconds at or before which this account's tokens are refused, or None (a strongly consistent read:
    the request right after a disable must see it)."""
    found = (
        client("dynamodb")
        .get_item(
            TableName=settings().reports_table,
            Key={"pk": {"S": ACCESS_PK}, "sk": {"S": officer_sub}},
            ConsistentRead=True,
            **_projection(ACCESS_ATTRIBUTES),
        )
        .get("Item")
    )
    return int(from_item(found)["refused_before"]) if found else None


def refuse_tokens_before(officer_sub: str, epoch_seconds: int) -> None:
    """Refuse every token of this account issued at or before `epoch_seconds`."""
    item = {"pk": ACCESS_PK, "sk": officer_sub, "refused_before": epoch_seconds}
    client("dynamodb").put_item(TableName=settings().reports_table, Item=to_item(item))


def settings_trail(limit: int) -> list[dict[str, Any]]:
    """The newest `limit` entries of the administrators' trail, newest first."""
    return list(
        _partition(
            AUDIT_PREFIX + SETTINGS_AUDIT,
            max_items=limit,
            ScanIndexForward=False,
            **_projection(SETTINGS_TRAIL_ATTRIBUTES),
        )
    )


# ---------------------------------------------------------------- saved replies


def _reply_key(agency_id: str, reply_id: str) -> dict[str, Any]:
    return {"pk": {"S": REPLIES_PK + agency_id}, "sk": {"S": reply_id}}


def list_replies(agency_id: str, limit: int) -> list[dict[str, Any]]:
    """An agency's saved replies, oldest first (reply ids sort by creation)."""
    return list(_partition(REPLIES_PK + agency_id, max_items=limit, **_projection(REPLY_ATTRIBUTES)))


def put_reply(agency_id: str, reply: Mapping[str, Any], must_exist: bool) -> bool:
    """Create (the id must be new) or replace (it must exist) a saved reply; False when that was not so."""
    item = {**_reply_key(agency_id, reply["reply_id"]), **to_item(reply)}
    condition = "attribute_exists(pk)" if must_exist else "attribute_not_exists(pk)"
    return _unless_refused("put_item", Item=item, ConditionExpression=condition)


def delete_reply(agency_id: str, reply_id: str) -> bool:
    """Delete a saved reply; False when it did not exist."""
    return _unless_refused(
        "delete_item",
        Key=_reply_key(agency_id, reply_id),
        ConditionExpression="attribute_exists(pk)",
    )


# ---------------------------------------------------------------- the officers' roster


def enroll_officer(officer: Mapping[str, str], now: datetime) -> None:
    """Record an officer (sub, name, agency_id, role) as seen now: written only when new, changed, or last
    seen more than a day ago (the condition refuses the rest, which is the common case)."""
    seen_at = to_store(now)
    item = {
        "pk": OFFICERS_PK,
        "sk": officer["sub"],
        **officer,
        "seen_at": seen_at,
        "expires_at": int(now.timestamp()) + ROSTER_DAYS * 86400,
    }
    _unless_refused(
        "put_item",
        Item=to_item(item),
        ConditionExpression=(
            "attribute_not_exists(pk) OR #name <> :name OR agency_id <> :agency OR #role <> :role OR seen_at < :stale"
        ),
        ExpressionAttributeNames={"#name": "name", "#role": "role"},
        ExpressionAttributeValues={
            ":name": {"S": officer["name"]},
            ":agency": {"S": officer["agency_id"]},
            ":role": {"S": officer["role"]},
            ":stale": {"S": to_store(now - timedelta(days=1))},
        },
    )


# What the roster's reads name of an officer's entry.
ROSTER_ATTRIBUTES = ("pk", "sk", "sub", "name", "agency_id", "role", "seen_at")


def roster() -> list[dict[str, Any]]:
    """Every officer in the roster (a regency has tens to a few hundred: one query, paged)."""
    return list(_partition(OFFICERS_PK, **_projection(ROSTER_ATTRIBUTES)))


def rostered_officer(officer_sub: str) -> dict[str, Any] | None:
    """One officer of the roster, or None."""
    result = client("dynamodb").get_item(
        TableName=settings().reports_table,
        Key={"pk": {"S": OFFICERS_PK}, "sk": {"S": officer_sub}},
        **_projection(ROSTER_ATTRIBUTES),
    )
    item = result.get("Item")
    return from_item(item) if item else None


def move_rostered_officer(officer_sub: str, agency_id: str, role: str) -> bool:
    """An administrator moved an officer: their roster entry (if they have one) follows at once, so no one
    assigns by their former agency or role until they sign in again; False when they are not in the roster."""
    return _unless_refused(
        "update_item",
        Key={"pk": {"S": OFFICERS_PK}, "sk": {"S": officer_sub}},
        UpdateExpression="SET agency_id = :agency, #role = :role",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues={":agency": {"S": agency_id}, ":role": {"S": role}},
    )


# ---------------------------------------------------------------- reports


def get_report(tracking_id: str, attributes: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """One report item by Tracking ID (a single strongly consistent GetItem): only `attributes` (the rest, a
    sealed envelope too, is never fetched; a function's policy allows no other read), or with none (operators'
    tools and tests) everything but the timeline entries written after its creation."""
    projection = _projection(attributes) if attributes else {}
    result = client("dynamodb").get_item(
        TableName=settings().reports_table, Key=report_key(tracking_id), ConsistentRead=True, **projection
    )
    item = result.get("Item")
    return from_item(item) if item else None


def read_report(tracking_id: str, attributes: tuple[str, ...] = VIEW_ATTRIBUTES) -> dict[str, Any] | None:
    """One report with every message of its timeline, as a view reads it (or `attributes` of the report, for
    operators' tools and tests): one strongly consistent Query on its partition."""
    named = tuple(dict.fromkeys((*attributes, *MESSAGE_ATTRIBUTES, *DATA_REQUEST_ATTRIBUTES)))
    return _assemble(_partition(REPORT_PREFIX + tracking_id, ConsistentRead=True, **_projection(named)))


def report_items(tracking_id: str) -> list[dict[str, Any]]:
    """Every item of a report's partition as stored (the report, its messages, its data requests): the same
    strongly consistent Query as `read_report`; `assemble` makes the report of them."""
    return list(_partition(REPORT_PREFIX + tracking_id, ConsistentRead=True, **_projection(EXPORT_ATTRIBUTES)))


def data_requests_since(tracking_id: str, since: str) -> int:
    """How many data requests a report recorded at or after `since` (stored time): one Query of their keys."""
    requests = _query(
        None,
        TableName=settings().reports_table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues={
            ":pk": {"S": REPORT_PREFIX + tracking_id},
            ":from": {"S": DATA_REQUEST_PREFIX + since},
            ":to": {"S": DATA_REQUEST_PREFIX + "~"},
        },
        ConsistentRead=True,
        **_projection(KEY_ATTRIBUTES),
    )
    return sum(1 for _ in requests)


def assemble(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The report that `report_items` read, as `read_report` answers it (the items are left as they are)."""
    return _assemble(iter([{**item} for item in items]))


def record_data_request(tracking_id: str, entry: Mapping[str, Any]) -> None:
    """Record that the reporter used a right over their data: a timeline entry (`at`, `event`, `status`,
    `actor`) in an item of its own, which only the reporter's and the agency's reads reach."""
    # As an audit entry's sk: nanoseconds order the requests of one second, the random tail keeps containers apart.
    sk = f"{DATA_REQUEST_PREFIX}{entry['at']}#{time.time_ns():020d}#{uuid.uuid4().hex[:12]}"
    item = {"pk": REPORT_PREFIX + tracking_id, "sk": sk, **entry}
    client("dynamodb").put_item(
        TableName=settings().reports_table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
    )


# What the public lookup reads: the report's public attributes and its public messages; never a sealed
# envelope, a contact, the access code's hash or a PRIVATE# message (the template's policy says the same).
PUBLIC_ATTRIBUTES = (
    "pk",
    "sk",
    "tracking_id",
    "kind",
    "category",
    "agency_id",
    "agency_name",
    "status",
    "submitted_at",
    "updated_at",
    "due_at",
    "escalation_level",
    "anonymous",
    "confidential",
    "support_count",
    "merged_count",
    "duplicate_of",
    "title",
    "description",
    "location",
    "timeline",
    "message",
    "attachments",  # photo records; the public view shows only stored photos of verified, open reports
)


def read_public_report(tracking_id: str) -> dict[str, Any] | None:
    """One report as the public lookup may read it: one Query from sk PUBLIC# on, public attributes only."""
    return _assemble(
        _query(
            TableName=settings().reports_table,
            KeyConditionExpression="pk = :pk AND sk >= :public",
            **_projection(PUBLIC_ATTRIBUTES),
            ExpressionAttributeValues={":pk": {"S": REPORT_PREFIX + tracking_id}, ":public": {"S": PUBLIC_PREFIX}},
            ConsistentRead=True,
        )
    )


def _assemble(items: Iterator[dict[str, Any]]) -> dict[str, Any] | None:
    """The report item of a partition with each timeline message put back from its own item, and the data
    requests merged into its timeline by time."""
    report: dict[str, Any] | None = None
    texts: dict[str, dict[str, Any]] = {}
    requests: list[dict[str, Any]] = []
    for item in items:
        sk = item["sk"]
        if sk == REPORT_SK:
            report = item
        elif sk.startswith(DATA_REQUEST_PREFIX):
            requests.append({k: v for k, v in item.items() if k not in ("pk", "sk")})
        else:
            texts[sk.partition("#")[2]] = {k: v for k, v in item.items() if k in ("message", "sealed")}
    if report is None:
        return None
    timeline = [{**entry, **texts.get(entry.get("message_id", ""), {})} for entry in report.get("timeline") or []]
    report["timeline"] = list(heapq.merge(timeline, requests, key=lambda entry: str(entry["at"])))
    return report


def _split_messages(tracking_id: str, entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Timeline entries as stored (a message replaced by its `message_id`) and the items holding the texts."""
    stored, items = [], []
    for entry in entries:
        text = {k: entry[k] for k in ("message", "sealed") if entry.get(k) is not None}
        if not text:
            stored.append(entry)
            continue
        message_id = uuid.uuid4().hex
        prefix = PRIVATE_PREFIX if entry.get("private") or "sealed" in text else PUBLIC_PREFIX
        items.append({"pk": REPORT_PREFIX + tracking_id, "sk": prefix + message_id, **text})
        stored.append({**{k: v for k, v in entry.items() if k not in text}, "message_id": message_id})
    return stored, items


def create_report(
    report: Mapping[str, Any], event: Mapping[str, Any], idempotency: tuple[str, Mapping[str, Any]] | None = None
) -> None:
    """Store a new report with its first `event` in its outbox, in its agency's inboxes, the due index and
    (unless confidential) the public listing; never overwrites one.

    With an idempotency record (its id and fields), both are written in one transaction: the report exists
    exactly when its replayable response does, so a retry after any failure either replays or creates, never
    both. Raises `AlreadyExists("report" | "idempotency")` or `WriteConflict`.
    """
    tracking_id, agency_id, status = report["tracking_id"], report["agency_id"], report["status"]
    item = {
        "pk": REPORT_PREFIX + tracking_id,
        "sk": REPORT_SK,
        **report,
        "inbox_pk": _inbox_pk(agency_id),
        "inbox_sk": f"{report['submitted_at']}#{tracking_id}",
        "status_pk": _status_pk(agency_id, status),
        **_scope_keys(report.get("scope") or {}, status),
        "due_pk": DUE_PK if report.get("due_at") else None,
        "outbox": {event["event_id"]: event},
        "outbox_pk": OUTBOX_PK,
        "outbox_at": _outbox_due(event),
        **_public_keys(report, status),
        **nearby_keys(report, status),
    }
    s = settings()
    report_put = {
        "TableName": s.reports_table,
        "Item": to_item(item),
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    ddb = client("dynamodb")
    if idempotency is None:
        try:
            ddb.put_item(**report_put)
        except ddb.exceptions.ConditionalCheckFailedException as exc:
            raise AlreadyExists("report") from exc
        return
    idem_put = {
        "TableName": s.idempotency_table,
        "Item": to_item({"pk": idempotency[0], **idempotency[1]}),
        # An expired record (TTL deletes lazily) may be replaced.
        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
        "ExpressionAttributeValues": {":now": {"N": str(int(time.time()))}},
    }
    try:
        ddb.transact_write_items(TransactItems=[{"Put": idem_put}, {"Put": report_put}])
    except ddb.exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise AlreadyExists("idempotency") from exc
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise AlreadyExists("report") from exc
        raise WriteConflict() from exc


def get_idempotency_record(key_hash: str) -> dict[str, Any] | None:
    """A stored idempotency record that has not expired (strongly consistent)."""
    result = client("dynamodb").get_item(
        TableName=settings().idempotency_table,
        Key={"pk": {"S": key_hash}},
        ConsistentRead=True,
        **_projection(REPLAY_ATTRIBUTES),
    )
    item = result.get("Item")
    if not item:
        return None
    record = from_item(item)
    if int(record.get("expires_at", 0)) < int(time.time()):
        return None
    return record


def layout(change: Change) -> tuple[dict[str, Any], list[str]]:
    """The attributes a change sets and removes, index keys included."""
    sets, removes, seen = dict(change.set_fields), list(change.remove_fields), change.seen
    if change.agency is not None:
        if change.scope is None:
            raise ValueError("a change of agency names the new agency's coordinators (Change.scope)")
        sets["agency_id"], sets["agency_name"] = change.agency
        sets["inbox_pk"] = _inbox_pk(change.agency[0])
        sets["scope"] = dict(change.scope)
    if "assignee" in sets:
        sets["assignee_pk"] = ASSIGNEE_PREFIX + sets["assignee"]["sub"]
    if change.status is not None or change.agency is not None:
        status = change.status or seen["status"]
        sets.update(status=status, status_pk=_status_pk(sets.get("agency_id") or seen["agency_id"], status))
        scope_keys, gone = _scope_changes(sets.get("scope", seen.get("scope") or {}), status, seen)
        sets.update(scope_keys)
        removes.extend(gone)
        # An assignment is to an officer of the responsible agency, for open work: it ends with either.
        if seen.get("assignee") and (change.agency is not None or status in CLOSED):
            removes.extend(["assignee", "assignee_pk"])
        if (status in CLOSED) != (seen["status"] in CLOSED):
            sets.update(_public_keys(seen, status))  # the public listing shows it open or closed
            nearby = nearby_keys(seen, status)  # only open reports are found nearby
            sets.update(nearby)
            removes.extend([] if nearby else ["geo_pk", "geo_sk"])
            if status in CLOSED:  # its personal data's retention period runs from now (`retention_pages`)
                sets.update(retain_pk=RETAIN_PK, retain_at=sets.get("closed_at") or sets["updated_at"])
            else:
                removes.extend(["retain_pk", "retain_at"])
    if change.due_at is not None:
        sets.update(due_at=to_store(change.due_at), due_stage=change.due_stage, due_pk=DUE_PK)
        removes.append("overdue")  # a deadline that starts is not overdue
    if change.clear_deadline:
        removes.extend(["due_at", "due_stage", "due_pk", "overdue"])
    if change.overdue:
        sets["overdue"] = True
    if change.overdue or change.unenforce_deadline:
        removes.append("due_pk")
    if change.event is not None:
        sets.update(outbox_pk=OUTBOX_PK, outbox_at=_outbox_due(change.event))
    return sets, removes


def apply_change(tracking_id: str, change: Change, linked: tuple[str, Change] | None = None) -> dict[str, Any]:
    """Apply `change` to a report in one conditional UpdateItem; returns what `change.returns` asks for
    (nothing by default: `read_report` reads the report with its messages when a caller needs it). With a
    `linked` change of another report (its Tracking ID and change), both are written in one transaction or
    neither (a duplicate and its original), and nothing is returned.

    Raises `StaleReport` when a condition does not hold (another action won, or a stale version).
    """
    kwargs, texts = _update_request(tracking_id, change)
    ddb = client("dynamodb")
    # The texts first, so that an entry never refers to a missing text. Until the update refers to them they
    # are part of nothing: the text of a refused change stays unreferenced and is never shown (a public one
    # was public text anyway; any other is only read with the access code or by the agency, sealed if the
    # report is confidential).
    for text in texts:
        ddb.put_item(TableName=kwargs["TableName"], Item=to_item(text))
    if linked is not None:
        other, other_texts = _update_request(*linked)
        assert not other_texts, "a linked change writes no message"
        updates = [{k: v for k, v in request.items() if k != "ReturnValues"} for request in (kwargs, other)]
        try:
            ddb.transact_write_items(TransactItems=[{"Update": update} for update in updates])
        except ddb.exceptions.TransactionCanceledException as exc:
            raise StaleReport() from exc
        return {}
    try:
        result = ddb.update_item(**kwargs)
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        raise StaleReport() from exc
    return from_item(result.get("Attributes") or {})


def _update_request(tracking_id: str, change: Change) -> tuple[dict[str, Any], list[Any]]:
    """The UpdateItem request of a change, and the message items it refers to."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def name(attribute: str) -> str:
        placeholder = f"#n{len(names)}"
        names[placeholder] = attribute
        return placeholder

    def value(python_value: Any) -> str:
        placeholder = f":v{len(values)}"
        values[placeholder] = to_attr(python_value)
        return placeholder

    set_fields, remove_fields = layout(change)
    sets = [f"{name(k)} = {value(v)}" for k, v in set_fields.items()]
    adds = [f"{name(k)} {value(v)}" for k, v in change.add_fields.items()]
    if change.bump_version:
        adds.append(f"{name('version')} {value(1)}")
    entries, texts = _split_messages(tracking_id, change.timeline)
    if entries:
        timeline = name("timeline")
        sets.append(f"{timeline} = list_append(if_not_exists({timeline}, {value([])}), {value(entries)})")
    if change.event is not None:
        sets.append(f"{name('outbox')}.{name(change.event['event_id'])} = {value(change.event)}")
    conditions = ["attribute_exists(pk)"]
    if change.expected_version is not None:
        conditions.append(f"{name('version')} = {value(change.expected_version)}")
    if change.expected_status:
        status = name("status")
        conditions.append("(" + " OR ".join(f"{status} = {value(s)}" for s in change.expected_status) + ")")
    conditions.extend(f"attribute_not_exists({name(f)})" for f in change.require_absent)
    conditions.extend(f"{name(f)} = {value(v)}" for f, v in change.require_equal.items())
    expression = ""
    if sets:
        expression += "SET " + ", ".join(sets)
    if remove_fields:
        expression += " REMOVE " + ", ".join(name(f) for f in remove_fields)
    if adds:
        expression += " ADD " + ", ".join(adds)
    kwargs: dict[str, Any] = {
        "TableName": settings().reports_table,
        "Key": report_key(tracking_id),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ReturnValues": change.returns,
    }
    if values:
        kwargs["ExpressionAttributeValues"] = values
    return kwargs, texts


def reserve_attachment(tracking_id: str, slot: Mapping[str, Any], seen_rev: int, drop: list[str]) -> None:
    """Add a pending photo slot (and drop expired ones) if the report's attachments are still at `seen_rev`.

    The report's `version` is left alone: an upload must not make an officer's If-Match stale.
    Raises `StaleReport` when another slot was added or settled meanwhile.
    """
    names = {"#a": "attachments", "#r": "attachments_rev"}
    values: dict[str, Any] = {":one": {"N": "1"}}
    if seen_rev == 0:
        update = "SET #a = :map ADD #r :one"
        condition = "attribute_exists(pk) AND attribute_not_exists(#r)"
        values[":map"] = to_attr({slot["id"]: dict(slot)})
    else:
        names["#id"] = slot["id"]
        update = "SET #a.#id = :slot ADD #r :one"
        condition = "#r = :rev"
        values.update({":slot": to_attr(dict(slot)), ":rev": to_attr(seen_rev)})
        removed = []
        for index, attachment_id in enumerate(drop):
            names[f"#d{index}"] = attachment_id
            removed.append(f"#a.#d{index}")
        if removed:
            update = "SET #a.#id = :slot REMOVE " + ", ".join(removed) + " ADD #r :one"
    if not _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression=update,
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    ):
        raise StaleReport()


def settle_attachment(tracking_id: str, record: Mapping[str, Any]) -> bool:
    """Replace a pending slot by its outcome in one conditional write; False if it was no longer pending."""
    return _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression="SET #a.#id = :record ADD #r :one",
        ConditionExpression="#a.#id.#s = :pending",
        ExpressionAttributeNames={
            "#a": "attachments",
            "#id": record["id"],
            "#s": "status",
            "#r": "attachments_rev",
        },
        ExpressionAttributeValues={
            ":record": to_attr(dict(record)),
            ":pending": {"S": "pending"},
            ":one": {"N": "1"},
        },
    )


def set_photo_public(tracking_id: str, attachment_id: str, public: bool, by: str, at: str) -> bool:
    """Show a stored photo on public pages or take it off them (who decided, and when); False when the
    report has no stored photo with that id."""
    return _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression="SET #a.#id.#p = :public, #a.#id.#by = :by, #a.#id.#at = :at",
        ConditionExpression="#a.#id.#s = :stored",
        ExpressionAttributeNames={
            "#a": "attachments",
            "#id": attachment_id,
            "#s": "status",
            "#p": "public",
            "#by": "public_set_by",
            "#at": "public_set_at",
        },
        ExpressionAttributeValues={
            ":public": {"BOOL": public},
            ":by": {"S": by},
            ":at": {"S": at},
            ":stored": {"S": "stored"},
        },
    )


def inbox_page(
    agency_id: str, status: str | None, before: str | None, limit: int, level: str | None = None
) -> list[dict[str, Any]]:
    """Up to `limit` reports an agency is responsible for, newest first, older than `before` (inbox_sk); with
    the agency's coordinating `level`, those of every agency below it too (one query: `scope_<level>`)."""
    if level is None:
        index, key = ("inbox_status", "status_pk") if status else ("inbox", "inbox_pk")
    else:  # scope_<level>[_status], keyed by scope_<level>[_status]_pk
        index = f"scope_{level}_status" if status else f"scope_{level}"
        key = index + "_pk"
    key_value = _status_pk(agency_id, status) if status else _inbox_pk(agency_id)
    return _inbox_query(index, key, key_value, before, limit)


def assigned_page(officer_sub: str, status: str | None, before: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` open reports assigned to one officer, newest first, older than `before`; in `status` only
    when given (a filter: an officer holds a few dozen reports, not thousands)."""
    return _inbox_query("assigned", "assignee_pk", ASSIGNEE_PREFIX + officer_sub, before, limit, status)


def _inbox_query(
    index: str, key: str, key_value: str, before: str | None, limit: int, status: str | None = None
) -> list[dict[str, Any]]:
    condition = f"{key} = :k"
    values: dict[str, Any] = {":k": {"S": key_value}}
    if before:
        condition += " AND inbox_sk < :before"
        values[":before"] = {"S": before}
    projection = _projection(INBOX_ATTRIBUTES)
    filtered: dict[str, Any] = {}
    if status:
        values[":status"] = {"S": status}
        projection["ExpressionAttributeNames"]["#status"] = "status"
        filtered = {"FilterExpression": "#status = :status"}
    return list(
        _query(
            TableName=settings().reports_table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            **({} if status else {"Limit": limit}),
            **filtered,
            max_items=limit,
            **projection,
        )
    )


# What `report_scopes` reads of each report: enough to place it in the coordinators' indexes, and in the nearby
# index (what `nearby_keys` computes its keys from, and the keys it has).
SCOPE_ATTRIBUTES = (
    "tracking_id",
    "agency_id",
    "status",
    "scope",
    "category",
    "submitted_at",
    "location",
    "confidential",
    "geo_pk",
    "geo_sk",
)


def report_scopes(page_size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Every report's agency, status, coordinators and nearby keys (`SCOPE_ATTRIBUTES`), a page at a time: a Scan
    of the table (an operator's migration, `lapor reindex-scope`; nothing a request runs)."""
    names = {f"#p{i}": attribute for i, attribute in enumerate(SCOPE_ATTRIBUTES)} | {"#sk": "sk"}
    kwargs: dict[str, Any] = {
        "TableName": settings().reports_table,
        "ProjectionExpression": ", ".join(n for n in names if n != "#sk"),
        "FilterExpression": "#sk = :report",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":report": {"S": REPORT_SK}},
        "Limit": page_size,
    }
    ddb = client("dynamodb")
    while True:
        result = ddb.scan(**kwargs)
        yield [from_item(item) for item in result.get("Items", [])]
        if not result.get("LastEvaluatedKey"):
            return
        kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]


def set_scope(seen: Mapping[str, Any], scope: Mapping[str, str]) -> bool:
    """Place a report in the coordinators' indexes of `scope` (and out of the others), if its agency and status
    are still those `seen`; False when a change got there first (it wrote the keys itself)."""
    keys, gone = _scope_changes(scope, seen["status"])  # the read did not project the keys: any may be there
    names = {"#scope": "scope", "#agency": "agency_id", "#status": "status"}
    values: dict[str, Any] = {
        ":scope": to_attr(dict(scope)),
        ":agency": {"S": seen["agency_id"]},
        ":status": {"S": seen["status"]},
    }
    sets = ["#scope = :scope"]
    for n, (key, value) in enumerate(keys.items()):
        names[f"#k{n}"], values[f":k{n}"] = key, {"S": value}
        sets.append(f"#k{n} = :k{n}")
    removes = []
    for n, key in enumerate(gone):
        names[f"#g{n}"] = key
        removes.append(f"#g{n}")
    return _unless_refused(
        "update_item",
        Key=report_key(seen["tracking_id"]),
        UpdateExpression="SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
        ConditionExpression="#agency = :agency AND #status = :status",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def set_nearby(seen: Mapping[str, Any], keys: Mapping[str, str]) -> bool:
    """Place an open report in the nearby index under `keys` (`nearby_keys`: a report stored before the index
    existed has none), if it is still open and its keys are still those `seen`; False when a change got there
    first (closing it took it out of the index; reopening it wrote the keys itself)."""
    names = {"#status": "status"}
    values: dict[str, Any] = {f":c{n}": {"S": status} for n, status in enumerate(CLOSED)}
    sets, conditions = [], [f"NOT #status IN ({', '.join(values)})"]
    for n, (key, value) in enumerate(keys.items()):
        names[f"#k{n}"], values[f":k{n}"] = key, {"S": value}
        sets.append(f"#k{n} = :k{n}")
        if seen.get(key) is None:
            conditions.append(f"attribute_not_exists(#k{n})")
        else:
            values[f":s{n}"] = {"S": seen[key]}
            conditions.append(f"#k{n} = :s{n}")
    return _unless_refused(
        "update_item",
        Key=report_key(seen["tracking_id"]),
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression=" AND ".join(conditions),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def inbox_cursor(item: Mapping[str, Any]) -> str:
    """Where an inbox page that ends with `item` goes on (`inbox_page`'s `before`); inboxes are in its order."""
    return str(item["inbox_sk"])


def deadline_enforced(item: Mapping[str, Any]) -> bool:
    """Whether the escalation schedule still watches the report's deadline (it is in the due index)."""
    return bool(item.get("due_pk"))


def ack_event(
    tracking_id: str, event_id: str, timeline: list[dict[str, Any]], counters: Mapping[str, Mapping[str, int]]
) -> bool:
    """Mark an event handled: out of the outbox, with its timeline entries and its counter changes, in one
    transaction, so that each event counts exactly once.

    False when the event was no longer in the outbox (a duplicate delivery already acknowledged it).
    """
    ack = {
        "Key": report_key(tracking_id),
        "UpdateExpression": "SET #t = list_append(if_not_exists(#t, :empty), :entries) REMOVE #o.#e",
        "ConditionExpression": "attribute_exists(#o.#e)",
        "ExpressionAttributeNames": {"#t": "timeline", "#o": "outbox", "#e": event_id},
        "ExpressionAttributeValues": {":empty": {"L": []}, ":entries": to_attr(timeline)},
    }
    if not counters:
        return _unless_refused("update_item", **ack)
    table = settings().reports_table
    items: list[dict[str, Any]] = [{"Update": {"TableName": table, **ack}}]
    for agency_id, changes in sorted(counters.items()):
        names = {f"#c{i}": counter for i, counter in enumerate(changes)}
        values = {f":c{i}": {"N": str(int(delta))} for i, delta in enumerate(changes.values())}
        items.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": STATS_PK}, "sk": {"S": agency_id}},
                    "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(changes))),
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    ddb = client("dynamodb")
    try:
        ddb.transact_write_items(TransactItems=items)
    except ddb.exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def read_stats() -> dict[str, dict[str, Any]]:
    """Every agency's counters by agency id (one query on one partition)."""
    return {row.pop("sk"): row for row in _partition(STATS_PK)}


def count_wrong_code(tracking_id: str, window: str, limit: int, seen: Mapping[str, Any] | None) -> bool:
    """Count one wrong access code in `window`, unless `limit` were already counted there: conditional
    UpdateItems, so parallel attempts never get past the limit. False when the limit was reached.

    The counts live in one map attribute, `wrong_codes` {window start: count}, so that a report item's
    attribute names are fixed (the policies list them). A window the report as read (`seen`, its map) does
    not count in yet starts a fresh map, which drops the earlier windows; if another attempt started it
    first, or the report was read before, this one counts in it.
    """
    names = {"#w": WRONG_CODES, "#k": window}
    if window not in (seen or {}):
        started = _unless_refused(
            "update_item",
            Key=report_key(tracking_id),
            UpdateExpression="SET #w = :fresh",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#w.#k)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":fresh": to_attr({window: 1})},
        )
        if started:
            return True
    return _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression="SET #w.#k = if_not_exists(#w.#k, :zero) + :one",
        ConditionExpression="attribute_exists(#w) AND (attribute_not_exists(#w.#k) OR #w.#k < :limit)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":limit": {"N": str(limit)}},
    )


def claim_reply_notice(tracking_id: str, event_id: str, at: str, quiet_since: str) -> bool:
    """Claim the one "the reporter replied" email a report may send in a quiet period: True when no other
    event sent one after `quiet_since` (or this very event holds the claim, on a retry)."""
    return _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression="SET #n = :notice",
        ConditionExpression="attribute_exists(pk) AND "
        "(attribute_not_exists(#n) OR #n.#at <= :since OR #n.#event = :event)",
        ExpressionAttributeNames={"#n": "reply_notice", "#at": "at", "#event": "event_id"},
        ExpressionAttributeValues={
            ":notice": to_attr({"at": at, "event_id": event_id}),
            ":since": {"S": quiet_since},
            ":event": {"S": event_id},
        },
    )


def _audit_item(tracking_id: str, at: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    # Nanoseconds order entries within a second; the random tail keeps two containers' entries apart.
    sk = f"{at}#{time.time_ns():020d}#{uuid.uuid4().hex[:12]}"
    # The table's TTL deletes it once AuditRetentionDays have passed.
    expires_at = int(from_store(at).timestamp()) + settings().audit_retention_days * 86400
    return {"pk": f"{AUDIT_PREFIX}{tracking_id}", "sk": sk, "at": at, **entry, "expires_at": expires_at}


def append_audit(tracking_id: str, at: str, entry: Mapping[str, Any]) -> None:
    """Add one entry to a report's audit trail (its own partition: no view of the report ever reads it), or to
    the administrators' (`SETTINGS_AUDIT`)."""
    client("dynamodb").put_item(
        TableName=settings().reports_table,
        Item=to_item(_audit_item(tracking_id, at, entry)),
        ConditionExpression="attribute_not_exists(pk)",
    )


def audit_trail(tracking_id: str) -> list[dict[str, Any]]:
    """A report's audit trail, oldest first (for operators answering "who saw this reporter's identity")."""
    return list(_partition(f"{AUDIT_PREFIX}{tracking_id}"))


def officer_audit(officer_sub: str, start: str, end: str) -> Iterator[dict[str, Any]]:
    """Every audit entry of one officer account from `start` to `end` (stored times, both included), oldest
    first, each with its `tracking_id`: one Query on the officer_audit index (for a stolen account's scope)."""
    entries = _query(
        TableName=settings().reports_table,
        IndexName="officer_audit",
        KeyConditionExpression="officer_sub = :sub AND sk BETWEEN :start AND :end",
        # An entry's sk starts with its time (to the second); "~" sorts after the "#<ns>#<id>" that follows it.
        ExpressionAttributeValues={":sub": {"S": officer_sub}, ":start": {"S": start}, ":end": {"S": end + "~"}},
    )
    for entry in entries:
        yield {**entry, "tracking_id": str(entry["pk"]).removeprefix(AUDIT_PREFIX)}


def has_contact(report: Mapping[str, Any]) -> bool:
    """Whether a report's reporter left contact data, without opening it: the `has_contact` marker set at
    submission, or for reports stored before it, not anonymous (an identified reporter always gave one)."""
    marker = report.get("has_contact")
    return bool(marker) if marker is not None else not report.get("anonymous", False)


REACHABILITY = ("tracking_id", "anonymous", "has_contact")


def agency_reachability(agency_id: str) -> Iterator[dict[str, Any]]:
    """For every report an agency is responsible for (open or not), what `has_contact` needs and nothing
    sealed: one Query on the inbox index, paged."""
    return _query(
        TableName=settings().reports_table,
        IndexName="inbox",
        KeyConditionExpression="inbox_pk = :k",
        ExpressionAttributeValues={":k": {"S": _inbox_pk(agency_id)}},
        **_projection(REACHABILITY),
    )


# ---------------------------------------------------------------- public listing (Open311)


def _public_keys(report: Mapping[str, Any], status: str) -> dict[str, str]:
    """The public indexes' keys of a report in `status`: none for a confidential report (never listed)."""
    if report.get("confidential"):
        return {}
    state = "closed" if status in CLOSED else "open"
    return {
        "public_pk": PUBLIC_PREFIX + state,
        "service_pk": f"{PUBLIC_PREFIX}{report['category']}#{state}",
        "public_sk": f"{report['submitted_at']}#{report['tracking_id']}",
    }


# The nearby index keys each report by its public point (`geo.Grid`: the very point public distances are from).
NEARBY_GRID = geo.Grid(PUBLIC_DECIMALS)


def _partition_key(partition: geo.Partition) -> str:
    """A partition's key: GEO#<row>:<column>, numbers of fixed width (as in the sort keys: string order is numeric
    order)."""
    return f"{GEO_PREFIX}{partition[0]:04d}:{partition[1]:04d}"


def _cell_key(cell: geo.Cell, category: str) -> tuple[str, str]:
    """A cell's partition key and the prefix of its category's sort keys in it: <category>#<row>:<column>#."""
    return _partition_key(NEARBY_GRID.partition(cell)), f"{category}#{cell[0]:05d}:{cell[1]:06d}#"


def nearby_keys(report: Mapping[str, Any], status: str) -> dict[str, str]:
    """The nearby index's keys of a report in `status`: none unless it is open, public and has a location."""
    public = public_location(report.get("location")) or {}
    lat, lon = public.get("lat"), public.get("lon")
    if report.get("confidential") or status in CLOSED or lat is None or lon is None:
        return {}
    cell, (row, column) = NEARBY_GRID.cell(NEARBY_GRID.point(lat, lon))
    pk, prefix = _cell_key(cell, str(report["category"]))
    return {"geo_pk": pk, "geo_sk": f"{prefix}{row}{column}#{report['submitted_at']}#{report['tracking_id']}"}


# What the nearby index projects (template.yaml says the same) and what its readers ask for by name.
NEARBY_ATTRIBUTES = (
    "tracking_id",
    "category",
    "agency_id",
    "agency_name",
    "status",
    "title",
    "description",
    "location",
    "submitted_at",
    "updated_at",
    "due_at",
    "support_count",
    "merged_count",
)
# What a nearby read names: the index's keys (its key condition) and NEARBY_ATTRIBUTES.
NEARBY_READ = ("geo_pk", "geo_sk", *NEARBY_ATTRIBUTES)


def _nearby_query(
    condition: str, values: dict[str, str], read: ReadCount, limit: int | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The items of one key condition on the nearby index (every page, or the first `limit` items), and the sort
    key of the last one read when more remain."""
    kwargs: dict[str, Any] = {
        "TableName": settings().reports_table,
        "IndexName": "nearby",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {name: {"S": value} for name, value in values.items()},
        **_projection(NEARBY_ATTRIBUTES),
        **({"Limit": limit} if limit else {}),
    }
    found: list[dict[str, Any]] = []
    while True:
        result = client("dynamodb").query(**kwargs)
        read.items += int(result.get("ScannedCount", 0))
        found.extend(from_item(item) for item in result.get("Items", []))
        last = result.get("LastEvaluatedKey")
        if not last or limit:
            return found, last["geo_sk"]["S"] if last else None
        kwargs["ExclusiveStartKey"] = last


def nearby_cell(
    cell: geo.Cell, category: str, read: ReadCount, limit: int
) -> tuple[list[dict[str, Any]], geo.Point | None]:
    """The first `limit` open public reports of `category` in a cell, of any date (in order of their point in it),
    and, when more remain, the point in the cell (row, column) of the last one read: the points before it were
    read whole."""
    pk, prefix = _cell_key(cell, category)
    items, last = _nearby_query(
        "geo_pk = :pk AND begins_with(geo_sk, :cell)", {":pk": pk, ":cell": prefix}, read, limit
    )
    if last is None:
        return items, None
    point = last[len(prefix) :]
    return items, (int(point[0]), int(point[1]))


def nearby_point(cell: geo.Cell, point: geo.Point, category: str, since: str, read: ReadCount) -> list[dict[str, Any]]:
    """The open public reports of `category` at one point of a cell (row, column in it) submitted at or after
    `since`: one key range."""
    pk, prefix = _cell_key(cell, category)
    low = f"{prefix}{point[0]}{point[1]}#"
    values = {":pk": pk, ":low": low + since, ":high": low + "~"}
    return _nearby_query("geo_pk = :pk AND geo_sk BETWEEN :low AND :high", values, read)[0]


def nearby_partitions(
    partitions: list[geo.Partition], category: str | None, since: str, read: ReadCount
) -> list[dict[str, Any]]:
    """The open public reports of `category` (None: every category) in whole partitions submitted at or after
    `since` (checked here: a partition is ordered by cell, not date); `read` counts the items read."""
    found: list[dict[str, Any]] = []
    for partition in partitions:
        values = {":pk": _partition_key(partition)}
        condition = "geo_pk = :pk"
        if category is not None:
            condition += " AND begins_with(geo_sk, :category)"
            values[":category"] = category + "#"
        items, _ = _nearby_query(condition, values, read)
        found.extend(item for item in items if item["submitted_at"] >= since)
    return found


def public_partitions(categories: list[str] | None, states: list[str]) -> tuple[str, list[str]]:
    """The index and its partitions that hold the reports of these categories (None: all) and states."""
    if categories is None:
        return "public", [PUBLIC_PREFIX + state for state in states]
    return "public_service", [f"{PUBLIC_PREFIX}{code}#{state}" for code in categories for state in states]


@dataclass
class ReadCount:
    """Items DynamoDB read for a listing (ScannedCount summed over pages)."""

    items: int = 0


def public_reports(
    index: str, partitions: list[str], start: str, end: str, limit: int, read: ReadCount | None = None
) -> list[dict[str, Any]]:
    """Up to `limit` public reports submitted between `start` and `end` (stored timestamps), newest first,
    from the given partitions of a public index, merged.

    Each partition is read lazily, in pages sized to what the listing still needs shared among the
    partitions, so the items read stay close to the items listed however the reports are spread over the
    partitions: at most the unused rest of each partition's last page more. The first page of each of
    several partitions is a quarter of its even share, because one partition may hold far fewer of the
    newest reports than another (one in ten reports is closed: an even first page read 1.45 items per item
    listed among 50,000 reports; these pages read 1.02 to 1.11 in a simulation of closed shares from 2 % to 90 %).
    """
    read = read if read is not None else ReadCount()
    taken = [0]
    count = max(1, len(partitions))
    share = -(-limit // count)
    first = share if count == 1 else -(-share // 4)

    def partition(key: str, index_key: str) -> Iterator[dict[str, Any]]:
        # By name, what the index projects: the function's policy allows no other read (dynamodb:Attributes).
        projection = _projection((index_key, "public_sk", *OPEN311_ATTRIBUTES))
        kwargs: dict[str, Any] = {
            "TableName": settings().reports_table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :k AND public_sk BETWEEN :start AND :end",
            "ProjectionExpression": projection["ProjectionExpression"],
            "ExpressionAttributeNames": {"#k": index_key, **projection["ExpressionAttributeNames"]},
            "ExpressionAttributeValues": {":k": {"S": key}, ":start": {"S": start}, ":end": {"S": end + "#~"}},
            "ScanIndexForward": False,
        }
        wanted = first
        while True:
            kwargs["Limit"] = max(1, min(MAX_PAGE, wanted))
            result = client("dynamodb").query(**kwargs)
            read.items += int(result.get("ScannedCount", 0))
            for item in result.get("Items", []):
                yield from_item(item)
            last = result.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last
            wanted = -(-(limit - taken[0]) // count)

    index_key = "public_pk" if index == "public" else "service_pk"
    streams = [partition(key, index_key) for key in partitions]
    found: list[dict[str, Any]] = []
    for item in heapq.merge(*streams, key=lambda i: str(i["public_sk"]), reverse=True):
        found.append(item)
        taken[0] += 1
        if taken[0] >= limit:
            break
    return found


def get_public_reports(tracking_ids: list[str]) -> list[dict[str, Any]]:
    """The public attributes of these reports (at most 100; unknown ones are left out), in no order."""
    if not tracking_ids:
        return []
    table = settings().reports_table
    keys = [report_key(tid) for tid in dict.fromkeys(tracking_ids)]
    pending: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True, **_projection(OPEN311_ATTRIBUTES)}}
    found: list[dict[str, Any]] = []
    for attempt in range(8):
        result = client("dynamodb").batch_get_item(RequestItems=pending)
        found.extend(from_item(item) for item in result.get("Responses", {}).get(table, []))
        pending = result.get("UnprocessedKeys") or {}
        if not pending:
            return found
        time.sleep(0.05 * 2**attempt)
    raise ConfigurationError("could not read the requested reports")


# ---------------------------------------------------------------- Open311 partner keys


def _partner_key(key_hash: str) -> dict[str, Any]:
    return {"pk": {"S": PARTNER_KEY_PK}, "sk": {"S": key_hash}}


def put_partner_key(key_hash: str, record: Mapping[str, Any]) -> None:
    """Store a new partner key (its hash only); never overwrites one."""
    client("dynamodb").put_item(
        TableName=settings().reports_table,
        Item=to_item({"pk": PARTNER_KEY_PK, "sk": key_hash, **record}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def use_partner_key(key_hash: str, at: str) -> str | None:
    """Count one use of a partner key: its key id, or None when no such key exists or it was revoked (nothing
    counted)."""
    updated = _updated_unless_refused(
        Key=_partner_key(key_hash),
        UpdateExpression="ADD uses :one SET last_used_at = :at",
        ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":at": {"S": at}},
    )
    return None if updated is None else str(updated["key_id"])


def count_partner_report(key_hash: str) -> None:
    """One more report filed with a partner key (a replay is no new report and is not counted)."""
    client("dynamodb").update_item(
        TableName=settings().reports_table,
        Key=_partner_key(key_hash),
        UpdateExpression="ADD reports :one",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def list_partner_keys() -> list[dict[str, Any]]:
    """Every partner key record (hashes, names, counts), one query on one partition."""
    return list(_partition(PARTNER_KEY_PK))


def revoke_partner_key(record: Mapping[str, Any], at: str) -> bool:
    """Revoke a partner key (a record of `list_partner_keys`); False when it was revoked before."""
    return _unless_refused(
        "update_item",
        Key=_partner_key(record["sk"]),
        UpdateExpression="SET revoked_at = :at",
        ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
        ExpressionAttributeValues={":at": {"S": at}},
    )


# ---------------------------------------------------------------- deliveries (notifications sent once)


def claim_delivery(delivery_id: str, stale_after_seconds: int, keep_days: int = 30) -> str:
    """Claim the right to send one notification: "claimed", "sent" (done before), "rejected" (refused for
    good before) or "busy" (in flight).

    A claim older than `stale_after_seconds` is taken over (its holder died before finishing).
    """
    now = int(time.time())
    ddb = client("dynamodb")
    table = settings().idempotency_table
    try:
        ddb.put_item(
            TableName=table,
            Item=to_item(
                {
                    "pk": DELIVERY_PREFIX + delivery_id,
                    "state": "sending",
                    "claimed_at": now,
                    "expires_at": now + keep_days * 86400,
                }
            ),
            ConditionExpression="attribute_not_exists(pk) OR (#s = :sending AND claimed_at < :stale)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":sending": {"S": "sending"}, ":stale": {"N": str(now - stale_after_seconds)}},
        )
        return "claimed"
    except ddb.exceptions.ConditionalCheckFailedException:
        found = ddb.get_item(
            TableName=table,
            Key={"pk": {"S": DELIVERY_PREFIX + delivery_id}},
            ConsistentRead=True,
            **_projection(DELIVERY_ATTRIBUTES),
        )
        state = found.get("Item", {}).get("state", {}).get("S")
        return state if state in ("sent", "rejected") else "busy"


def finish_delivery(delivery_id: str, outcome: str) -> None:
    """Record a notification as "sent" or "rejected" (refused for good: never tried again), or give the
    claim back ("retry") so that a later attempt sends it."""
    ddb = client("dynamodb")
    table = settings().idempotency_table
    key = {"pk": {"S": DELIVERY_PREFIX + delivery_id}}
    if outcome in ("sent", "rejected"):
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #s = :outcome",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":outcome": {"S": outcome}},
        )
    else:
        ddb.delete_item(TableName=table, Key=key)


# ---------------------------------------------------------------- WhatsApp


def claim_whatsapp_message(message_id: str, keep_seconds: int) -> bool:
    """Record a webhook message as seen (`message_id`: a keyed hash of its wamid); False when it was before."""
    now = int(time.time())
    ddb = client("dynamodb")
    try:
        ddb.put_item(
            TableName=settings().idempotency_table,
            Item=to_item({"pk": WHATSAPP_MESSAGE_PREFIX + message_id, "expires_at": now + keep_seconds}),
            # An expired record (TTL deletes lazily) may be replaced.
            ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def release_whatsapp_message(message_id: str) -> None:
    """Give a claim back (the message could not be queued): marked expired, so Meta's retry claims it again."""
    client("dynamodb").put_item(
        TableName=settings().idempotency_table,
        Item=to_item({"pk": WHATSAPP_MESSAGE_PREFIX + message_id, "expires_at": 0}),
    )


def get_conversation(sender_id: str, attributes: tuple[str, ...] = CONVERSATION_ATTRIBUTES) -> dict[str, Any] | None:
    """A sender's conversation record that has not expired (strongly consistent; `attributes` of it)."""
    found = client("dynamodb").get_item(
        TableName=settings().idempotency_table,
        Key={"pk": {"S": WHATSAPP_CHAT_PREFIX + sender_id}},
        ConsistentRead=True,
        **_projection(attributes),
    )
    record = from_item(found["Item"]) if found.get("Item") else None
    if record is None or int(record.get("expires_at", 0)) < int(time.time()):
        return None
    return record


def put_conversation(sender_id: str, record: Mapping[str, Any], expires_at: int) -> None:
    """Store a sender's conversation record, kept until `expires_at` (epoch seconds, the table's TTL)."""
    client("dynamodb").put_item(
        TableName=settings().idempotency_table,
        Item=to_item({**record, "pk": WHATSAPP_CHAT_PREFIX + sender_id, "expires_at": expires_at}),
    )


def set_whatsapp_opt_out(sender_id: str, opted_out: bool) -> None:
    """Record whether a sender wants no more updates (STOP), or wants them again (asked for on a new report)."""
    client("dynamodb").put_item(
        TableName=settings().idempotency_table,
        Item=to_item({"pk": WHATSAPP_OPT_OUT_PREFIX + sender_id, "opted_out": opted_out}),
    )


def whatsapp_contact(sender_id: str) -> tuple[bool, bool]:
    """(opted out of updates, inside WhatsApp's 24-hour window: the sender's conversation has not expired)."""
    ddb = client("dynamodb")
    table = settings().idempotency_table
    opt_out = ddb.get_item(
        TableName=table,
        Key={"pk": {"S": WHATSAPP_OPT_OUT_PREFIX + sender_id}},
        ConsistentRead=True,
        **_projection(WHATSAPP_CONTACT_ATTRIBUTES),
    ).get("Item")
    in_window = get_conversation(sender_id, WHATSAPP_CONTACT_ATTRIBUTES) is not None
    return bool(opt_out and from_item(opt_out).get("opted_out")), in_window


def count_whatsapp_use(sender_id: str, window: str, limit: int, expires_at: int) -> bool:
    """Count one use in a sender's window (e.g. messages of an hour); False, counting nothing, at `limit`."""
    ddb = client("dynamodb")
    try:
        ddb.update_item(
            TableName=settings().idempotency_table,
            Key={"pk": {"S": f"{WHATSAPP_LIMIT_PREFIX}{sender_id}#{window}"}},
            UpdateExpression="ADD uses :one SET expires_at = :expires",
            ConditionExpression="attribute_not_exists(uses) OR uses < :limit",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(expires_at)},
            },
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


# ---------------------------------------------------------------- deadlines


def due_pages(due_by: str, page_size: int = 100) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Pages of the reports whose deadline is at or before `due_by`, from the sparse due index only,
    each with the number of items DynamoDB read for it (ScannedCount): the cost never grows with the table.
    """
    return _sparse_pages("due", "due_pk", DUE_PK, "due_at", due_by, page_size, DEADLINE_ATTRIBUTES)


def _sparse_pages(
    index: str, partition: str, value: str, sort: str, until: str, page_size: int, attributes: tuple[str, ...]
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Pages of a sparse index's one partition up to `until` on its sort key (`attributes` of each item), each
    with its ScannedCount."""
    return _pages(
        TableName=settings().reports_table,
        IndexName=index,
        KeyConditionExpression=f"{partition} = :pk AND {sort} <= :until",
        ExpressionAttributeValues={":pk": {"S": value}, ":until": {"S": until}},
        Limit=page_size,
        **_projection(attributes),
    )


def _pages(**kwargs: Any) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """The pages of one Query, each with the number of items DynamoDB read for it (ScannedCount)."""
    ddb = client("dynamodb")
    while True:
        result = ddb.query(**kwargs)
        yield [from_item(i) for i in result.get("Items", [])], int(result.get("ScannedCount", 0))
        last = result.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


# ---------------------------------------------------------------- retention

# What the retention index projects (template.yaml says the same): what erasing a report needs, nothing sealed.
RETENTION_ATTRIBUTES = ("tracking_id", "status", "confidential", "attachments", "rating", "retain_at")


def retention_pages(closed_by: str, page_size: int = 100) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Pages of the reports closed or rejected at or before `closed_by` that still hold personal data, from
    the sparse retention index only, each with the items DynamoDB read for it (ScannedCount)."""
    attributes = ("pk", "sk", "retain_pk", *RETENTION_ATTRIBUTES)
    return _sparse_pages("retention", "retain_pk", RETAIN_PK, "retain_at", closed_by, page_size, attributes)


# What the retention backfill reads of a closed report (`lifecycle.retention_start`), nothing sealed.
BACKFILL_ATTRIBUTES = ("tracking_id", "status", "closed_at", "updated_at", "timeline")


def closed_outside_retention(agency_id: str) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Pages of an agency's closed and rejected reports that are not in the retention index (closed before it
    existed, or erased), each with the items DynamoDB read for it: Queries on the inbox_status index, never a
    scan."""
    for status in CLOSED:
        yield from _pages(
            TableName=settings().reports_table,
            IndexName="inbox_status",
            KeyConditionExpression="status_pk = :pk",
            FilterExpression="attribute_not_exists(retain_pk)",
            ExpressionAttributeValues={":pk": {"S": _status_pk(agency_id, status)}},
            **_projection(BACKFILL_ATTRIBUTES),
        )


def enter_retention(report: Mapping[str, Any], retain_at: str) -> bool:
    """Put a closed report (as `closed_outside_retention` read it) in the retention index from `retain_at`, if it
    is still outside it and in the same status; False otherwise (nothing changed)."""
    return _unless_refused(
        "update_item",
        Key=report_key(report["tracking_id"]),
        UpdateExpression="SET retain_pk = :retain, retain_at = :at",
        ConditionExpression="attribute_not_exists(retain_pk) AND #status = :status",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":retain": {"S": RETAIN_PK},
            ":at": {"S": retain_at},
            ":status": {"S": report["status"]},
        },
    )


def delete_private_messages(tracking_id: str) -> int:
    """Delete every PRIVATE# item of a report (keys read only, never a text); how many there were."""
    ddb = client("dynamodb")
    table = settings().reports_table
    found = _query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :private)",
        ExpressionAttributeValues={":pk": {"S": REPORT_PREFIX + tracking_id}, ":private": {"S": PRIVATE_PREFIX}},
        **_projection(("pk", "sk")),
    )
    deleted = 0
    for item in found:
        ddb.delete_item(TableName=table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}})
        deleted += 1
    return deleted


def erase_personal_data(seen: Mapping[str, Any], entry: Mapping[str, Any], kept: Mapping[str, Any]) -> bool:
    """Crypto-shred a report (as `retention_pages` read it): its sealed envelope (the wrapped data key, the
    contact and the sealed fields with it) goes, `kept` replaces what stays of its attributes (rating,
    attachments), `entry` joins its timeline, and it leaves the retention index, in one conditional write.
    False when it was no longer due as read (another run erased it first)."""
    names = {"#sealed": "sealed", "#t": "timeline", "#pk": "retain_pk", "#at": "retain_at", "#c": "has_contact"}
    values: dict[str, Any] = {":entry": to_attr([dict(entry)]), ":empty": {"L": []}, ":seen": {"S": seen["retain_at"]}}
    sets = ["#t = list_append(if_not_exists(#t, :empty), :entry)", "#c = :false"]
    values[":false"] = {"BOOL": False}
    removes = ["#sealed", "#pk", "#at"]
    for index, (attribute, value) in enumerate(kept.items()):
        names[f"#k{index}"] = attribute
        if value is None:
            removes.append(f"#k{index}")
        else:
            values[f":k{index}"] = to_attr(value)
            sets.append(f"#k{index} = :k{index}")
    return _unless_refused(
        "update_item",
        Key=report_key(seen["tracking_id"]),
        UpdateExpression="SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),
        ConditionExpression="#pk = :retain AND #at = :seen",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={**values, ":retain": {"S": RETAIN_PK}},
    )


# ---------------------------------------------------------------- outbox


def pending_outbox(due_by: str, limit: int = 100) -> Iterator[dict[str, Any]]:
    """Reports whose outbox is due for (re)sending by `due_by` (stored timestamp), oldest first."""
    yield from _query(
        TableName=settings().reports_table,
        IndexName="outbox",
        KeyConditionExpression="outbox_pk = :pk AND outbox_at <= :by",
        ExpressionAttributeValues={":pk": {"S": OUTBOX_PK}, ":by": {"S": due_by}},
        Limit=limit,
        max_items=limit,
        **_projection(OUTBOX_ATTRIBUTES),
    )


def claim_outbox(seen: Mapping[str, Any], next_at: str) -> bool:
    """Move the outbox time of a report (as `pending_outbox` read it) to `next_at`; False if another relay
    got there first."""
    return _unless_refused(
        "update_item",
        Key=report_key(seen["tracking_id"]),
        UpdateExpression="SET outbox_at = :next ADD outbox_attempts :one",
        ConditionExpression="outbox_at = :seen",
        ExpressionAttributeValues={":next": {"S": next_at}, ":seen": {"S": seen["outbox_at"]}, ":one": {"N": "1"}},
    )


def mark_outbox_stuck(seen: Mapping[str, Any]) -> bool:
    """Move a report (as `pending_outbox` read it) whose events the relay gave up on into the stuck partition
    of the outbox index, where the relay no longer looks and `lapor outbox` does; False if something changed
    it meanwhile."""
    return _unless_refused(
        "update_item",
        Key=report_key(seen["tracking_id"]),
        UpdateExpression="SET outbox_pk = :stuck",
        ConditionExpression="outbox_pk = :live AND outbox_at = :seen",
        ExpressionAttributeValues={
            ":stuck": {"S": STUCK_OUTBOX_PK},
            ":live": {"S": OUTBOX_PK},
            ":seen": {"S": seen["outbox_at"]},
        },
    )


def stuck_outbox() -> Iterator[dict[str, Any]]:
    """Every report whose pending events the relay gave up on, longest stuck first (few: each one raises
    an alarm)."""
    yield from _query(
        TableName=settings().reports_table,
        IndexName="outbox",
        KeyConditionExpression="outbox_pk = :pk",
        ExpressionAttributeValues={":pk": {"S": STUCK_OUTBOX_PK}},
        **_projection(OUTBOX_ATTRIBUTES),
    )


def redrive_outbox(tracking_id: str, next_at: str) -> dict[str, Any] | None:
    """Give a stuck report's events back to the relay with a fresh attempt count; the report as it now is,
    or None when it was not stuck."""
    return _updated_unless_refused(
        Key=report_key(tracking_id),
        UpdateExpression="SET outbox_pk = :live, outbox_at = :next, outbox_attempts = :zero",
        ConditionExpression="outbox_pk = :stuck",
        ExpressionAttributeValues={
            ":live": {"S": OUTBOX_PK},
            ":stuck": {"S": STUCK_OUTBOX_PK},
            ":next": {"S": next_at},
            ":zero": {"N": "0"},
        },
    )


def drop_outbox_index(tracking_id: str) -> bool:
    """Take a report out of the outbox index once every event in it was handled."""
    return _unless_refused(
        "update_item",
        Key=report_key(tracking_id),
        UpdateExpression="REMOVE outbox_pk, outbox_at, outbox_attempts",
        ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(outbox) OR size(outbox) = :zero)",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )


# ---------------------------------------------------------------- helpers


def _partition(pk: str, max_items: int | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of one partition of the reports table, in sort key order (up to `max_items`)."""
    values = {":pk": {"S": pk}}
    table = settings().reports_table
    return _query(
        max_items, TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=values, **kwargs
    )


def _projection(attributes: tuple[str, ...]) -> dict[str, Any]:
    """The parameters of a read of `attributes` only (by placeholder: some are reserved words, such as status)."""
    names = {f"#p{i}": attribute for i, attribute in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _unless_refused(operation: str, **request: Any) -> bool:
    """One conditional write on the reports table; False when its condition refused it (nothing changed)."""
    ddb = client("dynamodb")
    try:
        getattr(ddb, operation)(TableName=settings().reports_table, **request)
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _updated_unless_refused(**request: Any) -> dict[str, Any] | None:
    """One conditional update on the reports table: the item as it now is, or None when refused."""
    ddb = client("dynamodb")
    try:
        result = ddb.update_item(TableName=settings().reports_table, ReturnValues="ALL_NEW", **request)
    except ddb.exceptions.ConditionalCheckFailedException:
        return None
    return from_item(result["Attributes"])


def _query(max_items: int | None = None, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a query, following pages (up to `max_items`)."""
    ddb = client("dynamodb")
    seen = 0
    while True:
        result = ddb.query(**kwargs)
        for item in result.get("Items", []):
            yield from_item(item)
            seen += 1
            if max_items is not None and seen >= max_items:
                return
        last = result.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last

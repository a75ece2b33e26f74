"""DynamoDB access: the one module that knows table layouts, keys, indexes and expressions.

Reports table (single table):
  pk=REPORT#<tracking id>, sk=REPORT   the report: public fields, sealed fields, timeline, outbox
  pk=DIRECTORY, sk=AGENCY#<id>         an agency of the directory
  pk=DIRECTORY, sk=CATEGORY#<code>     a category of the directory
  pk=STATS, sk=<agency id>              an agency's public counters (see lapor.stats)
  pk=DIRECTORY#REPLIES#<agency id>, sk=<reply id>   an agency's saved replies (its officers' only)
Indexes (all sparse, keys written only when they apply):
  inbox (inbox_pk=AGENCY#<id>, inbox_sk=<submitted at>#<id>)      the responsible agency's inbox
  inbox_status (status_pk=AGENCY#<id>#<status>, inbox_sk)         the same, by status
  due (due_pk=DUE, due_at)                                        open reports with a running deadline
  outbox (outbox_pk=OUTBOX, outbox_at)                            reports with events not yet handled
Idempotency table: pk=<hash of the Idempotency-Key>, expires_at (TTL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lapor.aws import client
from lapor.config import settings
from lapor.errors import ConfigurationError

REPORT_SK = "REPORT"
DIRECTORY_PK = "DIRECTORY"
OUTBOX_PK = "OUTBOX"
DUE_PK = "DUE"
STATS_PK = "STATS"


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


# DynamoDB refuses items over 400 KB. Messages stop well before that, so that the system's own small
# entries (notifications, escalations) always still fit; moto counts binary values base64-encoded and an
# updated attribute twice, so the local stack would refuse from about 200 KB: stay under both.
MAX_REPORT_BYTES = 150_000


def approximate_size(value: Any) -> int:
    """About how many bytes DynamoDB counts for a stored value (names and values, UTF-8)."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k)) + approximate_size(v) + 1 for k, v in value.items()) + 3
    if isinstance(value, list | tuple | set):
        return sum(approximate_size(v) + 1 for v in value) + 3
    return 21  # numbers, booleans, null: at most 21 bytes


def report_key(tracking_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"REPORT#{tracking_id}"}, "sk": {"S": REPORT_SK}}


# ---------------------------------------------------------------- directory


def read_directory() -> dict[str, Any]:
    """The directory as stored: ``{"agencies": [...], "categories": [...]}`` (one query, paged)."""
    agencies: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    for item in _query(
        TableName=settings().reports_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": DIRECTORY_PK}},
    ):
        data = item.get("data") or {}
        if item["sk"].startswith("AGENCY#"):
            agencies.append(data)
        elif item["sk"].startswith("CATEGORY#"):
            categories.append(data)
    if not agencies:
        raise ConfigurationError("the directory is empty: seed it with `lapor seed`")
    return {"agencies": agencies, "categories": categories}


def write_directory(data: Mapping[str, Any]) -> int:
    """Store every agency and category of `data` (replacing entries with the same id)."""
    puts = [{"pk": DIRECTORY_PK, "sk": f"AGENCY#{a['id']}", "data": dict(a)} for a in data.get("agencies", [])] + [
        {"pk": DIRECTORY_PK, "sk": f"CATEGORY#{c['code']}", "data": dict(c)} for c in data.get("categories", [])
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


# ---------------------------------------------------------------- saved replies

REPLIES_PK = "DIRECTORY#REPLIES#"


def _reply_key(agency_id: str, reply_id: str) -> dict[str, Any]:
    return {"pk": {"S": REPLIES_PK + agency_id}, "sk": {"S": reply_id}}


def list_replies(agency_id: str, limit: int) -> list[dict[str, Any]]:
    """An agency's saved replies, oldest first (reply ids sort by creation)."""
    return list(
        _query(
            max_items=limit,
            TableName=settings().reports_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": REPLIES_PK + agency_id}},
        )
    )


def put_reply(agency_id: str, reply: Mapping[str, Any], must_exist: bool) -> bool:
    """Create (the id must be new) or replace (it must exist) a saved reply; False when that was not so."""
    item = {**_reply_key(agency_id, reply["reply_id"]), **to_item(reply)}
    condition = "attribute_exists(pk)" if must_exist else "attribute_not_exists(pk)"
    ddb = client("dynamodb")
    try:
        ddb.put_item(TableName=settings().reports_table, Item=item, ConditionExpression=condition)
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def delete_reply(agency_id: str, reply_id: str) -> bool:
    """Delete a saved reply; False when it did not exist."""
    ddb = client("dynamodb")
    try:
        ddb.delete_item(
            TableName=settings().reports_table,
            Key=_reply_key(agency_id, reply_id),
            ConditionExpression="attribute_exists(pk)",
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        return False
    return True


# ---------------------------------------------------------------- reports


def get_report(tracking_id: str) -> dict[str, Any] | None:
    """One report by Tracking ID: a single strongly consistent GetItem."""
    result = client("dynamodb").get_item(
        TableName=settings().reports_table, Key=report_key(tracking_id), ConsistentRead=True
    )
    item = result.get("Item")
    return from_item(item) if item else None


def create_report(report: Mapping[str, Any], idempotency_record: Mapping[str, Any] | None = None) -> None:
    """Store a new report; never overwrites one.

    With an idempotency record, both are written in one transaction: the report exists exactly when
    its replayable response does, so a retry after any failure either replays or creates, never both.
    Raises `AlreadyExists("report" | "idempotency")` or `WriteConflict`.
    """
    s = settings()
    report_put = {
        "TableName": s.reports_table,
        "Item": to_item(report),
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    ddb = client("dynamodb")
    if idempotency_record is None:
        try:
            ddb.put_item(**report_put)
        except ddb.exceptions.ConditionalCheckFailedException as exc:
            raise AlreadyExists("report") from exc
        return
    idem_put = {
        "TableName": s.idempotency_table,
        "Item": to_item(idempotency_record),
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
        TableName=settings().idempotency_table, Key={"pk": {"S": key_hash}}, ConsistentRead=True
    )
    item = result.get("Item")
    if not item:
        return None
    record = from_item(item)
    if int(record.get("expires_at", 0)) < int(time.time()):
        return None
    return record


@dataclass
class Change:
    """One atomic, conditional change to a report: the store turns it into a single UpdateItem.

    `expected_version` guards against lost updates (the report's `version` is bumped by one);
    `expected_status` (if given) must contain the current status; `outbox_event` is written into the
    report's outbox in the same write, so the event cannot be lost.
    """

    expected_version: int | None = None
    expected_status: tuple[str, ...] = ()
    condition: str | None = None  # an extra condition, with its own #name and :value placeholders
    condition_names: dict[str, str] = field(default_factory=dict)
    condition_values: dict[str, Any] = field(default_factory=dict)
    set_fields: dict[str, Any] = field(default_factory=dict)
    remove_fields: list[str] = field(default_factory=list)
    add_fields: dict[str, int] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    outbox_event: dict[str, Any] | None = None
    outbox_at: str | None = None
    bump_version: bool = True


def apply_change(tracking_id: str, change: Change) -> dict[str, Any]:
    """Apply `change` to a report in one conditional UpdateItem; returns the report as it now is.

    Raises `StaleReport` when a condition does not hold (another action won, or a stale version).
    """
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

    sets = [f"{name(k)} = {value(v)}" for k, v in change.set_fields.items()]
    adds = [f"{name(k)} {value(v)}" for k, v in change.add_fields.items()]
    if change.bump_version:
        adds.append(f"{name('version')} {value(1)}")
    if change.timeline:
        timeline = name("timeline")
        sets.append(f"{timeline} = list_append(if_not_exists({timeline}, {value([])}), {value(change.timeline)})")
    if change.outbox_event is not None:
        outbox = name("outbox")
        event_name = name(change.outbox_event["event_id"])
        sets.append(f"{outbox}.{event_name} = {value(change.outbox_event)}")
        sets.append(f"{name('outbox_pk')} = {value(OUTBOX_PK)}")
        sets.append(f"{name('outbox_at')} = {value(change.outbox_at)}")
    conditions = ["attribute_exists(pk)"]
    if change.expected_version is not None:
        conditions.append(f"{name('version')} = {value(change.expected_version)}")
    if change.expected_status:
        status = name("status")
        conditions.append("(" + " OR ".join(f"{status} = {value(s)}" for s in change.expected_status) + ")")
    if change.condition:
        conditions.append(f"({change.condition})")
        names.update(change.condition_names)
        values.update({k: to_attr(v) for k, v in change.condition_values.items()})
    expression = ""
    if sets:
        expression += "SET " + ", ".join(sets)
    if change.remove_fields:
        expression += " REMOVE " + ", ".join(name(f) for f in change.remove_fields)
    if adds:
        expression += " ADD " + ", ".join(adds)
    ddb = client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": settings().reports_table,
        "Key": report_key(tracking_id),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ReturnValues": "ALL_NEW",
    }
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        result = ddb.update_item(**kwargs)
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        raise StaleReport() from exc
    return from_item(result["Attributes"])


def inbox_page(agency_id: str, status: str | None, before: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` reports an agency is responsible for, newest first, older than `before` (inbox_sk)."""
    if status:
        index, key, key_value = "inbox_status", "status_pk", f"AGENCY#{agency_id}#{status}"
    else:
        index, key, key_value = "inbox", "inbox_pk", f"AGENCY#{agency_id}"
    condition = f"{key} = :k"
    values: dict[str, Any] = {":k": {"S": key_value}}
    if before:
        condition += " AND inbox_sk < :before"
        values[":before"] = {"S": before}
    return list(
        _query(
            TableName=settings().reports_table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
    )


def ack_event(
    tracking_id: str, event_id: str, timeline: list[dict[str, Any]], counters: Mapping[str, Mapping[str, int]]
) -> bool:
    """Mark an event handled: out of the outbox, with its timeline entries and its counter changes, in one
    transaction, so that each event counts exactly once.

    False when the event was no longer in the outbox (a duplicate delivery already acknowledged it).
    """
    table = settings().reports_table
    ack = {
        "TableName": table,
        "Key": report_key(tracking_id),
        "UpdateExpression": "SET #t = list_append(if_not_exists(#t, :empty), :entries) REMOVE #o.#e",
        "ConditionExpression": "attribute_exists(#o.#e)",
        "ExpressionAttributeNames": {"#t": "timeline", "#o": "outbox", "#e": event_id},
        "ExpressionAttributeValues": {":empty": {"L": []}, ":entries": to_attr(timeline)},
    }
    ddb = client("dynamodb")
    if not counters:
        try:
            ddb.update_item(**ack)
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
    items: list[dict[str, Any]] = [{"Update": ack}]
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
    try:
        ddb.transact_write_items(TransactItems=items)
    except ddb.exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def read_stats() -> list[dict[str, Any]]:
    """Every agency's counters (one query on one partition)."""
    return list(
        _query(
            TableName=settings().reports_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": STATS_PK}},
        )
    )


def record_access_failure(tracking_id: str, window: str) -> None:
    """Count one wrong access code against a report, in the current window (a new window restarts at 1)."""
    ddb = client("dynamodb")
    key = report_key(tracking_id)
    table = settings().reports_table
    try:
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="ADD #f.#c :one",
            ConditionExpression="#f.#w = :w",
            ExpressionAttributeNames={"#f": "access_failures", "#c": "count", "#w": "window"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":w": {"S": window}},
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #f = :fresh",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#f": "access_failures"},
            ExpressionAttributeValues={":fresh": to_attr({"window": window, "count": 1})},
        )


# ---------------------------------------------------------------- deliveries (notifications sent once)


def claim_delivery(delivery_id: str, stale_after_seconds: int, keep_days: int = 30) -> str:
    """Claim the right to send one notification: "claimed", "sent" (done before) or "busy" (in flight).

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
                    "pk": f"delivery:{delivery_id}",
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
        found = ddb.get_item(TableName=table, Key={"pk": {"S": f"delivery:{delivery_id}"}}, ConsistentRead=True)
        state = found.get("Item", {}).get("state", {}).get("S")
        return "sent" if state == "sent" else "busy"


def finish_delivery(delivery_id: str, sent: bool) -> None:
    """Record a sent notification, or give the claim back so that a retry sends it."""
    ddb = client("dynamodb")
    table = settings().idempotency_table
    key = {"pk": {"S": f"delivery:{delivery_id}"}}
    if sent:
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #s = :sent",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":sent": {"S": "sent"}},
        )
    else:
        ddb.delete_item(TableName=table, Key=key)


# ---------------------------------------------------------------- deadlines


def due_pages(due_by: str, page_size: int = 100) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Pages of the reports whose deadline is at or before `due_by`, from the sparse due index only,
    each with the number of items DynamoDB read for it (ScannedCount): the cost never grows with the table.
    """
    ddb = client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": settings().reports_table,
        "IndexName": "due",
        "KeyConditionExpression": "due_pk = :pk AND due_at <= :by",
        "ExpressionAttributeValues": {":pk": {"S": DUE_PK}, ":by": {"S": due_by}},
        "Limit": page_size,
    }
    while True:
        result = ddb.query(**kwargs)
        yield [from_item(i) for i in result.get("Items", [])], int(result.get("ScannedCount", 0))
        last = result.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


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
    )


def claim_outbox(tracking_id: str, seen_at: str, next_at: str) -> bool:
    """Move a report's outbox time from `seen_at` to `next_at`; False if another relay got there first."""
    ddb = client("dynamodb")
    try:
        ddb.update_item(
            TableName=settings().reports_table,
            Key=report_key(tracking_id),
            UpdateExpression="SET outbox_at = :next ADD outbox_attempts :one",
            ConditionExpression="outbox_at = :seen",
            ExpressionAttributeValues={":next": {"S": next_at}, ":seen": {"S": seen_at}, ":one": {"N": "1"}},
        )
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False


def drop_outbox_index(tracking_id: str) -> bool:
    """Take a report out of the outbox index once every event in it was handled."""
    ddb = client("dynamodb")
    try:
        ddb.update_item(
            TableName=settings().reports_table,
            Key=report_key(tracking_id),
            UpdateExpression="REMOVE outbox_pk, outbox_at, outbox_attempts",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(outbox) OR size(outbox) = :zero)",
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False


# ---------------------------------------------------------------- helpers


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

"""DynamoDB access: the one module that knows table layouts, keys, indexes and expressions.

Reports table (single table):
  pk=REPORT#<tracking id>, sk=REPORT   the report: public fields, sealed fields, timeline, outbox
  pk=DIRECTORY, sk=AGENCY#<id>         an agency of the directory
  pk=DIRECTORY, sk=CATEGORY#<code>     a category of the directory
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
from typing import Any

from lapor.aws import client
from lapor.config import settings
from lapor.errors import ConfigurationError

REPORT_SK = "REPORT"
DIRECTORY_PK = "DIRECTORY"
OUTBOX_PK = "OUTBOX"
DUE_PK = "DUE"


class AlreadyExists(Exception):
    """A conditional create found the key taken (`which` says which item: report or idempotency)."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


class WriteConflict(Exception):
    """A transaction collided with a concurrent one; retrying may succeed."""


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
    return {"pk": {"S": f"REPORT#{tracking_id}"}, "sk": {"S": REPORT_SK}}


def _is_conditional_failure(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code == "ConditionalCheckFailedException"


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
    try:
        client("dynamodb").update_item(
            TableName=settings().reports_table,
            Key=report_key(tracking_id),
            UpdateExpression="SET outbox_at = :next ADD outbox_attempts :one",
            ConditionExpression="outbox_at = :seen",
            ExpressionAttributeValues={":next": {"S": next_at}, ":seen": {"S": seen_at}, ":one": {"N": "1"}},
        )
        return True
    except Exception as exc:
        if _is_conditional_failure(exc):
            return False
        raise


def drop_outbox_index(tracking_id: str) -> bool:
    """Take a report out of the outbox index once every event in it was handled."""
    try:
        client("dynamodb").update_item(
            TableName=settings().reports_table,
            Key=report_key(tracking_id),
            UpdateExpression="REMOVE outbox_pk, outbox_at, outbox_attempts",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(outbox) OR size(outbox) = :zero)",
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )
        return True
    except Exception as exc:
        if _is_conditional_failure(exc):
            return False
        raise


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

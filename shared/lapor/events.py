"""Report events and the outbox that guarantees they go out.

Every state change writes its event into the report's `outbox` in the same conditional write as the
change itself, then sends it to the `report-events` queue at once. The consumer removes the event from
the outbox when it has handled it. Whatever is still in the outbox after a grace period (the send
failed, or the handling died) is sent again by the relay on a schedule, with backoff. Consumers are
idempotent per `event_id`, so a second delivery changes nothing.

Events carry identifiers only (Tracking ID, agencies, type, time): never content or contact data.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from lapor import store
from lapor.aws import client
from lapor.config import settings
from lapor.errors import Conflict
from lapor.lifecycle import Change
from lapor.observability import count, logger

MAX_BACKOFF = timedelta(hours=1)


def next_attempt(now: datetime, attempts: int) -> datetime:
    """When to look at an outbox again after `attempts` sends: 2, 4, 8 ... minutes, at most an hour."""
    return now + min(timedelta(minutes=2 ** max(1, min(attempts + 1, 10))), MAX_BACKOFF)


def publish(event: dict[str, Any]) -> bool:
    """Send one event to the queue. False (logged, counted) if it could not be sent: the outbox keeps it."""
    try:
        client("sqs").send_message(
            QueueUrl=settings().events_queue_url,
            MessageBody=json.dumps(event, separators=(",", ":")),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event["type"]}},
        )
    except Exception as exc:
        logger.warning(
            "event send deferred to the outbox relay",
            # The event id, not the Tracking ID: nothing here says whether the report is anonymous.
            extra={"event_type": event["type"], "event_id": event["event_id"], "error_type": type(exc).__name__},
        )
        count("EventSendDeferred")
        return False
    return True


def commit(
    tracking_id: str,
    change: Change,
    stale: str = "The report changed meanwhile; reload it and try again.",
    linked: tuple[str, Change] | None = None,
) -> dict[str, Any]:
    """Apply a planned change in one conditional write (with a `linked` change of another report: both in one
    transaction), then send its event (the outbox has it either way); returns the report as it now is, every
    message included.

    Raises `Conflict` (409) when another change got there first.
    """
    try:
        store.apply_change(tracking_id, change, linked)
    except store.StaleReport:
        raise Conflict(stale) from None
    if change.event is not None:
        publish(change.event)
    updated = store.read_report(tracking_id)  # the answer shows every message: one Query
    if updated is None:
        raise Conflict(stale)
    return updated

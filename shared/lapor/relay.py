"""The outbox relay: send again every event that was stored but is not known to be handled.

Each report's pending events are re-sent at most `outbox_max_attempts` times (LAPOR_OUTBOX_MAX_ATTEMPTS,
8 by default: with the backoff of `events.next_attempt` about four hours). After that the relay gives up
on the report: it moves to the stuck part of the outbox index, where `lapor outbox` lists it and re-drives
it, and every run reports how many reports are stuck (`STUCK_METRIC`, alarmed in the template).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lapor import store
from lapor.config import settings
from lapor.events import next_attempt, publish
from lapor.observability import count, logger
from lapor.timefmt import to_store, utcnow

# The metric every run emits with the number of stuck reports; the template's StuckOutboxAlarm watches it.
STUCK_METRIC = "OutboxStuck"


def relay_pending_events(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Re-send the events of every report whose outbox is due; reschedule each with backoff.

    A report is claimed (its outbox time moved forward) before its events are sent, so two overlapping
    runs never send the same outbox twice. Reports whose outbox is empty leave the index; reports sent
    `outbox_max_attempts` times already are left for an operator instead.
    """
    now = now or utcnow()
    cap = settings().outbox_max_attempts
    summary = {"reports": 0, "sent": 0, "failed": 0, "cleared": 0, "gave_up": 0, "stuck": 0}
    for item in list(store.pending_outbox(to_store(now), limit=limit)):
        summary["reports"] += 1
        pending: dict[str, Any] = item.get("outbox") or {}
        if not pending:
            summary["cleared"] += int(store.drop_outbox_index(item["tracking_id"]))
            continue
        attempts = int(item.get("outbox_attempts", 0))
        if attempts >= cap:
            summary["gave_up"] += int(store.mark_outbox_stuck(item))
            continue
        if not store.claim_outbox(item, to_store(next_attempt(now, attempts))):
            continue
        for event in sorted(pending.values(), key=lambda e: e["at"]):
            if publish(event):
                summary["sent"] += 1
            else:
                summary["failed"] += 1
    for item in store.stuck_outbox():
        if item.get("outbox"):
            summary["stuck"] += 1
        else:  # handled after all (a late delivery, or a message moved back from the dead-letter queue)
            summary["cleared"] += int(store.drop_outbox_index(item["tracking_id"]))
    if summary["sent"]:
        count("EventsRelayed", summary["sent"])
    # Every run, zero included: the alarm on it then always has data.
    count(STUCK_METRIC, summary["stuck"])
    if summary["gave_up"]:
        logger.warning("outbox relay gave up on reports: see `lapor outbox`", extra=summary)
    else:
        logger.info("outbox relay run", extra=summary)
    return summary


def stuck_events() -> list[dict[str, Any]]:
    """What the relay gave up on, for an operator: one entry per pending event of every stuck report."""
    found = []
    for item in store.stuck_outbox():
        for event in sorted((item.get("outbox") or {}).values(), key=lambda e: e["at"]):
            found.append(
                {
                    "tracking_id": item["tracking_id"],
                    "event_id": event["event_id"],
                    "type": event["type"],
                    "at": event["at"],
                    "attempts": int(item.get("outbox_attempts", 0)),
                }
            )
    return found


def redrive_stuck(tracking_ids: list[str] | None = None, now: datetime | None = None) -> dict[str, int]:
    """Give stuck reports (all, or those named) back to the relay with a fresh count of attempts, and send
    their events now. Reports that are not stuck are left alone."""
    now = now or utcnow()
    names = tracking_ids if tracking_ids is not None else [item["tracking_id"] for item in store.stuck_outbox()]
    summary = {"reports": 0, "sent": 0, "failed": 0}
    for tracking_id in names:
        item = store.redrive_outbox(tracking_id, to_store(next_attempt(now, 0)))
        if item is None:
            continue
        summary["reports"] += 1
        for event in sorted((item.get("outbox") or {}).values(), key=lambda e: e["at"]):
            summary["sent" if publish(event) else "failed"] += 1
    return summary

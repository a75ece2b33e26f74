"""The outbox relay: send again every event that was stored but is not known to be handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lapor import store
from lapor.events import next_attempt, publish
from lapor.observability import count, logger
from lapor.timefmt import to_store, utcnow


def relay_pending_events(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Re-send the events of every report whose outbox is due; reschedule each with backoff.

    A report is claimed (its outbox time moved forward) before its events are sent, so two overlapping
    runs never send the same outbox twice. Reports whose outbox is empty leave the index.
    """
    now = now or utcnow()
    summary = {"reports": 0, "sent": 0, "failed": 0, "cleared": 0}
    for item in list(store.pending_outbox(to_store(now), limit=limit)):
        summary["reports"] += 1
        tracking_id = item["tracking_id"]
        pending: dict[str, Any] = item.get("outbox") or {}
        if not pending:
            summary["cleared"] += int(store.drop_outbox_index(tracking_id))
            continue
        attempts = int(item.get("outbox_attempts", 0))
        if not store.claim_outbox(tracking_id, item["outbox_at"], to_store(next_attempt(now, attempts))):
            continue
        for event in sorted(pending.values(), key=lambda e: e["at"]):
            if publish(event):
                summary["sent"] += 1
            else:
                summary["failed"] += 1
    if summary["sent"]:
        count("EventsRelayed", summary["sent"])
    logger.info("outbox relay run", extra=summary)
    return summary

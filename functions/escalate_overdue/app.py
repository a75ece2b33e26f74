"""Scheduled deadline enforcement: escalate overdue reports up the hierarchy, auto-close unanswered ones."""

from typing import Any

from lapor import aws
from lapor.escalation import escalate_due_reports
from lapor.observability import handler
from lapor.timefmt import from_store

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call


@handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    # EventBridge's `time` is the moment the run stands for (also how `lapor escalate --at` picks one).
    now = from_store(event["time"]) if event.get("time") else None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return escalate_due_reports(now, time_left=(lambda: remaining() / 1000) if remaining else None)

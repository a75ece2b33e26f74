"""Scheduled deadline enforcement: escalate overdue reports up the hierarchy, auto-close unanswered ones."""

from lapor import aws
from lapor.escalation import escalate_due_reports
from lapor.observability import flush_metrics, logger
from lapor.timefmt import from_store

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # EventBridge's `time` is the moment the run stands for (also how `lapor escalate --at` picks one).
    now = from_store(event["time"]) if event.get("time") else None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        return escalate_due_reports(now, time_left=(lambda: remaining() / 1000) if remaining else None)
    finally:
        flush_metrics()

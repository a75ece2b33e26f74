"""Scheduled retention: erase the personal data of reports closed longer ago than the retention period."""

from typing import Any

from lapor import aws
from lapor.observability import handler
from lapor.retention import erase_expired_personal_data
from lapor.timefmt import from_store

aws.prepare("dynamodb", "s3")  # INIT: the clients every run needs; no AWS call


@handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    # EventBridge's `time` is the moment the run stands for (also how `lapor retention --at` picks one).
    now = from_store(event["time"]) if event.get("time") else None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return erase_expired_personal_data(now, time_left=(lambda: remaining() / 1000) if remaining else None)

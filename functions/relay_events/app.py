"""Scheduled outbox relay: events whose SQS send failed, or whose handling died, go out again."""

from typing import Any

from lapor import aws
from lapor.observability import handler
from lapor.relay import relay_pending_events

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call


@handler
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return relay_pending_events()

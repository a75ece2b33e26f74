"""Scheduled outbox relay: events whose SQS send failed, or whose handling died, go out again."""

from lapor import aws
from lapor.observability import flush_metrics, logger
from lapor.relay import relay_pending_events

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    try:
        return relay_pending_events()
    finally:
        flush_metrics()

"""EventBridge, as far as the template uses it: S3's "Object Created" events on the default bus, rules with an
event pattern, and SQS targets with an input transformer.

Rules and targets are created in moto, from the template's properties, so they can be looked at there. But
moto's own S3 → EventBridge path hands rules the event without applying their input transformers (and with
a made-up IP), so the local stack carries S3's events itself, in AWS's documented shapes:

- moto tells an internal queue (`BUS_QUEUE`, the stand-in for the default event bus) of every object created
  in a bucket whose `EventBridgeConfiguration` is enabled;
- `forward` turns each of those S3 records into the event S3 sends EventBridge ("Object Created": `detail.
  bucket.name`, `detail.object.key`/`size`, `detail["source-ip-address"]`, `time` ...). moto's records leave
  out the uploader's IP, which is always there in AWS: `LOCAL_SOURCE_IP` stands in for it, a documentation
  address no local process uses otherwise, so a scan for it finds every leak;
- `put_event` matches an event against each enabled rule of the default bus and sends every target's input
  (transformed when the target says so) to its queue.

Only what the template uses is supported: patterns of exact values and `prefix`, `InputPathsMap` paths of
plain names (`$.detail.object.key`), SQS targets. Anything else stops the start with a TemplateError.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from lapor_local.runtime import ACCOUNT_ID
from lapor_local.template import TemplateError

log = logging.getLogger("lapor.local")

BUS_QUEUE = "lapor-local-default-event-bus"
LOCAL_SOURCE_IP = "192.0.2.10"  # TEST-NET-1 (RFC 5737): distinctive, so that a scan finds it wherever it leaks
POLL_INTERVAL_SECONDS = 0.2
RULE_PROPERTIES = frozenset({"Description", "EventPattern", "State", "Targets"})
TARGET_PROPERTIES = frozenset({"Id", "Arn", "InputTransformer"})
_PATH = re.compile(r"^\$(\.[A-Za-z0-9_-]+)+$")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")
# S3 event names (after "ObjectCreated:") as EventBridge's `detail.reason` says them.
_REASONS = {
    "Put": "PutObject",
    "Post": "POST Object",
    "Copy": "CopyObject",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
}


def _check_pattern(pattern: Any, where: str) -> None:
    if not isinstance(pattern, dict):
        raise TemplateError(f"{where}: an event pattern is a map")
    for name, expected in pattern.items():
        if isinstance(expected, dict):
            _check_pattern(expected, f"{where}.{name}")
        elif not isinstance(expected, list) or not all(
            isinstance(v, str | int | float) or (isinstance(v, dict) and set(v) == {"prefix"}) for v in expected
        ):
            raise TemplateError(f"{where}.{name}: only lists of values and {{prefix: ...}} are supported locally")


def check_rule(logical_id: str, props: dict[str, Any]) -> None:
    """Refuse what this emulation does not do, rather than do it wrongly."""
    unknown = set(props) - RULE_PROPERTIES
    if unknown:
        raise TemplateError(f"{logical_id}: properties the local stack does not support: {', '.join(sorted(unknown))}")
    _check_pattern(props["EventPattern"], logical_id)
    for target in props.get("Targets", []):
        unknown = set(target) - TARGET_PROPERTIES
        if unknown:
            raise TemplateError(f"{logical_id}: target properties not supported locally: {', '.join(sorted(unknown))}")
        if ":sqs:" not in str(target["Arn"]):
            raise TemplateError(f"{logical_id}: only SQS targets are supported locally")
        transformer = target.get("InputTransformer")
        if transformer:
            for name, path in transformer.get("InputPathsMap", {}).items():
                if not _PATH.match(path):
                    raise TemplateError(f"{logical_id}: InputPathsMap {name}: only $.name.name... paths locally")


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Does `event` match an EventBridge pattern (exact values and prefixes, nested maps)?"""
    if not isinstance(event, dict):
        return False
    for name, expected in pattern.items():
        value = event.get(name)
        if isinstance(expected, dict):
            if not matches(expected, value):
                return False
            continue
        candidates = value if isinstance(value, list) else [value]
        if not any(_value_matches(option, candidate) for option in expected for candidate in candidates):
            return False
    return True


def _value_matches(option: Any, value: Any) -> bool:
    if isinstance(option, dict):
        return isinstance(value, str) and value.startswith(option["prefix"])
    return bool(option == value)


def _lookup(event: Any, path: str) -> Any:
    value = event
    for name in path.split(".")[1:]:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """A target's input: `InputTemplate` with each `<name>` replaced by the value at its `InputPathsMap` path.

    As EventBridge does: outside a JSON string a placeholder becomes the value as JSON (a string quoted, a
    missing value null); inside a string, the value's text.
    """
    values = {name: _lookup(event, path) for name, path in transformer.get("InputPathsMap", {}).items()}
    template: str = transformer["InputTemplate"]
    out: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        found = _PLACEHOLDER.match(template, position) if char == "<" else None
        if found and found.group(1) in values:
            value = values[found.group(1)]
            if in_string:
                out.append(value if isinstance(value, str) else json.dumps(value))
            else:
                out.append(json.dumps(value))
            position = found.end()
            continue
        if in_string and not escaped and char == '"':
            in_string = False
        elif not in_string and char == '"':
            in_string = True
        escaped = in_string and char == "\\" and not escaped
        out.append(char)
        position += 1
    return "".join(out)


def create_rule(aws: Any, logical_id: str, props: dict[str, Any], name: str) -> str:
    """The rule and its targets, in moto; returns the rule's ARN."""
    check_rule(logical_id, props)
    events = aws("events")
    arn: str = events.put_rule(
        Name=name,
        EventPattern=json.dumps(props["EventPattern"]),
        State=props.get("State", "ENABLED"),
        Description=props.get("Description", ""),
    )["RuleArn"]
    targets = [{key: target[key] for key in TARGET_PROPERTIES if key in target} for target in props.get("Targets", [])]
    if targets:
        events.put_targets(Rule=name, Targets=targets)
    return arn


def bus_queue_arn(aws: Any) -> str:
    """The internal queue standing in for the default event bus (created on first use)."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=BUS_QUEUE)["QueueUrl"]
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def _queue_url(aws: Any, arn: str) -> str:
    url: str = aws("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
    return url


def put_event(aws: Any, event: dict[str, Any]) -> int:
    """Deliver one event on the default bus to the targets of every enabled rule it matches; how many."""
    events = aws("events")
    delivered = 0
    for rule in events.list_rules().get("Rules", []):
        if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
            continue
        if not matches(json.loads(rule["EventPattern"]), event):
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
            transformer = target.get("InputTransformer")
            body = transform(transformer, event) if transformer else json.dumps(event)
            aws("sqs").send_message(QueueUrl=_queue_url(aws, target["Arn"]), MessageBody=body)
            delivered += 1
    return delivered


def _event_time(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # moto may leave the zone out
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def eventbridge_event(
    detail_type: str,
    source: str,
    time: str,
    region: str,
    resources: list[str],
    detail: dict[str, Any],
    account: str = ACCOUNT_ID,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An event as EventBridge delivers it to a target (its envelope around `detail`)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": time,
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def object_created_event(record: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The event S3 sends EventBridge for one object created, from the record of S3's own notification."""
    bucket, obj = record["s3"]["bucket"]["name"], record["s3"]["object"]
    return eventbridge_event(
        "Object Created",
        "aws.s3",
        _event_time(record["eventTime"]),
        region,
        [f"arn:aws:s3:::{bucket}"],
        {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": unquote_plus(obj["key"]),  # S3's notifications URL-encode the key, EventBridge's do not
                "size": int(obj.get("size", 0)),
                "etag": obj.get("eTag", ""),
                "sequencer": obj.get("sequencer", ""),
            },
            "request-id": (record.get("responseElements") or {}).get("x-amz-request-id", uuid.uuid4().hex[:16]),
            "requester": (record.get("userIdentity") or {}).get("principalId", account),
            "source-ip-address": (record.get("requestParameters") or {}).get("sourceIPAddress", LOCAL_SOURCE_IP),
            "reason": _REASONS.get(record["eventName"].partition(":")[2], record["eventName"]),
        },
        account,
    )


def forward(aws: Any, region: str) -> int:
    """Hand every S3 record waiting on the stand-in bus to EventBridge as S3 would; how many were waiting."""
    sqs = aws("sqs")
    try:
        url = sqs.get_queue_url(QueueName=BUS_QUEUE)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return 0
    handled = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages"):
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):  # S3's s3:TestEvent has none
                if record.get("eventName", "").startswith("ObjectCreated:"):
                    put_event(aws, object_created_event(record, ACCOUNT_ID, region))
                    handled += 1
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return handled


class EventBusForwarder(threading.Thread):
    """Runs `forward` a fifth of a second apart until `stop` is set."""

    def __init__(self, aws: Any, region: str, stop: threading.Event) -> None:
        super().__init__(name="eventbridge-s3", daemon=True)
        self.aws, self.region, self.stop = aws, region, stop

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                forward(self.aws, self.region)
            except Exception:
                if self.stop.is_set():
                    return
                log.exception("EventBridge forwarding failed; retrying")
            self.stop.wait(POLL_INTERVAL_SECONDS)

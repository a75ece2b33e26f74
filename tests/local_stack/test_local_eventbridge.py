"""The local stack's EventBridge: only what the template uses, as AWS documents it, and a clear refusal of the
rest (a rule it would emulate wrongly must stop the start, not deliver something AWS would not)."""

from __future__ import annotations

from typing import Any

import pytest
from lapor_local.eventbridge import check_rule, matches, object_created_event
from lapor_local.template import TemplateError

QUEUE = "arn:aws:sqs:ap-southeast-3:123456789012:lapor-PhotoUploadsQueue"
PATTERN = {
    "source": ["aws.s3"],
    "detail-type": ["Object Created"],
    "detail": {"bucket": {"name": ["photos"]}, "object": {"key": [{"prefix": "originals/"}]}},
}


def rule(**changes: Any) -> dict[str, Any]:
    target = {"Id": "q", "Arn": QUEUE, "InputTransformer": {"InputPathsMap": {"k": "$.detail.object.key"}}}
    return {"EventPattern": PATTERN, "Targets": [{**target, **changes.pop("target", {})}], **changes}


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (rule(target={"DeadLetterConfig": {"Arn": QUEUE}}), "DeadLetterConfig"),
        (rule(target={"Arn": "arn:aws:lambda:ap-southeast-3:123456789012:function:f"}), "only SQS targets"),
        (rule(target={"InputTransformer": {"InputPathsMap": {"k": "$.detail.object[0]"}}}), "InputPathsMap k"),
        (rule(EventPattern={"source": [{"anything-but": "aws.s3"}]}), "source"),
        (rule(ScheduleExpression="rate(1 minute)"), "ScheduleExpression"),
    ],
)
def test_what_the_emulation_does_not_do_stops_the_start(props: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        check_rule("PhotoUploadsRule", props)


def test_patterns_match_values_prefixes_and_nested_fields() -> None:
    check_rule("PhotoUploadsRule", rule())
    record = {
        "eventName": "ObjectCreated:Post",
        "eventTime": "2026-12-06T02:35:43.123",  # moto may leave the zone out
        "s3": {"bucket": {"name": "photos"}, "object": {"key": "originals/LPR-X/a%2Bb", "size": 5}},
    }
    event = object_created_event(record, "123456789012", "ap-southeast-3")
    assert event["time"] == "2026-12-06T02:35:43Z" and event["detail"]["reason"] == "POST Object"
    assert event["detail"]["object"]["key"] == "originals/LPR-X/a+b"  # EventBridge's keys are not URL-encoded
    assert event["detail"]["source-ip-address"]  # always there, as in AWS
    assert matches(PATTERN, event)
    assert not matches(PATTERN, {**event, "detail-type": "Object Deleted"})
    assert not matches(PATTERN, {**event, "detail": {**event["detail"], "object": {"key": "photos/LPR-X/a"}}})
    assert not matches(PATTERN, {**event, "detail": {"bucket": {"name": "photos"}}})

"""Scheduled functions on the local stack: rate expressions, EventBridge's event, run_schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lapor_local.schedule import parse_rate
from lapor_local.stack import LocalStack
from lapor_local.template import TemplateError

from tests.local_stack.support import lines, wait_for


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
    ],
)
def test_rate_expressions(expression: str, period: timedelta) -> None:
    assert parse_rate(expression) == period


@pytest.mark.parametrize(
    "expression", ["rate(0 minutes)", "rate(1 week)", "rate(minute)", "every minute", "cron(0/15 * * * ? *)"]
)
def test_expressions_other_than_rates_are_refused(expression: str) -> None:
    with pytest.raises(TemplateError, match="rate"):
        parse_rate(expression)


def ticks(out_dir: Path) -> list[dict[str, Any]]:
    return lines(out_dir / "tick.jsonl")


def test_schedules_fire_with_an_eventbridge_scheduled_event(make_stack: Any, out_dir: Path) -> None:
    make_stack(schedules=True, schedule_period_override=0.1)

    wait_for(lambda: len(ticks(out_dir)) >= 2)

    event = ticks(out_dir)[0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["version"] == "0"
    assert event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:ap-southeast-3:123456789012:rule/lapor-local-TickFunctionEveryMinute"]
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_without_schedules_nothing_fires_but_run_schedule_runs_once_at_the_given_time(
    stack: LocalStack, out_dir: Path
) -> None:
    response = stack.run_schedule("TickFunction", at=datetime(2026, 12, 1, 8, 0))

    assert response == {"ok": True}
    (event,) = ticks(out_dir)
    assert event["time"] == "2026-12-01T08:00:00Z"


def test_run_schedule_needs_a_function_with_a_schedule(stack: LocalStack) -> None:
    with pytest.raises(KeyError, match="HttpFunction has no Schedule event"):
        stack.run_schedule("HttpFunction")

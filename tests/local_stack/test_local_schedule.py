"""Scheduled functions on the local stack: rate and cron expressions, EventBridge's event, run_schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lapor_local.schedule import Cron, ScheduleSource, UnsupportedSchedule, next_fire, parse_rate
from lapor_local.stack import LocalStack

from tests.local_stack.support import TEMPLATE, lines, wait_for, write_tree


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


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(1 week)", "rate(minute)", "every minute"])
def test_bad_rate_expressions(expression: str) -> None:
    with pytest.raises(UnsupportedSchedule):
        parse_rate(expression)


def cron_next(expression: str, after: datetime) -> datetime | None:
    return Cron.parse(expression).next_after(after)


def test_cron_expressions_use_aws_six_fields_and_weekday_numbers() -> None:
    saturday = datetime(2026, 11, 28, 10, 7)

    assert cron_next("cron(0/15 * * * ? *)", saturday) == datetime(2026, 11, 28, 10, 15)
    assert cron_next("cron(0 1 * * ? *)", saturday) == datetime(2026, 11, 29, 1, 0)
    assert cron_next("cron(30 8 ? * MON-FRI *)", saturday) == datetime(2026, 11, 30, 8, 30)
    assert cron_next("cron(0 0 ? * 1 *)", saturday) == datetime(2026, 11, 29, 0, 0), "1 is Sunday"
    assert cron_next("cron(0 9 1 JAN,JUL ? *)", saturday) == datetime(2027, 1, 1, 9, 0)
    assert cron_next("cron(0 9 1 1 ? 2026)", saturday) is None


@pytest.mark.parametrize(
    "expression",
    ["cron(0 9 * * * *)", "cron(0 9 L * ? *)", "cron(0 9 ? * 6#3 *)", "cron(0 9 * *)", "cron(61 9 * * ? *)"],
)
def test_cron_expressions_the_local_stack_cannot_compute_are_refused(expression: str) -> None:
    with pytest.raises(UnsupportedSchedule):
        Cron.parse(expression)


def test_schedule_v2_honours_its_time_zone() -> None:
    source = ScheduleSource(
        function="F", name="Daily", expression="cron(0 8 * * ? *)", timezone="Asia/Jakarta", kind="ScheduleV2"
    )

    assert next_fire(source, datetime(2026, 11, 28, 0, 30, tzinfo=UTC)) == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


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


def test_an_input_replaces_the_scheduled_event(tmp_path: Path, make_stack: Any, out_dir: Path) -> None:
    text = TEMPLATE.replace(
        "Properties: {Schedule: rate(1 minute)}",
        """Properties: {Schedule: rate(1 minute), Input: '{"job": "escalate"}'}""",
    )
    stack = make_stack(root=write_tree(tmp_path / "input", template=text))

    stack.run_schedule("TickFunction")

    assert ticks(out_dir) == [{"job": "escalate"}]


def test_run_schedule_needs_a_function_with_a_schedule(stack: LocalStack) -> None:
    with pytest.raises(KeyError, match="HttpFunction has no Schedule event"):
        stack.run_schedule("HttpFunction")

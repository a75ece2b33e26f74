"""Scheduled events: the functions' `Type: Schedule` events with a `rate(...)` expression, fired locally.

The template schedules by rate only; a `cron(...)` expression (or an `Input`) stops the start with a
TemplateError rather than being fired at the wrong times.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lapor_local.eventbridge import eventbridge_event
from lapor_local.runtime import ACCOUNT_ID
from lapor_local.template import TemplateError

log = logging.getLogger("lapor.local")


@dataclass(frozen=True)
class ScheduleSource:
    """One schedule event of a function, firing every `period`."""

    function: str
    name: str
    period: timedelta


def schedule_sources(functions: Mapping[str, Mapping[str, Any]]) -> list[ScheduleSource]:
    """The schedule events of the functions (logical id → resolved properties), in template order."""
    return [
        ScheduleSource(function_id, event_name, parse_rate(event["Properties"]["Schedule"]))
        for function_id, properties in functions.items()
        for event_name, event in (properties.get("Events") or {}).items()
        if event.get("Type") == "Schedule"
    ]


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: str) -> timedelta:
    """The period of `rate(N minute|minutes|hour|hours|day|days)`."""
    match = _RATE.match(str(expression).strip())
    if not match or int(match.group(1)) < 1:
        raise TemplateError(f"the local stack fires rate(...) schedules only, not {expression!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


def scheduled_event(source: ScheduleSource, at: datetime, region: str, stack_name: str) -> dict[str, Any]:
    """What EventBridge delivers for a rule without an Input: a "Scheduled Event"."""
    rule = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{stack_name}-{source.function}{source.name}"
    return eventbridge_event("Scheduled Event", "aws.events", event_time(at), region, [rule], {})


def event_time(at: datetime) -> str:
    """An event's `time` as EventBridge writes it: UTC, to the second."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScheduleRunner(threading.Thread):
    """Fires one schedule until `stop` is set; `period` (seconds) replaces the expression's when given."""

    def __init__(
        self,
        source: ScheduleSource,
        fire: Callable[[ScheduleSource, datetime], Any],
        stop: threading.Event,
        period: float | None = None,
    ) -> None:
        super().__init__(name=f"schedule-{source.function}-{source.name}", daemon=True)
        self.source = source
        self.fire = fire
        self.stop = stop
        self.period = timedelta(seconds=period) if period else source.period

    def run(self) -> None:
        due = datetime.now(UTC)
        while True:
            due += self.period
            if self.stop.wait(max(0.0, (due - datetime.now(UTC)).total_seconds())):
                return
            try:
                self.fire(self.source, due)
            except Exception:
                log.exception("scheduled run of %s (%s) failed", self.source.function, self.source.name)

"""Scheduled events: the `Type: Schedule` / `ScheduleV2` events of the functions, fired locally.

`rate(...)` and AWS's six-field `cron(...)` are both computed; cron's `L`, `W` and `#` are not, and an event
that uses them is not fired automatically (it can still be run with `LocalStack.run_schedule`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lapor_local.template import ACCOUNT_ID

log = logging.getLogger("lapor.local")


class UnsupportedSchedule(ValueError):
    """A schedule expression the local stack cannot compute."""


@dataclass(frozen=True)
class ScheduleSource:
    """One schedule event of a function."""

    function: str
    name: str
    expression: str
    input: str | None = None
    enabled: bool = True
    timezone: str = "UTC"
    kind: str = "Schedule"

    def resource_arn(self, region: str, stack_name: str) -> str:
        if self.kind == "ScheduleV2":
            return f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/default/{stack_name}-{self.function}{self.name}"
        return f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{stack_name}-{self.function}{self.name}"


def schedule_sources(functions: Mapping[str, Mapping[str, Any]]) -> list[ScheduleSource]:
    """The schedule events of the functions (logical id → resolved properties), in template order."""
    sources = []
    for function_id, properties in functions.items():
        for event_name, event in (properties.get("Events") or {}).items():
            kind = event.get("Type")
            if kind not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties") or {}
            state = str(props.get("State", "ENABLED")).upper()
            sources.append(
                ScheduleSource(
                    function=function_id,
                    name=event_name,
                    expression=props["Schedule"] if kind == "Schedule" else props["ScheduleExpression"],
                    input=props.get("Input"),
                    enabled=props.get("Enabled", True) not in (False, "false", "False") and state == "ENABLED",
                    timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                    kind=kind,
                )
            )
    return sources


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: str) -> timedelta:
    """The period of `rate(N minute|minutes|hour|hours|day|days)`."""
    match = _RATE.match(expression.strip())
    if not match or int(match.group(1)) < 1:
        raise UnsupportedSchedule(f"not a rate expression: {expression!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_FIELDS = (  # (name, low, high, names)
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, {}),
)


def _parse_field(text: str, low: int, high: int, names: Mapping[str, int], label: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.upper().split(","):
        for token in re.split(r"[-/]", part):
            if not (token.isdigit() or token in names or token in ("*", "?")):
                raise UnsupportedSchedule(f"cron {label} {part!r}: only numbers, names, * ? - / and , are supported")
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span in ("*", "?"):
            start, end = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, end = names.get(first) or int(first), names.get(last) or int(last)
        else:
            start = names.get(span) or int(span)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise UnsupportedSchedule(f"cron {label} {part!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """AWS's `cron(minutes hours day-of-month month day-of-week year)`; day-of-week 1 is Sunday."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None
    years: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> Cron:
        match = re.match(r"^cron\((.*)\)$", expression.strip())
        fields = match.group(1).split() if match else []
        if len(fields) != 6:
            raise UnsupportedSchedule(f"not a six-field cron expression: {expression!r}")
        if (fields[2] == "?") == (fields[4] == "?"):
            raise UnsupportedSchedule(f"{expression!r}: exactly one of day-of-month and day-of-week must be ?")
        parsed = [
            _parse_field(text, low, high, names, label)
            for text, (label, low, high, names) in zip(fields, _FIELDS, strict=True)
        ]
        return cls(
            minutes=parsed[0],
            hours=parsed[1],
            days=None if fields[2] == "?" else parsed[2],
            months=parsed[3],
            weekdays=None if fields[4] == "?" else parsed[4],
            years=parsed[5],
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after `moment` (same time zone), or None if there is none."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        while day.year <= max(self.years):
            weekday = (day.weekday() + 1) % 7 + 1
            if (
                day.year in self.years
                and day.month in self.months
                and (self.days is None or day.day in self.days)
                and (self.weekdays is None or weekday in self.weekdays)
            ):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def next_fire(source: ScheduleSource, after: datetime) -> datetime | None:
    """When `source` fires next after `after` (UTC), in UTC; a rate fires one period after `after`."""
    expression = source.expression.strip()
    if expression.startswith("rate("):
        return after + parse_rate(expression)
    zone = ZoneInfo(source.timezone)
    local = Cron.parse(expression).next_after(after.astimezone(zone).replace(tzinfo=None))
    return None if local is None else local.replace(tzinfo=zone).astimezone(UTC)


def scheduled_event(source: ScheduleSource, at: datetime, region: str, stack_name: str) -> Any:
    """What EventBridge delivers: the event's `Input` JSON when given, else a "Scheduled Event"."""
    if source.input is not None:
        return json.loads(source.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events" if source.kind == "Schedule" else "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [source.resource_arn(region, stack_name)],
        "detail": {},
    }


class ScheduleRunner(threading.Thread):
    """Fires one schedule until `stop` is set; `period` (seconds) replaces the expression when given."""

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
        self.period = period

    def run(self) -> None:
        due = datetime.now(UTC)
        while True:
            due = due + timedelta(seconds=self.period) if self.period else next_fire(self.source, due)
            if due is None:
                return
            if self.stop.wait(max(0.0, (due - datetime.now(UTC)).total_seconds())):
                return
            try:
                self.fire(self.source, due)
            except Exception:
                log.exception("scheduled run of %s (%s) failed", self.source.function, self.source.name)

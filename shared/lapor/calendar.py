"""Working days: Monday to Friday minus Indonesian national public holidays, in the deployment's time zone.

A deadline of N working days ends at the end of the N-th working day after the day of the start
(23:59:59 local time), so a report sent on Friday evening or on a Sunday gets the same full days.
Holidays come from the `holidays` package (imported on first use: it costs more at start than a whole
lookup function may spend).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=16)
def _holidays_of(year: int) -> frozenset[date]:
    from holidays.countries.indonesia import Indonesia

    return frozenset(Indonesia(years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a national public holiday."""
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def add_working_days(start: datetime, days: int, time_zone: str) -> datetime:
    """The end (23:59:59 local) of the `days`-th working day after the local date of `start`."""
    zone = ZoneInfo(time_zone)
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def working_days_between(start: datetime, end: datetime, time_zone: str) -> int:
    """Whole working days from the local date of `start` to that of `end` (0 if on the same day or before)."""
    zone = ZoneInfo(time_zone)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count

"""Working days: Monday to Friday minus Indonesian national public holidays, in the deployment's time zone.

A deadline of N working days ends at the end of the N-th working day after the day of the start
(23:59:59 local time), so a report sent on Friday evening or on a Sunday gets the same full days.

The holidays come from the `holidays` package. Importing it loads every country it knows (about 140 ms
and 19 MB, more than a whole cold start may cost), so the layer ships its Indonesian dates for the
coming years as a table generated from the package (`make holidays`; a test fails when the two differ);
years outside the table ask the package itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

HOLIDAY_TABLE = Path(__file__).with_name("holidays_id.json")


def holidays_from_package(year: int) -> frozenset[date]:
    """Indonesia's national public holidays of `year`, computed by the `holidays` package."""
    from holidays.countries.indonesia import Indonesia

    return frozenset(Indonesia(years=year).keys())


def build_holiday_table(first_year: int, last_year: int) -> dict[str, object]:
    """The table shipped in the layer, generated from the package."""
    from importlib.metadata import version

    years = {str(y): sorted(d.isoformat() for d in holidays_from_package(y)) for y in range(first_year, last_year + 1)}
    return {"source": f"holidays {version('holidays')}", "country": "ID", "years": years}


@lru_cache(maxsize=1)
def _table() -> dict[str, list[str]]:
    years: dict[str, list[str]] = json.loads(HOLIDAY_TABLE.read_text(encoding="utf-8"))["years"]
    return years


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> frozenset[date]:
    listed = _table().get(str(year))
    if listed is None:
        return holidays_from_package(year)
    return frozenset(date.fromisoformat(d) for d in listed)


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

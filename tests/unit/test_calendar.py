"""Working days: weekends and Indonesian national holidays do not count; deadlines end at the day's end."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from lapor.calendar import add_working_days, is_working_day, working_days_between

WIB = ZoneInfo("Asia/Jakarta")


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=WIB)


def test_plain_week() -> None:
    # Monday + 3 working days = end of Thursday
    assert add_working_days(at(2026, 11, 9), 3, "Asia/Jakarta") == datetime(2026, 11, 12, 23, 59, 59, tzinfo=WIB)


def test_deadline_spanning_a_weekend() -> None:
    # Friday + 3 working days = end of Wednesday; Saturday and Sunday starts give the same
    friday = add_working_days(at(2026, 11, 27), 3, "Asia/Jakarta")
    assert friday == datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)
    assert add_working_days(at(2026, 11, 28), 3, "Asia/Jakarta") == friday
    assert add_working_days(at(2026, 11, 29), 3, "Asia/Jakarta") == friday


def test_deadline_spanning_idul_fitri() -> None:
    # Idul Fitri 1446 H fell on Monday 31 March and Tuesday 1 April 2025
    assert not is_working_day(date(2025, 3, 31)) and not is_working_day(date(2025, 4, 1))
    start = at(2025, 3, 28)  # Friday
    # Weekend, two days of Idul Fitri, then Wed 2, Thu 3, Fri 4 April
    assert add_working_days(start, 3, "Asia/Jakarta") == datetime(2025, 4, 4, 23, 59, 59, tzinfo=WIB)
    assert working_days_between(start, at(2025, 4, 4), "Asia/Jakarta") == 3


def test_deadline_spanning_the_years_end() -> None:
    # Christmas (Fri 25 Dec 2026) and New Year's Day (Fri 1 Jan 2027) are holidays
    assert not is_working_day(date(2026, 12, 25)) and not is_working_day(date(2027, 1, 1))
    due = add_working_days(at(2026, 12, 23), 5, "Asia/Jakarta")
    # Thu 24, Mon 28, Tue 29, Wed 30, Thu 31 Dec
    assert due == datetime(2026, 12, 31, 23, 59, 59, tzinfo=WIB)
    due = add_working_days(at(2026, 12, 30), 3, "Asia/Jakarta")
    # Thu 31 Dec, (Fri 1 Jan New Year, weekend), Mon 4, (Tue 5 Isra Mi'raj), Wed 6 Jan
    assert due == datetime(2027, 1, 6, 23, 59, 59, tzinfo=WIB)


def test_counted_in_the_deployments_time_zone() -> None:
    # 17:30 UTC on Friday is already Saturday in Jakarta
    utc_friday_evening = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_days(utc_friday_evening, 1, "Asia/Jakarta").date() == date(2026, 11, 30)
    assert add_working_days(utc_friday_evening, 1, "UTC").date() == date(2026, 11, 30)
    assert add_working_days(datetime(2026, 11, 26, 17, 30, tzinfo=ZoneInfo("UTC")), 1, "Asia/Jakarta").date() == date(
        2026, 11, 30
    )


def test_the_shipped_holiday_table_is_what_the_holidays_package_says() -> None:
    # When the package learns of a change (a moved holiday), this fails until `make holidays` is run.
    from lapor.calendar import _table, holidays_from_package

    table = _table()
    assert len(table) >= 10
    for year, dates in table.items():
        assert sorted(d.isoformat() for d in holidays_from_package(int(year))) == dates, year


def test_years_outside_the_table_ask_the_package() -> None:
    assert not is_working_day(date(2050, 8, 17))  # Independence Day, whatever the table holds

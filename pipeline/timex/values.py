"""Calendar periods and their TimeML values.

A period is a granularity plus the first day it covers (`Period("month", date(2022, 3, 1))`), so that
"last month", "three weeks ago" or "the year-earlier quarter" are one floor-and-shift away from a reference
date, and formatting to a TIMEX3 value (`2022-03`, `2022-W10`, `2022-Q1`, `199`) happens in one place.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

# Seasons start in the first month of each meteorological season; winter YYYY runs Dec (YYYY-1) to Feb YYYY.
SEASON_CODES = {3: "SP", 6: "SU", 9: "FA", 12: "WI"}
SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}


class Period(NamedTuple):
    """A calendar period identified by its granularity and its first day."""

    granularity: str
    start: dt.date


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift by whole months, clamping the day to the target month's length (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def floor(granularity: str, day: dt.date) -> Period:
    """The period of `granularity` that contains `day`."""
    if granularity == "day":
        return Period("day", day)
    if granularity in ("week", "weekend"):
        return Period(granularity, day - dt.timedelta(days=day.weekday()))
    if granularity == "month":
        return Period("month", day.replace(day=1))
    if granularity == "quarter":
        return Period("quarter", dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
    if granularity == "half":
        return Period("half", dt.date(day.year, 1 if day.month <= 6 else 7, 1))
    if granularity == "season":
        first = {12: 12, 1: 12, 2: 12}.get(day.month, 3 * (day.month // 3))
        year = day.year - 1 if day.month <= 2 else day.year
        return Period("season", dt.date(year, first, 1))
    if granularity == "year":
        return Period("year", dt.date(day.year, 1, 1))
    if granularity == "decade":
        return Period("decade", dt.date(max(day.year - day.year % 10, 1), 1, 1))
    if granularity == "century":
        return Period("century", dt.date(max(day.year - day.year % 100, 1), 1, 1))
    raise ValueError(f"unknown granularity {granularity!r}")


_MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "half": 6, "season": 12, "year": 12, "decade": 120, "century": 1200}


def shift(period: Period, count: int) -> Period:
    """The period `count` steps after (negative: before) `period`, at the same granularity."""
    granularity, start = period
    if granularity == "day":
        return Period(granularity, start + dt.timedelta(days=count))
    if granularity in ("week", "weekend"):
        return Period(granularity, start + dt.timedelta(weeks=count))
    return Period(granularity, add_months(start, count * _MONTHS_PER_UNIT[granularity]))


def last_day(period: Period) -> dt.date:
    """The last calendar day the period covers."""
    granularity, start = period
    if granularity == "day":
        return start
    if granularity in ("week", "weekend"):  # a weekend period starts on its week's Monday, ends on Sunday
        return start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "half": 6, "season": 3, "year": 12, "decade": 120, "century": 1200}
    return add_months(start, months[granularity]) - dt.timedelta(days=1)


def first_day(period: Period) -> dt.date:
    """The first calendar day the period covers (a weekend starts on its Saturday)."""
    if period.granularity == "weekend":
        return period.start + dt.timedelta(days=5)
    return period.start


def format_period(period: Period) -> str:
    """The TIMEX3 value of a period: 2022-03-07, 2022-W10, 2022-W10-WE, 2022-03, 2022-Q1, 2022-H1, 2022-SU,
    2022, 202 (the 2020s), 20 (the 2000s)."""
    granularity, start = period
    if granularity == "day":
        return start.isoformat()
    if granularity in ("week", "weekend"):
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}" + ("-WE" if granularity == "weekend" else "")
    if granularity == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if granularity == "half":
        return f"{start.year:04d}-H{1 if start.month <= 6 else 2}"
    if granularity == "season":
        year = start.year + 1 if start.month == 12 else start.year
        return f"{year:04d}-{SEASON_CODES[start.month]}"
    if granularity == "year":
        return f"{start.year:04d}"
    if granularity == "decade":
        return f"{start.year // 10:03d}"
    if granularity == "century":
        return f"{start.year // 100:02d}"
    raise ValueError(f"unknown granularity {granularity!r}")


def season_period(year: int, code: str) -> Period:
    """The season `code` (SP, SU, FA, WI) of `year`; winter YYYY begins in December of YYYY-1."""
    month = SEASON_START[code]
    return Period("season", dt.date(year - 1 if code == "WI" else year, month, 1))


_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("day", re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T.*)?")),
    ("weekend", re.compile(r"(\d{4})-W(\d\d)-WE")),
    ("week", re.compile(r"(\d{4})-W(\d\d)")),
    ("month", re.compile(r"(\d{4})-(\d\d)")),
    ("quarter", re.compile(r"(\d{4})-Q([1-4])")),
    ("half", re.compile(r"(\d{4})-H([12])")),
    ("season", re.compile(r"(\d{4})-(SP|SU|FA|WI)")),
    ("year", re.compile(r"(\d{4})")),
    ("decade", re.compile(r"(\d{3})")),
    ("century", re.compile(r"(\d{2})")),
)


def parse_value(value: str) -> Period | None:
    """The period a fully specified TIMEX3 DATE/TIME value denotes; None for durations, sets, references
    and underspecified values (XXXX-03-07)."""
    for granularity, pattern in _VALUE_PATTERNS:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        parts = match.groups()
        try:
            year = int(parts[0])
            if granularity == "day":
                return Period("day", dt.date(year, int(parts[1]), int(parts[2])))
            if granularity in ("week", "weekend"):
                return Period(granularity, dt.date.fromisocalendar(year, int(parts[1]), 1))
            if granularity == "month":
                return Period("month", dt.date(year, int(parts[1]), 1))
            if granularity == "quarter":
                return Period("quarter", dt.date(year, 3 * int(parts[1]) - 2, 1))
            if granularity == "half":
                return Period("half", dt.date(year, 1 if parts[1] == "1" else 7, 1))
            if granularity == "season":
                return season_period(year, parts[1])
            if granularity == "year":
                return Period("year", dt.date(year, 1, 1))
            if granularity == "decade":
                return Period("decade", dt.date(max(year * 10, 1), 1, 1))
            return Period("century", dt.date(max(year * 100, 1), 1, 1))
        except (ValueError, OverflowError):
            return None
    return None

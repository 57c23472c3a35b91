"""The one record the tagger returns: a temporal expression, its TIMEX3 type and normalised value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.timex.values import first_day, last_day, parse_value

GRANULARITIES = (
    "day", "week", "month", "quarter", "season", "year", "decade", "century",
    "time", "duration", "set", "ref", "unknown",
)


@dataclass(frozen=True, slots=True)
class Timex:
    """A TIMEX3: character span in the tagged text, type, value and the value's granularity.

    `anchored` is True when the value was resolved against a reference (the document date, or a date
    mentioned earlier) rather than stated absolutely in the text, so callers can tell "March 7, 2022" from
    "on Monday".
    """

    start: int
    end: int
    text: str
    type: str  # DATE | TIME | DURATION | SET
    value: str
    granularity: str
    mod: str | None = None
    anchored: bool = False

    def date_range(self) -> tuple[dt.date, dt.date] | None:
        """First and last calendar day the value covers; None for durations, sets, references and
        underspecified values."""
        if self.type in ("DURATION", "SET"):
            return None
        period = parse_value(self.value)
        if period is None:
            return None
        return first_day(period), last_day(period)


def granularity_of(timex_type: str, value: str) -> str:
    """The granularity name of a TIMEX3 value (see GRANULARITIES)."""
    if timex_type == "DURATION":
        return "duration"
    if timex_type == "SET":
        return "set"
    if value.endswith("_REF"):
        return "ref"
    if "T" in value[4:]:
        return "time"
    if "-W" in value:
        return "day" if value[-2] == "-" and value[-1].isdigit() else "week"  # XXXX-WXX-7 is a weekday
    if "-Q" in value:
        return "quarter"
    if value[-3:-2] == "-" and value[-2:] in ("SP", "SU", "FA", "WI"):
        return "season"
    length = len(value)
    if length == 10:
        return "day"
    if length == 7 and value[4] == "-" and value[5:].isdigit():
        return "month"
    if length == 4:
        return "year"
    if length == 3:
        return "decade"
    if length == 2:
        return "century"
    return "unknown"

"""Resolving relative expressions against a reference date: which Friday, which March, which third quarter.

Each function takes the document date (or None) and returns a Period, or None when there is no reference
(the caller then writes an underspecified value such as XXXX-03-07).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pipeline.timex.tense import EITHER, FUTURE, PAST, SURELY_PAST, UNKNOWN
from pipeline.timex.values import Period, first_day, floor, last_day, shift

# How much farther an occurrence on the wrong side of the document date counts (see `pick_year`).
AGAINST_TENSE = 4.0
UNSTATED_FUTURE = 1.5


def weekday_near(reference: dt.date, weekday: int, way: int) -> dt.date:
    """The `weekday` (0 = Monday) nearest `reference` in direction `way`: on or before it for the past (and
    by default, as news mostly reports), strictly after it for the future, the nearer of the two for a
    deadline."""
    if way == FUTURE:
        return reference + dt.timedelta(days=(weekday - reference.weekday() - 1) % 7 + 1)
    back = reference - dt.timedelta(days=(reference.weekday() - weekday) % 7)
    if way == EITHER and (reference - back).days > 3:
        return back + dt.timedelta(days=7)  # the nearer one, after the reference date
    return back


def weekday_relative(reference: dt.date, weekday: int, relation: str) -> dt.date:
    """'last Friday' (the one before the reference), 'next Friday' (the one after), 'this Friday' (in the
    reference's week)."""
    if relation == "last":
        return reference - dt.timedelta(days=(reference.weekday() - weekday - 1) % 7 + 1)
    if relation == "next":
        return reference + dt.timedelta(days=(weekday - reference.weekday() - 1) % 7 + 1)
    return reference + dt.timedelta(days=weekday - reference.weekday())


def pick_year(reference: dt.date, make: Callable[[int], Period | None], way: int) -> Period | None:
    """The occurrence of a yearly recurring period (March 7, March, the third quarter, summer) that the text
    most likely means: the one nearest the reference date, where an occurrence on the wrong side of it for
    the tense counts as `AGAINST_TENSE` times farther. News rarely says "in March" for a March eleven months
    away, whatever the tense."""
    years = [year for year in (reference.year - 1, reference.year, reference.year + 1)
             if dt.MINYEAR <= year <= dt.MAXYEAR]
    candidates = [period for year in years if (period := make(year)) is not None]
    if way == SURELY_PAST:
        candidates = [period for period in candidates if first_day(period) <= reference] or candidates
    if not candidates:
        return None

    def cost(period: Period) -> float:
        first, last = first_day(period), last_day(period)
        if first <= reference <= last:
            return 0.0
        if last < reference:
            return (reference - last).days * (AGAINST_TENSE if way == FUTURE else 1.0)
        return (first - reference).days * (AGAINST_TENSE if way in (PAST, SURELY_PAST) else UNSTATED_FUTURE
                                           if way == UNKNOWN else 1.0)

    return min(candidates, key=cost)


def relative_period(reference: dt.date, granularity: str, offset: int) -> Period:
    """The period of `granularity` `offset` steps from the one containing the reference ('last week' is -1)."""
    return shift(floor(granularity, reference), offset)


def direction_or_past(way: int) -> int:
    """News reports the past unless told otherwise."""
    return FUTURE if way == FUTURE else PAST


def _story_cost(period: Period, story: Period, backward_weight: float) -> float:
    """How far `period` lies from the story's date `story`: 0 when they overlap, days otherwise, with days
    before the story counting `backward_weight` times (stories mostly move forward)."""
    first, last = first_day(period), last_day(period)
    story_first, story_last = first_day(story), last_day(story)
    if last < story_first:
        return (story_first - last).days * backward_weight
    if first > story_last:
        return float((first - story_last).days)
    return 0.0


def pick_near(story: Period, make: Callable[[int], Period | None], backward_weight: float) -> Period | None:
    """The occurrence of a yearly recurring period (March 7, March, summer) nearest the story's date. In a
    narrative the tense says nothing (all of it is past), so only the distance counts."""
    year = first_day(story).year
    return nearest(story, [period for candidate in (year - 1, year, year + 1)
                           if dt.MINYEAR <= candidate <= dt.MAXYEAR and (period := make(candidate)) is not None],
                   backward_weight)


def nearest(story: Period, candidates: list[Period], backward_weight: float) -> Period | None:
    """The candidate nearest the story's date, days before it counting `backward_weight` times."""
    if not candidates:
        return None
    return min(candidates, key=lambda period: _story_cost(period, story, backward_weight))


def weekday_around(story_day: dt.date, weekday: int, backward_weight: float) -> dt.date:
    """The `weekday` nearest the story's day: the one on or before it, or the one after it."""
    before = weekday_near(story_day, weekday, PAST)
    after = weekday_near(story_day, weekday, FUTURE)
    if (story_day - before).days * backward_weight <= (after - story_day).days:
        return before
    return after

"""What an article's own text says about when it was published: its date cues, read once by the tagger.

The text is tagged without a document date, so nothing is resolved yet: "March 14" stays a month and a
day, "on Monday" a weekday, "yesterday" an offset of one day. Each cue keeps the tense of its sentence
(`pipeline.timex.tense`) and whether the sentence is about the past ("was born", "since 2014", "the 1870
treaty"); the prior model (`prior.py`) resolves the cues against every candidate publication day.

Cues are tuples of ints, strings and booleans, so they are cached as JSON (`Cues.to_json`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.timex import Timex, tag
from pipeline.timex.tense import FUTURE, PAST, SURELY_PAST, direction, sentence_bounds

# Read as news: without a document date, "Monday", "March 14" and "yesterday" keep underspecified values
# (XXXX-WXX-1, XXXX-03-14, XXXX-XX-XX) rather than the year of a date written earlier ("In 2014 ... on March
# 18" is a narrative's reading, and would turn a news story's "on Monday" into a day of that year).
ANCHORING = "news"
FIRST_YEAR, LAST_YEAR = 1800, 2200  # a year outside these is no year ("3000 troops")
# A dateline: a place in capitals or title case, perhaps a region and an agency, then the day it opens with
# ("MOSCOW, March 14. /TASS/", "Tegucigalpa, Mar 9 (Prensa Latina)", "TORONTO--(BUSINESS WIRE)--Mar 10, 2022--").
_PLACE = r"[A-Z][\w.'’-]*(?:(?:\s+|/)[A-Z][\w.'’-]*){0,3}"
_DATELINE_PLACE = re.compile(rf"{_PLACE}(?:,\s*{_PLACE})?(?:[,.]\s*|\s*-+\s*\([^()]{{1,40}}\)\s*-+\s*)")
# A dateline further down (after a photo caption or a standfirst): a place opening a line or a sentence, the
# day, then the agency ("BEIJING, June 13 (Xinhua) --", "Oct 22 (Reuters) -", "January 17. /TASS/.").
_SEGMENT_START = re.compile(r"(?:^|\n|[.!?)\]]\s+)(?=[A-Z])")
_AGENCY_AFTER = re.compile(r"[.,]?\s*(?:\([A-Z][\w .'&-]{1,30}\)|/[A-Z]{2,10}/)")
# A live blog's entry stamps ("12 Jun 2022 - 18:45 GMT"): when the blog ran, not a day it reports.
_STAMP_AFTER = re.compile(r"\s*[-\u2013\u2014|,]?\s*\d{1,2}:\d\d\s*(?:GMT|UTC|[AP]\.?M\.?\b)", re.IGNORECASE)
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TENSES = ("past", "future", "other")
RELATIONS = ("", "last", "next", "this")

_FULL = re.compile(r"^(\d{4})-(\d\d)-(\d\d)$")
_MONTH_DAY = re.compile(r"^XXXX-(\d\d)-(\d\d)$")
_WEEKDAY = re.compile(r"^XXXX-WXX-([1-7])$")
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d\d)$")
_MONTH = re.compile(r"^XXXX-(\d\d)$")
_WEEKDAY_NAME = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_RELATION = re.compile(r"^(last|next|this|past|coming)\b")
# Sentences about history or biography: their dates are never the latest news the article reports.
_PAST_TOPIC = re.compile(
    r"\b(?:born|birth|died|death of|founded|established|anniversary|centenary|century|centuries|decades?\b|"
    r"history|historic|historical|ago|since|dating back|dates back|era|empire|dynasty|memorial|commemorat\w*|"
    r"in the (?:year|years) )"
)
_RELATIVE_WORDS = (
    (re.compile(r"day before yesterday"), -2),
    (re.compile(r"day after tomorrow"), 2),
    (re.compile(r"yesterday|last night"), -1),
    (re.compile(r"tomorrow"), 1),
    (re.compile(r"today|tonight|this (?:morning|afternoon|evening|night)"), 0),
)
# Between "yesterday" and the day it is ("yesterday (Monday)", "today, March 15", "late yesterday, on Monday").
_LINK = re.compile(r"[\s,(\u2014\u2013-]*(?:on\s+)?")


@dataclass(frozen=True)
class Cues:
    """Date cues of one article.

    - days: (year or 0, month, day, weekday named beside it or -1, tense, kind, about the past), kind one of
      "dateline", "body", "caption", "stamp" (a live blog's entry stamp, "12 Jun 2022 - 18:45 GMT");
    - weekdays: (weekday, tense, relation), Monday 0, relation "", "last", "next" or "this";
    - years: (year, tense, about the past, bare) with bare False for the year of a full date;
    - months: (year or 0, month, tense);
    - relative: day offsets of "today" (0), "yesterday" (-1), "tomorrow" (1), ...;
    - pinned: (offset, year or 0, month or 0, day or 0, weekday or -1): a day or weekday written beside a
      relative word ("yesterday (Monday)"), so that it lies `offset` days from publication.
    """

    days: tuple[tuple[int, int, int, int, str, str, bool], ...] = ()
    weekdays: tuple[tuple[int, str, str], ...] = ()
    years: tuple[tuple[int, str, bool, bool], ...] = ()
    months: tuple[tuple[int, int, str], ...] = ()
    relative: tuple[int, ...] = ()
    pinned: tuple[tuple[int, int, int, int, int], ...] = ()

    def to_json(self) -> list[list]:
        return [[list(item) for item in group] for group in (self.days, self.weekdays, self.years, self.months)] + \
            [list(self.relative), [list(item) for item in self.pinned]]

    @classmethod
    def from_json(cls, data: list[list]) -> Cues:
        days, weekdays, years, months, relative, pinned = data
        return cls(tuple(tuple(x) for x in days), tuple(tuple(x) for x in weekdays), tuple(tuple(x) for x in years),
                   tuple(tuple(x) for x in months), tuple(relative), tuple(tuple(x) for x in pinned))

    @property
    def fresh(self) -> bool:
        """The text says "today", "yesterday", "last night" or "this morning": it reports the last day or two."""
        return any(offset in (0, -1) for offset in self.relative)

    @property
    def state(self) -> str:
        """fresh; current (a dateline, a weekday or a day without its year: how news names this week's
        events); or bare (only full dates, as background and history are written)."""
        if self.fresh:
            return "fresh"
        if self.weekdays or any(year == 0 or kind == "dateline" for year, _, _, _, _, kind, _ in self.days):
            return "current"
        return "bare"


def tense_name(way: int) -> str:
    """past / future / other, from the tagger's direction of a bare "Friday" or "in March"."""
    if way in (PAST, SURELY_PAST):
        return "past"
    if way == FUTURE:
        return "future"
    return "other"  # UNKNOWN, EITHER ("until Friday")


def _past_topic(text: str, lower: str, start: int, end: int) -> bool:
    sentence_start, sentence_end = sentence_bounds(text, start, end)
    return _PAST_TOPIC.search(lower, sentence_start, sentence_end) is not None


def _named_weekday(expression: str) -> int:
    match = _WEEKDAY_NAME.search(expression.lower())
    if match is None:
        return -1
    return [name[:3] for name in WEEKDAY_NAMES].index(match.group(1))


def _relative_offset(expression: str) -> int | None:
    lower = expression.lower()
    for pattern, offset in _RELATIVE_WORDS:
        if pattern.search(lower):
            return offset
    return None


def _valid_day(year: int, month: int, day: int) -> bool:
    if year and not FIRST_YEAR <= year <= LAST_YEAR:
        return False
    if not (1 <= month <= 12 and 1 <= day <= (30 if month in (4, 6, 9, 11) else 29 if month == 2 else 31)):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return not (month == 2 and day == 29 and year and not leap)


def _is_dateline(text: str, timex: Timex, first_day: bool) -> bool:
    """A day opening the body after a place ("MOSCOW, March 14. /TASS/"), or opening a line or a sentence after
    a place and followed by the agency ("BEIJING, June 13 (Xinhua) --" below a photo caption)."""
    if first_day and _DATELINE_PLACE.fullmatch(text, 0, timex.start) is not None:
        return True
    if _AGENCY_AFTER.match(text, timex.end) is None:
        return False
    window = max(0, timex.start - 60)
    starts = [m.end() for m in _SEGMENT_START.finditer(text, window, timex.start + 1)]
    return timex.start in starts or any(_DATELINE_PLACE.fullmatch(text, start, timex.start) is not None
                                        for start in starts)


def _linked(text: str, first: Timex, second: Timex) -> bool:
    return second.start - first.end <= 12 and _LINK.fullmatch(text, first.end, second.start) is not None


def extract(body: str, captions: Iterable[str] = ()) -> Cues:
    """The date cues of an article's body and photo captions (captions give only days and years)."""
    days: list[tuple[int, int, int, int, str, str, bool]] = []
    weekdays: list[tuple[int, str, str]] = []
    years: list[tuple[int, str, bool, bool]] = []
    months: list[tuple[int, int, str]] = []
    relative: list[int] = []
    pinned: list[tuple[int, int, int, int, int]] = []
    for text, where in [(body, "body")] + [(caption, "caption") for caption in captions if caption]:
        lower = text.lower()
        timexes = [t for t in tag(text, None, anchoring=ANCHORING) if t.type in ("DATE", "TIME")]
        day_of: dict[int, tuple[int, int, int, int]] = {}  # timex index -> (year, month, day, weekday)
        offset_of: dict[int, int] = {}
        previous_day = -1  # index of the last timex read as a day
        for index, timex in enumerate(timexes):
            if timex.type == "TIME" and previous_day == index - 1 and _linked(text, timexes[index - 1], timex):
                continue  # "12 Jun 2022 - 18:45 GMT": the time of the day just read, not another day
            value = timex.value[:10] if timex.type == "TIME" else timex.value
            way = tense_name(direction(text, lower, timex.start, timex.end))
            if match := _FULL.match(value) or _MONTH_DAY.match(value):
                groups = [int(g) for g in match.groups()]
                year, month, day = groups if len(groups) == 3 else (0, *groups)
                if not _valid_day(year, month, day):
                    continue
                previous_day = index
                first_day = not any(kind == "dateline" or kind == "body" for *_, kind, _ in days)
                if where != "body":
                    kind = where
                elif _STAMP_AFTER.match(text, timex.end) and timex.type == "DATE":
                    kind = "stamp"
                elif not any(k == "dateline" for *_, k, _ in days) and _is_dateline(text, timex, first_day):
                    kind = "dateline"
                else:
                    kind = "body"
                past = kind == "body" and _past_topic(text, lower, timex.start, timex.end)
                named = _named_weekday(timex.text)
                days.append((year, month, day, named, way, kind, past))
                day_of[index] = (year, month, day, named)
                if year:
                    years.append((year, way, past, False))
            elif where == "caption":
                continue
            elif match := _WEEKDAY.match(value):
                relation = _RELATION.match(timex.text.lower())
                name = {"past": "last", "coming": "next"}.get(relation.group(1), relation.group(1)) if relation else ""
                weekdays.append((int(match.group(1)) - 1, way, name))
                if not name:
                    day_of[index] = (0, 0, 0, int(match.group(1)) - 1)
            elif (match := _YEAR.match(value)) and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
                years.append((int(match.group(1)), way, _past_topic(text, lower, timex.start, timex.end), True))
            elif (match := _YEAR_MONTH.match(value)) and FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
                if 1 <= int(match.group(2)) <= 12:
                    months.append((int(match.group(1)), int(match.group(2)), way))
                years.append((int(match.group(1)), way, _past_topic(text, lower, timex.start, timex.end), True))
            elif (match := _MONTH.match(value)) and 1 <= int(match.group(1)) <= 12:
                months.append((0, int(match.group(1)), way))
            elif value.startswith("XXXX-XX-XX") and (offset := _relative_offset(timex.text)) is not None:
                relative.append(offset)
                offset_of[index] = offset
        for index, offset in offset_of.items():
            for other in (index - 1, index + 1):
                if other in day_of and _linked(text, *sorted((timexes[index], timexes[other]), key=lambda t: t.start)):
                    pinned.append((offset, *day_of[other]))
                    break
    return Cues(tuple(days), tuple(weekdays), tuple(years), tuple(months), tuple(relative), tuple(pinned))

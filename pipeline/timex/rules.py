"""Recognition and normalisation rules: one regex alternative and one handler per kind of expression.

Every rule is a pattern over lower-cased text plus a function that turns the match into TIMEX3 values.
Where several rules can start at the same word they are tried in the order defined here, so longer and more
specific forms come first. Handlers run only on matches; they may reject a match on context ("2000 troops"
is not a year), letting the next rule try, or split it ("from Feb. 24-28" gives two dates).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.timex import anchoring, tense
from pipeline.timex.lexicon import (
    AMBIGUOUS_MONTHS,
    FUZZY_QUANTITIES,
    MONTHS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    PARTS_OF_DAY,
    POINT_MODIFIERS,
    QUANTITY_MODIFIERS,
    SEASONS,
    UNIT_GRANULARITY,
    UNITS,
    WEEKDAYS,
    alternation,
    number_value,
    ordinal_value,
    spelled_year,
)
from pipeline.timex.values import Period, floor, format_period, last_day, parse_value, season_period, shift


class Found(NamedTuple):
    """A recognised expression before it becomes a Timex; `period` is what later expressions may anchor to."""

    start: int
    end: int
    type: str
    value: str
    mod: str | None = None
    anchored: bool = False
    period: Period | None = None
    floating: bool = False  # a clock time whose day was not written beside it ("at 10:30, on Monday")


@dataclass(slots=True)
class Context:
    """What handlers know beyond their match: the text, the document date, the last date mentioned."""

    text: str
    lower: str
    dct: dt.date | None
    last: Period | None = None
    last_end: int = 0  # where the last date mention ends

    def way(self, start: int, end: int) -> int:
        return tense.direction(self.text, self.lower, start, end)

    def reference(self) -> tuple[dt.date | None, Period | None]:
        """The anchor for 'the next day', 'a year earlier': the last date mentioned, else the DCT."""
        if self.last is not None:
            return self.last.start, self.last
        return self.dct, None

    def previous_word(self, position: int) -> str:
        match = _PREVIOUS_WORD.search(self.lower, max(0, position - 40), position)
        return match.group(1) if match else ""

    def next_word(self, position: int) -> str:
        match = _NEXT_WORD.match(self.lower, position)
        return match.group(1) if match else ""

    def capitalised(self, position: int) -> bool:
        return self.text[position:position + 1].isupper()

    def last_day_in_sentence(self, position: int) -> Period | None:
        """The day mentioned last, if it was mentioned earlier in the same sentence ('Tuesday ... at 18:00')."""
        if self.last is None or self.last.granularity != "day" or position - self.last_end > 200:
            return None
        if tense.SENTENCE_END.search(self.text, self.last_end, position):
            return None
        return self.last


_PREVIOUS_WORD = re.compile(r"([a-z0-9$%'’]+)[^a-z0-9$%'’]*$")
_NEXT_WORD = re.compile(r"\W*?([a-z0-9$%]+|[.,;:!?()\"“”])")


class Groups:
    """Named groups of one rule, by their short names."""

    __slots__ = ("index", "match")

    def __init__(self, match: re.Match[str], index: dict[str, int]) -> None:
        self.match = match
        self.index = index

    def __getitem__(self, name: str) -> str | None:
        return self.match.group(self.index[name])

    def span(self, name: str) -> tuple[int, int]:
        return self.match.span(self.index[name])

    @property
    def prefix(self) -> str | None:
        return self.match.group("pre")


Handler = Callable[[Context, Groups, int, int], "Found | list[Found] | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: str
    handler: Handler


RULES: list[Rule] = []


def rule(name: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        RULES.append(Rule(name, pattern, handler))
        return handler

    return register


# ---------------------------------------------------------------- fragments (lower-cased text)

_END = r"(?![a-z0-9])"
MONTH = alternation(MONTHS) + r"(?![a-z])"
BARE_MONTH = alternation(name for name in MONTHS if len(name) > 3 or name.endswith(".") or name == "may")
BARE_MONTH += _END
WEEKDAY = alternation(WEEKDAYS) + r"(?![a-z])"
YEAR = r"(?:1[0-9]\d\d|20\d\d)(?![0-9]|[.,]\d)"
DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?(?![0-9a-z])"
ORDINAL_WORD = alternation(ORDINAL_WORDS) + _END
_NUMBER_WORD = alternation(NUMBER_WORDS) + r"(?![a-z])"
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_NUMBER_WORD})"
FUZZY = alternation(FUZZY_QUANTITIES) + r"(?![a-z])"
UNIT = alternation(UNITS) + r"(?![a-z])"
SPELLED_YEAR = (
    r"(?:(?:eighteen|nineteen|twenty)\s+(?:hundred|oh[\s-]+(?:one|two|three|four|five|six|seven|eight|nine)|"
    r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)|"
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|"
    r"eight|nine))?)|two\s+thousand(?:\s+(?:and\s+)?(?:(?:twenty|thirty)(?:[\s-](?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    r"one|two|three|four|five|six|seven|eight|nine))?)(?![a-z-])"
)
PART_OF_DAY = r"(?:morning|afternoon|evening|night|overnight)(?![a-z])"
_ZONE_NAME = (
    r"(?:gmt|utc|z|msk|eet|eest|cet|cest|est|edt|cst|cdt|pst|pdt|mst|mdt|bst|wib|ist|jst|aest|"
    r"(?:kyiv|kiev|moscow|local|london|washington|new\s+york|eastern|pacific|central|mountain|ukrainian|"
    r"russian|european)\s+(?:time|standard\s+time|daylight\s+time))(?:\s*[+\-−]\s*\d{1,2}(?::?\d\d)?)?(?![a-z])"
)
ZONE = rf"(?:\s*\(\s*{_ZONE_NAME}\s*\)|\s*{_ZONE_NAME})"
MODIFIER = alternation(list(POINT_MODIFIERS) + list(QUANTITY_MODIFIERS))

_COUNT_NOUNS = frozenset(
    (
        "people", "persons", "troops", "soldiers", "servicemen", "civilians", "refugees", "men", "women",
        "children", "kids", "workers", "residents", "tons", "tonnes", "km", "kilometers", "kilometres",
        "miles", "meters", "metres", "feet", "foot", "yards", "dollars", "euros", "pounds", "rubles",
        "roubles", "hryvnias", "hryvnia", "yuan", "yen", "votes", "cases", "deaths", "casualties", "members",
        "units", "vehicles", "tanks", "pages", "words", "times", "points", "barrels", "acres", "hectares",
        "jobs", "homes", "houses", "buildings", "apartments", "lives", "patients", "students", "police",
        "officers", "fighters", "militants", "prisoners", "hostages", "migrants", "employees", "deputies",
        "delegates", "seats", "schools", "hospitals", "villages", "towns", "cities", "companies", "firms",
        "flights", "planes", "aircraft", "drones", "missiles", "rockets", "shells", "rounds", "tests",
        "doses", "signatures", "followers", "subscribers", "views", "strong", "mw", "gw", "kw", "kg", "mm",
        "cm", "calories", "sq", "square", "cubic", "percent", "per", "euro", "dollar", "ton", "tonne",
        "metric", "bn", "mln", "million", "billion", "trillion", "thousand", "hundred",
    )
)
_DAY_NOUNS = frozenset(
    (
        "anniversary", "century", "birthday", "floor", "time", "times", "round", "place", "grade", "day",
        "days", "minute", "minutes", "brigade", "army", "division", "regiment", "battalion", "corps", "fleet",
        "amendment", "session", "congress", "parliament", "convocation", "edition", "annual", "straight",
        "consecutive", "percent", "largest", "biggest", "time-ever", "week", "weeks", "month", "months",
        "year", "years", "district", "precinct", "street", "avenue", "row", "hour",
    )
)


def _season_or_x(ctx: Context, start: int, end: int, code: str) -> tuple[str, bool, Period | None]:
    if ctx.dct is None:
        return f"XXXX-{code}", False, None
    way = anchoring.direction_or_past(ctx.way(start, end))
    period = anchoring.pick_year(ctx.dct, lambda year: season_period(year, code), way)
    return format_period(period), True, period


def _month_day_period(year: int, month: int, day: int) -> Period | None:
    try:
        return Period("day", dt.date(year, month, day))
    except ValueError:
        return None


def _pick_day(ctx: Context, start: int, end: int, month: int, day: int, weekday: int | None) -> Found | None:
    """March 7 without a year: the year from the weekday if one is given, else the tense around it."""
    if not 1 <= day <= 31 or _month_day_period(2000, month, day) is None:
        return None
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-{month:02d}-{day:02d}")
    period = None
    if weekday is not None:
        matching = [p for year in (ctx.dct.year, ctx.dct.year - 1, ctx.dct.year + 1)
                    if (p := _month_day_period(year, month, day)) and p.start.weekday() == weekday]
        if matching:
            period = matching[0]
    if period is None:
        # a dateline ("KYIV, March 7 (Reuters) -") dates the report itself: the nearest March 7, any tense
        way = tense.EITHER if _DATELINE.match(ctx.text, end) else ctx.way(start, end)
        period = anchoring.pick_year(ctx.dct, lambda year: _month_day_period(year, month, day), way)
    if period is None:
        return None
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_DATELINE = re.compile(r"\s*(?:\((?:Reuters|AP|AFP|Xinhua|Prensa Latina|CNN|Sputnik|UNIAN|Interfax|dpa|"
                       r"Bloomberg|IANS|PTI|ANI|Anadolu|Ukrinform|BelTA)\)|/TASS/)|\s+[-–—]\s")


def _month_ok(ctx: Context, name: str, position: int) -> bool:
    """Ambiguous month names (May, March, 'Jan') count only when capitalised."""
    return name.rstrip(".") not in AMBIGUOUS_MONTHS or ctx.capitalised(position)


def _year_of(text: str, ctx: Context) -> int | None:
    """A year written as 2022, '22, or in words."""
    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    if text[:1] in "'’" and text[1:].isdigit():
        return _two_digit_year(int(text[1:]), ctx)
    return spelled_year(text)


def _two_digit_year(two: int, ctx: Context) -> int:
    pivot = (ctx.dct.year if ctx.dct else 2000) + 20
    year = pivot - pivot % 100 + two
    return year - 100 if year > pivot else year


# ---------------------------------------------------------------- absolute dates and times


@rule("iso", r"(?P<y>\d{4})-(?P<m>[01]\d)-(?P<d>[0-3]\d)"
      r"(?:[t ](?P<h>[0-2]\d):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d)(?:\.\d+)?)?(?P<z>z|[+-]\d\d:?\d\d)?)?(?![0-9])")
def _iso(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    period = _month_day_period(int(g["y"]), int(g["m"]), int(g["d"]))
    if period is None:
        return None
    if g["h"] is None:
        return Found(start, end, "DATE", format_period(period), period=period)
    value = f"{period.start.isoformat()}T{g['h']}:{g['mi']}" + (f":{g['s']}" if g["s"] else "")
    return Found(start, end, "TIME", value + ("Z" if g["z"] == "z" else ""), period=period)


@rule("numeric", r"(?P<a>[0-3]?\d)(?P<sep>[/.\-])(?P<b>[0-3]?\d)(?P=sep)(?P<y>\d{4}|\d\d)(?![0-9]|[.,/]\d)")
def _numeric(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    first, second, year_text = int(g["a"]), int(g["b"]), g["y"]
    if g["sep"] != "/" and len(year_text) == 2:
        return None
    year = int(year_text) if len(year_text) == 4 else _two_digit_year(int(year_text), ctx)
    # Slashes are month/day in US style unless the first number cannot be a month; dots and dashes day.month.
    month, day = (first, second) if g["sep"] == "/" and first <= 12 else (second, first)
    period = _month_day_period(year, month, day) if 1 <= month <= 12 else None
    if period is None:
        return None
    return Found(start, end, "DATE", format_period(period), period=period)


_CLOCK_CONTEXT = frozenset(("at", "by", "from", "until", "till", "to", "after", "before", "around", "about", "since",
                            "approximately"))
_AMPM = r"(?P<ampm>[ap])\.?\s?m(?![a-z])\.?"
# The day a clock time is on may follow it, after an aside: "10:35 a.m. (0735 GMT) Friday".
_CLOCK_DAY = (
    rf"(?:(?P<aside>\s*\([^()]{{1,25}}\))?(?:,?\s+(?P<dword>today|yesterday|tomorrow|tonight|{WEEKDAY})(?![a-z])"
    rf"|,?\s+(?P<dmonth>{MONTH})\.?\s*(?P<dday>{DAY})(?:,?\s+(?P<dyear>{YEAR}))?))?"
)


@rule("clock",
      rf"(?:(?P<h>[01]?\d|2[0-3])(?:[:.](?P<mi>[0-5]\d))?(?::(?P<s>[0-5]\d))?\s*{_AMPM}"
      rf"|(?P<h2>[01]?\d|2[0-4]):(?P<mi2>[0-5]\d)(?::(?P<s2>[0-5]\d))?(?![0-9])"
      rf"|(?P<h4>[01]?\d|2[0-3])\.(?P<mi4>[0-5]\d)(?=\s*{_ZONE_NAME})"
      rf"|(?P<hh>[01]\d|2[0-3])(?P<mm>[0-5]\d)(?=\s*(?:hrs|hours|h(?![a-z])|z(?![a-z])|{_ZONE_NAME}))"
      rf"(?:\s*(?:hrs|hours|h)(?![a-z]))?"
      r"|(?P<named>noon|midday|midnight)(?![a-z])"
      rf"|(?P<h3>[01]?\d|{_NUMBER_WORD})(?:\s+o['’]clock|(?=\s+in\s+the\s+(?:morning|afternoon|evening)"
      r"|\s+at\s+night)))"
      rf"(?P<zone>{ZONE})?"
      r"(?:\s+(?P<pod>in\s+the\s+(?:morning|afternoon|evening)|at\s+night)(?![a-z]))?"
      + _CLOCK_DAY)
def _clock(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    seconds = g["s"] or g["s2"]
    if g["named"]:
        name = g["named"]
        if name == "midnight":
            hour, minute = 24, 0
        else:
            hour, minute = 12, 0
    else:
        hour_text = g["h"] or g["h2"] or g["hh"] or g["h3"] or g["h4"]
        hour = int(hour_text) if hour_text.isdigit() else NUMBER_WORDS.get(hour_text, 99)
        minute = int(g["mi"] or g["mi2"] or g["mm"] or g["mi4"] or 0)
        meridiem = g["ampm"]
        if meridiem is None and g["pod"]:
            meridiem = "a" if "morning" in g["pod"] else "p"
        if meridiem is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        if hour > 24:
            return None
        bare = g["h2"] is not None and g["zone"] is None and g["dword"] is None and g["dmonth"] is None
        if bare and ctx.previous_word(start) not in _CLOCK_CONTEXT:
            return None  # a bare 14:30 could be a score or a ratio
    clock = f"T{hour:02d}:{minute:02d}" + (f":{seconds}" if seconds else "")
    zone = (g["zone"] or "").strip(" ()")
    if zone in ("gmt", "utc", "z"):
        clock += "Z"
    day_found = _clock_day(ctx, g, start, end)
    if g["aside"]:
        end = g.span("aside")[0]  # the aside and the day after it are tagged on their own
    mentioned = ctx.last_day_in_sentence(start) if day_found is None else None
    if mentioned is not None:
        return Found(start, end, "TIME", format_period(mentioned) + clock, anchored=True, period=mentioned)
    if day_found is None:  # the document's day, unless a date follows ("at 4 a.m. on Thursday")
        if ctx.dct is None:
            return Found(start, end, "TIME", "XXXX-XX-XX" + clock, floating=True)
        return Found(start, end, "TIME", ctx.dct.isoformat() + clock, anchored=True, floating=True)
    if day_found.period is None:
        return Found(start, end, "TIME", day_found.value + clock, anchored=day_found.anchored)
    return Found(start, end, "TIME", day_found.value + clock, anchored=day_found.anchored,
                 period=day_found.period)


def _clock_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    word = g["dword"]
    if word is not None:
        if word in WEEKDAYS:
            return _weekday_found(ctx, start, end, WEEKDAYS[word], None)
        offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[word]
        return _day_offset(ctx, start, end, offset)
    if g["dmonth"] is not None:
        month, day = MONTHS[g["dmonth"]], ordinal_value(g["dday"]) or 0
        if g["dyear"]:
            period = _month_day_period(int(g["dyear"]), month, day)
            return Found(start, end, "DATE", format_period(period), period=period) if period else None
        return _pick_day(ctx, start, end, month, day, None)
    return None


def _day_offset(ctx: Context, start: int, end: int, offset: int) -> Found:
    if ctx.dct is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    period = Period("day", ctx.dct + dt.timedelta(days=offset))
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_RANGE_DAY = rf"(?P<range>\s*(?:-|–|—|to|and|through|until|till)\s*)(?P<day2>{DAY})"


@rule("month_day",
      rf"(?:(?P<wd>{WEEKDAY}),?\s+(?:the\s+)?)?(?P<month>{MONTH})\s*(?:the\s+)?(?P<day>{DAY})"
      rf"(?:{_RANGE_DAY})?(?:(?:,\s*|\s+)(?:of\s+)?(?P<year>{YEAR}))?")
def _month_day(ctx: Context, g: Groups, start: int, end: int) -> Found | list[Found] | None:
    month_start = g.span("month")[0]
    if not _month_ok(ctx, g["month"], month_start):
        return None
    month, day = MONTHS[g["month"]], ordinal_value(g["day"]) or 0
    weekday = WEEKDAYS[g["wd"]] if g["wd"] else None
    first_end = g.span("day")[1] if g["range"] else end
    found = _dated(ctx, start, first_end, month, day, g["year"], weekday)
    if found is None or not g["range"]:
        return found
    day2 = ordinal_value(g["day2"]) or 0
    second = _dated(ctx, g.span("day2")[0], end, month, day2, g["year"], None)
    if second is None or day2 <= day:
        return Found(found.start, g.span("day")[1], *found[2:])
    if g["year"]:  # "Feb. 24-28, 2022": the year belongs to both days
        found = _dated(ctx, start, first_end, month, day, g["year"], weekday) or found
    return [found, second]


def _dated(ctx: Context, start: int, end: int, month: int, day: int, year_text: str | None,
           weekday: int | None) -> Found | None:
    if year_text:
        period = _month_day_period(int(year_text), month, day)
        return Found(start, end, "DATE", format_period(period), period=period) if period else None
    return _pick_day(ctx, start, end, month, day, weekday)


@rule("day_month",
      rf"(?:(?P<wd>{WEEKDAY}),?\s+)?(?:the\s+)?(?:(?P<day>{DAY})|(?P<dayw>{ORDINAL_WORD}))"
      rf"(?:\s*(?:-|–|—|to|and)\s*(?P<day0>{DAY}))?(?P<of>\s+of)?\s+(?P<month>{MONTH})(?:,?\s+(?P<year>{YEAR}))?")
def _day_month(ctx: Context, g: Groups, start: int, end: int) -> Found | list[Found] | None:
    if not _month_ok(ctx, g["month"], g.span("month")[0]):
        return None
    if g["dayw"] and not g["of"]:
        return None
    month = MONTHS[g["month"]]
    weekday = WEEKDAYS[g["wd"]] if g["wd"] else None
    if g["day0"]:
        first_day, last = ordinal_value(g["day"]) or 0, ordinal_value(g["day0"]) or 0
        first = _dated(ctx, start, g.span("day")[1], month, first_day, g["year"], weekday)
        second = _dated(ctx, g.span("day0")[0], end, month, last, g["year"], None)
        return [found for found in (first, second) if found is not None] or None
    day = ordinal_value(g["day"] or g["dayw"]) or 0
    return _dated(ctx, start, end, month, day, g["year"], weekday)


@rule("month_year", rf"(?P<month>{MONTH}),?\s+(?:of\s+)?(?P<year>{YEAR}|['’]\d\d(?![0-9])|{SPELLED_YEAR})")
def _month_year(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if not _month_ok(ctx, g["month"], start):
        return None
    year = _year_of(g["year"], ctx)
    if year is None:
        return None
    period = Period("month", dt.date(year, MONTHS[g["month"]], 1))
    return Found(start, end, "DATE", format_period(period), period=period)


@rule("nth_week_of",
      rf"the\s+(?P<ord>first|second|third|fourth|last|final|1st|2nd|3rd|4th)\s+(?P<unit>week|weekend|days|"
      rf"ten\s+days|half|fortnight)\s+of\s+(?:(?P<month>{MONTH})(?:,?\s+(?P<year>{YEAR}))?|(?P<rel>this|last|"
      r"next)\s+month|the\s+month)")
def _nth_week_of(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["month"]:
        if not _month_ok(ctx, g["month"], g.span("month")[0]):
            return None
        found = _month_found(ctx, start, end, MONTHS[g["month"]], g["year"], None)
    else:
        found = _relative_found(ctx, start, end, "month", {"last": -1, "next": 1}.get(g["rel"] or "", 0))
    if found is None:
        return None
    ordinal = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "final": "last"}.get(
        g["ord"], g["ord"])
    month = parse_value(found.value)
    if month is None or g["unit"] not in ("week", "weekend"):
        return found._replace(mod="END" if ordinal == "last" else "START" if ordinal == "first" else None)
    first, last = month.start, last_day(month)
    if g["unit"] == "week":  # the week holding most of its days in the month, counted from either end
        day = first + dt.timedelta(days=3) if ordinal != "last" else last - dt.timedelta(days=3)
    else:  # weekends are counted by their Saturdays
        day = first + dt.timedelta(days=(5 - first.weekday()) % 7)
        if ordinal == "last":
            day = last - dt.timedelta(days=(last.weekday() - 5) % 7)
    steps = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": 0}[ordinal]
    period = shift(floor(g["unit"], day), steps)
    return found._replace(value=format_period(period), period=period)


# ---------------------------------------------------------------- quarters, halves, decades, centuries

_QUARTER_ORD = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                "final": 4, "last": 4}


@rule("quarter",
      rf"(?:(?:the\s+)?(?P<y1>{YEAR})(?:['’]s)?\s+|(?P<yrel>this|last|next)\s+year['’]s\s+|the\s+(?:(?P<qrel>same|latest|"
      r"previous|past|prior|current|year-earlier|year-ago|year\s+earlier|year\s+ago|comparable|"
      r"corresponding)\s+)?)?(?:fiscal[\s-]+)?(?P<ord>first|second|third|fourth|final|1st|2nd|3rd|4th)[\s-]+"
      rf"(?:fiscal\s+)?quarters?(?![a-z])(?:\s+(?:of\s+)?(?:fiscal\s+)?(?P<y2>{YEAR})|\s+of\s+(?P<yrel2>this|last|"
      r"next)\s+year|\s+of\s+the\s+year)?")
def _quarter(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    number = _QUARTER_ORD[g["ord"]]
    ordinal_end = g.span("ord")[1]
    if ctx.lower.startswith("the", start) and ctx.lower[ordinal_end:ordinal_end + 1] == "-" and not g["qrel"]:
        start = g.span("ord")[0]  # "the third-quarter [loss]": the adjective is the timex
    year_text = g["y1"] or g["y2"]
    relation = g["yrel"] or g["yrel2"]
    if year_text or relation or (ctx.dct and g["qrel"] is None):
        if year_text:
            year = int(year_text)
            anchored = False
        elif relation:
            if ctx.dct is None:
                return Found(start, end, "DATE", f"XXXX-Q{number}")
            year = ctx.dct.year + {"this": 0, "last": -1, "next": 1}[relation]
            anchored = True
        else:
            way = anchoring.direction_or_past(ctx.way(start, end))
            period = anchoring.pick_year(ctx.dct, lambda y: Period("quarter", dt.date(y, 3 * number - 2, 1)), way)
            return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
        period = Period("quarter", dt.date(year, 3 * number - 2, 1))
        return Found(start, end, "DATE", format_period(period), anchored=anchored, period=period)
    if g["qrel"] and ("year" in g["qrel"] or g["qrel"] in ("comparable", "corresponding")):
        reference = ctx.last if ctx.last and ctx.last.granularity == "quarter" else None
        if reference is None and ctx.dct:
            reference = Period("quarter", dt.date(ctx.dct.year, 3 * number - 2, 1))
        if reference is None:
            return Found(start, end, "DATE", f"XXXX-Q{number}")
        period = Period("quarter", dt.date(reference.start.year - 1, 3 * number - 2, 1))
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    return Found(start, end, "DATE", f"XXXX-Q{number}")


@rule("quarter_code", rf"q(?P<q>[1-4])(?:\s*(?:of\s+)?(?P<y>{YEAR})|\s*['’]?(?P<y2>\d\d)(?![0-9]))?(?![a-z0-9])")
def _quarter_code(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if not ctx.capitalised(start):
        return None
    number = int(g["q"])
    if g["y"] or g["y2"]:
        year = int(g["y"]) if g["y"] else _two_digit_year(int(g["y2"]), ctx)
        period = Period("quarter", dt.date(year, 3 * number - 2, 1))
        return Found(start, end, "DATE", format_period(period), period=period)
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-Q{number}")
    way = anchoring.direction_or_past(ctx.way(start, end))
    period = anchoring.pick_year(ctx.dct, lambda y: Period("quarter", dt.date(y, 3 * number - 2, 1)), way)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


@rule("same_period_last_year",
      r"the\s+same\s+(?P<unit>period|time|day|week|month|quarter|season)(?:\s+of)?\s+(?:the\s+)?(?:last\s+year|"
      r"a\s+year\s+(?:ago|earlier)|previous\s+year|prior\s+year|year\s+before)(?![a-z])")
def _same_period_last_year(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    """'the same month a year ago': the period mentioned last (or the document's), one year back."""
    granularity = {"period": None, "time": None}.get(g["unit"], g["unit"])
    if ctx.last is not None and (granularity is None or not _finer(granularity, ctx.last.granularity)):
        base = ctx.last if granularity is None else floor(granularity, ctx.last.start)
    elif ctx.dct is not None:
        base = floor(granularity or "month", ctx.dct)
    else:
        return Found(start, end, "DATE", "XXXX")
    day = base.start
    year_before = day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)
    period = floor(base.granularity, year_before)
    return Found(start, end, "DATE", format_period(period), anchored=True)


@rule("the_quarter",
      r"the\s+(?P<rel>(?:latest|same|comparable|corresponding|just-ended|just\s+ended|recent|most\s+recent|"
      r"current)\s+)?(?P<ago>(?:year-earlier|year-ago|year\s+earlier|year\s+ago|prior-year)\s+)?(?:fiscal\s+)?"
      r"(?P<what>quarter|period)(?![a-z])(?P<ago2>\s+a\s+year\s+(?:ago|earlier)|\s+(?:of\s+)?last\s+year)?")
def _the_quarter(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    relation = (g["rel"] or "").strip()
    year_ago = bool(g["ago"] or g["ago2"]) or relation in ("comparable", "corresponding")
    if g["what"] == "period" and not relation and not year_ago:
        return None
    if relation in ("latest", "just-ended", "just ended", "most recent", "recent") or (
            ctx.last is None or ctx.last.granularity != "quarter"):
        # the latest quarter is the last one completed before the document date
        period = shift(floor("quarter", ctx.dct), -1) if ctx.dct else None
    else:
        period = ctx.last
    if relation == "current" and ctx.dct:
        period = floor("quarter", ctx.dct)
    if period is None:
        return Found(start, end, "DATE", "XXXX-QX")
    if year_ago:
        return Found(start, end, "DATE", format_period(shift(period, -4)), anchored=True)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


@rule("year_ago_adjective", r"year[\s-](?:earlier|ago)(?![a-z])")
def _year_ago_adjective(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if ctx.last is not None and ctx.last.granularity in ("quarter", "month", "half"):
        period = shift(ctx.last, -4 if ctx.last.granularity == "quarter" else -12
                       if ctx.last.granularity == "month" else -2)
        return Found(start, end, "DATE", format_period(period), anchored=True)
    if ctx.dct is None:
        return Found(start, end, "DATE", "XXXX")
    period = relative_year(ctx.dct, -1)
    return Found(start, end, "DATE", format_period(period), anchored=True)


def relative_year(reference: dt.date, offset: int) -> Period:
    return anchoring.relative_period(reference, "year", offset)


@rule("half",
      rf"(?:the\s+)?(?P<ord>first|second|last|latter|1st|2nd)\s+half\s+of\s+(?:(?P<year>{YEAR})|(?P<rel>this|last|"
      rf"next|the\s+current)\s+year|the\s+year|(?P<month>{MONTH})(?:,?\s+(?P<myear>{YEAR}))?|"
      r"the\s+(?P<dec>(?:['’]\d0|1\d\d0|20\d0)['’]?s))")
def _half(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    second = g["ord"] not in ("first", "1st")
    if g["month"]:
        if not _month_ok(ctx, g["month"], g.span("month")[0]):
            return None
        found = _month_found(ctx, start, end, MONTHS[g["month"]], g["myear"], None)
        return found._replace(mod="END" if second else "START") if found else None
    if g["dec"]:
        found = _decade_value(ctx, start, end, g["dec"])
        return found._replace(mod="END" if second else "START") if found else None
    month = 7 if second else 1
    if g["year"]:
        period = Period("half", dt.date(int(g["year"]), month, 1))
        return Found(start, end, "DATE", format_period(period), period=period)
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-H{2 if second else 1}")
    offset = {"last": -1, "next": 1}.get((g["rel"] or "").split()[-1] if g["rel"] else "", 0)
    period = Period("half", dt.date(ctx.dct.year + offset, month, 1))
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}


@rule("decade",
      r"(?P<the>the\s+)?(?:(?P<dmod>early|mid|late)[\s-]+)?(?:(?P<dec>(?:['’]?\d0|1\d\d0|20\d0)['’]?s)(?![a-z0-9])"
      r"|(?P<words>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)(?![a-z]))")
def _decade(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["words"]:
        if not g["the"]:
            return None
        decade = 190 + _DECADE_WORDS[g["words"]]
        found = Found(start, end, "DATE", f"{decade:03d}", period=Period("decade", dt.date(decade * 10, 1, 1)))
    else:
        digits = g["dec"].strip("'’s")
        if len(digits) == 2 and not g["the"] and g["dec"][0] not in "'’":
            return None  # "in their 60s" is an age
        found = _decade_value(ctx, start, end, g["dec"])
    if found and g["dmod"]:
        found = found._replace(mod={"early": "START", "mid": "MID", "late": "END"}[g["dmod"]])
    return found


def _decade_value(ctx: Context, start: int, end: int, text: str) -> Found | None:
    digits = text.strip("'’s").replace("'", "").replace("’", "")
    if len(digits) == 4:
        decade = int(digits) // 10
    else:
        year = _two_digit_year(int(digits), ctx)
        decade = year // 10
    return Found(start, end, "DATE", f"{decade:03d}", period=Period("decade", dt.date(decade * 10, 1, 1)))


@rule("century", rf"(?:the\s+)?(?P<ord>{ORDINAL_WORD}|\d{{1,2}}(?:st|nd|rd|th))[\s-]+century(?![a-z])")
def _century(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    number = ordinal_value(g["ord"])
    if number is None or not 1 <= number <= 22:
        return None
    return Found(start, end, "DATE", f"{number - 1:02d}",
                 period=Period("century", dt.date(max((number - 1) * 100, 1), 1, 1)))


# ---------------------------------------------------------------- counted units: ago, durations, sets

# Words between a count and its unit: "six straight days", "eight trading days", "20 more years".
_UNIT_ADJECTIVE = (r"(?:straight|consecutive|successive|more|additional|extra|further|full|whole|trading|business|"
                   r"working|calendar|long|short|brief|difficult|hard)")
_AGO_DIRECTIONS = {"ago": -1, "earlier": -1, "before": -1, "prior": -1, "previously": -1, "back": -1,
                   "later": 1, "after": 1, "from now": 1, "hence": 1, "on": 1}
_COUNT = (rf"(?P<num>{NUMBER}(?:\s*(?:to|or|-|–)\s*{NUMBER})?|{FUZZY})"
          r"(?P<half>\s+and\s+a\s+half|\s+1/2|\s*½|\s+and\s+one-half)?")


@rule("ago",
      rf"{_COUNT}[\s-]+(?P<unit>{UNIT})(?P<orso>\s+or\s+so)?\s+(?P<dir>ago|earlier|later|before|after|"
      r"from\s+now|hence|prior|previously|back|on)(?![a-z])"
      r"|(?P<bare>years|months|weeks|days|decades|hours|moments|minutes)\s+(?P<dir2>ago|earlier|later)(?![a-z])")
def _ago(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    try:
        return _counted_from_reference(ctx, g, start, end)
    except OverflowError:  # "66 million years ago", "3,000 years ago": before the calendar's year 1
        return Found(start, end, "DATE", "PAST_REF" if g["dir"] and _AGO_DIRECTIONS.get(
            " ".join(g["dir"].split()), -1) < 0 else "FUTURE_REF")


def _counted_from_reference(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["bare"]:
        value = "PAST_REF" if g["dir2"] in ("ago", "earlier") else "FUTURE_REF"
        return Found(start, end, "DATE", value)
    direction_word = " ".join(g["dir"].split())
    sign = _AGO_DIRECTIONS[direction_word]
    unit = g["unit"]
    count = _count(g["num"], g["half"])
    if direction_word in ("before", "after", "on", "back") and _introduces_phrase(ctx, end):
        # "two days after the attack" is a duration anchored on an event, not on the document date
        return _duration_found(ctx, g, start, g.span("unit")[1])
    if count is None:
        return Found(start, end, "DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
    code = UNITS[unit]
    granularity = _unit_granularity(unit)
    if granularity is None:  # hours and minutes: the day is all a date-only reference can give
        if ctx.dct is None:
            return Found(start, end, "DATE", "XXXX-XX-XX")
        return Found(start, end, "DATE", ctx.dct.isoformat(), anchored=True)
    steps = count
    if code in ("DE", "CE"):
        steps, granularity = count * (10 if code == "DE" else 100), "year"
    elif code == "2W":
        steps = count * 2
    if steps != int(steps):
        if granularity != "year":
            return Found(start, end, "DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
        steps, granularity = steps * 12, "month"
    steps = int(steps)
    # "A year earlier" in news compares with now, like "a year ago"; in earnings news, with the quarter
    # being reported, whose year-ago twin is not a new reference for what follows.
    one_year = granularity == "year" and steps == 1 and sign < 0
    if one_year and ctx.last is not None and ctx.last.granularity == "quarter":
        return Found(start, end, "DATE", format_period(shift(ctx.last, -4)), anchored=True)
    if direction_word in ("ago", "from now", "hence", "back") or one_year:
        if ctx.dct is None:
            return Found(start, end, "DATE", _underspecified(granularity))
        period = shift(floor(granularity, ctx.dct), sign * steps)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    reference_date, reference_period = ctx.reference()
    if reference_date is None:
        return Found(start, end, "DATE", _underspecified(granularity))
    if reference_period is not None and _finer(reference_period.granularity, granularity):
        steps_in_reference = _convert_steps(steps, granularity, reference_period.granularity)
        if steps_in_reference is not None:
            period = shift(reference_period, sign * steps_in_reference)
            return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    period = shift(floor(granularity, reference_date), sign * steps)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_ORDER = ("day", "week", "weekend", "month", "quarter", "half", "season", "year", "decade", "century")


def _finer(granularity: str, than: str) -> bool:
    return granularity in _ORDER and than in _ORDER and _ORDER.index(granularity) < _ORDER.index(than)


def _convert_steps(steps: int, unit: str, granularity: str) -> int | None:
    """Steps of `unit` expressed in steps of the finer `granularity` (a year is 4 quarters), when exact."""
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}
    if unit in months and granularity in months:
        return steps * months[unit] // months[granularity]
    if unit == "week" and granularity == "day":
        return steps * 7
    return None


def _underspecified(granularity: str) -> str:
    return {"day": "XXXX-XX-XX", "week": "XXXX-WXX", "weekend": "XXXX-WXX-WE", "month": "XXXX-XX",
            "quarter": "XXXX-QX"}.get(granularity, "XXXX")


def _unit_granularity(unit: str) -> str | None:
    if unit == "centuries":
        return "century"
    singular = unit[:-1] if unit.endswith("s") and unit[:-1] in UNIT_GRANULARITY else unit
    return UNIT_GRANULARITY.get(singular)


def _introduces_phrase(ctx: Context, end: int) -> bool:
    """True when a noun phrase follows ('after the attack'), false at a clause end ('two days later.')."""
    following = ctx.next_word(end)
    return bool(following) and following[0].isalnum() and following not in ("and", "but", "or", "when", "as")


def _count(number_text: str, half: str | None) -> float | None:
    """The number in a count ('three', '2', 'a'), with 'and a half'; None for vague counts and ranges."""
    text = " ".join(number_text.split())
    value = number_value(text)
    if value is None:
        return None
    return value + 0.5 if half else float(value)


def _number_text(count: float) -> str:
    return str(int(count)) if count == int(count) else f"{count:g}"


_NUMBER_CONTEXT = "|".join(word for word in NUMBER_WORDS if " " not in word and len(word) > 2)
_SET_CONTEXT = re.compile(
    rf"(?:\d|%|\b(?:times|once|twice|dollars|euros|million|billion|trillion|hryvnias?|rubles?|pounds|cents?|"
    rf"tons|tonnes|barrels|km|miles|dozens|hundreds|thousands|{_NUMBER_CONTEXT})\b)[^.;:!?]{{0,25}}$"
)


_QUARTER_SPAN_BEFORE = frozenset(("in", "for", "within", "during", "per", "each", "every"))


def _duration_found(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    unit = g["unit"]
    code = UNITS[unit]
    number_text = " ".join(g["num"].split())
    count = _count(number_text, g["half"])
    if number_text in ("a", "an") and unit in ("second", "sec", "min"):
        return None  # "a second round", "a min."
    if len(number_text) == 4 and number_text.isdigit() and 1800 <= int(number_text) <= 2100:
        return None  # a year: "the 1988 second quarter", "2021 full-year guidance"
    fraction = number_text in ("a", "one") and ctx.previous_word(start) not in _QUARTER_SPAN_BEFORE
    if code == "Q" and (fraction or ctx.next_word(end) == "of"):
        return None  # "three-quarters of its food", "about a quarter of its dealers" are fractions
    if number_text in ("a", "an") and ctx.lower[g.span("num")[1]:g.span("unit")[0]].isspace() and (
            _SET_CONTEXT.search(ctx.lower, max(0, start - 40), start)):
        return Found(start, end, "SET", _duration_value(1, code))  # "$5 billion a year", "four flights a week"
    return Found(start, end, "DURATION", _duration_value(count, code))


# Half a unit in the next smaller one: 2 1/2 years is P2Y6M, an hour and a half PT1H30M.
_HALF_OF = {"Y": ("M", 6), "M": ("D", 15), "D": ("TH", 12), "TH": ("TM", 30), "TM": ("TS", 30)}


def _duration_value(count: float | None, code: str) -> str:
    """ISO 8601 duration: P3D, PT2H, P2W, P2Y6M, PXY for a vague count; decades and centuries in years."""
    if code in ("DE", "CE", "ML"):
        factor = {"DE": 10, "CE": 100, "ML": 1000}[code]
        if count is None:
            return "PXY" if code == "DE" else f"PX{code}"
        return f"P{_number_text(count * factor)}Y"
    if code == "2W":
        return "PXW" if count is None else f"P{_number_text(count * 2)}W"
    if count is None:
        return f"PTX{code[1]}" if code.startswith("T") else f"PX{code}"
    parts = [(int(count), code)] if count >= 1 else []
    if count != int(count):
        if code not in _HALF_OF or count * 2 != int(count * 2):
            parts = [(count, code)]
        else:
            smaller, amount = _HALF_OF[code]
            parts.append((amount, smaller))
    date_part = "".join(f"{_number_text(n)}{c}" for n, c in parts if not c.startswith("T"))
    time_part = "".join(f"{_number_text(n)}{c[1]}" for n, c in parts if c.startswith("T"))
    return "P" + date_part + ("T" + time_part if time_part else "")


_SET_UNIT = alternation([*UNITS, *WEEKDAYS, *MONTHS, *SEASONS, "morning", "afternoon", "evening", "night"])
_SET_UNIT += r"(?![a-z])"


@rule("set",
      rf"(?P<q>every|each|per)\s+(?:other\s+|single\s+|passing\s+)?(?:(?P<num>{NUMBER})\s+)?(?P<unit>{_SET_UNIT})"
      rf"|(?P<freq>once|twice|thrice|{NUMBER}\s+times)\s+(?:a|an|per|each|every)\s+(?P<unit2>{_SET_UNIT})"
      r"|(?P<adv>daily|weekly|bi-?weekly|monthly|bi-?monthly|annually|yearly|hourly|nightly|"
      r"fortnightly|semi-?annually)(?![a-z])"
      rf"|(?P<wds>(?:mon|tues|wednes|thurs|fri|satur|sun)days)(?:\s+(?P<pods>mornings|afternoons|evenings|nights))?"
      r"(?![a-z])")
def _set(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["adv"]:
        code = {"daily": "P1D", "weekly": "P1W", "biweekly": "P2W", "bi-weekly": "P2W", "monthly": "P1M",
                "bimonthly": "P2M", "bi-monthly": "P2M", "annually": "P1Y", "yearly": "P1Y",
                "hourly": "PT1H", "nightly": "P1D", "fortnightly": "P2W", "semiannually": "P6M",
                "semi-annually": "P6M"}[g["adv"]]
        return Found(start, end, "SET", code)
    if g["wds"]:
        weekday = WEEKDAYS[g["wds"][:-1]]
        suffix = f"T{PARTS_OF_DAY[g['pods'][:-1]]}" if g["pods"] else ""
        return Found(start, end, "SET", f"XXXX-WXX-{weekday + 1}{suffix}")
    unit = g["unit"] or g["unit2"]
    if unit in WEEKDAYS:
        return Found(start, end, "SET", f"XXXX-WXX-{WEEKDAYS[unit] + 1}")
    if unit in PARTS_OF_DAY:
        return Found(start, end, "SET", f"XXXX-XX-XXT{PARTS_OF_DAY[unit]}")
    if unit in MONTHS:
        return Found(start, end, "SET", f"XXXX-{MONTHS[unit]:02d}")
    if unit in SEASONS:
        return Found(start, end, "SET", f"XXXX-{SEASONS[unit]}")
    if unit in ("second", "seconds") and ctx.next_word(end).isalnum():
        return None  # "every second person"
    if g["q"] == "each" and ctx.next_word(end) == "of":
        return None  # "each of the past three years" is a duration (tagged by the duration rule below)
    count = number_value(" ".join(g["num"].split())) if g["num"] else 1
    if count is None:
        return None
    return Found(start, end, "SET", _duration_value(count, UNITS[unit]))


@rule("duration",
      r"(?:the\s+(?:(?P<rel>past|last|next|coming|previous|first|following|final|initial|remaining|same|latest|"
      r"full|entire|whole|better\s+part\s+of\s+the|last\s+several|past\s+several|ensuing|subsequent|"
      r"preceding|prior)\s+)?|(?P<rel2>past|last|next|coming|previous|first|following|final|initial|remaining|"
      r"another|additional|further)\s+)?"
      rf"{_COUNT}(?:\s+{_UNIT_ADJECTIVE})?[\s-]+(?P<unit>{UNIT})(?!-(?:earlier|ago|end|on-|over-|to-date|round))"
      r"(?P<half2>\s+and\s+a\s+half)?(?P<tail>-long|[\s-]+old)?(?![a-z])"
      r"|(?P<one>another|an\s+additional|a\s+further|one\s+more|a\s+full|an\s+entire|a\s+whole)\s+"
      r"(?P<unit1>second|minute|hour|day|night|week|weekend|fortnight|month|quarter|year|decade|century)(?![a-z-])"
      r"|half\s+(?:an?\s+)?(?P<hunit>hour|day|week|month|year|decade|century)(?![a-z])")
def _duration(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["hunit"]:
        return Found(start, end, "DURATION", _duration_value(0.5, UNITS[g["hunit"]]))
    if g["unit1"]:
        return Found(start, end, "DURATION", _duration_value(1, UNITS[g["unit1"]]))
    tail = (g["tail"] or "").strip(" -")
    if tail == "old":
        return None  # ages ("a 45-year-old man") are not temporal expressions in TimeML corpora
    found = _duration_found(ctx, g, start, end)
    if found is None:
        return None
    number_end = g.span("num")[1]
    if ctx.lower.startswith("the", start) and ctx.lower[number_end:number_end + 1] == "-" and not g["rel"]:
        found = found._replace(start=g.span("num")[0])  # "the eight-year [war]": the adjective is the timex
    if g["half2"]:
        found = found._replace(value=_duration_value(_count(g["num"], "half"), UNITS[g["unit"]]))
    return found


# ---------------------------------------------------------------- years and seasons

_YEAR_CONTEXT_BEFORE = frozenset(
    (
        "in", "since", "of", "from", "until", "till", "by", "before", "after", "year", "circa", "c.", "between",
        "and", "to", "through", "during", "early", "late", "mid", "end", "beginning", "spring", "summer",
        "autumn", "fall", "winter", "around", "about", "than",
    )
)


@rule("year",
      rf"(?:(?P<fiscal>fiscal(?:\s+year)?|fy|calendar(?:\s+year)?|the\s+year|model\s+year|the\s+(?:fiscal|calendar)"
      rf"\s+year)[\s-]*)?(?P<year>{YEAR})(?:\s*(?P<rsep>[-–—/]|to|and|or|through|until)\s*(?P<y2>1[0-9]\d\d|20\d\d|"
      rf"\d\d)(?![0-9]))?(?![0-9])"
      rf"|(?:the\s+year\s+)?(?P<spelled>{SPELLED_YEAR})"
      r"|fy\s*['’]?(?P<fy>\d\d)(?![0-9])"
      r"|['’](?P<apos>\d\d)(?![0-9a-z'’])")
def _year(ctx: Context, g: Groups, start: int, end: int) -> Found | list[Found] | None:
    if g["fy"]:
        year = _two_digit_year(int(g["fy"]), ctx)
        return _year_found(start, end, year)
    if g["apos"]:  # "since '82"
        if ctx.previous_word(start) not in _YEAR_CONTEXT_BEFORE:
            return None
        return _year_found(start, end, _two_digit_year(int(g["apos"]), ctx))
    following = ctx.next_word(end)
    if following in _COUNT_NOUNS or following in UNITS or ctx.lower.startswith(("-strong", "-member", "%"), end):
        return None
    if g["spelled"]:
        year = spelled_year(g["spelled"].replace("the year", ""))
        if year is None or (year == 2000 and "year" not in ctx.lower[start:end] and not g.prefix):
            return None
        return _year_found(start, end, year)
    if g.prefix and g.prefix.strip() in QUANTITY_MODIFIERS:
        return None
    before = ctx.lower[max(0, start - 2):start]
    if before.endswith(("$", "€", "£", "#", "№", "+", "/", ":")) or re.search(r"\d[.,]$|no\.\s?$", before):
        return None
    year = int(g["year"])
    previous = ctx.previous_word(start)
    if year < 1900 and not g["fiscal"] and previous not in _YEAR_CONTEXT_BEFORE:
        return None
    named = start >= 2 and ctx.text[start - 2:start - 1].isalpha() and _name_around(ctx, start, end)
    if named and previous not in _YEAR_CONTEXT_BEFORE:
        return None  # "the Russell 2000 Index", "Windows 2000 Server"
    first_end = g.span("year")[1]
    found = _year_found(start, first_end if g["y2"] else end, year)
    if not g["y2"]:
        return found
    second_text = g["y2"]
    if len(second_text) == 2:
        if g["rsep"] not in ("-", "–", "—", "/"):
            return Found(*found[:1], first_end, *found[2:])
        second = year - year % 100 + int(second_text)
    else:
        second = int(second_text)
    if second <= year or second - year > 100:
        return Found(found.start, first_end, *found[2:])
    return [found, _year_found(g.span("y2")[0], end, second)]


def _name_around(ctx: Context, start: int, end: int) -> bool:
    """A number between two capitalised words is part of a name."""
    before = ctx.text.rfind(" ", 0, start - 1) + 1
    after = re.match(r"\s+(\S)", ctx.text[end:end + 3])
    return ctx.text[before:before + 1].isupper() and after is not None and after.group(1).isupper()


def _year_found(start: int, end: int, year: int) -> Found:
    period = Period("year", dt.date(year, 1, 1))
    return Found(start, end, "DATE", format_period(period), period=period)


_SEASON_RELATION = {"this": 0, "last": -1, "next": 1, "past": -1, "coming": 1, "previous": -1}


@rule("season",
      r"(?:(?P<rel>this|last|next|past|coming|previous|this\s+past|this\s+coming|the\s+(?:past|last|coming|next|"
      r"previous))\s+|(?P<the>the)\s+)?(?P<season>spring|summer|fall|autumn|winter)(?![a-z])"
      rf"(?:\s+(?:of\s+)?(?P<year>{YEAR}|{SPELLED_YEAR})|\s+(?P<y2>['’]\d\d)(?![0-9]))?")
def _season(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    code = SEASONS[g["season"]]
    if g["year"] or g["y2"]:
        year = _year_of(g["year"] or g["y2"], ctx)
        if year is None:
            return None
        period = season_period(year, code)
        return Found(start, end, "DATE", format_period(period), period=period)
    previous = ctx.previous_word(start)
    following = ctx.next_word(end)
    if g["season"] in ("fall", "spring") and not g["rel"]:
        # "the fall of Kabul", "a spring of water": only "in the fall", "this spring" and the like
        if previous not in ("in", "during", "by", "until", "till", "since", "over", "through", "late", "early",
                            "mid", "this", "last", "next") or following == "of":
            return None
    elif not g["rel"] and following == "of":
        return None
    if g["rel"]:
        relation = g["rel"].split()[-1]
        if ctx.dct is None:
            return Found(start, end, "DATE", f"XXXX-{code}")
        offset = 0 if g["rel"].strip() == "this" else _SEASON_RELATION.get(relation, 0)
        options = [season_period(year, code) for year in range(ctx.dct.year - 1, ctx.dct.year + 3)]
        now = floor("season", ctx.dct)
        if offset < 0:  # "last summer", said in summer, is the one before
            chosen = max(p for p in options if p.start < now.start)
        elif offset > 0:
            chosen = min(p for p in options if p.start > now.start)
        else:  # "this winter": the nearest one, on either side
            chosen = anchoring.pick_year(ctx.dct, lambda year: season_period(year, code), tense.EITHER)
        return Found(start, end, "DATE", format_period(chosen), anchored=True, period=chosen)
    value, anchored, period = _season_or_x(ctx, start, end, code)
    return Found(start, end, "DATE", value, anchored=anchored, period=period)


# ---------------------------------------------------------------- this/last/next week, weekdays, days

_RELATION_OFFSET = {"this": 0, "current": 0, "present": 0, "last": -1, "past": -1, "previous": -1, "prior": -1,
                    "preceding": -1, "next": 1, "coming": 1, "following": 1, "upcoming": 1, "same": 0,
                    "latest": -1}
_RELATIVE_TO_MENTION = frozenset({"following", "previous", "preceding", "prior", "same"})


@rule("relative_unit",
      r"(?P<rel>this(?:\s+past|\s+coming)?|last|next|past|previous|coming|current|following|the\s+(?:past|last|"
      r"previous|next|coming|current|following|same|latest|prior|preceding|present|upcoming))\s+"
      r"(?:(?P<fiscal>fiscal|calendar)[\s-]+)?(?P<unit>week|weekend|month|quarter|year|decade|century|fortnight)"
      r"(?![a-z])")
def _relative_unit(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    relation = g["rel"].split()[-1]
    unit = g["unit"]
    if unit == "fortnight":
        unit = "week"
    offset = _RELATION_OFFSET[relation]
    if relation in _RELATIVE_TO_MENTION and ctx.last is not None:
        base = ctx.last.start
        granularity = "weekend" if unit == "weekend" else UNIT_GRANULARITY[unit]
        period = shift(floor(granularity, base), offset)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    if unit in ("decade", "century") and relation in ("past", "last"):
        return Found(start, end, "DURATION", _duration_value(1, UNITS[unit]))  # "for the past decade"
    if unit == "weekend" and ctx.dct is not None and offset == 0:
        return _weekend(ctx, start, end, tense.UNKNOWN)
    return _relative_found(ctx, start, end, UNIT_GRANULARITY[unit], offset)


def _relative_found(ctx: Context, start: int, end: int, granularity: str, offset: int) -> Found:
    if ctx.dct is None:
        return Found(start, end, "DATE", _underspecified(granularity))
    period = anchoring.relative_period(ctx.dct, granularity, offset)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


def _weekend(ctx: Context, start: int, end: int, way: int) -> Found:
    assert ctx.dct is not None
    week = floor("weekend", ctx.dct)
    if ctx.dct.weekday() < 5 and way != tense.FUTURE:
        week = shift(week, -1)
    return Found(start, end, "DATE", format_period(week), anchored=True, period=week)


_NAMED_DAYS = frozenset(("black", "bloody", "cyber", "super", "good", "holy", "ash", "easter", "palm", "maundy",
                         "orthodox", "clean", "whit", "shrove"))
_WEEKDAY_RELATIONS = {"last": "last", "past": "last", "previous": "last", "this past": "last",
                      "next": "next", "coming": "next", "this coming": "next", "this": "this",
                      "the following": "following", "the next": "following", "the previous": "preceding",
                      "the preceding": "preceding"}


@rule("weekday",
      r"(?:(?P<rel>last|next|this\s+past|this\s+coming|this|coming|past|previous|the\s+following|the\s+previous|"
      rf"the\s+next|the\s+preceding)\s+)?(?P<wd>{WEEKDAY})(?:\s+(?P<pod>{PART_OF_DAY}))?"
      r"(?:\s+(?P<wk>this|last|next)\s+week(?![a-z]))?")
def _weekday(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    previous = _PREVIOUS_WORD.search(ctx.lower, max(0, start - 40), start)
    if not g["rel"] and previous and previous.group(1) in _NAMED_DAYS and ctx.capitalised(previous.start(1)):
        return None  # "Black Monday", "Good Friday": named days, not the weekday around the document date
    weekday = WEEKDAYS[g["wd"]]
    relation = _WEEKDAY_RELATIONS.get(" ".join(g["rel"].split())) if g["rel"] else None
    if g["wk"]:
        if ctx.dct is None:
            found = Found(start, end, "DATE", f"XXXX-WXX-{weekday + 1}")
        else:
            week = anchoring.relative_period(ctx.dct, "week", {"this": 0, "last": -1, "next": 1}[g["wk"]])
            day = Period("day", week.start + dt.timedelta(days=weekday))
            found = Found(start, end, "DATE", format_period(day), anchored=True, period=day)
    else:
        found = _weekday_found(ctx, start, end, weekday, relation)
    if g["pod"]:
        return found._replace(type="TIME", value=f"{found.value}T{PARTS_OF_DAY[g['pod']]}")
    return found


def _weekday_found(ctx: Context, start: int, end: int, weekday: int, relation: str | None) -> Found:
    if relation in ("following", "preceding") and ctx.last is not None:
        base = ctx.last.start
        day = anchoring.weekday_relative(base, weekday, "next" if relation == "following" else "last")
    elif ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-WXX-{weekday + 1}")
    elif relation in ("last", "next", "this"):
        day = anchoring.weekday_relative(ctx.dct, weekday, relation)
    else:
        day = anchoring.weekday_near(ctx.dct, weekday, ctx.way(start, end))
    period = Period("day", day)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_RELATIVE_DAYS = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}


@rule("relative_day",
      r"(?:the\s+day\s+(?P<dd>before|after)\s+)?(?P<rd>yesterday|today|tomorrow|tonight)(?![a-z])"
      rf"(?:\s+(?P<pod>{PART_OF_DAY}))?"
      rf"|(?P<rel>last|this|tomorrow|yesterday)\s+(?P<pod2>{PART_OF_DAY})"
      r"|(?P<pod3>morning|afternoon|evening|night)\s+(?P<rd3>yesterday|today|tomorrow)(?![a-z])")
def _relative_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["rd3"]:  # "mid-afternoon yesterday"
        offset, part = _RELATIVE_DAYS[g["rd3"]], g["pod3"]
    elif g["rd"]:
        offset = _RELATIVE_DAYS[g["rd"]] + {"before": -1, "after": 1}.get(g["dd"] or "", 0)
        part = "night" if g["rd"] == "tonight" else g["pod"]
    else:
        offset = {"last": -1, "this": 0, "tomorrow": 1, "yesterday": -1}[g["rel"]]
        part = g["pod2"]
        if g["rel"] == "last" and part != "night":
            return None
    found = _day_offset(ctx, start, end, offset)
    if part:
        return found._replace(type="TIME", value=f"{found.value}T{PARTS_OF_DAY[part]}")
    return found


@rule("mentioned_day",
      r"the\s+(?P<rel>previous|next|following|same|preceding|prior)\s+(?P<unit>day|morning|afternoon|evening|"
      r"night)(?![a-z])|the\s+day\s+(?P<dir>before|after|earlier|later)(?![a-z])"
      r"|that\s+(?:same\s+)?(?P<unit2>day|morning|afternoon|evening|night)(?![a-z])"
      r"|that\s+(?:same\s+)?(?P<that>week|month|quarter|year)(?![a-z])"
      r"|(?P<weekend>the\s+weekend|weekend)(?![a-z])")
def _mentioned_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if g["that"]:  # "that year": the year of the date mentioned last
        if ctx.last is None:
            return None
        granularity = UNIT_GRANULARITY[g["that"]]
        if _finer(granularity, ctx.last.granularity):
            return None
        period = floor(granularity, ctx.last.start)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    if g["weekend"]:
        if g["weekend"] == "weekend" and ctx.previous_word(start) not in ("this", "last", "next"):
            return None
        if ctx.dct is None:
            return Found(start, end, "DATE", "XXXX-WXX-WE")
        return _weekend(ctx, start, end, ctx.way(start, end))
    relation = g["rel"] or g["dir"] or "same"
    offset = {"previous": -1, "preceding": -1, "prior": -1, "before": -1, "earlier": -1, "next": 1,
              "following": 1, "after": 1, "later": 1, "same": 0}[relation]
    if g["dir"] and _introduces_phrase(ctx, end):
        return None  # "the day after the attack": the event is the anchor, not a date
    unit = g["unit"] or g["unit2"] or "day"
    reference = ctx.last.start if ctx.last is not None and ctx.last.granularity == "day" else ctx.dct
    if reference is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    period = Period("day", reference + dt.timedelta(days=offset))
    if unit != "day":
        return Found(start, end, "TIME", f"{format_period(period)}T{PARTS_OF_DAY[unit]}", anchored=True,
                     period=period)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


# ---------------------------------------------------------------- holidays


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter Sunday: the Julian computus, shifted to the Gregorian calendar."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    return dt.date(year, month, day + 1) + dt.timedelta(days=year // 100 - year // 400 - 2)


def _thanksgiving(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


_HOLIDAYS: dict[str, Callable[[int], dt.date]] = {
    "christmas": lambda y: dt.date(y, 12, 25), "christmas day": lambda y: dt.date(y, 12, 25),
    "christmas eve": lambda y: dt.date(y, 12, 24), "orthodox christmas": lambda y: dt.date(y, 1, 7),
    "new year's day": lambda y: dt.date(y, 1, 1), "new year's eve": lambda y: dt.date(y, 12, 31),
    "new year's": lambda y: dt.date(y, 1, 1), "easter": _easter, "easter sunday": _easter,
    "orthodox easter": _orthodox_easter, "good friday": lambda y: _easter(y) - dt.timedelta(days=2),
    "easter monday": lambda y: _easter(y) + dt.timedelta(days=1), "thanksgiving": _thanksgiving,
    "thanksgiving day": _thanksgiving,
    "halloween": lambda y: dt.date(y, 10, 31), "valentine's day": lambda y: dt.date(y, 2, 14),
    "victory day": lambda y: dt.date(y, 5, 9), "international women's day": lambda y: dt.date(y, 3, 8),
    "women's day": lambda y: dt.date(y, 3, 8), "may day": lambda y: dt.date(y, 5, 1),
    "boxing day": lambda y: dt.date(y, 12, 26), "defender of ukraine day": lambda y: dt.date(y, 10, 14),
    "unity day": lambda y: dt.date(y, 1, 22), "remembrance day": lambda y: dt.date(y, 11, 11),
}


@rule("holiday",
      r"(?:(?P<rel>this|last|next)\s+)?(?P<name>christmas(?:\s+(?:eve|day))?|orthodox\s+(?:christmas|easter)|"
      r"new\s+year['’]s(?:\s+(?:eve|day))?|easter(?:\s+(?:sunday|monday))?|good\s+friday|thanksgiving(?:\s+day)?|"
      r"halloween|"
      r"valentine['’]?s\s+day|victory\s+day|(?:international\s+)?women['’]s\s+day|may\s+day|boxing\s+day|"
      rf"defender\s+of\s+ukraine\s+day|unity\s+day|remembrance\s+day)(?![a-z])(?:,?\s+(?P<year>{YEAR}))?")
def _holiday(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    name = re.sub(r"\s+", " ", g["name"]).replace("’", "'").replace("valentines", "valentine's")
    if name not in _HOLIDAYS:
        return None
    if name == "may day" and not ctx.capitalised(start + (len(g["rel"]) + 1 if g["rel"] else 0)):
        return None
    day_of = _HOLIDAYS[name]
    if g["year"]:
        period = Period("day", day_of(int(g["year"])))
        return Found(start, end, "DATE", format_period(period), period=period)
    if ctx.dct is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    if g["rel"] in ("last", "next"):
        way = tense.PAST if g["rel"] == "last" else tense.FUTURE
        reference = ctx.dct - dt.timedelta(days=1) if way == tense.PAST else ctx.dct
    else:
        way, reference = ctx.way(start, end), ctx.dct
    if g["rel"] == "this":
        period = Period("day", day_of(ctx.dct.year))
    else:
        period = anchoring.pick_year(reference, lambda year: Period("day", day_of(year)), way)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


# ---------------------------------------------------------------- references: now, recently, the future


@rule("reference",
      r"(?P<present>now|nowadays|currently|presently|at\s+present|the\s+moment|"
      r"these\s+days|the\s+present(?:\s+(?:day|time))?|current|present-day|this\s+time)"
      r"|(?P<recent>recent\s+(?:days|weeks|months|quarters|years|decades))"
      r"|(?P<past>(?:more\s+|most\s+|very\s+|only\s+)?recently|lately|previously|formerly|the\s+past|"
      r"recent\s+(?:times|history)|recent|once\s+upon\s+a\s+time)"
      r"|(?P<future>the\s+(?:near\s+|distant\s+|foreseeable\s+|immediate\s+|not-too-distant\s+)?future|future|"
      r"(?:very\s+)?soon|the\s+(?:near|short|long|medium)[\s-]+term|a\s+later\s+date|"
      r"(?:the\s+)?(?:coming|next\s+few|days\s+and)\s+(?:days|weeks|months|years)(?:\s+ahead)?|"
      r"the\s+(?:days|weeks|months|years)\s+ahead)"
      r"(?![a-z])")
def _reference(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    following = ctx.lower[end:end + 1]
    if (following == "-" and not ctx.lower.startswith("-day", end)) or following in ("'", "’"):
        return None
    word = ctx.next_word(end)
    if g["present"]:
        phrase = g["present"]
        if phrase == "the moment" and ctx.previous_word(start) != "at":
            return None
        if phrase == "this time" and word not in (".", ",", "around", "last", "next", "of", "the"):
            return None
        if phrase == "now" and word in ("that",):
            return None
        return Found(start, end, "DATE", "PRESENT_REF")
    if g["recent"]:  # "in recent weeks": a stretch of time ending now
        return Found(start, end, "DURATION", _duration_value(None, UNITS[g["recent"].split()[-1]]))
    if g["past"]:
        if g["past"] == "the past" and (word in NUMBER_WORDS or word in UNITS or word.isdigit()
                                        or word in ("few", "several", "many", "couple")):
            return None  # "in the past 10 sessions": a count of something else
        return Found(start, end, "DATE", "PAST_REF")
    phrase = g["future"]
    if phrase == "soon" and (word in ("after", "afterwards", "afterward", "thereafter", "as", "enough")
                             or ctx.previous_word(start) in ("as", "too", "how")):
        return None
    return Found(start, end, "DATE", "FUTURE_REF")


# ---------------------------------------------------------------- "on the 24th", bare months, bare plurals

_ORDINAL_DAY_CONTEXT = frozenset(
    (
        "on", "by", "since", "until", "till", "from", "to", "through", "before", "after", "and", "between", "or",
        "of", "starting", "beginning",
    )
)


@rule("ordinal_day", r"the\s+(?P<ord>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)(?![a-z0-9])"
      r"(?:\s+of\s+(?P<rel>this|last|next|the)\s+month)?")
def _ordinal_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    day = int(g["ord"])
    if not g["rel"]:
        if ctx.previous_word(start) not in _ORDINAL_DAY_CONTEXT or ctx.next_word(end) in _DAY_NOUNS:
            return None
        following = ctx.next_word(end)
        if following and following[0].isalpha() and following not in ("and", "or", "to", "at", "in", "when",
                                                                      "as", "but", "until", "through", "of",
                                                                      "after", "before", "with", "the"):
            return None
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-XX-{day:02d}")
    month = floor("month", ctx.dct)
    if g["rel"] in ("last", "next"):
        month = shift(month, -1 if g["rel"] == "last" else 1)
        candidates = [month]
    else:
        candidates = [shift(month, -1), month, shift(month, 1)]

    def make(index: int) -> Period | None:
        base = candidates[index].start
        return _month_day_period(base.year, base.month, day)

    if len(candidates) == 1:
        period = make(0)
    else:
        options = [p for i in range(3) if (p := make(i)) is not None]
        way = ctx.way(start, end)
        if way == tense.FUTURE:
            upcoming = [p for p in options if p.start >= ctx.dct]
            period = upcoming[0] if upcoming else options[-1]
        else:
            begun = [p for p in options if p.start <= ctx.dct]
            period = begun[-1] if begun else options[0]
    if period is None:
        return None
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_MONTH_CONTEXT = frozenset(
    (
        "in", "of", "since", "by", "until", "till", "from", "to", "through", "during", "early", "late", "mid",
        "last", "this", "next", "before", "after", "between", "and", "or", "end", "beginning", "start", "middle",
    )
)


@rule("month",
      r"(?:(?P<rel>this\s+past|this\s+coming|this|last|next|past|previous|coming|the\s+following|"
      rf"the\s+previous)\s+)?(?P<month>{BARE_MONTH})(?!\.?\s*\d)(?:\s+(?:of\s+)?(?P<yrel>this|last|next)\s+year(?![a-z'’]))?")
def _month(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    name = g["month"]
    month_start = g.span("month")[0]
    if not ctx.capitalised(month_start):
        return None
    if name == "may" and not g["rel"] and ctx.previous_word(start) not in _MONTH_CONTEXT and not g.prefix:
        return None
    if name == "may" and ctx.text[month_start:month_start + 3] == "MAY" and not g["rel"]:
        return None
    if g["yrel"]:  # "in June last year"
        if ctx.dct is None:
            return Found(start, end, "DATE", f"XXXX-{MONTHS[name]:02d}")
        year = ctx.dct.year + {"this": 0, "last": -1, "next": 1}[g["yrel"]]
        period = Period("month", dt.date(year, MONTHS[name], 1))
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    relation = " ".join(g["rel"].split()) if g["rel"] else None
    return _month_found(ctx, start, end, MONTHS[name], None, relation)


def _month_found(ctx: Context, start: int, end: int, month: int, year_text: str | None,
                 relation: str | None) -> Found | None:
    if year_text:
        period = Period("month", dt.date(int(year_text), month, 1))
        return Found(start, end, "DATE", format_period(period), period=period)
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-{month:02d}")
    current = floor("month", ctx.dct)

    def make(year: int) -> Period:
        return Period("month", dt.date(year, month, 1))

    if relation in ("last", "past", "previous", "this past"):
        period = max((p for y in (ctx.dct.year - 1, ctx.dct.year) if (p := make(y)).start < current.start),
                     key=lambda p: p.start)
    elif relation in ("next", "coming", "this coming"):
        period = min((p for y in (ctx.dct.year, ctx.dct.year + 1) if (p := make(y)).start > current.start),
                     key=lambda p: p.start)
    elif relation == "this":
        period = make(ctx.dct.year)
    else:
        period = anchoring.pick_year(ctx.dct, make, ctx.way(start, end))
    if period is None:
        return None
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period)


_BARE_UNIT_CONTEXT = frozenset(
    (
        "for", "in", "over", "within", "after", "took", "take", "takes", "lasted", "last", "lasting", "spent",
        "spend", "spending", "nearly", "almost", "past", "coming", "next", "several", "few", "many", "just",
        "only", "mere",
    )
)


@rule("bare_units",
      r"(?P<unit>years|months|weeks|days|decades|hours|minutes|centuries)(?P<long>-long)?(?![a-z])")
def _bare_units(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    if not g["long"] and ctx.previous_word(start) not in _BARE_UNIT_CONTEXT:
        return None
    return Found(start, end, "DURATION", _duration_value(None, UNITS[g["unit"]]))


_THE_UNIT_BEFORE = frozenset(("for", "during", "throughout", "end", "ended", "ending", "ends", "close", "closed",
                              "closing", "start", "started", "starting", "begin", "began", "beginning", "finish",
                              "finished", "finishing", "through", "over", "across"))
_THE_UNIT_OF = frozenset(("rest", "remainder", "end", "start", "beginning", "middle", "most", "part", "half",
                          "close"))
_THE_UNIT_AFTER = frozenset(("of", "when", "that", "before", "after", "which", "since", "following", "ahead",
                             "in", "on", "two", "three", "2000", "and", "or"))


@rule("the_unit",
      r"(?:the\s+)?(?P<unit>year|month)[\s-]end(?![a-z])|(?P<unit2>year|month)['’]s\s+end(?![a-z])"
      r"|the\s+(?P<unit3>day|week|month|year|years|decades)(?![a-z])")
def _the_unit(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    """'year-end', and 'the day', 'the week', 'the year' where the context makes them dates ('for the
    week', 'the end of the year'); 'over the years' is a vague duration."""
    unit = g["unit"] or g["unit2"]
    mod = "END" if unit else None
    if unit is None:
        unit = g["unit3"]
        previous = ctx.previous_word(start)
        if unit in ("years", "decades"):
            if previous not in _THE_UNIT_BEFORE:
                return None
            return Found(start, end, "DURATION", "PXY")
        if (g.prefix or "").strip() not in POINT_MODIFIERS:
            before_of = previous == "of" and ctx.previous_word(ctx.lower.rfind("of", 0, start)) in _THE_UNIT_OF
            if not (previous in _THE_UNIT_BEFORE or before_of) or ctx.next_word(end) in _THE_UNIT_AFTER:
                return None
    granularity = UNIT_GRANULARITY[unit]
    if unit == "day" and ctx.last is not None and ctx.last.granularity == "day":
        reference: Period | None = ctx.last  # "on Monday ... for the day"
    elif ctx.dct is not None:
        reference = floor(granularity, ctx.dct)
    else:
        return Found(start, end, "DATE", _underspecified(granularity), mod=mod)
    if mod == "END":  # "by year-end": the last day of this year, or of last year in the past tense
        if unit == "month":
            reference = Period("day", last_day(reference))
        elif ctx.dct is not None:
            reference = anchoring.pick_year(ctx.dct, lambda year: Period("day", dt.date(year, 12, 31)),
                                            ctx.way(start, end))
        return Found(start, end, "DATE", format_period(reference), anchored=True, period=reference)
    return Found(start, end, "DATE", format_period(reference), mod=mod, anchored=True, period=reference)

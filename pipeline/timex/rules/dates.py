"""Rules for dates and times written with a month, a day, a year or a clock: "March 7, 2022", "7/3/22",
"10:30 a.m.", "in March", "on the 24th", "1998", "this summer"."""

from __future__ import annotations

import datetime as dt
import re

from pipeline.timex import anchoring, narrative, tense
from pipeline.timex.engine import Context, Found, Groups, rule
from pipeline.timex.lexicon import (
    MONTHS,
    NUMBER_WORDS,
    QUANTITY_MODIFIERS,
    SEASONS,
    UNITS,
    WEEKDAYS,
    ordinal_value,
    spelled_year,
)
from pipeline.timex.rules.fragments import (
    BARE_MONTH,
    BEFORE_CHRIST,
    DAY,
    MONTH,
    NUMBER_WORD,
    ORDINAL_WORD,
    SPELLED_YEAR,
    WEEKDAY,
    YEAR,
    ZONE,
    ZONE_NAME,
)
from pipeline.timex.rules.resolve import (
    day_offset,
    month_found,
    month_ok,
    range_year,
    relative_found,
    two_digit_year,
    weekday_found,
    yearly,
)
from pipeline.timex.values import Period, floor, format_period, last_day, parse_value, season_period, shift

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


def _season_found(ctx: Context, start: int, end: int, code: str) -> Found:
    """'in the summer': the one nearest the story's date in a narrative, else the one the tense points to."""
    way = anchoring.direction_or_past(ctx.way(start, end))
    period, narrated = yearly(ctx, start, lambda year: season_period(year, code), way)
    if period is None:
        return Found(start, end, "DATE", f"XXXX-{code}")
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)


def _month_day_period(year: int, month: int, day: int) -> Period | None:
    try:
        return Period("day", dt.date(year, month, day))
    except ValueError:
        return None


def _pick_day(ctx: Context, start: int, end: int, month: int, day: int, weekday: int | None) -> Found | None:
    """March 7 without a year: the year from the weekday if one is given, else the one nearest the story's
    date in a narrative, else the one the tense points to from the document date."""
    if not 1 <= day <= 31 or _month_day_period(2000, month, day) is None:
        return None
    if (year := range_year(ctx, end, month)) is not None:
        period = _month_day_period(year, month, day)
        return Found(start, end, "DATE", format_period(period), period=period) if period else None
    story = ctx.story_at(start)
    if story is None and ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-{month:02d}-{day:02d}")
    if weekday is not None:
        year = story.start.year if story is not None else ctx.dct.year
        matching = [p for candidate in (year, year - 1, year + 1)
                    if (p := _month_day_period(candidate, month, day)) and p.start.weekday() == weekday]
        if matching:
            return Found(start, end, "DATE", format_period(matching[0]), anchored=True, period=matching[0],
                         narrated=story is not None)
    # a dateline ("KYIV, March 7 (Reuters) -") dates the report itself: the nearest March 7, any tense
    way = tense.EITHER if _DATELINE.match(ctx.text, end) else ctx.way(start, end)
    period, narrated = yearly(ctx, start, lambda year: _month_day_period(year, month, day), way)
    if period is None:
        return None
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)


_DATELINE = re.compile(r"\s*(?:\((?:Reuters|AP|AFP|Xinhua|Prensa Latina|CNN|Sputnik|UNIAN|Interfax|dpa|"
                       r"Bloomberg|IANS|PTI|ANI|Anadolu|Ukrinform|BelTA)\)|/TASS/)|\s+[-–—]\s")


def _year_of(text: str, ctx: Context, position: int) -> int | None:
    """A year written as 2022, '22, or in words."""
    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    if text[:1] in "'’" and text[1:].isdigit():
        return two_digit_year(int(text[1:]), ctx, position)
    return spelled_year(text)


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
    year = int(year_text) if len(year_text) == 4 else two_digit_year(int(year_text), ctx, start)
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
      rf"|(?P<h4>[01]?\d|2[0-3])\.(?P<mi4>[0-5]\d)(?=\s*{ZONE_NAME})"
      rf"|(?P<hh>[01]\d|2[0-3])(?P<mm>[0-5]\d)(?=\s*(?:hrs|hours|h(?![a-z])|z(?![a-z])|{ZONE_NAME}))"
      rf"(?:\s*(?:hrs|hours|h)(?![a-z]))?"
      r"|(?P<named>noon|midday|midnight)(?![a-z])"
      rf"|(?P<h3>[01]?\d|{NUMBER_WORD})(?:\s+o['’]clock|(?=\s+in\s+the\s+(?:morning|afternoon|evening)"
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
    if day_found is None:  # the story's or the document's day, unless a date follows ("at 4 a.m. on Thursday")
        story = ctx.story_at(start, narrative_only=True)
        if story is not None and story.granularity == "day":
            return Found(start, end, "TIME", format_period(story) + clock, anchored=True, floating=True,
                         narrated=True)
        if ctx.dct is None:
            return Found(start, end, "TIME", "XXXX-XX-XX" + clock, floating=True)
        return Found(start, end, "TIME", ctx.dct.isoformat() + clock, anchored=True, floating=True)
    return Found(start, end, "TIME", day_found.value + clock, anchored=day_found.anchored, period=day_found.period,
                 deictic=day_found.deictic, narrated=day_found.narrated)


def _clock_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    word = g["dword"]
    if word is not None:
        if word in WEEKDAYS:
            return weekday_found(ctx, start, end, WEEKDAYS[word], None)
        offset = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[word]
        return day_offset(ctx, start, end, offset)
    if g["dmonth"] is not None:
        month, day = MONTHS[g["dmonth"]], ordinal_value(g["dday"]) or 0
        if g["dyear"]:
            period = _month_day_period(int(g["dyear"]), month, day)
            return Found(start, end, "DATE", format_period(period), period=period) if period else None
        return _pick_day(ctx, start, end, month, day, None)
    return None


_RANGE_DAY = rf"(?P<range>\s*(?:-|–|—|to|and|through|until|till)\s*)(?P<day2>{DAY})"


@rule("month_day",
      rf"(?:(?P<wd>{WEEKDAY}),?\s+(?:the\s+)?)?(?P<month>{MONTH})\s*(?:the\s+)?(?P<day>{DAY})"
      rf"(?:{_RANGE_DAY})?(?:(?:,\s*|\s+)(?:of\s+)?(?P<year>{YEAR}))?")
def _month_day(ctx: Context, g: Groups, start: int, end: int) -> Found | list[Found] | None:
    month_start = g.span("month")[0]
    if not month_ok(ctx, g["month"], month_start):
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
    if not month_ok(ctx, g["month"], g.span("month")[0]):
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
    if not month_ok(ctx, g["month"], start):
        return None
    year = _year_of(g["year"], ctx, start)
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
        if not month_ok(ctx, g["month"], g.span("month")[0]):
            return None
        found = month_found(ctx, start, end, MONTHS[g["month"]], g["year"], None)
    else:
        found = relative_found(ctx, start, end, "month", {"last": -1, "next": 1}.get(g["rel"] or "", 0))
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


_YEAR_CONTEXT_BEFORE = frozenset(
    (
        "in", "since", "of", "from", "until", "till", "by", "before", "after", "year", "circa", "c.", "between",
        "and", "to", "through", "during", "early", "late", "mid", "end", "beginning", "spring", "summer",
        "autumn", "fall", "winter", "around", "about", "than",
    )
)


@rule("year",
      rf"(?P<bc>[1-9]\d{{0,3}})\s*{BEFORE_CHRIST}"
      rf"|(?:(?P<fiscal>fiscal(?:\s+year)?|fy|calendar(?:\s+year)?|the\s+year|model\s+year|the\s+(?:fiscal|calendar)"
      rf"\s+year)[\s-]*)?(?P<year>{YEAR})(?:\s*(?P<rsep>[-–—/]|to|and|or|through|until)\s*(?P<y2>1[0-9]\d\d|20\d\d|"
      rf"\d\d)(?![0-9]))?(?![0-9])"
      rf"|(?:the\s+year\s+)?(?P<spelled>{SPELLED_YEAR})"
      r"|fy\s*['’]?(?P<fy>\d\d)(?![0-9])"
      r"|['’](?P<apos>\d\d)(?![0-9a-z'’])")
def _year(ctx: Context, g: Groups, start: int, end: int) -> Found | list[Found] | None:
    if g["bc"]:  # "264 BC": no calendar date, so nothing later anchors to it
        if not ctx.text[g.span("bc")[1]:end].lstrip()[:1].isupper():
            return None  # "bc" in lower case is no era
        return Found(start, end, "DATE", f"BC{int(g['bc']):04d}")
    if g["fy"]:
        year = two_digit_year(int(g["fy"]), ctx, start)
        return _year_found(start, end, year)
    if g["apos"]:  # "since '82"
        if ctx.previous_word(start) not in _YEAR_CONTEXT_BEFORE:
            return None
        return _year_found(start, end, two_digit_year(int(g["apos"]), ctx, start))
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
    if year < 1900 and not g["fiscal"] and previous not in _YEAR_CONTEXT_BEFORE and not _near_story(ctx, start, year):
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


def _near_story(ctx: Context, start: int, year: int) -> bool:
    """A number close to the year a narrative is in is a year: "the 1777 campaign" in a story of 1776."""
    story = ctx.story_at(start)
    return story is not None and abs(story.start.year - year) <= narrative.YEAR_WINDOW


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
        year = _year_of(g["year"] or g["y2"], ctx, start)
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
        offset = 0 if g["rel"].strip() == "this" else _SEASON_RELATION.get(relation, 0)
        # "the next spring" in a narrative follows the story's date; "next spring" is said from the document's
        story = ctx.story_at(start) if g["rel"].startswith("the") else None
        if story is not None:
            base = last_day(story) if offset > 0 else story.start
        elif ctx.dct is not None:
            base = ctx.dct
        else:
            return Found(start, end, "DATE", f"XXXX-{code}")
        options = [season_period(year, code) for year in range(base.year - 1, base.year + 3)]
        now = floor("season", base)
        if offset < 0:  # "last summer", said in summer, is the one before
            chosen = max(p for p in options if p.start < now.start)
        elif offset > 0:
            chosen = min(p for p in options if p.start > now.start)
        else:  # "this winter": the nearest one, on either side
            chosen = anchoring.pick_year(base, lambda year: season_period(year, code), tense.EITHER)
        return Found(start, end, "DATE", format_period(chosen), anchored=True, period=chosen,
                     deictic=story is None, narrated=story is not None)
    return _season_found(ctx, start, end, code)


_ORDINAL_DAY_CONTEXT = frozenset(
    (
        "on", "by", "since", "until", "till", "from", "to", "through", "before", "after", "and", "between", "or",
        "of", "starting", "beginning",
    )
)


@rule("ordinal_day", r"the\s+(?P<ord>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)(?![a-z0-9])"
      r"(?:\s+of\s+(?P<rel>this|last|next|the|that)\s+month)?")
def _ordinal_day(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    day = int(g["ord"])
    if g["rel"] == "that":  # "the 28th of that month": of the month mentioned last
        if ctx.last is None or ctx.last.granularity not in ("day", "week", "month"):
            return None
        month_start = ctx.last.start
        period = _month_day_period(month_start.year, month_start.month, day)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period) if period else None
    if not g["rel"]:
        if ctx.previous_word(start) not in _ORDINAL_DAY_CONTEXT or ctx.next_word(end) in _DAY_NOUNS:
            return None
        following = ctx.next_word(end)
        if following and following[0].isalpha() and following not in ("and", "or", "to", "at", "in", "when",
                                                                      "as", "but", "until", "through", "of",
                                                                      "after", "before", "with", "the"):
            return None
    story = ctx.story_at(start, narrative_only=True) if g["rel"] in (None, "the") else None
    if story is not None:  # "on the 20th" of the month the story is in, or of the next or previous one
        if story.granularity not in ("day", "week", "month"):
            return Found(start, end, "DATE", f"XXXX-XX-{day:02d}")
        month = floor("month", story.start)
        options = [p for m in (shift(month, -1), month, shift(month, 1))
                   if (p := _month_day_period(m.start.year, m.start.month, day)) is not None]
        period = anchoring.nearest(story, options, narrative.BACKWARD_WEIGHT)
        if period is None:
            return None
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=True)
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
      rf"the\s+previous)\s+)?(?P<month>{BARE_MONTH})(?!\.?\s*\d)(?:\s+(?:of\s+)?(?P<yrel>this|last|next|that)\s+year(?![a-z'’]))?")
def _month(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    name = g["month"]
    month_start = g.span("month")[0]
    if not ctx.capitalised(month_start):
        return None
    if name == "may" and not g["rel"] and ctx.previous_word(start) not in _MONTH_CONTEXT and not g.prefix:
        return None
    if name == "may" and ctx.text[month_start:month_start + 3] == "MAY" and not g["rel"]:
        return None
    if g["yrel"] == "that":  # "in October of that year": the year of the date mentioned last
        if ctx.last is None or ctx.last.granularity in ("decade", "century"):
            return month_found(ctx, start, g.span("month")[1], MONTHS[name], None, None)
        period = Period("month", dt.date(ctx.last.start.year, MONTHS[name], 1))
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    if g["yrel"]:  # "in June last year"
        if ctx.dct is None:
            return Found(start, end, "DATE", f"XXXX-{MONTHS[name]:02d}")
        year = ctx.dct.year + {"this": 0, "last": -1, "next": 1}[g["yrel"]]
        period = Period("month", dt.date(year, MONTHS[name], 1))
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    relation = " ".join(g["rel"].split()) if g["rel"] else None
    return month_found(ctx, start, end, MONTHS[name], None, relation)

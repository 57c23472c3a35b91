"""From the parts of an expression to a Found: the steps several rule families share (which month, which
weekday, which period relative to the document date, how a duration is written)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from pipeline.timex import anchoring, narrative
from pipeline.timex.engine import Context, Found
from pipeline.timex.lexicon import AMBIGUOUS_MONTHS, MONTHS
from pipeline.timex.rules.fragments import DAY, MONTH, YEAR
from pipeline.timex.values import Period, floor, format_period, last_day


def month_ok(ctx: Context, name: str, position: int) -> bool:
    """Ambiguous month names (May, March, 'Jan') count only when capitalised."""
    return name.rstrip(".") not in AMBIGUOUS_MONTHS or ctx.capitalised(position)


def two_digit_year(two: int, ctx: Context, position: int) -> int:
    """'98 or '22: in a narrative, the year nearest the story's ('89 in a story of 1791 is 1789); else the
    year within a century ending twenty years after the document date."""
    story = ctx.story_at(position)
    if story is not None:
        year = story.start.year
        same_century = year - year % 100 + two
        return min((same_century - 100, same_century, same_century + 100), key=lambda y: abs(y - year))
    pivot = (ctx.dct.year if ctx.dct else 2000) + 20
    year = pivot - pivot % 100 + two
    return year - 100 if year > pivot else year


def day_offset(ctx: Context, start: int, end: int, offset: int) -> Found:
    """Yesterday (-1), today (0), tomorrow (1): days from the document date."""
    if ctx.dct is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    period = Period("day", ctx.dct + dt.timedelta(days=offset))
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=True)


def yearly(ctx: Context, start: int, make: Callable[[int], Period | None], way: int) -> tuple[Period | None, bool]:
    """Which occurrence of a yearly period (March 7, March, summer, the third quarter, Christmas) the text
    means: where it narrates another time, the one nearest the story's date; else the one the tense points to
    from the document date. Returns the period (None: nothing to anchor to) and whether the story decided."""
    story = ctx.story_at(start)
    news = anchoring.pick_year(ctx.dct, make, way) if ctx.dct is not None else None
    if story is not None and not ctx.story.recent_in_news(news, way):
        return anchoring.pick_near(story, make, narrative.BACKWARD_WEIGHT), True
    return news, False


_ORDER = ("day", "week", "weekend", "month", "quarter", "half", "season", "year", "decade", "century")


def finer(granularity: str, than: str) -> bool:
    """Whether `granularity` is a smaller calendar unit than `than` (a day is finer than a month)."""
    return granularity in _ORDER and than in _ORDER and _ORDER.index(granularity) < _ORDER.index(than)


def underspecified(granularity: str) -> str:
    """The TIMEX3 value of a period of `granularity` that nothing anchors (XXXX-WXX for a week)."""
    return {"day": "XXXX-XX-XX", "week": "XXXX-WXX", "weekend": "XXXX-WXX-WE", "month": "XXXX-XX",
            "quarter": "XXXX-QX"}.get(granularity, "XXXX")


def introduces_phrase(ctx: Context, end: int) -> bool:
    """True when a noun phrase follows ('after the attack'), false at a clause end ('two days later.')."""
    following = ctx.next_word(end)
    return bool(following) and following[0].isalnum() and following not in ("and", "but", "or", "when", "as")


def _number_text(count: float) -> str:
    return str(int(count)) if count == int(count) else f"{count:g}"


# Half a unit in the next smaller one: 2 1/2 years is P2Y6M, an hour and a half PT1H30M.
_HALF_OF = {"Y": ("M", 6), "M": ("D", 15), "D": ("TH", 12), "TH": ("TM", 30), "TM": ("TS", 30)}


def duration_value(count: float | None, code: str) -> str:
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


def relative_found(ctx: Context, start: int, end: int, granularity: str, offset: int) -> Found:
    """'last month' (-1), 'this week' (0), 'next year' (1): periods counted from the document date's."""
    if ctx.dct is None:
        return Found(start, end, "DATE", underspecified(granularity))
    period = anchoring.relative_period(ctx.dct, granularity, offset)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=True)


def weekday_found(ctx: Context, start: int, end: int, weekday: int, relation: str | None) -> Found:
    """Which Friday: 'the following Friday' counts from the last date mentioned, 'last Friday' from the
    document date; a bare 'Friday' is the one nearest the story's day in a narrative, else the one the tense
    points to from the document date."""
    story = ctx.story_at(start, narrative_only=True) if relation is None else None
    if story is not None and story.granularity not in ("day", "week"):
        story = None  # a bare "Friday" in a story of 1917: read as news
    if relation in ("following", "preceding") and ctx.last is not None:
        base = ctx.last.start
        day = anchoring.weekday_relative(base, weekday, "next" if relation == "following" else "last")
    elif story is not None:
        day = anchoring.weekday_around(story.start, weekday, narrative.BACKWARD_WEIGHT)
        period = Period("day", day)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=True)
    elif ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-WXX-{weekday + 1}")
    elif relation in ("last", "next", "this"):
        day = anchoring.weekday_relative(ctx.dct, weekday, relation)
    else:
        day = anchoring.weekday_near(ctx.dct, weekday, ctx.way(start, end))
    period = Period("day", day)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=True)


_RANGE_TAIL = re.compile(
    rf"\s*(?:-|–|—|to|until|till|through|and)\s*(?:{DAY}\s+(?:of\s+)?(?P<m1>{MONTH})|(?P<m2>{MONTH})\.?(?:\s*{DAY})?)"
    rf"\.?,?\s+(?:of\s+)?(?P<year>{YEAR})"
)


def range_year(ctx: Context, end: int, month: int) -> int | None:
    """The year a range writes once, at its end: "21 March - 21 June 1952", "July-November 1954", "from
    November 15 to February 15, 1989" (the first day then falls in the year before)."""
    tail = _RANGE_TAIL.match(ctx.lower, end)
    if tail is None:
        return None
    year = int(tail["year"])
    return year - 1 if MONTHS[tail["m1"] or tail["m2"]] < month else year


def month_found(ctx: Context, start: int, end: int, month: int, year_text: str | None,
                 relation: str | None) -> Found | None:
    """Which March: the year written; 'the previous March' and 'the following March' seen from the story's
    date in a narrative; else the one 'last', 'next' or the tense points to from the document date, or the
    one nearest the story's date."""
    if year_text:
        period = Period("month", dt.date(int(year_text), month, 1))
        return Found(start, end, "DATE", format_period(period), period=period)

    def make(year: int) -> Period:
        return Period("month", dt.date(year, month, 1))

    if relation is None and (year := range_year(ctx, end, month)) is not None:
        period = make(year)
        return Found(start, end, "DATE", format_period(period), period=period)
    if relation is None:
        period, narrated = yearly(ctx, start, make, ctx.way(start, end))
        if period is None:
            return Found(start, end, "DATE", f"XXXX-{month:02d}")
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)
    story = ctx.story_at(start)
    if story is not None and relation in ("the previous", "the following"):
        if relation == "the previous":
            period = max((p for y in range(story.start.year - 1, story.start.year + 1)
                          if (p := make(y)).start < story.start), key=lambda p: p.start, default=None)
        else:
            period = min((p for y in range(story.start.year, story.start.year + 2)
                          if (p := make(y)).start > last_day(story)), key=lambda p: p.start, default=None)
        if period is not None:
            return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=True)
    if ctx.dct is None:
        return Found(start, end, "DATE", f"XXXX-{month:02d}")
    current = floor("month", ctx.dct)

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
    deictic = relation is not None and not relation.startswith("the ")  # "the following March" is not
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=deictic)

"""Rules for named days: Christmas, Easter (Western and Orthodox), Thanksgiving and other holidays."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from pipeline.timex import anchoring, tense
from pipeline.timex.engine import Context, Found, Groups, rule
from pipeline.timex.rules.fragments import YEAR
from pipeline.timex.rules.resolve import yearly
from pipeline.timex.values import Period, format_period


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
    if g["rel"] is None:  # "at Christmas": the one nearest the story's date, or the one the tense points to
        period, narrated = yearly(ctx, start, lambda year: Period("day", day_of(year)), ctx.way(start, end))
        if period is None:
            return Found(start, end, "DATE", "XXXX-XX-XX")
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)
    if ctx.dct is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    if g["rel"] == "this":
        period = Period("day", day_of(ctx.dct.year))
    else:
        way = tense.PAST if g["rel"] == "last" else tense.FUTURE
        reference = ctx.dct - dt.timedelta(days=1) if way == tense.PAST else ctx.dct
        period = anchoring.pick_year(reference, lambda year: Period("day", day_of(year)), way)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=True)

"""Rules for calendar periods longer than a month: quarters ("the third quarter", "Q3"), halves, decades and
centuries, and their year-ago twins in earnings news."""

from __future__ import annotations

import datetime as dt

from pipeline.timex import anchoring
from pipeline.timex.engine import Context, Found, Groups, rule
from pipeline.timex.lexicon import MONTHS, ordinal_value
from pipeline.timex.rules.fragments import BEFORE_CHRIST, MONTH, ORDINAL_WORD, YEAR
from pipeline.timex.rules.resolve import finer, month_found, month_ok, two_digit_year, yearly
from pipeline.timex.values import Period, floor, format_period, shift

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
            period, narrated = yearly(ctx, start, lambda y: Period("quarter", dt.date(y, 3 * number - 2, 1)), way)
            if period is None:
                return Found(start, end, "DATE", f"XXXX-Q{number}")
            return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)
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
        year = int(g["y"]) if g["y"] else two_digit_year(int(g["y2"]), ctx, start)
        period = Period("quarter", dt.date(year, 3 * number - 2, 1))
        return Found(start, end, "DATE", format_period(period), period=period)
    way = anchoring.direction_or_past(ctx.way(start, end))
    period, narrated = yearly(ctx, start, lambda y: Period("quarter", dt.date(y, 3 * number - 2, 1)), way)
    if period is None:
        return Found(start, end, "DATE", f"XXXX-Q{number}")
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)


@rule("same_period_last_year",
      r"the\s+same\s+(?P<unit>period|time|day|week|month|quarter|season)(?:\s+of)?\s+(?:the\s+)?(?:last\s+year|"
      r"a\s+year\s+(?:ago|earlier)|previous\s+year|prior\s+year|year\s+before)(?![a-z])")
def _same_period_last_year(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    """'the same month a year ago': the period mentioned last (or the document's), one year back."""
    granularity = {"period": None, "time": None}.get(g["unit"], g["unit"])
    if ctx.last is not None and (granularity is None or not finer(granularity, ctx.last.granularity)):
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
        if not month_ok(ctx, g["month"], g.span("month")[0]):
            return None
        found = month_found(ctx, start, end, MONTHS[g["month"]], g["myear"], None)
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
        year = two_digit_year(int(digits), ctx, start)
        decade = year // 10
    return Found(start, end, "DATE", f"{decade:03d}", period=Period("decade", dt.date(decade * 10, 1, 1)))


@rule("century", rf"(?:the\s+)?(?P<ord>{ORDINAL_WORD}|\d{{1,2}}(?:st|nd|rd|th))[\s-]+century(?![a-z])"
      rf"(?P<bc>\s+{BEFORE_CHRIST})?")
def _century(ctx: Context, g: Groups, start: int, end: int) -> Found | None:
    number = ordinal_value(g["ord"])
    if number is None or not 1 <= number <= 22:
        return None
    if g["bc"] and ctx.text[g.span("bc")[0]:end].strip()[:1].isupper():
        return Found(start, end, "DATE", f"BC{number - 1:02d}")
    if g["bc"]:
        end = g.span("bc")[0]
    return Found(start, end, "DATE", f"{number - 1:02d}",
                 period=Period("century", dt.date(max((number - 1) * 100, 1), 1, 1)))

"""Rules for expressions that point from the document date or the last date mentioned: "last week",
"on Friday", "yesterday", "the next day", "that year", "now", "recently"."""

from __future__ import annotations

import datetime as dt

from pipeline.timex import anchoring, tense
from pipeline.timex.engine import PREVIOUS_WORD, Context, Found, Groups, rule
from pipeline.timex.lexicon import NUMBER_WORDS, PARTS_OF_DAY, POINT_MODIFIERS, UNIT_GRANULARITY, UNITS, WEEKDAYS
from pipeline.timex.rules.fragments import PART_OF_DAY, WEEKDAY
from pipeline.timex.rules.resolve import (
    day_offset,
    duration_value,
    finer,
    introduces_phrase,
    relative_found,
    underspecified,
    weekday_found,
)
from pipeline.timex.values import Period, floor, format_period, last_day, shift

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
    granularity = "weekend" if unit == "weekend" else UNIT_GRANULARITY[unit]
    # "the following year" counts from the story's date; so does "the next year" in a narrative (news means the
    # coming one)
    if relation in _RELATIVE_TO_MENTION:
        story = ctx.story_at(start)
    else:
        story = ctx.story_at(start, narrative_only=True) if g["rel"].startswith("the next") else None
    if story is not None and not finer(story.granularity, granularity) and story.granularity != granularity:
        story = None  # "the following week" after "in 1917": no week to count from
    if story is not None:
        period = shift(floor(granularity, story.start), offset)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=True)
    if relation in _RELATIVE_TO_MENTION and ctx.last is not None:
        period = shift(floor(granularity, ctx.last.start), offset)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period)
    if unit in ("decade", "century") and relation in ("past", "last"):
        return Found(start, end, "DURATION", duration_value(1, UNITS[unit]))  # "for the past decade"
    if unit == "weekend" and ctx.dct is not None and offset == 0:
        return _weekend(ctx, start, end, tense.UNKNOWN)
    return relative_found(ctx, start, end, UNIT_GRANULARITY[unit], offset)


def _weekend(ctx: Context, start: int, end: int, way: int) -> Found:
    assert ctx.dct is not None
    week = floor("weekend", ctx.dct)
    if ctx.dct.weekday() < 5 and way != tense.FUTURE:
        week = shift(week, -1)
    return Found(start, end, "DATE", format_period(week), anchored=True, period=week, deictic=True)


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
    previous = PREVIOUS_WORD.search(ctx.lower, max(0, start - 40), start)
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
        found = weekday_found(ctx, start, end, weekday, relation)
    if g["pod"]:
        return found._replace(type="TIME", value=f"{found.value}T{PARTS_OF_DAY[g['pod']]}")
    return found


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
    found = day_offset(ctx, start, end, offset)
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
        if finer(granularity, ctx.last.granularity):
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
    if g["dir"] and introduces_phrase(ctx, end):
        return None  # "the day after the attack": the event is the anchor, not a date
    unit = g["unit"] or g["unit2"] or "day"
    story = ctx.story_at(start, narrative_only=True)
    if story is not None and story.granularity != "day":
        story = None  # a narrative without a day to count from: read as news
    if story is not None:  # "the next day" in a narrative: after the story's day
        reference: dt.date | None = story.start
    else:
        reference = ctx.last.start if ctx.last is not None and ctx.last.granularity == "day" else ctx.dct
    if reference is None:
        return Found(start, end, "DATE", "XXXX-XX-XX")
    period = Period("day", reference + dt.timedelta(days=offset))
    narrated = story is not None
    if unit != "day":
        return Found(start, end, "TIME", f"{format_period(period)}T{PARTS_OF_DAY[unit]}", anchored=True,
                     period=period, narrated=narrated)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)


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
        return Found(start, end, "DURATION", duration_value(None, UNITS[g["recent"].split()[-1]]))
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
    story = ctx.story_at(start, narrative_only=True)
    if story is not None and finer(granularity, story.granularity):
        story = None  # "the month" in a story of 1917: read as news
    if story is not None:  # "the end of the year" in a narrative: the story's year
        reference: Period = floor(granularity, story.start)
    elif unit == "day" and ctx.last is not None and ctx.last.granularity == "day":
        reference = ctx.last  # "on Monday ... for the day"
    elif ctx.dct is not None:
        reference = floor(granularity, ctx.dct)
    else:
        return Found(start, end, "DATE", underspecified(granularity), mod=mod)
    narrated = story is not None
    if mod == "END":  # "by year-end": the last day of this year, or of last year in the past tense
        if unit == "month" or narrated:
            reference = Period("day", last_day(reference))
        elif ctx.dct is not None:
            reference = anchoring.pick_year(ctx.dct, lambda year: Period("day", dt.date(year, 12, 31)),
                                            ctx.way(start, end))
        return Found(start, end, "DATE", format_period(reference), anchored=True, period=reference,
                     narrated=narrated)
    return Found(start, end, "DATE", format_period(reference), mod=mod, anchored=True, period=reference,
                 narrated=narrated)

"""Rules for counted units: "three days ago", durations ("for two weeks", "a 10-year-old"), sets ("every
Monday", "twice a week") and bare plurals ("for years")."""

from __future__ import annotations

import re

from pipeline.timex.engine import Context, Found, Groups, rule
from pipeline.timex.lexicon import (
    MONTHS,
    NUMBER_WORDS,
    PARTS_OF_DAY,
    SEASONS,
    UNIT_GRANULARITY,
    UNITS,
    WEEKDAYS,
    alternation,
    number_value,
)
from pipeline.timex.rules.fragments import FUZZY, NUMBER, UNIT
from pipeline.timex.rules.resolve import duration_value, finer, introduces_phrase, underspecified
from pipeline.timex.values import floor, format_period, shift

# Words between a count and its unit: "six straight days", "eight trading days", "20 more years".
_UNIT_ADJECTIVE = (r"(?:straight|consecutive|successive|more|additional|extra|further|full|whole|trading|business|"
                   r"working|calendar|long|short|brief|difficult|hard)")
_AGO_DIRECTIONS = {"ago": -1, "earlier": -1, "before": -1, "prior": -1, "previously": -1, "back": -1,
                   "later": 1, "after": 1, "from now": 1, "hence": 1, "on": 1}
_FROM_NOW = frozenset(("ago", "from now", "hence", "back"))
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
    if direction_word in ("before", "after", "on", "back") and introduces_phrase(ctx, end):
        # "two days after the attack" is a duration anchored on an event, not on the document date
        return _duration_found(ctx, g, start, g.span("unit")[1])
    if count is None:
        return Found(start, end, "DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
    code = UNITS[unit]
    granularity = _unit_granularity(unit)
    deictic = direction_word in _FROM_NOW  # "ago" counts from the document date, "later" from the story's
    if granularity is None:  # hours and minutes: the day is all a date-only reference can give
        story = None if deictic else ctx.story_at(start, narrative_only=True)
        if story is not None and story.granularity == "day":
            return Found(start, end, "DATE", format_period(story), anchored=True, narrated=True)
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
    story = None if deictic else ctx.story_at(start)
    if deictic or (one_year and story is None):
        if ctx.dct is None:
            return Found(start, end, "DATE", underspecified(granularity))
        period = shift(floor(granularity, ctx.dct), sign * steps)
        return Found(start, end, "DATE", format_period(period), anchored=True, period=period, deictic=deictic)
    reference_date, reference_period = (story.start, story) if story is not None else ctx.reference()
    narrated = story is not None
    if reference_date is None:
        return Found(start, end, "DATE", underspecified(granularity))
    # news counts "a year earlier" in the quarters it reports; a narrative in the unit it names ("two years later")
    if not narrated and reference_period is not None and finer(reference_period.granularity, granularity):
        steps_in_reference = _convert_steps(steps, granularity, reference_period.granularity)
        if steps_in_reference is not None:
            period = shift(reference_period, sign * steps_in_reference)
            return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)
    period = shift(floor(granularity, reference_date), sign * steps)
    return Found(start, end, "DATE", format_period(period), anchored=True, period=period, narrated=narrated)


def _convert_steps(steps: int, unit: str, granularity: str) -> int | None:
    """Steps of `unit` expressed in steps of the finer `granularity` (a year is 4 quarters), when exact."""
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}
    if unit in months and granularity in months:
        return steps * months[unit] // months[granularity]
    if unit == "week" and granularity == "day":
        return steps * 7
    return None


def _unit_granularity(unit: str) -> str | None:
    if unit == "centuries":
        return "century"
    singular = unit[:-1] if unit.endswith("s") and unit[:-1] in UNIT_GRANULARITY else unit
    return UNIT_GRANULARITY.get(singular)


def _count(number_text: str, half: str | None) -> float | None:
    """The number in a count ('three', '2', 'a'), with 'and a half'; None for vague counts and ranges."""
    text = " ".join(number_text.split())
    value = number_value(text)
    if value is None:
        return None
    return value + 0.5 if half else float(value)


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
        return Found(start, end, "SET", duration_value(1, code))  # "$5 billion a year", "four flights a week"
    return Found(start, end, "DURATION", duration_value(count, code))


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
    return Found(start, end, "SET", duration_value(count, UNITS[unit]))


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
        return Found(start, end, "DURATION", duration_value(0.5, UNITS[g["hunit"]]))
    if g["unit1"]:
        return Found(start, end, "DURATION", duration_value(1, UNITS[g["unit1"]]))
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
        found = found._replace(value=duration_value(_count(g["num"], "half"), UNITS[g["unit"]]))
    return found


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
    return Found(start, end, "DURATION", duration_value(None, UNITS[g["unit"]]))

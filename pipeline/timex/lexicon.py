"""Words of time: month and weekday names, numbers, units, modifiers, and the regex fragments built from them.

Fragments match lower-cased text (the tagger lower-cases once). Word lists compile to prefix tries
(`alternation`), so the regex engine does a few character comparisons per word instead of one per listed word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("january", "jan", "jan."),
        ("february", "feb", "feb.", "febr."),
        ("march", "mar", "mar."),
        ("april", "apr", "apr."),
        ("may",),
        ("june", "jun", "jun."),
        ("july", "jul", "jul."),
        ("august", "aug", "aug."),
        ("september", "sep", "sep.", "sept", "sept."),
        ("october", "oct", "oct."),
        ("november", "nov", "nov."),
        ("december", "dec", "dec."),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

# Month names that are also ordinary words: only trusted capitalised, or when a day or year follows.
AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "apr",
                              "feb", "sept"})

WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("monday", "mon."),
        ("tuesday", "tue.", "tues."),
        ("wednesday", "wed."),
        ("thursday", "thu.", "thur.", "thurs."),
        ("friday", "fri."),
        ("saturday", "sat."),
        ("sunday", "sun."),
    )
):
    for _name in _names:
        WEEKDAYS[_name] = _number

SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}

PARTS_OF_DAY = {
    "morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "overnight": "NI",
    "midday": "MI", "daybreak": "MO", "dawn": "MO", "dusk": "EV", "nightfall": "EV",
}

# Unit word -> ISO 8601 designator; time units carry a leading T (PT2H), "2W" is a fortnight.
UNITS = {
    "second": "TS", "seconds": "TS", "sec": "TS", "secs": "TS",
    "minute": "TM", "minutes": "TM", "min": "TM", "mins": "TM",
    "hour": "TH", "hours": "TH", "hr": "TH", "hrs": "TH",
    "day": "D", "days": "D", "night": "D", "nights": "D",
    "week": "W", "weeks": "W", "fortnight": "2W", "fortnights": "2W",
    "weekend": "WE", "weekends": "WE",
    "month": "M", "months": "M",
    "quarter": "Q", "quarters": "Q",
    "year": "Y", "years": "Y", "yr": "Y", "yrs": "Y",
    "decade": "DE", "decades": "DE",
    "century": "CE", "centuries": "CE",
    "millennium": "ML", "millennia": "ML", "millenniums": "ML",
}

# Granularity of a period named by a unit word ("last week" -> a week value).
UNIT_GRANULARITY = {
    "day": "day", "night": "day", "week": "week", "weekend": "weekend", "fortnight": "week", "month": "month",
    "quarter": "quarter", "year": "year", "decade": "decade", "century": "century",
}

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_ONES = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                 "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                 "seventeenth", "eighteenth", "nineteenth"]
_ORDINAL_TENS = ["", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth",
                 "ninetieth"]

NUMBER_WORDS: dict[str, int] = {"a": 1, "an": 1, "one": 1, "a dozen": 12, "dozen": 12, "half a dozen": 6,
                                "a hundred": 100, "one hundred": 100, "hundred": 100, "a thousand": 1000,
                                "a couple of": 2, "a couple": 2, "couple of": 2, "a pair of": 2}
ORDINAL_WORDS: dict[str, int] = {}
for _value in range(1, 100):
    _tens, _ones = divmod(_value, 10)
    if _value < 20:
        _cardinals = [_ONES[_value]]
        _ordinals = [_ORDINAL_ONES[_value]]
    elif _ones == 0:
        _cardinals = [_TENS[_tens]]
        _ordinals = [_ORDINAL_TENS[_tens]]
    else:
        _cardinals = [f"{_TENS[_tens]}{sep}{_ONES[_ones]}" for sep in ("-", " ")]
        _ordinals = [f"{_TENS[_tens]}{sep}{_ORDINAL_ONES[_ones]}" for sep in ("-", " ")]
    for _word in _cardinals:
        NUMBER_WORDS[_word] = _value
        if _value < 10:
            NUMBER_WORDS[f"{_word} hundred"] = _value * 100
            NUMBER_WORDS[f"{_word} thousand"] = _value * 1000
    for _word in _ordinals:
        ORDINAL_WORDS[_word] = _value

# Vague quantities: "several days" is PXD.
FUZZY_QUANTITIES = frozenset({"a few", "few", "several", "some", "many", "numerous", "a number of",
                              "dozens of", "hundreds of", "thousands of", "countless", "multiple"})

# Prefix modifiers, by the TIMEX3 mod they set; the tagger keeps them in the extent (TimeBank does).
POINT_MODIFIERS = {
    "early": "START", "earlier": "START", "the beginning of": "START", "the start of": "START",
    "the dawn of": "START", "the first days of": "START",
    "early-": "START", "mid": "MID", "mid-": "MID", "the middle of": "MID", "the midst of": "MID", "late-": "END",
    "late": "END", "later": "END", "the end of": "END", "the close of": "END", "the turn of": "END",
    "the last days of": "END",
}
QUANTITY_MODIFIERS = {
    "about": "APPROX", "around": "APPROX", "approximately": "APPROX", "roughly": "APPROX", "some": "APPROX",
    "just about": "APPROX", "nearly": "APPROX", "almost": "LESS_THAN", "more than": "MORE_THAN",
    "over": "MORE_THAN", "just over": "MORE_THAN", "well over": "MORE_THAN", "upwards of": "MORE_THAN",
    "less than": "LESS_THAN", "fewer than": "LESS_THAN", "just under": "LESS_THAN", "under": "LESS_THAN",
    "at least": "EQUAL_OR_MORE", "no less than": "EQUAL_OR_MORE",
    "at most": "EQUAL_OR_LESS", "no more than": "EQUAL_OR_LESS", "up to": "EQUAL_OR_LESS",
    "exactly": "EQUAL", "precisely": "EQUAL",
}
# "over the weekend" is not "more than a weekend": these modify only a count that follows directly.
COUNT_ONLY_MODIFIERS = frozenset({"over", "under", "just over", "well over", "just under", "some"})


def alternation(words: Iterable[str]) -> str:
    """A non-capturing regex matching any of `words` (longest alternative first), compiled as a prefix trie.

    Spaces in words match any run of whitespace; other characters are escaped.
    """
    trie: dict[str, dict] = {}
    for word in set(words):
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + render(child)
            for char, child in sorted(node.items())
            if char != ""
        ]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")" if len(branches) > 1 else branches[0]
        if "" in node:  # a word ends here; longer words are tried first because `?` is greedy
            return body + "?" if body.startswith("(?:") and len(branches) > 1 else f"(?:{body})?"
        return body

    return "(?:" + render(trie) + ")"


def number_value(phrase: str) -> int | None:
    """The value of a cardinal number written in digits or words ('24', '1,000', 'twenty-four', 'a'); None
    when the phrase is vague ('several')."""
    phrase = re.sub(r"\s+", " ", phrase.strip())
    if phrase.replace(",", "").isdigit():
        return int(phrase.replace(",", ""))
    return NUMBER_WORDS.get(phrase)


def ordinal_value(phrase: str) -> int | None:
    """The value of an ordinal ('24th', 'third', 'twenty-first')."""
    phrase = re.sub(r"\s+", " ", phrase.strip())
    digits = re.fullmatch(r"(\d+)(?:st|nd|rd|th)?", phrase)
    if digits:
        return int(digits.group(1))
    return ORDINAL_WORDS.get(phrase)


def spelled_year(phrase: str) -> int | None:
    """A year written in words: 'nineteen ninety-six', 'two thousand', 'two thousand and eight',
    'twenty twenty-two'."""
    words = re.sub(r"\s+", " ", phrase.strip()).replace(" and ", " ")
    if words.startswith("two thousand"):
        rest = words[len("two thousand"):].strip()
        if not rest:
            return 2000
        low = NUMBER_WORDS.get(rest)
        return 2000 + low if low is not None and low < 100 else None
    head, _, tail = words.partition(" ")
    high = NUMBER_WORDS.get(head)
    if high is None or not 10 <= high <= 20:
        return None
    if tail in ("hundred", ""):
        return high * 100 if tail else None
    if tail.startswith("oh "):
        low = NUMBER_WORDS.get(tail[3:])
        return high * 100 + low if low is not None and low < 10 else None
    low = NUMBER_WORDS.get(tail)
    return high * 100 + low if low is not None and 10 <= low < 100 else None

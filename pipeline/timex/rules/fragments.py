"""Regex fragments over lower-cased text that several rules share: months, weekdays, years, days, counts,
units, time zones and the prefix modifiers."""

from __future__ import annotations

from pipeline.timex.lexicon import (
    FUZZY_QUANTITIES,
    MONTHS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    POINT_MODIFIERS,
    QUANTITY_MODIFIERS,
    UNITS,
    WEEKDAYS,
    alternation,
)

_END = r"(?![a-z0-9])"
MONTH = alternation(MONTHS) + r"(?![a-z])"
BARE_MONTH = alternation(name for name in MONTHS if len(name) > 3 or name.endswith(".") or name == "may")
BARE_MONTH += _END
WEEKDAY = alternation(WEEKDAYS) + r"(?![a-z])"
YEAR = r"(?:1[0-9]\d\d|20\d\d)(?![0-9]|[.,]\d)"
BEFORE_CHRIST = r"(?:bce?|b\.\s?c\.(?:e\.)?|b\.\s?c)(?![a-z0-9])"
DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?(?![0-9a-z])"
ORDINAL_WORD = alternation(ORDINAL_WORDS) + _END
NUMBER_WORD = alternation(NUMBER_WORDS) + r"(?![a-z])"
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{NUMBER_WORD})"
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
ZONE_NAME = (
    r"(?:gmt|utc|z|msk|eet|eest|cet|cest|est|edt|cst|cdt|pst|pdt|mst|mdt|bst|wib|ist|jst|aest|"
    r"(?:kyiv|kiev|moscow|local|london|washington|new\s+york|eastern|pacific|central|mountain|ukrainian|"
    r"russian|european)\s+(?:time|standard\s+time|daylight\s+time))(?:\s*[+\-−]\s*\d{1,2}(?::?\d\d)?)?(?![a-z])"
)
ZONE = rf"(?:\s*\(\s*{ZONE_NAME}\s*\)|\s*{ZONE_NAME})"
MODIFIER = alternation(list(POINT_MODIFIERS) + list(QUANTITY_MODIFIERS))

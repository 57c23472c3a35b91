"""`tag(text, dct)`: every temporal expression in a text, as TIMEX3 spans with normalised values.

A text is lower-cased once and scanned once by a trigger regex for the words an expression can start with;
at each, only the rules that can start with that word are tried (see dispatch.py), all compiled at import.
Handlers run only where a rule matched, so a text costs little more than one regex pass over it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re

from pipeline.timex.dispatch import ANY, DIGIT, start_words
from pipeline.timex.engine import Context, Found, Groups, Rule
from pipeline.timex.lexicon import COUNT_ONLY_MODIFIERS, POINT_MODIFIERS, QUANTITY_MODIFIERS, alternation
from pipeline.timex.model import Timex, granularity_of
from pipeline.timex.narrative import AUTO, MODES
from pipeline.timex.rules import MODIFIER, NUMBER, RULES


def _scoped(name: str, pattern: str) -> str:
    """Prefix a rule's group names with the rule's name, so several rules fit in one regex."""
    pattern = re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<{name}__{m.group(1)}>", pattern)
    return re.sub(r"\(\?P=(\w+)\)", lambda m: f"(?P={name}__{m.group(1)})", pattern)


_PREFIX = rf"(?:(?P<pre>{MODIFIER})(?:\s+|(?<=-)))?"
_BOUNDARY = r"(?<![a-z0-9$£€#@_])"


def _rule_set(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, tuple[Rule, dict[str, int]]]]:
    """One regex trying `names` (in rule order) after an optional modifier, and each rule's group indices."""
    chosen = [r for r in RULES if r.name in names]
    alternatives = "|".join(f"(?P<{r.name}>{_scoped(r.name, r.pattern)})" for r in chosen)
    pattern = re.compile(rf"{_PREFIX}(?:{alternatives})(?![a-z0-9_])")
    by_name = {}
    for r in chosen:
        prefix = f"{r.name}__"
        index = {name[len(prefix):]: number for name, number in pattern.groupindex.items()
                 if name.startswith(prefix)}
        by_name[r.name] = (r, index)
    return pattern, by_name


def _index() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    """The trigger regex (an optional modifier, then a word some rule can start with) and, per start word,
    the rules to try, in rule order."""
    starts: dict[str, list[str]] = {}
    for r in RULES:
        words = start_words(r.pattern)
        if ANY in words:
            raise ValueError(f"rule {r.name!r}: the words it can start with cannot be listed; begin it with words")
        for word in words:
            starts.setdefault(word, []).append(r.name)
    table = {word: tuple(names) for word, names in starts.items()}
    words = [word for word in table if word[-1].isalpha()]
    # "the #" and "the '" (the 1990s, the '90s): the word, spaces, then a digit or another character
    word_then_char = [word for word in table if len(word) > 1 and not word[-1].isalpha()]
    characters = "".join("0-9" if c == DIGIT else re.escape(c)
                         for c in sorted(w for w in table if len(w) == 1 and not w.isalpha()))
    trigger = re.compile(
        rf"{_BOUNDARY}(?:{MODIFIER}(?:\s+|(?<=-)))?(?:"
        rf"(?P<mixed>{alternation(word_then_char).replace(re.escape(DIGIT), '[0-9]')})"
        rf"|(?P<word>{alternation(words)})(?![a-z])|(?P<char>[{characters}]))"
    )
    return trigger, table


def _key(trigger: re.Match[str]) -> str:
    """The start word a trigger found, as written in the table: 'the quarter', 'the #', '#', 'march'."""
    word = trigger.group("word")
    if word is not None:
        return word if word.isalpha() else " ".join(word.split())
    mixed = trigger.group("mixed")
    if mixed is not None:
        head, _, last = " ".join(mixed.split()).rpartition(" ")
        return f"{head} {DIGIT if last.isdigit() else last}"
    char = trigger.group("char")
    return DIGIT if char.isdigit() else char


_TRIGGER, _RULES_FOR_WORD = _index()
# Compiled once here (about half a second), so no call pays for a first use.
_RULE_SETS = {names: _rule_set(names) for names in set(_RULES_FOR_WORD.values())}


def parse_dct(dct: dt.date | str | None) -> dt.date | None:
    """The reference date from a date, a datetime or an ISO string ('2022-03-15', '1998-02-06T22:19:00',
    '19980206')."""
    if dct is None or (isinstance(dct, dt.date) and not isinstance(dct, dt.datetime)):
        return dct
    if isinstance(dct, dt.datetime):
        return dct.date()
    text = str(dct).strip()
    for candidate in (text[:10], text[:8]):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    raise ValueError(f"cannot read a date from {dct!r}: expected YYYY-MM-DD")


def _lower(text: str) -> str:
    """Lower-case without changing any offset (a few characters, like 'İ', lower-case to two)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


_COUNT_START = re.compile(rf"\d|{NUMBER}\W|a\s+(?:few|couple)|several|many")


_COUNTED_RULES = frozenset(("ago", "clock", "duration", "bare_units"))


def _with_prefix(found: Found, prefix: str | None, prefix_start: int, core_start: int, lower: str,
                 rule_name: str) -> Found:
    """Attach a modifier ('early', 'nearly', 'the end of') that TimeBank keeps inside the extent."""
    if prefix is None or found.start != core_start:
        return found
    key = " ".join(prefix.split())
    if key in POINT_MODIFIERS and found.type in ("DATE", "TIME") and not found.value.endswith("_REF"):
        return found._replace(start=prefix_start, mod=POINT_MODIFIERS[key])
    if key in COUNT_ONLY_MODIFIERS and not _COUNT_START.match(lower, core_start):
        return found
    if key in QUANTITY_MODIFIERS and (found.type == "DURATION" or rule_name in _COUNTED_RULES):
        return found._replace(start=prefix_start, mod=QUANTITY_MODIFIERS[key] or found.mod)
    return found


@functools.lru_cache(maxsize=256)
def _fallback_rule_set(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, tuple[Rule, dict[str, int]]]]:
    return _rule_set(names)


def _first_accepted(context: Context, names: tuple[str, ...], position: int
                    ) -> tuple[re.Match[str] | None, Found | list[Found] | None, int]:
    """The first rule that matches at `position` and whose handler accepts the match. A rejected rule
    ("2021 full-year" is no duration) leaves the others to try the same words ("2021" is a year)."""
    while names:
        pattern, rules = _RULE_SETS.get(names) or _fallback_rule_set(names)
        match = pattern.match(context.lower, position)
        if match is None:
            return None, None, position
        name = match.lastgroup
        rule, index = rules[name]
        core_start = match.start(name)
        try:
            result = rule.handler(context, Groups(match, index), core_start, match.end())
        except (OverflowError, ValueError):  # a date beyond the calendar (year 0, 10000): no value to give
            result = None
        if result:
            return match, result, core_start
        names = tuple(other for other in names if other != name)
    return None, None, position


def tag(text: str, dct: dt.date | str | None = None, anchoring: str = AUTO) -> list[Timex]:
    """Temporal expressions in `text`, ordered by start, normalised against the document date `dct` or, where
    the text narrates another time, against the dates it establishes (see narrative.py).

    `anchoring` forces a reading: "news" anchors everything to `dct`, "narrative" everything to the last date
    the text established; the default, "auto", decides per document and paragraph. Without `dct` and before any
    date is established, relative expressions get underspecified TimeML values (XXXX-03-07, XXXX-WXX-1);
    absolute ones ("March 7, 2022") always get their full value.
    """
    if anchoring not in MODES:
        raise ValueError(f"anchoring must be one of {', '.join(MODES)}, not {anchoring!r}")
    lower, reference = _lower(text), parse_dct(dct)
    context = Context(text, lower, reference, mode=anchoring)
    timexes = _scan(context)
    if context.story.turned_narrative():  # read it again, knowing from its first line that it narrates
        context = Context(text, lower, reference, mode=anchoring, narrative=True)
        timexes = _scan(context)
    return timexes


def _scan(context: Context) -> list[Timex]:
    """One reading of the text: each trigger, the first rule accepting it, and the story kept up to date."""
    text, lower = context.text, context.lower
    trigger_search = _TRIGGER.search
    timexes: list[Timex] = []
    floating: list[int] = []
    position = 0
    while (trigger := trigger_search(lower, position)) is not None:
        match, result, core_start = _first_accepted(context, _RULES_FOR_WORD[_key(trigger)], trigger.start())
        if match is None or not result:
            position = trigger.start() + 1
            continue
        founds = result if isinstance(result, list) else [result]
        prefix = match.group("pre")
        for found in founds:
            found = _with_prefix(found, prefix, match.start(), core_start, lower, match.lastgroup)
            if timexes and found.start < timexes[-1].end:
                continue
            if found.period is not None and found.type in ("DATE", "TIME"):
                context.last, context.last_end = found.period, found.end
                context.story.observe(found.period, found.start, found.end, found.anchored, found.deictic,
                                      found.narrated)
            if found.floating:
                floating.append(len(timexes))
            timexes.append(Timex(found.start, found.end, text[found.start:found.end], found.type, found.value,
                                 granularity_of(found.type, found.value), found.mod, found.anchored))
        position = max(founds[-1].end if founds[-1].end > trigger.start() else match.end(), trigger.start() + 1)
    for index in floating:
        _take_following_day(timexes, index, text)
    return timexes


_BETWEEN_TIME_AND_DAY = re.compile(r"[\s,()]*(?:on\s+)?")
_DAY_VALUE = re.compile(r"(?:\d{4}|XXXX)-(?:\d\d|XX)-(?:\d\d|XX)")


def _take_following_day(timexes: list[Timex], index: int, text: str) -> None:
    """A clock time followed by its day ("at 13:50 local time (19:50 GMT) on Thursday") is on that day."""
    previous_end = timexes[index].end
    for following in timexes[index + 1:index + 3]:
        between = text[previous_end:following.start]
        if len(between) > 30 or not _BETWEEN_TIME_AND_DAY.fullmatch(between):
            return
        if following.type == "DATE" and _DAY_VALUE.fullmatch(following.value):
            time = timexes[index]
            timexes[index] = dataclasses.replace(time, value=following.value + time.value[10:],
                                                 anchored=following.anchored)
            return
        if following.type != "TIME":
            return
        previous_end = following.end

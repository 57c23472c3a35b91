"""The rule engine's types: what a handler sees (Context, Groups), what it returns (Found), and the registry.

A rule is a regex over lower-cased text plus a handler that turns a match into TIMEX3 values; `@rule`
registers it by name. The rule families live in `pipeline.timex.rules`, which also fixes the order rules
are tried in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import NamedTuple

from pipeline.timex import tense
from pipeline.timex.narrative import AUTO, Story
from pipeline.timex.values import Period


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
    deictic: bool = False  # its wording points from the document date ("yesterday", "last week", "on Friday")
    narrated: bool = False  # resolved against the story's date rather than the document date


@dataclass(slots=True)
class Context:
    """What handlers know beyond their match: the text, the document date, the last date mentioned, and the
    story the text narrates (see narrative.py)."""

    text: str
    lower: str
    dct: dt.date | None
    last: Period | None = None
    last_end: int = 0  # where the last date mention ends
    story: Story = field(init=False)
    mode: InitVar[str] = AUTO
    narrative: InitVar[bool] = False

    def __post_init__(self, mode: str, narrative: bool) -> None:
        self.story = Story(self.text, self.lower, self.dct, mode, narrative)

    def story_at(self, position: int, narrative_only: bool = False) -> Period | None:
        """The story date an expression at `position` is anchored to; None when it is the document date.
        `narrative_only` for what news writes from its own day (a bare weekday, a clock time, 'the day')."""
        return self.story.reference(position, narrative_only)

    def way(self, start: int, end: int) -> int:
        return tense.direction(self.text, self.lower, start, end)

    def reference(self) -> tuple[dt.date | None, Period | None]:
        """The anchor for 'the next day', 'a year earlier': the last date mentioned, else the DCT."""
        if self.last is not None:
            return self.last.start, self.last
        return self.dct, None

    def previous_word(self, position: int) -> str:
        match = PREVIOUS_WORD.search(self.lower, max(0, position - 40), position)
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


PREVIOUS_WORD = re.compile(r"([a-z0-9$%'’]+)[^a-z0-9$%'’]*$")
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


REGISTRY: dict[str, Rule] = {}


def rule(name: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register `handler` for the expressions `pattern` matches (over lower-cased text) under `name`."""

    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"rule {name!r} is defined twice")
        REGISTRY[name] = Rule(name, pattern, handler)
        return handler

    return register


def in_order(names: tuple[str, ...]) -> list[Rule]:
    """The registered rules in the order `names` gives, which must list each of them once: where several
    rules can start at the same word, that order decides which is tried first."""
    if sorted(names) != sorted(REGISTRY):
        raise ValueError(f"rule order and registry differ: {sorted(set(names) ^ set(REGISTRY))}")
    return [REGISTRY[name] for name in names]

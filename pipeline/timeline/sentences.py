"""Sentences located in their text, and the timexes that fall inside them.

The tagger runs once per article (one call is much cheaper than one per sentence); its character
offsets are then mapped onto sentence spans, so every sentence knows the dates it mentions.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from pipeline.text import split_sentences

log = logging.getLogger(__name__)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")

# Penn Treebank escapes and the spaces its tokeniser puts around punctuation and clitics.
_PTB_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
_PTB_BRACKET = re.compile("|".join(map(re.escape, _PTB_BRACKETS)))
_PTB_OPENING_QUOTE = re.compile(r"`` ?")
_PTB_CLOSING_QUOTE = re.compile(r" ?''")
_SPACE_BEFORE = re.compile(r" (?=[,.;:?!%)\]}]|n't\b|'(?:s|re|ve|ll|d|m)\b)", re.IGNORECASE)
_SPACE_AFTER = re.compile(r"(?<=[(\[{$]) ")
# Undoing Penn Treebank tokenisation, step by step: (pattern, replacement of each match).
PTB_STEPS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_PTB_BRACKET, lambda match: _PTB_BRACKETS[match.group(0)]),
    (_PTB_OPENING_QUOTE, lambda match: '"'),  # `` We  -> "We
    (_PTB_CLOSING_QUOTE, lambda match: '"'),  # won ''  -> won"
    (_SPACE_BEFORE, lambda match: ""),
    (_SPACE_AFTER, lambda match: ""),
)

DAY_GRANULARITIES = frozenset({"day", "time"})

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# A wire dateline opening a story: "(Xinhua/Li Ren) BEIJING, March 8 (Xinhua) -- ", "Moscow, Mar 4 (Prensa Latina) ",
# "KYIV, Ukraine (AP) — ". It names the place and the agency, not the event, and its words would pull the TF-IDF
# centroid towards the agencies that use datelines.
_DATELINE = re.compile(
    r"^(?:\([^)]{1,60}\)\s*)?"  # a photo credit before it
    r"(?:[A-Z][A-Z.'/ -]{1,40},(?:\s+[A-Z][a-z.]+(?: [A-Z][a-z.]+)?,?)?"  # KYIV, Ukraine
    rf"(?:\s+{MONTH}\s+\d{{1,2}},?)?"  # WASHINGTON, Feb. 22
    rf"|[A-Z][\w.'/ -]{{1,40}},\s+{MONTH}\s+\d{{1,2}},?"  # Moscow, Mar 4
    r"|[A-Z][A-Z.'/ -]{1,40}(?=\s+\([A-Z][\w ./-]{1,40}\)\s*(?:--|—|–|-)))"  # LONDON (Reuters) -
    r"\s+\([A-Z][\w ./-]{1,40}\)\s*(?:--|—|–|-)?\s*"  # (Xinhua) --
)
_CALENDAR_WORDS = frozenset(
    [calendar.month_name[month].lower() for month in range(1, 13)]
    + [calendar.day_name[weekday].lower() for weekday in range(7)]
    + ["today", "yesterday", "tomorrow"]
)
_ATTRIBUTION_WORDS = frozenset(["said", "says", "say", "told", "s", "t"])  # "s", "t": the ends of "it's", "can't"
_NOT_CONTENT = ENGLISH_STOP_WORDS | _CALENDAR_WORDS | _ATTRIBUTION_WORDS
_WORD = re.compile(r"[a-z]+")


class TimexLike(Protocol):
    """What this module needs from `pipeline.timex.Timex`."""

    start: int
    end: int
    type: str
    granularity: str

    def date_range(self) -> tuple[dt.date, dt.date] | None: ...


TimexT = TypeVar("TimexT", bound=TimexLike)


def tag_safely(tag: Callable[..., list[TimexT]], text: str, dct: dt.date | None, where: str) -> list[TimexT]:
    """Run the tagger; a failure on one odd text costs that text's dates, not the whole run."""
    try:
        return tag(text, dct=dct)
    except (ValueError, OverflowError, IndexError, KeyError, TypeError) as error:
        log.warning("temporal tagger failed on %s (%s: %s); its dates are skipped", where, type(error).__name__, error)
        return []


def detokenise_ptb(text: str) -> str:
    """Undo Penn Treebank tokenisation ("Feb. 17 , 2011 -LRB- CNN -RRB-") so a tagger reads plain prose."""
    for pattern, replacement in PTB_STEPS:
        text = pattern.sub(replacement, text)
    return text.strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`; line and paragraph breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    block_start = 0
    for block_end, next_start in _block_bounds(text):
        block = text[block_start:block_end]
        cursor = 0
        for sentence in split_sentences(block):
            found = block.find(sentence, cursor)
            if found < 0:  # the splitter normalised something; fall back to the rest of the block
                continue
            spans.append((block_start + found, block_start + found + len(sentence)))
            cursor = found + len(sentence)
        block_start = next_start
    return spans


def _block_bounds(text: str) -> list[tuple[int, int]]:
    bounds = [(match.start(), match.end()) for match in _PARAGRAPH_BREAK.finditer(text)]
    bounds.append((len(text), len(text)))
    return bounds


def join_sentences(sentences: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join already split sentences with newlines and return the text with each sentence's span."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for sentence in sentences:
        spans.append((offset, offset + len(sentence)))
        offset += len(sentence) + 1
    return "\n".join(sentences), spans


def assign_to_sentences(
    timexes: Sequence[TimexT], spans: Sequence[tuple[int, int]]
) -> list[list[TimexT]]:
    """Group timexes by the sentence span that contains their start offset (spans sorted, disjoint)."""
    starts = [start for start, _ in spans]
    grouped: list[list[TimexT]] = [[] for _ in spans]
    for timex in timexes:
        index = bisect.bisect_right(starts, timex.start) - 1
        if index >= 0 and timex.start < spans[index][1]:
            grouped[index].append(timex)
    return grouped


def mentioned_days(timexes: Sequence[TimexLike]) -> tuple[dt.date, ...]:
    """The single days a sentence's DATE/TIME expressions resolve to, in order, without repeats."""
    days: list[dt.date] = []
    for timex in timexes:
        if timex.type not in ("DATE", "TIME") or timex.granularity not in DAY_GRANULARITIES:
            continue
        bounds = timex.date_range()
        if bounds is not None and bounds[0] == bounds[1] and bounds[0] not in days:
            days.append(bounds[0])
    return tuple(days)


@dataclass(frozen=True)
class DatedText:
    """A text's sentence spans and, per sentence, the timexes inside it (offsets relative to the text)."""

    spans: list[tuple[int, int]]
    timexes: list[list[Any]]


def date_text(tag: Callable[..., list[Any]], text: str, dct: dt.date | None, where: str) -> DatedText:
    """Split a text into sentences and tag it once; each sentence gets the timexes that start inside it."""
    spans = sentence_spans(text)
    return DatedText(spans, assign_to_sentences(tag_safely(tag, text, dct, where), spans))


def strip_dateline(text: str) -> str:
    """The sentence without a leading wire dateline ("WASHINGTON, Feb. 22 (Xinhua) -- ")."""
    stripped = _DATELINE.sub("", text, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped else text


def content_words(text: str) -> int:
    """Words that are not stop, calendar or attribution words: what a sentence says beyond its date and source."""
    return sum(word not in _NOT_CONTENT for word in _WORD.findall(text.lower()))

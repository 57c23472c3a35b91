"""Which reference time a relative expression is anchored to: the document date, or the story's last date.

News speaks from its publication date: "on Sunday" is the Sunday before it, "in March" the nearest March.
Histories, retrospectives and background paragraphs speak from the dates they narrate: after "In 1917, ...",
"in April" is April 1917, and after "On 6 December [1916]", "on 14 January" is January 1917. HeidelTime asks
the user to choose between a news and a narrative mode; the tagger decides by itself:

- The story's date is the last date the text established, written out ("9 September 1914") or resolved
  from one ("the next day"), of a year or finer. While it lies far before the document date (more than
  `FAR_DAYS`), the text narrates another time, and what needs a year ("7 August", "in April", "the following
  year", "two days later") is anchored to it; a story date near the document date is news about now.
- Written-out dates and deictic expressions ("yesterday", "last week", "on Friday") vote on the document:
  far-past dates for a narrative, the others for news ("since 1997" measures up to now and does not vote).
  Every text is read as news first; if it has written out `NARRATIVE_VOTES` far dates and they are more
  than `NARRATIVE_SHARE` of the votes, it is a narrative and is read again as one. Dates resolved by default (a
  yearless "7 August" before any year) do not vote: they are the tagger's guess, not the text's evidence.
- In a narrative the story carries over from paragraph to paragraph, and bare weekdays, clock times and
  "the day" follow it too. It moves on with each date resolved from it, with dates that frame their sentence
  ("In 1917, ..."), and with dates inside a sentence up to `JUMP_YEARS` away; a bigger jump inside a
  sentence ("documents found in 2004") is a digression, and asides ("(1790)", "the 1614 rules") never move it.
- In news, a far date opens a background story only as the frame of its sentence ("In 2014, ...", "On
  March 1, 2014, ..."), not inside it ("the 1988 cease-fire", "since 1990"); inside an open one, dates move it
  on. The story ends with its paragraph; what news writes from its own day (a bare "on Sunday", a clock time,
  "the day") stays with the document date, and so does a yearless date news names without a year: a recent
  one (up to `RECENT_DAYS` back) or one ahead in a sentence that looks ahead. Dates after the document date
  ("bonds due 1999") never open a story.
- Without a document date, the story is the only anchor there is.

Deictic expressions ("yesterday", "last week", "three years ago", "now") always point from the document date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.timex.tense import FUTURE, sentence_bounds
from pipeline.timex.values import Period, first_day, last_day

# Chosen by benchmarks/bench_timex.py on the ten wikiwars_dev documents: the grid point with the best value F1
# that keeps TimeBank's within 0.5 points, ties to the more conservative value (all ten: value F1 85.90; the
# same rule under 2-fold cross-validation: 85.46 held out).
FAR_DAYS = 1826  # a story date more than this many days before the document date narrates another time
NARRATIVE_VOTES = 8  # far dates a document needs to have written out before it counts as a narrative
NARRATIVE_SHARE = 0.9  # ...and the share of its date votes they must exceed
BACKWARD_WEIGHT = 2.0  # in a narrative, an occurrence before the story's date counts this much farther away
YEAR_WINDOW = 30  # a bare number this close to the story's year (1777 in a story of 1776) is a year
JUMP_YEARS = 5  # in a narrative, a date inside a sentence this many years from the story's moves it on
RECENT_DAYS = 180  # news names dates this recent without a year: a background story does not take them

AUTO, NEWS, NARRATIVE = "auto", "news", "narrative"
MODES = (AUTO, NEWS, NARRATIVE)
_STORY_GRANULARITIES = frozenset(("day", "week", "weekend", "month", "quarter", "half", "season", "year"))
_IN_PARENTHESES_BEFORE = re.compile(r"\([^()]{0,40}$")
_IN_PARENTHESES_AFTER = re.compile(r"[^()]{0,40}\)")
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)\s+$")
_NOUN_AFTER = re.compile(r"\s+[a-z]")
_SINCE = re.compile(r"\bsince\s+$")  # "the lowest since 1997" measures up to now: no vote either way
# What may precede a date that frames its sentence: "In 2014,", "Early in 1917,", "On the night of ...".
_FRAME_LEAD = re.compile(r"[\s\"'“‘(]*(?:(?:in|on|by|during|at|from|after|early|late|later|earlier|mid|the|end|"
                         r"beginning|start|middle|night|morning|of|and|then|but|however|,)[\s,-]*)*")


@dataclass(slots=True)
class Story:
    """The reference time of a text as it is read: the story's last date and the votes on the document's kind."""

    text: str
    lower: str
    dct: dt.date | None
    mode: str = AUTO
    known_narrative: bool = False  # a second reading of a text the first one found to be a narrative
    period: Period | None = None
    end: int = 0  # where the story's last date was mentioned
    story_far: bool = False  # whether it lies far before the document date
    far_votes: int = 0
    near_votes: int = 0
    far_before: int = 0  # the day (as an ordinal) before which a date is far; none without a document date

    def __post_init__(self) -> None:
        if self.dct is not None:
            self.far_before = self.dct.toordinal() - FAR_DAYS

    def observe(self, period: Period, start: int, end: int, anchored: bool, deictic: bool, narrated: bool) -> None:
        """Take a date the text just established at [start, end): `deictic` when its wording points from the
        document date, `narrated` when it was resolved against the story's date."""
        if period.granularity not in _STORY_GRANULARITIES:
            return
        far = self._far(period)
        if self.dct is not None and not narrated:
            if deictic or (not anchored and not far):
                self.near_votes += 1
            elif not anchored and not _SINCE.search(self.lower, max(0, start - 7), start):
                self.far_votes += 1
        if narrated or self._moves_story(period, start, end, far):
            self.period, self.end, self.story_far = period, end, far

    def _moves_story(self, period: Period, start: int, end: int, far: bool) -> bool:
        """Whether a date the text wrote out (or resolved from the document date) is the story's new date."""
        narrative = self.dct is None or self.mode == NARRATIVE or self.known_narrative
        if not (narrative or far or self.story_far):
            return True  # news about now, after news about now
        if self._aside(start, end):
            return False  # "(1790)", "the 1614 rules": a date beside the story, not its next step
        if narrative:
            # a narrative moves on by frames and by steps; a jump inside a sentence is a digression
            return (self.period is None or self._frames(start)
                    or abs(period.start.year - self.period.start.year) <= JUMP_YEARS)
        # news: a far date opens a background story only as the frame of its sentence, and moves one on inside it
        return not far or self._frames(start) or self._in_background(start)

    def reference(self, position: int, narrative_only: bool = False) -> Period | None:
        """The story date an expression at `position` is anchored to, or None for the document date.
        `narrative_only`: the expression is one news writes from its own day (a bare weekday, a clock time),
        re-anchored only in a narrative."""
        if self.period is None or self.mode == NEWS:
            return None
        if self.dct is None or self.mode == NARRATIVE:
            return self.period
        if not self.story_far:
            return None
        if self.is_narrative():
            return self.period
        if narrative_only or self.text.find("\n", self.end, position) != -1:
            return None  # news: a background paragraph's story ends with it
        return self.period

    def recent_in_news(self, reading: Period | None, way: int) -> bool:
        """Whether `reading`, a yearless date resolved from the document date, is one news names without a year:
        a recent one, or one ahead when the sentence looks ahead. A background story in news leaves it alone;
        it takes one ahead in a past-tense sentence ("On March 18, Russia annexed Crimea")."""
        if reading is None or self.dct is None or self.mode == NARRATIVE or self.is_narrative():
            return False
        if first_day(reading) > self.dct:
            return way == FUTURE
        return (self.dct - last_day(reading)).days <= RECENT_DAYS

    def is_narrative(self) -> bool:
        """Whether the text is read as a narrative: on a second reading, once the first one has voted so."""
        return self.known_narrative

    def turned_narrative(self) -> bool:
        """Whether a text read as news has voted to be a narrative, and deserves a second reading as one."""
        return (self.mode == AUTO and not self.known_narrative and self.far_votes >= NARRATIVE_VOTES
                and self.far_votes > NARRATIVE_SHARE * (self.far_votes + self.near_votes))

    def _far(self, period: Period) -> bool:
        """Whether `period` ends more than `FAR_DAYS` before the document date (never without one)."""
        return period.start.toordinal() < self.far_before and last_day(period).toordinal() < self.far_before

    def _in_background(self, position: int) -> bool:
        """Whether a background story of a news paragraph is open at `position`."""
        return self.story_far and self.text.find("\n", self.end, position) == -1

    def _aside(self, start: int, end: int) -> bool:
        """A date in short parentheses, or a year used as an adjective after an article ("the 1614 rules")."""
        if _IN_PARENTHESES_BEFORE.search(self.text, max(0, start - 40), start) and _IN_PARENTHESES_AFTER.match(
                self.text, end):
            return True
        return bool(_ARTICLE_BEFORE.search(self.lower, max(0, start - 5), start)) and bool(
            _NOUN_AFTER.match(self.lower, end))

    def _frames(self, start: int) -> bool:
        """Whether the date at `start` opens its sentence, as the frame of what the sentence narrates."""
        sentence_start, _ = sentence_bounds(self.text, start, start)
        return _FRAME_LEAD.fullmatch(self.lower, sentence_start, start) is not None


"""Date rankers for the summary timeline: which days matter most, from how the articles name and cover them."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import Field

from pipeline.components import DATE_RANKERS, Component

ONE_DAY = dt.timedelta(days=1)


class Dated(Protocol):
    """What a ranker reads of a sentence: its article, publication day and the days it names."""

    article_id: str
    published: dt.date
    mentioned: tuple[dt.date, ...]


def date_counts(sentences: Sequence[Dated]) -> dict[str, Counter[dt.date]]:
    """Per day, articles: published on it; naming it from two or more days later, the next day, the same day
    ("on Tuesday" in Tuesday's paper), or before."""
    published: dict[dt.date, set[str]] = defaultdict(set)
    named: dict[str, set[tuple[dt.date, str]]] = {"later": set(), "next_day": set(), "same_day": set(),
                                                  "earlier": set()}
    for sentence in sentences:
        published[sentence.published].add(sentence.article_id)
        for day in sentence.mentioned:
            lag = (sentence.published - day).days
            when = "earlier" if lag < 0 else "same_day" if lag == 0 else "next_day" if lag == 1 else "later"
            named[when].add((day, sentence.article_id))
    counts = {when: Counter(day for day, _ in pairs) for when, pairs in named.items()}
    counts["published"] = Counter({day: len(ids) for day, ids in published.items()})
    return counts


@dataclass(frozen=True)
class DaySignals:
    """What `MentionCounts` reads of a collection, counted once (weights can then be tried without recounting).

    One entry per candidate day within the window (named by a sentence, or with articles published on it or
    the next day), in date order: the counts of `date_counts`, the articles published two or more days after
    the day (`later_coverage`), the collection's articles (`total`) and the days the window spans (`span_days`:
    `end - start + 1`, or the publication days' range when the window is open).
    """

    days: list[dt.date]
    later: np.ndarray
    later_coverage: np.ndarray
    next_day: np.ndarray
    same_day: np.ndarray
    earlier: np.ndarray
    published: np.ndarray
    published_next_day: np.ndarray
    total: int
    span_days: int

    @property
    def named(self) -> np.ndarray:
        """Whether any sentence names the day (rather than only articles appearing on or after it)."""
        return (self.later + self.next_day + self.same_day + self.earlier) > 0


def day_signals(sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None) -> DaySignals:
    """The DaySignals of the candidate days between `start` and `end` (inclusive)."""
    counts = date_counts(sentences)
    published = counts["published"]
    publication_days = sorted(published)
    published_from = np.cumsum([published[day] for day in publication_days][::-1])[::-1]  # on or after day i
    total = int(published_from[0]) if len(published_from) else 0
    candidates = set().union(*counts.values()) | {day - ONE_DAY for day in published}
    days = sorted(day for day in candidates if (start is None or day >= start) and (end is None or day <= end))
    coverage = []
    for day in days:
        first_later = bisect.bisect_left(publication_days, day + 2 * ONE_DAY)
        coverage.append(int(published_from[first_later]) if first_later < len(publication_days) else 0)
    if start is not None and end is not None:
        span_days = (end - start).days + 1
    else:
        span_days = (publication_days[-1] - publication_days[0]).days + 1 if publication_days else 0

    def per_day(counter: Counter[dt.date], shift: dt.timedelta = dt.timedelta(0)) -> np.ndarray:
        return np.array([counter[day + shift] for day in days], dtype=float)

    return DaySignals(
        days, per_day(counts["later"]), np.array(coverage, dtype=float), per_day(counts["next_day"]),
        per_day(counts["same_day"]), per_day(counts["earlier"]), per_day(published), per_day(published, ONE_DAY),
        total, max(span_days, 0),
    )


@DATE_RANKERS.register("mention_counts")
class MentionCounts(Component):
    """A day scores by the articles that name it and cover it, weighted by when they were published.

    Articles published at least two days later that name the day (`later_mention_weight`: the story kept
    being referred back to; counted as a share of the articles published that late, plus `later_smoothing`
    times the collection, and scaled back to the collection size, so that the last days, which little
    coverage follows, are not ranked down), those published the next day that name it
    (`next_day_mention_weight`: routine follow-up), those published on it that name it
    (`same_day_mention_weight`: "on Tuesday" in Tuesday's paper), those published before it that name it
    (`earlier_mention_weight`: announced in advance), and those published on it or the day after
    (`published_weight`: news volume). DATEWISE's features in spirit, with weights chosen by measurement
    (params.yaml records how).

    Two rules adapt the ranking to the timeline asked for. `coverage_weight` adds the articles published on
    the day times the timeline's density (dates asked for / days in the window, at most 1): a timeline that
    keeps most days of its window is made of the days that were reported, one that keeps a few is made of
    the days that were referred back to. With `unnamed_last`, a day no sentence names (only published on)
    ranks after every day some sentence names.
    """

    name: Literal["mention_counts"] = "mention_counts"
    later_mention_weight: float = Field(1.0, ge=0.0)
    later_smoothing: float = Field(0.2, gt=0.0)
    next_day_mention_weight: float = Field(0.5, ge=0.0)
    same_day_mention_weight: float = Field(0.1, ge=0.0)
    earlier_mention_weight: float = Field(0.25, ge=0.0)
    published_weight: float = Field(0.25, ge=0.0)
    coverage_weight: float = Field(2.0, ge=0.0, description="x density x articles published on the day")
    unnamed_last: bool = Field(True, description="days no sentence names rank after every named day")

    def rank(
        self, sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None,
        n_dates: int | None = None,
    ) -> list[tuple[dt.date, float]]:
        """Days between `start` and `end` (inclusive) with a positive score, best first; ties go to the earlier
        day. `n_dates`, the number of dates the timeline will keep, sets the density (None: no coverage term)."""
        return self.rank_signals(day_signals(sentences, start, end), n_dates)

    def scores(self, signals: DaySignals, n_dates: int | None = None) -> np.ndarray:
        """Each candidate day's score (see the class)."""
        if not signals.days:
            return np.zeros(0)
        later_share = signals.later * signals.total / (signals.later_coverage + self.later_smoothing * signals.total)
        score = (
            self.later_mention_weight * later_share
            + self.next_day_mention_weight * signals.next_day
            + self.same_day_mention_weight * signals.same_day
            + self.earlier_mention_weight * signals.earlier
            + self.published_weight * (signals.published + signals.published_next_day)
        )
        if n_dates is not None and self.coverage_weight > 0 and signals.span_days > 0:
            density = min(1.0, n_dates / signals.span_days)
            score = score + self.coverage_weight * density * signals.published
        return score

    def rank_signals(self, signals: DaySignals, n_dates: int | None = None) -> list[tuple[dt.date, float]]:
        """The days of `signals` with a positive score, named days first when `unnamed_last`, then by score."""
        score = self.scores(signals, n_dates)
        keep = np.flatnonzero(score > 0)
        if len(keep) == 0:
            return []
        named = signals.named[keep] if self.unnamed_last else np.zeros(len(keep), dtype=bool)
        order = keep[np.lexsort((keep, -score[keep], ~named))]  # days are in date order: ties go to the earlier
        return [(signals.days[number], float(score[number])) for number in order]


@DATE_RANKERS.register("publication_count")
class PublicationCount(Component):
    """A day scores by the number of articles published on it (the PubCount baseline of news-tls)."""

    name: Literal["publication_count"] = "publication_count"

    def rank(
        self, sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None,
        n_dates: int | None = None,
    ) -> list[tuple[dt.date, float]]:
        """Publication days between `start` and `end` by decreasing count; ties go to the earlier day
        (`n_dates` is not used)."""
        published = date_counts(sentences)["published"]
        scored = [(day, float(count)) for day, count in published.items()
                  if (start is None or day >= start) and (end is None or day <= end)]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored


MODELS = Path(__file__).resolve().parents[1] / "timeline" / "models"
SHIPPED_MODEL = "date_ranker-v1.json"


@DATE_RANKERS.register("learnt")
class Learnt(Component):
    """A logistic regression over how each day is named and published about, fitted on journalists' timelines
    (`pipeline.timeline.date_model`; DATEWISE's supervised date ranker in spirit).

    `model` is a file written by `python -m pipeline tls train`; a bare file name is one of the models shipped
    in `pipeline/timeline/models/` (by default the one fitted on the fourteen Timeline17 timelines).
    """

    name: Literal["learnt"] = "learnt"
    model: Path = Field(Path(SHIPPED_MODEL), strict=False, description="model file, or a shipped model's name")

    def path(self) -> Path:
        return MODELS / self.model if self.model.parent == Path() else self.model

    def rank(
        self, sentences: Sequence[Any], start: dt.date | None = None, end: dt.date | None = None,
        n_dates: int | None = None,
    ) -> list[tuple[dt.date, float]]:
        """Candidate days between `start` and `end` by decreasing score; ties go to the earlier day (`n_dates`
        is not used: the model reads the days only)."""
        path = self.path()
        return _load_date_model(path, path.stat().st_mtime_ns).rank(sentences, start, end)


@functools.lru_cache(maxsize=8)
def _load_date_model(path: Path, modified: int) -> Any:
    from pipeline.timeline.date_model import load_model

    return load_model(path)

"""Date rankers for the summary timeline: which days matter most, from how the articles name and cover them."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
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
    """

    name: Literal["mention_counts"] = "mention_counts"
    later_mention_weight: float = Field(1.0, ge=0.0)
    later_smoothing: float = Field(0.2, gt=0.0)
    next_day_mention_weight: float = Field(0.5, ge=0.0)
    same_day_mention_weight: float = Field(0.1, ge=0.0)
    earlier_mention_weight: float = Field(0.25, ge=0.0)
    published_weight: float = Field(0.25, ge=0.0)

    def rank(
        self, sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None
    ) -> list[tuple[dt.date, float]]:
        """Days between `start` and `end` (inclusive) by decreasing score; ties go to the earlier day."""
        counts = date_counts(sentences)
        published = counts["published"]
        publication_days = sorted(published)
        published_from = np.cumsum([published[day] for day in publication_days][::-1])[::-1]  # on or after day i
        total = int(published_from[0]) if len(published_from) else 0
        days = set().union(*counts.values()) | {day - ONE_DAY for day in published}
        scored = []
        for day in days:
            if (start is not None and day < start) or (end is not None and day > end):
                continue
            first_later = bisect.bisect_left(publication_days, day + 2 * ONE_DAY)
            published_later = int(published_from[first_later]) if first_later < len(publication_days) else 0
            later_share = counts["later"][day] * total / (published_later + self.later_smoothing * total)
            score = (
                self.later_mention_weight * later_share
                + self.next_day_mention_weight * counts["next_day"][day]
                + self.same_day_mention_weight * counts["same_day"][day]
                + self.earlier_mention_weight * counts["earlier"][day]
                + self.published_weight * (published[day] + published[day + ONE_DAY])
            )
            if score > 0:
                scored.append((day, float(score)))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored


@DATE_RANKERS.register("publication_count")
class PublicationCount(Component):
    """A day scores by the number of articles published on it (the PubCount baseline of news-tls)."""

    name: Literal["publication_count"] = "publication_count"

    def rank(
        self, sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None
    ) -> list[tuple[dt.date, float]]:
        """Publication days between `start` and `end` by decreasing count; ties go to the earlier day."""
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
        self, sentences: Sequence[Any], start: dt.date | None = None, end: dt.date | None = None
    ) -> list[tuple[dt.date, float]]:
        """Candidate days between `start` and `end` by decreasing score; ties go to the earlier day."""
        path = self.path()
        return _load_date_model(path, path.stat().st_mtime_ns).rank(sentences, start, end)


@functools.lru_cache(maxsize=8)
def _load_date_model(path: Path, modified: int) -> Any:
    from pipeline.timeline.date_model import load_model

    return load_model(path)

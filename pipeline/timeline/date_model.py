"""A supervised date ranker: how a day is named and published about, and whether journalists chose it.

DATEWISE (Gholipour Ghalandari & Ifrim, ACL 2020) ranks days with a classifier trained on journalists'
timelines; this is the same idea with features read off the temporal tagger's output. For every candidate
day (named by a sentence, or with articles published on it or the next day) `day_features` counts:

- the distinct articles naming it, by the lag between their publication and the day (the same day, the
  next, 2-7 days later, later still, or before it: announced), and by how the day was named (a full
  date, a calendar date without a year, a relative expression, a time of the day), and the weeks or months
  naming it; the sentences naming it; the articles naming it in their first sentences, the mean position
  of those sentences, the publication days and outlets naming it, how soon it was first named;
- the articles published on it, on the next day and around it, and how much it stands out from its
  neighbourhood (burstiness of publications and of mentions), and its later mentions as a share of the
  coverage that follows it (`MentionCounts`' main signal).

Counts enter twice: as log(1 + count) and as their percentile among the collection's candidate days, so a
model fitted on large collections reads small ones alike. A logistic regression on standardised features
(scikit-learn) is fitted with every reference day as a positive and every other candidate day of the
reference's span as a negative, each timeline weighing the same. The fitted model is stored as JSON
(feature names, standardisation, coefficients): loading it runs no code, unlike a pickle.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

ONE_DAY = dt.timedelta(days=1)
FORMAT = "newsline-date-ranker"
FORMAT_VERSION = 1
LEAD = 3  # "in the lead": among an article's first three sentences
KINDS = ("full", "calendar", "relative", "time")
LAGS = (("same_day", 0, 0), ("next_day", 1, 1), ("week_later", 2, 7), ("long_later", 8, 10**6),
        ("before", -(10**6), -1))
COUNTS = (
    *(f"named_{name}" for name, _, _ in LAGS),
    *(f"named_{kind}" for kind in KINDS),
    "named_articles", "naming_sentences", "named_in_lead", "named_in_period", "naming_days",
    "published", "published_next_day", "published_around",
)
RATIOS = ("later_share", "outlet_share", "lead_position", "first_report", "published_burst", "named_burst")
FEATURES = (*(f"log_{name}" for name in COUNTS), *(f"rank_{name}" for name in COUNTS), *RATIOS)


class Dated(Protocol):
    """What the features read of a sentence (`pipeline.timeline.summarise.DatedSentence`)."""

    article_id: str
    published: dt.date
    position: int
    mentioned: tuple[dt.date, ...]
    kinds: tuple[str, ...]
    periods: tuple[tuple[dt.date, dt.date], ...]
    outlet: str


@dataclass(frozen=True)
class DayFeatures:
    days: list[dt.date]
    matrix: np.ndarray  # one row per day, one column per name of FEATURES


def candidate_days(sentences: Sequence[Dated], start: dt.date | None, end: dt.date | None) -> list[dt.date]:
    """Days named by a sentence or with articles published on them or the next day, within [start, end]."""
    days = {day for sentence in sentences for day in sentence.mentioned}
    days |= {sentence.published for sentence in sentences} | {sentence.published - ONE_DAY for sentence in sentences}
    return sorted(day for day in days if (start is None or day >= start) and (end is None or day <= end))


def day_features(
    sentences: Sequence[Dated], start: dt.date | None = None, end: dt.date | None = None
) -> DayFeatures:
    """The FEATURES of every candidate day between `start` and `end` (inclusive)."""
    days = candidate_days(sentences, start, end)
    counts = {name: np.zeros(len(days)) for name in COUNTS}
    ratios = {name: np.zeros(len(days)) for name in RATIOS}
    if not days:
        return DayFeatures(days, np.zeros((0, len(FEATURES))))
    index = {day: number for number, day in enumerate(days)}

    published_ids: dict[dt.date, set[str]] = defaultdict(set)
    outlets: set[str] = set()
    # day -> article naming it -> (the article's publication day, the position of its first sentence naming it)
    naming: dict[dt.date, dict[str, tuple[dt.date, int]]] = defaultdict(dict)
    by_lag: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)
    by_kind: dict[str, set[tuple[dt.date, str]]] = defaultdict(set)
    naming_outlets: dict[dt.date, set[str]] = defaultdict(set)
    sentences_naming: dict[dt.date, int] = defaultdict(int)
    period_articles: dict[tuple[dt.date, dt.date], set[str]] = defaultdict(set)
    for sentence in sentences:
        published_ids[sentence.published].add(sentence.article_id)
        outlets.add(sentence.outlet)
        for period in sentence.periods:
            period_articles[period].add(sentence.article_id)
        kinds = sentence.kinds or ("calendar",) * len(sentence.mentioned)
        for day, kind in zip(sentence.mentioned, kinds, strict=True):
            if day not in index:
                continue
            sentences_naming[day] += 1
            first = naming[day].get(sentence.article_id)
            if first is None or sentence.position < first[1]:
                naming[day][sentence.article_id] = (sentence.published, sentence.position)
            lag = (sentence.published - day).days
            lag_name = next(name for name, low, high in LAGS if low <= lag <= high)
            by_lag[lag_name].add((day, sentence.article_id))
            by_kind[kind].add((day, sentence.article_id))
            naming_outlets[day].add(sentence.outlet)

    published = {day: len(ids) for day, ids in published_ids.items()}
    total = sum(published.values())
    publication_days = sorted(published)
    published_from = np.cumsum([published[day] for day in publication_days][::-1])[::-1]
    lag_counts = {name: _per_day(pairs, index) for name, pairs in by_lag.items()}
    kind_counts = {kind: _per_day(pairs, index) for kind, pairs in by_kind.items()}
    in_period = np.zeros(len(days))
    for (first, last), articles in period_articles.items():
        low, high = bisect.bisect_left(days, first), bisect.bisect_right(days, last)
        in_period[low:high] += len(articles)

    for name, _, _ in LAGS:
        counts[f"named_{name}"] = lag_counts.get(name, np.zeros(len(days)))
    for kind in KINDS:
        counts[f"named_{kind}"] = kind_counts.get(kind, np.zeros(len(days)))
    counts["named_in_period"] = in_period
    for day, number in index.items():
        articles = naming.get(day, {})
        counts["named_articles"][number] = len(articles)
        counts["naming_sentences"][number] = sentences_naming.get(day, 0)
        counts["named_in_lead"][number] = sum(position < LEAD for _, position in articles.values())
        counts["naming_days"][number] = len({when for when, _ in articles.values()})
        counts["published"][number] = published.get(day, 0)
        counts["published_next_day"][number] = published.get(day + ONE_DAY, 0)
        counts["published_around"][number] = sum(published.get(day + k * ONE_DAY, 0) for k in range(-3, 4)) / 7
        first_later = bisect.bisect_left(publication_days, day + 2 * ONE_DAY)
        later = int(published_from[first_later]) if first_later < len(publication_days) else 0
        named_later = counts["named_week_later"][number] + counts["named_long_later"][number]
        ratios["later_share"][number] = named_later / (later + 0.2 * total) if total else 0.0
        ratios["outlet_share"][number] = len(naming_outlets.get(day, ())) / max(len(outlets), 1)
        if articles:
            ratios["lead_position"][number] = float(np.mean([1 / (1 + position) for _, position in articles.values()]))
            soonest = min((when - day).days for when, _ in articles.values())
            ratios["first_report"][number] = 1 / (1 + max(soonest, 0))
        neighbourhood = [published.get(day + k * ONE_DAY, 0) for k in range(-7, 9)]
        ratios["published_burst"][number] = (published.get(day, 0) + published.get(day + ONE_DAY, 0)) / (
            2 * float(np.mean(neighbourhood)) + 1
        )
    named = counts["named_articles"]
    for number, day in enumerate(days):
        low = bisect.bisect_left(days, day - 7 * ONE_DAY)
        high = bisect.bisect_right(days, day + 7 * ONE_DAY)
        ratios["named_burst"][number] = named[number] / (named[low:high].sum() / 15 + 1)

    columns = [np.log1p(counts[name]) for name in COUNTS]
    columns += [_percentile(counts[name]) for name in COUNTS]
    columns += [ratios[name] for name in RATIOS]
    return DayFeatures(days, np.column_stack(columns))


def _per_day(pairs: Iterable[tuple[dt.date, str]], index: Mapping[dt.date, int]) -> np.ndarray:
    values = np.zeros(len(index))
    for day, _ in pairs:
        values[index[day]] += 1
    return values


def _percentile(values: np.ndarray) -> np.ndarray:
    """Each value's mean rank among the values, scaled to (0, 1]: ties share their rank."""
    if len(values) == 0:
        return values
    order = np.sort(values)
    below = np.searchsorted(order, values, side="left")
    upto = np.searchsorted(order, values, side="right")
    return (below + upto) / (2 * len(values))


# --- the model -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateModel:
    """A fitted logistic regression over FEATURES, as stored in its JSON file."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    info: Mapping[str, Any]

    def score(self, features: DayFeatures) -> np.ndarray:
        if len(features.days) == 0:
            return np.zeros(0)
        return ((features.matrix - self.mean) / self.scale) @ self.coef + self.intercept

    def rank(
        self, sentences: Sequence[Dated], start: dt.date | None, end: dt.date | None
    ) -> list[tuple[dt.date, float]]:
        """Candidate days by decreasing score; ties go to the earlier day."""
        return self.rank_days(day_features(sentences, start, end))

    def rank_days(self, features: DayFeatures) -> list[tuple[dt.date, float]]:
        scores = self.score(features)
        ranked = sorted(zip(features.days, scores.tolist(), strict=True), key=lambda item: (-item[1], item[0]))
        return [(day, float(score)) for day, score in ranked]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            **dict(self.info),
        }


def load_model(path: str | os.PathLike[str]) -> DateModel:
    """Read a model file written by `save_model`; refuses files of another format or feature list."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a {FORMAT} file of version {FORMAT_VERSION}")
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError(f"{path} was fitted on other features than this code computes; rebuild it "
                         f"(python -m pipeline tls train ...)")
    arrays = [np.asarray(data[key], dtype=float) for key in ("mean", "scale", "coef")]
    if any(array.shape != (len(FEATURES),) for array in arrays):
        raise ValueError(f"{path}: mean, scale and coef must hold one number per feature")
    info = {key: value for key, value in data.items()
            if key not in ("format", "format_version", "features", "mean", "scale", "coef", "intercept")}
    return DateModel(*arrays, float(data["intercept"]), info)


def save_model(model: DateModel, path: str | os.PathLike[str]) -> None:
    from pipeline.io import write_json

    write_json(path, model.to_json())


@dataclass(frozen=True)
class TrainingTask:
    """One journalists' timeline: the features of its collection's candidate days, and the days it chose."""

    name: str
    group: str
    features: DayFeatures
    reference_days: frozenset[dt.date]
    usable_days: frozenset[dt.date] | None = None  # days with summary material; None: every candidate day

    @classmethod
    def build(
        cls, name: str, group: str, sentences: Sequence[Dated], reference_days: Iterable[dt.date],
        start: dt.date, end: dt.date, usable_days: Iterable[dt.date] | None = None,
    ) -> TrainingTask:
        usable = frozenset(usable_days) if usable_days is not None else None
        return cls(name, group, day_features(sentences, start, end), frozenset(reference_days), usable)

    def date_f1(self, ranked: Iterable[tuple[dt.date, float]]) -> float:
        """Date-F1 of the first ranked days, as many as the reference has, that have summary material."""
        wanted = len(self.reference_days)
        picked = [day for day, _ in ranked if self.usable_days is None or day in self.usable_days][:wanted]
        hits = len(set(picked) & self.reference_days)
        return 0.0 if hits == 0 else 2 * hits / (len(picked) + wanted)


def training_rows(tasks: Sequence[TrainingTask]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels (the day is in the reference) and weights (each timeline weighs 1 in all)."""
    matrices, labels, weights = [], [], []
    for task in tasks:
        days = task.features.days
        if not days:
            continue
        matrices.append(task.features.matrix)
        labels.append(np.array([day in task.reference_days for day in days]))
        weights.append(np.full(len(days), 1 / len(days)))
    return np.vstack(matrices), np.concatenate(labels), np.concatenate(weights)


def fit_model(tasks: Sequence[TrainingTask], c: float = 1.0, info: Mapping[str, Any] | None = None) -> DateModel:
    """Fit the logistic regression on the tasks' candidate days (deterministic: lbfgs, no sampling)."""
    from sklearn.linear_model import LogisticRegression

    matrix, labels, weights = training_rows(tasks)
    if labels.all() or not labels.any():
        raise ValueError("the training timelines need both chosen and unchosen days")
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    weights = weights * len(labels) / weights.sum()  # a mean weight of 1, so C keeps its usual sense
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit((matrix - mean) / scale, labels, sample_weight=weights)
    details = {
        "C": c,
        "trained_on": sorted({task.name for task in tasks}),
        "training_days": len(labels),
        "training_chosen_days": int(labels.sum()),
        **(info or {}),
    }
    return DateModel(mean, scale, classifier.coef_[0].copy(), float(classifier.intercept_[0]), details)


C_GRID = (0.0003, 0.001, 0.003, 0.01)


def choose_c(tasks: Sequence[TrainingTask], grid: Sequence[float] = C_GRID) -> tuple[float, dict[float, float]]:
    """The regularisation strength with the best mean Date-F1 leaving one topic (`group`) out at a time.

    Each topic's timelines are ranked by a model fitted on the other topics only; ties go to the smaller C
    (the simpler model). Returns the choice and the mean Date-F1 of every C tried."""
    groups = sorted({task.group for task in tasks})
    if len(groups) < 2:
        return grid[0], {}
    means: dict[float, float] = {}
    for c in grid:
        scores = []
        for group in groups:
            model = fit_model([task for task in tasks if task.group != group], c)
            scores += [task.date_f1(model.rank_days(task.features)) for task in tasks if task.group == group]
        means[c] = float(np.mean(scores))
    best = max(grid, key=lambda c: (round(means[c], 9), -c))
    return best, means

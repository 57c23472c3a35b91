"""Leave-one-topic-out evaluation of timeline summarisation, with two floors and three ceilings.

A topic is a story (`LibyaWar`), told by one or more outlet folders (`LibyaWar_cnn`, `LibyaWar_reuters`);
each folder holds one task per journalists' timeline. For every topic in turn (a fold), everything that is
learnt or tuned is chosen on the other topics only, all outlets of the left-out topic leaving together, and
the left-out topic's tasks are then scored:

- the date ranker: a `learnt` model is refitted on the other topics, its regularisation chosen by an inner
  leave-one-topic-out over them (Date-F1); `mention_counts`' weights are chosen from `MENTION_COUNTS_GRID`
  by the other topics' Date-F1; `publication_count` has nothing to tune;
- the sentence selector's knobs (`SELECTOR_GRID`) are chosen by the other topics' alignment ROUGE-1 F1 on
  timelines of the journalists' own dates (so the choice does not depend on the ranker).

The same run scores, per task, the floors and ceilings:

- `pubcount`: the days with most articles, each summarised by the sentences of that day's articles nearest
  their TF-IDF centroid (news-tls' PubCount);
- `random`: days drawn at random among the span's days that have summary material, summarised by our
  selector (mean over `seeds` draws);
- `date_oracle`: the journalists' days, summarised by our selector;
- `text_oracle`: our days, each summarised by the candidate sentences that best match (ROUGE-1) the
  journalists' summary of the nearest reference day;
- `full_oracle`: the journalists' days, summarised as the text oracle does.

Scores: Date-F1 and alignment ROUGE-1/2 F1 (tilse, see `pipeline.timeline.tls`). `overall` averages
precision and recall over every task, then takes F1 (the paper's protocol); `fold_mean` is the mean over
left-out topics of each topic's figures (each topic weighs the same, however many outlets tell it).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.components.rankers import DaySignals, Learnt, MentionCounts, day_signals
from pipeline.config import SummaryConfig
from pipeline.timeline import date_model
from pipeline.timeline.summarise import Collection, DatedSentence, Summariser, select_sentences
from pipeline.timeline.tls import (
    TaskScores,
    Timeline,
    Topic,
    average_scores,
    entries_to_timeline,
    score_timeline,
    summary_length,
    timeline_to_json,
    within,
)

log = logging.getLogger(__name__)

BASELINES = ("pubcount", "random")
CEILINGS = ("date_oracle", "text_oracle", "full_oracle")
MENTION_COUNTS_GRID: dict[str, tuple[Any, ...]] = {
    "later_smoothing": (0.1, 0.2, 0.3),
    "next_day_mention_weight": (0.25, 0.5),
    "same_day_mention_weight": (0.0, 0.1, 0.25),
    "earlier_mention_weight": (0.0, 0.25),
    "published_weight": (0.25, 0.5),
    "coverage_weight": (0.0, 1.0, 2.0, 4.0),
    "unnamed_last": (False, True),
}
SELECTOR_GRID: dict[str, tuple[Any, ...]] = {
    "leads": ("fallback", "always"),
    "per_article": (2, 3),
    "max_similarity": (0.3, 0.5),
    "embedding_weight": (0.0, 0.25),
}


@dataclass
class Task:
    """One journalists' timeline and the sentences of its collection published within its span."""

    folder: str
    group: str
    reference: Timeline
    sentences: list[DatedSentence]
    keywords: tuple[str, ...]
    articles: int

    @property
    def start(self) -> dt.date:
        return min(self.reference)

    @property
    def end(self) -> dt.date:
        return max(self.reference)

    @property
    def size(self) -> tuple[int, int]:
        return summary_length(self.reference)

    @functools.cached_property
    def collection(self) -> Collection | None:
        return Collection.read(self.sentences)

    @functools.cached_property
    def features(self) -> date_model.DayFeatures:
        return date_model.day_features(self.sentences, self.start, self.end)


def build_tasks(topics: Sequence[Topic], sentences: Mapping[str, Sequence[DatedSentence]]) -> list[Task]:
    """One task per reference timeline of every topic folder, with the folder's sentences within its span."""
    tasks = []
    for topic in topics:
        for reference in topic.timelines:
            first, last = min(reference), max(reference)
            span = within(sentences[topic.name], first, last)
            articles = len({sentence.article_id for sentence in span})
            tasks.append(Task(topic.name, topic.group, reference, span, topic.keywords, articles))
    return tasks


# --- the systems ------------------------------------------------------------------------------------------------


def summariser(task: Task, config: SummaryConfig) -> Summariser | None:
    return None if task.collection is None else Summariser(task.collection, config, task.keywords)


def system_timeline(
    task: Task, config: SummaryConfig, ranked: Sequence[tuple[dt.date, float]] | None = None
) -> Timeline:
    """Our timeline for the task: the configured ranker's days (or `ranked`), the configured selector."""
    chooser = summariser(task, config)
    if chooser is None:
        return {}
    n_dates, n_sentences = task.size
    if ranked is None:
        ranked = config.ranker.rank(chooser.collection.sentences, task.start, task.end, n_dates=n_dates)
    return entries_to_timeline(chooser.timeline(ranked, n_dates, n_sentences))


def days_timeline(task: Task, config: SummaryConfig, days: Sequence[dt.date]) -> Timeline:
    """Given days (the journalists', or random ones) summarised by the configured selector."""
    return system_timeline(task, config, [(day, 0.0) for day in days])


def pubcount_timeline(task: Task, config: SummaryConfig) -> Timeline:
    """news-tls' PubCount: the busiest publication days, each summarised by its articles' most central sentences."""
    chooser = summariser(task, config)
    if chooser is None:
        return {}
    collection = chooser.collection
    by_day: dict[dt.date, list[int]] = {}
    for number, sentence in enumerate(collection.sentences):
        if chooser.allowed[number]:
            by_day.setdefault(sentence.published, []).append(number)
    articles = Counter(
        day for day, _ in {(sentence.published, sentence.article_id) for sentence in collection.sentences}
    )
    ranked = sorted(articles, key=lambda day: (-articles[day], day))
    n_dates, n_sentences = task.size
    timeline: Timeline = {}
    for day in ranked:
        if len(timeline) >= n_dates:
            break
        pool = by_day.get(day, [])
        chosen = select_sentences(collection.vectors[pool], n_sentences, config.max_similarity) if pool else []
        if chosen:
            timeline[day] = [collection.sentences[pool[i]].text for i in chosen]
    return timeline


def usable_days(task: Task, config: SummaryConfig) -> list[dt.date]:
    """The span's days that have summary material under the configured selector."""
    chooser = summariser(task, config)
    if chooser is None:
        return []
    days = set(chooser.candidates.naming) | set(chooser.candidates.leads)
    return sorted(day for day in days if task.start <= day <= task.end and chooser.pool(day))


def random_days(task: Task, config: SummaryConfig, seed: int) -> list[dt.date]:
    days = usable_days(task, config)
    rng = np.random.default_rng([zlib.crc32(task.folder.encode()), seed])
    count = min(len(days), task.size[0])
    return sorted(days[i] for i in rng.choice(len(days), size=count, replace=False)) if count else []


def oracle_timeline(task: Task, config: SummaryConfig, days: Sequence[dt.date]) -> Timeline:
    """Each day summarised by its candidates that best match the journalists' summary of the nearest reference day."""
    chooser = summariser(task, config)
    if chooser is None:
        return {}
    reference_days = sorted(task.reference)
    _, n_sentences = task.size
    timeline: Timeline = {}
    for day in days:
        pool = chooser.pool(day)
        if not pool:
            continue
        nearest = min(reference_days, key=lambda ref: (abs((ref - day).days), ref))
        target = _unigrams(task.reference[nearest])
        texts = [chooser.collection.sentences[i].text for i in pool]
        chosen = _best_matching(texts, target, n_sentences)
        if chosen:
            timeline[day] = [texts[i] for i in chosen]
    return timeline


def _unigrams(sentences: Sequence[str]) -> Counter[str]:
    """Stemmed words without stop words and punctuation, as tilse's ROUGE counts them."""
    from pipeline.timeline.tls import _stemming_evaluator

    rouge = _stemming_evaluator().rouge
    ignore = rouge.stopwords | {".", ",", ";", ":", "``", "''", "-", '"'}
    return Counter(rouge.stem_function(word.lower()) for text in sentences for word in text.split()
                   if word.lower() not in ignore)


def _best_matching(texts: Sequence[str], target: Counter[str], k: int) -> list[int]:
    """Greedily add the sentence that most raises ROUGE-1 F1 against `target`, up to k, while it rises."""
    counts = [_unigrams([text]) for text in texts]
    target_size = sum(target.values())
    chosen: list[int] = []
    summary: Counter[str] = Counter()
    best_f1 = 0.0
    while len(chosen) < k:
        best, best_gain = None, best_f1
        for number, words in enumerate(counts):
            if number in chosen or not words:
                continue
            merged = summary + words
            hits = sum(min(count, target[word]) for word, count in merged.items())
            size = sum(merged.values())
            f1 = 2 * hits / (size + target_size) if hits else 0.0
            if f1 > best_gain:
                best, best_gain = number, f1
        if best is None:
            break
        chosen.append(best)
        summary += counts[best]
        best_f1 = best_gain
    return chosen


# --- tuning on the other topics ------------------------------------------------------------------------------


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    names = sorted(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(grid[name] for name in names))]


def with_selector(config: SummaryConfig, knobs: Mapping[str, Any]) -> SummaryConfig:
    return config.model_copy(update=dict(knobs))


def _points(current: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The configured values first (ties go to them), then every other point of the grid."""
    return [dict(current)] + [point for point in grid_points(grid) if point != dict(current)]


@dataclass
class Tuner:
    """Chooses, for each fold, the selector knobs and the ranker on the other topics' tasks.

    Scores that do not depend on the fold (a selector setting on a task's journalists' days, a
    `mention_counts` setting's Date-F1 on a task) are computed once and shared by every fold.
    """

    tasks: Sequence[Task]
    model_dir: Path
    selector_grid: Mapping[str, Sequence[Any]] = field(default_factory=lambda: dict(SELECTOR_GRID))
    ranker_grid: Mapping[str, Sequence[Any]] = field(default_factory=lambda: dict(MENTION_COUNTS_GRID))
    learnt_grid: Sequence[float] = field(default_factory=lambda: date_model.C_GRID)
    _memo: dict[Any, Any] = field(default_factory=dict)

    def _remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def choose_selector(self, config: SummaryConfig, training: Sequence[Task]) -> dict[str, Any]:
        """The selector knobs whose timelines of the journalists' own days have the best mean AR1-F."""
        points = _points({name: getattr(config, name) for name in self.selector_grid}, self.selector_grid)
        base = config.model_copy(update={"ranker": MentionCounts()})  # the selector's score ignores the ranker

        def ar1(point: dict[str, Any], task: Task) -> float:
            key = ("selector", repr(sorted(point.items())), repr(base), id(task))
            return self._remember(key, lambda: score_timeline(
                days_timeline(task, with_selector(base, point), sorted(task.reference)), task.reference
            ).rouge_1.f1)

        means = [float(np.mean([ar1(point, task) for task in training])) for point in points]
        return points[int(np.argmax(means))]

    def selector_table(self, config: SummaryConfig) -> list[dict[str, Any]]:
        """Every selector setting's mean AR1-F on the journalists' days over all tasks (what the folds chose from)."""
        points = _points({name: getattr(config, name) for name in self.selector_grid}, self.selector_grid)
        base = config.model_copy(update={"ranker": MentionCounts()})
        rows = []
        for point in points:
            scores = [self._memo.get(("selector", repr(sorted(point.items())), repr(base), id(task)))
                      for task in self.tasks]
            if all(score is not None for score in scores):
                rows.append({**point, "date_oracle_ar1": round(float(np.mean(scores)), 4)})
        return sorted(rows, key=lambda row: -row["date_oracle_ar1"])

    def ranker_table(self, config: SummaryConfig) -> list[dict[str, Any]]:
        """Every mention_counts setting's mean Date-F1 over all tasks (what the folds chose from)."""
        if not isinstance(config.ranker, MentionCounts):
            return []
        rows = []
        for point in _points({name: getattr(config.ranker, name) for name in self.ranker_grid}, self.ranker_grid):
            candidate = config.ranker.model_copy(update=point)
            scores = [self._memo.get(("mention_counts", repr(candidate), id(task))) for task in self.tasks]
            if all(score is not None for score in scores):
                rows.append({**point, "date_f1": round(float(np.mean(scores)), 4)})
        return sorted(rows, key=lambda row: -row["date_f1"])

    def signals(self, task: Task) -> DaySignals:
        """What `mention_counts` reads of the task's sentences, counted once for every setting tried."""
        return self._remember(("signals", id(task)), lambda: day_signals(task.sentences, task.start, task.end))

    def training_task(self, task: Task, config: SummaryConfig) -> date_model.TrainingTask:
        usable = self._remember(("usable", id(task)), lambda: frozenset(usable_days(task, config)))
        return date_model.TrainingTask(task.folder, task.group, task.features, frozenset(task.reference), usable)

    def choose_ranker(self, fold: str, training: Sequence[Task], config: SummaryConfig) -> tuple[Any, dict[str, Any]]:
        """The configured ranker refitted (`learnt`) or re-weighted (`mention_counts`) on the training tasks.

        Ranker knobs are judged by the Date-F1 of the ranked days that have summary material (the days a
        summary would keep), which no selector knob in `SELECTOR_GRID` changes."""
        ranker = config.ranker
        if isinstance(ranker, Learnt):
            train = [self.training_task(task, config) for task in training]
            c, means = date_model.choose_c(train, self.learnt_grid)
            model = date_model.fit_model(train, c, {"left_out": fold})
            path = self.model_dir / f"date_ranker-without-{fold}.json"
            date_model.save_model(model, path)
            return Learnt(model=path), {"C": c, "inner_date_f1": {str(k): round(v, 4) for k, v in means.items()}}
        if isinstance(ranker, MentionCounts):
            def date_f1(point: dict[str, Any], task: Task) -> float:
                candidate = ranker.model_copy(update=point)
                key = ("mention_counts", repr(candidate), id(task))
                return self._remember(key, lambda: self.training_task(task, config).date_f1(
                    candidate.rank_signals(self.signals(task), task.size[0])))

            points = _points({name: getattr(ranker, name) for name in self.ranker_grid}, self.ranker_grid)
            means = [float(np.mean([date_f1(point, task) for task in training])) for point in points]
            best = points[int(np.argmax(means))]
            return ranker.model_copy(update=best), dict(best)
        return ranker, {}


# --- the run --------------------------------------------------------------------------------------------------


def _scores(scores: TaskScores) -> dict[str, Any]:
    return {
        "date_f1": round(scores.dates.f1, 4),
        "ar1": round(scores.rouge_1.f1, 4),
        "ar2": round(scores.rouge_2.f1, 4),
        "detail": {key: {name: round(value, 4) for name, value in prf.items()}
                   for key, prf in scores.as_dict().items()},
    }


def evaluate(
    tasks: Sequence[Task],
    variants: Mapping[str, SummaryConfig],
    model_dir: Path,
    seeds: int = 5,
    floors_and_ceilings: bool = True,
    tuning: bool = True,
    progress: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Leave-one-topic-out scores of each variant (our configurations), and of the floors and ceilings.

    The first variant is "ours": floors and ceilings that use our selector or our days use its fold choices.
    """
    groups = sorted({task.group for task in tasks})
    if len(groups) < 2 and tuning:
        raise ValueError("leave-one-topic-out needs tasks of two or more topics (folders named <topic>_<outlet>)")
    tuner = Tuner(tasks, model_dir)
    per_task: dict[int, dict[str, TaskScores]] = {id(task): {} for task in tasks}
    timelines: dict[int, Timeline] = {}
    folds: dict[str, Any] = {}
    first = next(iter(variants))
    for group in groups:
        training = [task for task in tasks if task.group != group]
        held_out = [task for task in tasks if task.group == group]
        folds[group] = {"folders": sorted({task.folder for task in held_out}), "chosen": {}}
        for name, config in variants.items():
            if tuning:
                config = with_selector(config, tuner.choose_selector(config, training))
                ranker, ranker_choice = tuner.choose_ranker(group, training, config)
                config = config.model_copy(update={"ranker": ranker})
                folds[group]["chosen"][name] = {
                    **{knob: getattr(config, knob) for knob in tuner.selector_grid}, **ranker_choice,
                }
            for task in held_out:
                ranked = (config.ranker.rank(task.collection.sentences, task.start, task.end, n_dates=task.size[0])
                          if task.collection else [])
                predicted = system_timeline(task, config, ranked)
                per_task[id(task)][name] = score_timeline(predicted, task.reference)
                if name == first:
                    timelines[id(task)] = predicted
                    if floors_and_ceilings:
                        per_task[id(task)].update(_floors_and_ceilings(task, config, ranked, seeds))
        progress(f"left out {group}: " + ", ".join(
            f"{name} {average_scores([per_task[id(t)][name] for t in held_out]).dates.f1:.3f}/"
            f"{average_scores([per_task[id(t)][name] for t in held_out]).rouge_1.f1:.3f}"
            for name in per_task[id(held_out[0])]
        ) + " (Date-F1/AR1)")
    methods = list(per_task[id(tasks[0])])
    folders: dict[str, Any] = {}
    for task in tasks:
        entry = folders.setdefault(task.folder, {"topic": task.group, "tasks": 0, "scores": {}, "timelines": []})
        entry["tasks"] += 1
        entry.setdefault("reference_dates", []).append(task.size[0])
        entry.setdefault("sentences_per_date", []).append(task.size[1])
        entry.setdefault("articles_in_span", []).append(task.articles)
        entry["timelines"].append(timeline_to_json(timelines.get(id(task), {})))
    for folder, entry in folders.items():
        mine = [task for task in tasks if task.folder == folder]
        entry["scores"] = {m: _scores(average_scores([per_task[id(t)][m] for t in mine])) for m in methods}
    for group in groups:
        mine = [task for task in tasks if task.group == group]
        folds[group]["scores"] = {m: _scores(average_scores([per_task[id(t)][m] for t in mine])) for m in methods}
    overall = {m: _scores(average_scores([per_task[id(t)][m] for t in tasks])) for m in methods}
    fold_mean = {
        m: {metric: round(float(np.mean([folds[g]["scores"][m][metric] for g in groups])), 4)
            for metric in ("date_f1", "ar1", "ar2")}
        for m in methods
    }
    measurements = {}
    if tuning:
        measurements = {name: {"selector": tuner.selector_table(config), "mention_counts": tuner.ranker_table(config)}
                        for name, config in variants.items()}
    return {
        "methods": methods,
        "tuning_measurements": measurements,
        "folders": folders,
        "folds": folds,
        "overall": {"tasks": len(tasks), "scores": overall},
        "fold_mean": {"folds": len(groups), "scores": fold_mean},
    }


def _floors_and_ceilings(
    task: Task, config: SummaryConfig, ranked: Sequence[tuple[dt.date, float]], seeds: int
) -> dict[str, TaskScores]:
    reference = task.reference
    draws = [score_timeline(days_timeline(task, config, random_days(task, config, seed)), reference)
             for seed in range(seeds)]
    ours = sorted(system_timeline(task, config, ranked))
    return {
        "pubcount": score_timeline(pubcount_timeline(task, config), reference),
        "random": average_scores(draws),
        "date_oracle": score_timeline(days_timeline(task, config, sorted(reference)), reference),
        "text_oracle": score_timeline(oracle_timeline(task, config, ours), reference),
        "full_oracle": score_timeline(oracle_timeline(task, config, sorted(reference)), reference),
    }


# --- folders in, report out ------------------------------------------------------------------------------------


def read_tasks(folders: Sequence[Path], cache_dir: Path | None) -> tuple[list[Topic], list[Task]]:
    """Topic folders read and dated (dated sentences cached in `cache_dir`), one task per reference timeline."""
    from pipeline.timeline.tls import TopicError, read_topic, topic_sentences
    from pipeline.timex import tag

    topics = [read_topic(folder) for folder in folders]
    names = [topic.name for topic in topics]
    if len(set(names)) != len(names):
        raise TopicError(f"two folders share a name: {sorted(name for name in names if names.count(name) > 1)}")
    for topic in topics:
        if not topic.timelines:
            raise TopicError(f"{topic.name} has no timelines.clean.jsonl to evaluate against")
    sentences = {topic.name: topic_sentences(topic, tag, cache_dir) for topic in topics}
    return topics, build_tasks(topics, sentences)


def protocol(tuning: bool, seeds: int) -> str:
    """How the figures of `evaluate` were obtained, in words (recorded with them)."""
    if not tuning:
        chosen = ("components as configured, nothing refitted or tuned (a shipped model fitted on these topics "
                  "flatters them)")
    else:
        chosen = (
            "leave one topic out: for each topic (all its outlet folders together) every learnt weight and tuned "
            "knob is chosen on the other topics only, then the topic is scored; learnt date ranker refitted "
            f"(C from {list(date_model.C_GRID)} by an inner leave-one-topic-out on Date-F1); mention_counts "
            f"weights from {dict(MENTION_COUNTS_GRID)} by Date-F1; selector knobs from {dict(SELECTOR_GRID)} by "
            "AR1-F on the journalists' own days"
        )
    return (
        f"{chosen}. One task per journalists' timeline: as many dates as it has, its mean sentences per date "
        "rounded; articles outside its first and last date dropped; keyword filter when keywords.json exists. "
        "Date-F1 on exact days; AR1/AR2 = tilse 0.2.1 alignment ROUGE-1/2 F1 (many-to-one, date and content "
        "costs, Python ROUGE 'reimpl'). Floors: pubcount = days with most articles, each summarised by its "
        "articles' sentences nearest their TF-IDF centroid; random = days drawn among the span's days with "
        f"summary material, our selector (mean of {seeds} seeded draws). Ceilings: date_oracle = the journalists' "
        "days, our selector; text_oracle = our days, the candidates best matching (ROUGE-1) the journalists' "
        "summary of the nearest reference day; full_oracle = both. 'overall' averages P and R over all tasks "
        "then takes F1; 'fold_mean' is the mean over left-out topics."
    )


def run(
    folders: Sequence[Path],
    config: SummaryConfig,
    cache_dir: Path | None,
    seeds: int = 5,
    tuning: bool = True,
    variants: Mapping[str, SummaryConfig] | None = None,
    floors_and_ceilings: bool = True,
    progress: Callable[[str], None] = log.info,
) -> dict[str, Any]:
    """Read the folders and evaluate "ours" (`config`) and any other `variants` with the protocol above."""
    import contextlib
    import tempfile

    _, tasks = read_tasks(folders, cache_dir)
    configs = {"ours": config, **(variants or {})}
    with contextlib.ExitStack() as scratch:  # without a cache, the fold models live only as long as the run
        model_dir = (Path(cache_dir) / "models" if cache_dir is not None
                     else Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="tls-models-"))))
        report = evaluate(tasks, configs, model_dir, seeds, floors_and_ceilings, tuning, progress)
    return {
        "protocol": protocol(tuning, seeds),
        "leave_one_topic_out": tuning,
        "config": {name: variant.model_dump(mode="json") for name, variant in configs.items()},
        **report,
    }

"""Timeline summarisation on news-tls folders, and its evaluation with the published protocol.

A news-tls folder holds `articles.jsonl` (one `{"id", "time", "text"}` a line), optionally
`timelines.clean.jsonl` (ground truth, one `[["YYYY-MM-DDT00:00:00", [sentence, ...]], ...]` a line) and
`keywords.json` (topic keywords; only sentences containing one may enter a summary).

Evaluation follows Gholipour Ghalandari & Ifrim (2020): one task per ground-truth timeline, as many dates
as the reference (l) and its average sentences per date, rounded (k); articles published outside the
reference's first and last date are dropped; Date-F1 and alignment ROUGE-1/2 (tilse 0.2.1,
`align_date_content_costs_many_to_one`, Python ROUGE re-implementation with stemming and stopwords).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import inspect
import json
import logging
import os
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pipeline.config import SummaryConfig
from pipeline.io import atomic_path, write_json
from pipeline.timeline.sentences import (
    PTB_STEPS,
    assign_to_sentences,
    join_sentences,
    sentence_spans,
    tag_safely,
)
from pipeline.timeline.summarise import DatedSentence, TimelineEntry, dated_sentence, summarise

log = logging.getLogger(__name__)
T = TypeVar("T")

Timeline = dict[dt.date, list[str]]


class TopicError(ValueError):
    """Raised when a news-tls folder is missing files or holds malformed lines."""


@dataclass(frozen=True)
class Article:
    id: str
    published: dt.date
    text: str


@dataclass
class Topic:
    """A news-tls folder: its articles, journalists' timelines and keywords.

    `name` is the folder's name, `<topic>_<outlet>` in Timeline17 (`LibyaWar_cnn`); `digest` identifies the
    articles' file (for the sentence cache); `outlet` names the articles' outlet (the folder's name unless
    the topic pools several outlets, whose articles then carry their own).
    """

    name: str
    articles: list[Article]
    timelines: list[Timeline] = field(default_factory=list)
    keywords: tuple[str, ...] = ()
    digest: str = ""
    outlet: str = ""

    @property
    def group(self) -> str:
        """The story the folder covers, without its outlet: `LibyaWar` for `LibyaWar_cnn`."""
        return self.name.rsplit("_", 1)[0] if "_" in self.name else self.name


def parse_day(value: str) -> dt.date:
    """Accept "YYYY-MM-DD" with or without a time part ("2011-02-14T00:00:00", "2011-02-14 10:31:00")."""
    return dt.date.fromisoformat(value.strip()[:10])


def _read_jsonl(path: Path, parse: Callable[[Any], T], what: str) -> list[T]:
    """`parse` of each non-blank line's JSON, or a TopicError naming the file, the line and what it should be."""
    found = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                found.append(parse(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                raise TopicError(f"{path}:{number}: not {what} ({error})") from None
    return found


def read_articles(path: Path) -> list[Article]:
    return _read_jsonl(path, lambda record: Article(str(record["id"]), parse_day(record["time"]), str(record["text"])),
                       "an article with id, time and text")


def read_timelines(path: Path) -> list[Timeline]:
    return _read_jsonl(path, lambda pairs: {parse_day(day): list(sents) for day, sents in pairs},
                       "a [[date, [sentences]], ...] timeline")


def timeline_to_json(timeline: Timeline) -> list[list[Any]]:
    """The news-tls layout: [["YYYY-MM-DDT00:00:00", [sentences]], ...] in date order."""
    return [[f"{day.isoformat()}T00:00:00", list(timeline[day])] for day in sorted(timeline)]


def write_timeline(path: str | os.PathLike[str], timeline: Timeline) -> None:
    write_json(path, timeline_to_json(timeline))


def read_topic(folder: str | os.PathLike[str]) -> Topic:
    folder = Path(folder)
    articles_path = folder / "articles.jsonl"
    if not articles_path.is_file():
        raise TopicError(f"{folder} is not a news-tls topic folder: {articles_path.name} is missing")
    timelines_path = folder / "timelines.clean.jsonl"
    keywords_path = folder / "keywords.json"
    keywords: tuple[str, ...] = ()
    if keywords_path.is_file():
        keywords = tuple(str(word).lower() for word in json.loads(keywords_path.read_text(encoding="utf-8")))
    return Topic(
        name=folder.name,
        articles=read_articles(articles_path),
        timelines=read_timelines(timelines_path) if timelines_path.is_file() else [],
        keywords=keywords,
        digest=hashlib.sha256(articles_path.read_bytes()).hexdigest()[:16],
        outlet=folder.name,
    )


def detokenise_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """`detokenise_ptb(text)`, and for each of its characters the start and end of the original text it came from.

    Sentences are split and dated on the plain text, so a Penn-Treebank-tokenised article and its plain
    version give the same sentences; the offsets recover each sentence in the folder's own tokenisation.
    """
    starts, ends = list(range(len(text))), list(range(1, len(text) + 1))
    for pattern, replacement in PTB_STEPS:
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        for match in pattern.finditer(text):
            pieces.append(text[last : match.start()])
            new_starts += starts[last : match.start()]
            new_ends += ends[last : match.start()]
            replaced = replacement(match)
            pieces.append(replaced)
            new_starts += [starts[match.start()]] * len(replaced)
            new_ends += [ends[match.end() - 1]] * len(replaced)
            last = match.end()
        pieces.append(text[last:])
        text, starts, ends = "".join(pieces), new_starts + starts[last:], new_ends + ends[last:]
    left = len(text) - len(text.lstrip())
    right = len(text.rstrip())
    return text[left:right], starts[left:right], ends[left:right]


def article_sentences(article: Article, tag: Any, outlet: str = "") -> list[DatedSentence]:
    """Split an article (a line break always ends a sentence) and date its sentences.

    Splitting and tagging read the plain (de-tokenised) text, all in one tagger call, so tokenised and
    plain versions of an article give the same sentences and dates. Sentences keep the folder's own
    tokenisation, because summaries are scored token by token against references tokenised the same way.
    """
    plain, starts, ends = detokenise_with_offsets(article.text)
    spans = sentence_spans(plain)
    tagged_text, joined = join_sentences([plain[start:end] for start, end in spans])
    timexes = tag_safely(tag, tagged_text, article.published, f"article {article.id}")
    per_sentence = assign_to_sentences(timexes, joined)
    return [
        dated_sentence(
            " ".join(article.text[starts[start] : ends[end - 1]].split()),
            article.id,
            article.published,
            position,
            sentence_timexes,
            outlet,
        )
        for position, ((start, end), sentence_timexes) in enumerate(zip(spans, per_sentence, strict=True))
    ]


def topic_sentences(topic: Topic, tag: Any, cache_dir: Path | None = None) -> list[DatedSentence]:
    """Every sentence of a topic's articles, dated; read from `cache_dir` when it holds this topic's sentences.

    The cache file is named by the topic, a digest of its articles and a digest of the code that splits
    and dates sentences, so a changed article or tagger never serves stale sentences.
    """
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{topic.name}-{topic.digest}-{_sentence_code_digest()}.json.gz"
        if path.is_file():
            try:
                return _read_sentences(path)
            except (OSError, EOFError, ValueError, TypeError, IndexError) as error:  # truncated or corrupted
                log.warning("%s is unreadable (%s); dating the topic's sentences again", path, error)
    sentences: list[DatedSentence] = []
    for article in topic.articles:
        sentences.extend(article_sentences(article, tag, topic.outlet))
    if path is not None:
        _write_sentences(path, sentences)
    return sentences


@functools.cache
def _sentence_code_digest() -> str:
    """A digest of the tagger, the splitter and the functions that turn articles into dated sentences."""
    from pipeline import text, timex
    from pipeline.timeline import sentences, summarise

    digest = hashlib.sha256()
    for source in sorted(Path(timex.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for module in (text, sentences):
        digest.update(Path(module.__file__).read_bytes())  # type: ignore[arg-type]
    for function in (summarise.dated_sentence, summarise._kind, detokenise_with_offsets, article_sentences):
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()[:12]


def _write_sentences(path: Path, sentences: Sequence[DatedSentence]) -> None:
    rows = [
        [s.text, s.article_id, s.published.isoformat(), s.position, [day.isoformat() for day in s.mentioned],
         list(s.kinds), [[first.isoformat(), last.isoformat()] for first, last in s.periods], s.outlet]
        for s in sentences
    ]
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", encoding="utf-8") as handle:
        json.dump(rows, handle, ensure_ascii=False)


def _read_sentences(path: Path) -> list[DatedSentence]:
    day = dt.date.fromisoformat
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    return [
        DatedSentence(text, article_id, day(published), position, tuple(map(day, mentioned)), tuple(kinds),
                      tuple((day(first), day(last)) for first, last in periods), outlet)
        for text, article_id, published, position, mentioned, kinds, periods, outlet in rows
    ]


def entries_to_timeline(entries: Iterable[TimelineEntry]) -> Timeline:
    return {entry.day: [sentence.text for sentence in entry.sentences] for entry in entries}


def summary_length(reference: Timeline) -> tuple[int, int]:
    """(l, k): the reference's number of dates and its average sentences per date, rounded as news-tls does."""
    sizes = [len(sentences) for sentences in reference.values()]
    return len(sizes), round(sum(sizes) / len(sizes))


def within(sentences: Sequence[DatedSentence], first: dt.date, last: dt.date) -> list[DatedSentence]:
    return [sentence for sentence in sentences if first <= sentence.published <= last]


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class TaskScores:
    dates: PRF
    rouge_1: PRF
    rouge_2: PRF

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {"date": self.dates.as_dict(), "ar1": self.rouge_1.as_dict(), "ar2": self.rouge_2.as_dict()}


def date_scores(predicted: Timeline, reference: Timeline) -> PRF:
    if not predicted or not reference:
        return PRF(0.0, 0.0)
    shared = len(set(predicted) & set(reference))
    return PRF(shared / len(predicted), shared / len(reference))


def alignment_rouge(predicted: Timeline, reference: Timeline) -> tuple[PRF, PRF]:
    """Alignment-based ROUGE-1 and -2 (many-to-one, date and content costs) with tilse's Python ROUGE.

    tilse computes the alignment cost of every pair of predicted and reference dates by counting the words
    of both summaries again, and stems every word anew; here word counts and stems are kept between
    calls (`_ApproximateRouge`, `_stemming_evaluator`), which gives tilse's figures exactly, several times faster.
    """
    if not predicted or not reference:
        return PRF(0.0, 0.0), PRF(0.0, 0.0)
    from tilse.data.timelines import GroundTruth
    from tilse.data.timelines import Timeline as TilseTimeline
    from tilse.evaluation import util

    evaluator = _stemming_evaluator()
    original = util.compute_rouge_approximation
    util.compute_rouge_approximation = _ApproximateRouge()
    try:
        scores = evaluator.evaluate_align_date_content_costs_many_to_one(
            TilseTimeline(predicted), GroundTruth([TilseTimeline(reference)])
        )
    finally:
        util.compute_rouge_approximation = original
    return (
        PRF(scores["rouge_1"]["precision"], scores["rouge_1"]["recall"]),
        PRF(scores["rouge_2"]["precision"], scores["rouge_2"]["recall"]),
    )


@functools.cache
def _stemming_evaluator() -> Any:
    """One tilse evaluator (Python ROUGE) whose Porter stemmer remembers the words it has stemmed."""
    from tilse.evaluation.rouge import TimelineRougeEvaluator

    evaluator = TimelineRougeEvaluator(measures=["rouge_1", "rouge_2"], rouge_computation="reimpl")
    evaluator.rouge.stem_function = functools.lru_cache(maxsize=200_000)(evaluator.rouge.stem_function)
    return evaluator


class _ApproximateRouge:
    """tilse's `compute_rouge_approximation` (the alignment's content cost), with each summary's counts kept."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], Counter[str]] = {}

    def count(self, summary: Sequence[str]) -> Counter[str]:
        key = tuple(summary)
        if key not in self.counts:
            counts: Counter[str] = Counter()
            for sentence in summary:
                counts.update(word for word in sentence.split() if word not in string.punctuation)
            self.counts[key] = counts
        return self.counts[key]

    def __call__(self, pred_summary: Sequence[str], groundtruth: Sequence[Sequence[str]]) -> float:
        predicted = self.count(pred_summary)
        references = [self.count(summary) for summary in groundtruth]
        match = sum(min(count, reference[word]) for word, count in predicted.items() for reference in references)
        precision_denominator = len(references) * sum(predicted.values())
        recall_denominator = sum(sum(reference.values()) for reference in references)
        precision = match / precision_denominator if precision_denominator else 0
        recall = match / recall_denominator if recall_denominator else 0
        return 0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score_timeline(predicted: Timeline, reference: Timeline) -> TaskScores:
    rouge_1, rouge_2 = alignment_rouge(predicted, reference)
    return TaskScores(date_scores(predicted, reference), rouge_1, rouge_2)


def average_scores(tasks: Sequence[TaskScores]) -> TaskScores:
    """Average precision and recall over tasks first, then take F1 (the protocol of the paper)."""

    def mean(pick: Any) -> PRF:
        return PRF(
            sum(pick(task).precision for task in tasks) / len(tasks),
            sum(pick(task).recall for task in tasks) / len(tasks),
        )

    return TaskScores(mean(lambda t: t.dates), mean(lambda t: t.rouge_1), mean(lambda t: t.rouge_2))


def evaluate_topic(
    topic: Topic, sentences: Sequence[DatedSentence], config: SummaryConfig
) -> list[tuple[Timeline, TaskScores]]:
    """Run one task per ground-truth timeline of the topic and score it."""
    results = []
    for reference in topic.timelines:
        first, last = min(reference), max(reference)
        n_dates, n_sentences = summary_length(reference)
        entries = summarise(
            within(sentences, first, last),
            n_dates=n_dates,
            n_sentences=n_sentences,
            config=config,
            start=first,
            end=last,
            keywords=topic.keywords,
        )
        predicted = entries_to_timeline(entries)
        results.append((predicted, score_timeline(predicted, reference)))
    return results


def _tagger() -> Any:
    from pipeline.timex import tag

    return tag


def summarise_folder(
    folder: Path, n_dates: int, n_sentences: int, config: SummaryConfig, keywords: Sequence[str] | None = None
) -> list[Any]:
    """A news-tls timeline for one topic folder; `keywords` replaces the folder's `keywords.json` when given."""
    if n_dates < 1 or n_sentences < 1:
        raise ValueError("the number of dates and of sentences per date must be at least 1")
    topic = read_topic(folder)
    if keywords is not None:
        topic.keywords = tuple(word.strip().lower() for word in keywords if word.strip())
    entries = summarise(
        topic_sentences(topic, _tagger()),
        n_dates=n_dates,
        n_sentences=n_sentences,
        config=config,
        keywords=topic.keywords,
    )
    return entries_to_timeline(entries)

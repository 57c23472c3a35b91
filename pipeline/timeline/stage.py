"""The `timeline` stage: dated sentences → event records → events merged across outlets → summary timeline.

Reads the ingest stage's articles; writes under `data/processed/timeline/`: `timexes.parquet` (every temporal
expression), `events.parquet` (one event mention per dated sentence, capped per article), `timeline.parquet`
(merged events with provenance), `timeline.json` (the summary timeline, each sentence traceable to its
article and merged event), and `metrics/timeline.json`. The tagger runs over every article; spaCy only over
the sentences that become event mentions, which is what keeps the stage within minutes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.config import CorpusConfig, MergeConfig, TimelineConfig
from pipeline.corpus import OTHER_GROUP, group_of, outlet_countries, select_articles
from pipeline.io import write_json, write_parquet
from pipeline.timeline.events import DateMention, EventParts, load_spacy, parse_events
from pipeline.timeline.merge import Provenance, cluster_mentions, describe_events, sentence_vectors
from pipeline.timeline.sentences import DatedText, content_words, date_text, mentioned_days, strip_dateline
from pipeline.timeline.summarise import DatedSentence, TimelineEntry, dated_sentence, summarise

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = ["id", "url", "outlet", "source_country", "title", "body", "date"]


def load_articles(path: Path, canonical_only: bool) -> pd.DataFrame:
    """The ingest stage's articles that later stages use (canonical ones when asked), ordered by id."""
    if not path.is_file():
        raise FileNotFoundError(f"articles not found: {path} (run the ingest stage first)")
    frame = select_articles(pd.read_parquet(path), canonical_only, required=ARTICLE_COLUMNS)[ARTICLE_COLUMNS].copy()
    frame["body"] = frame["body"].fillna("")
    frame["date"] = [_as_date(value) for value in frame["date"]]
    return frame


def _as_date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _date_article(job: tuple[str, str, dt.date | None]) -> DatedText:
    from pipeline.timex import tag

    article_id, body, dct = job
    return date_text(tag, body, dct, f"article {article_id}")


def date_articles(articles: pd.DataFrame, n_jobs: int) -> list[DatedText]:
    """Sentence spans and timexes of every article, in article order, tagged in `n_jobs` processes."""
    jobs = list(zip(articles["id"], articles["body"], articles["date"], strict=True))
    progress = {"desc": "tagging", "unit": "article", "total": len(jobs), "leave": False}
    if n_jobs == 1 or len(jobs) < 200:
        return [_date_article(job) for job in tqdm(jobs, **progress)]
    with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
        return list(tqdm(pool.imap(_date_article, jobs, chunksize=64), **progress))


def timex_frame(articles: pd.DataFrame, dated: Sequence[DatedText]) -> pd.DataFrame:
    rows = []
    for article_id, text in zip(articles["id"], dated, strict=True):
        for index, timexes in enumerate(text.timexes):
            for timex in timexes:
                bounds = timex.date_range()
                rows.append(
                    (article_id, index, timex.start, timex.end, timex.text, timex.type, timex.value,
                     timex.granularity, timex.mod, timex.anchored,
                     bounds[0] if bounds else None, bounds[1] if bounds else None)
                )
    columns = ["article_id", "sentence_index", "start", "end", "text", "type", "value", "granularity", "mod",
               "anchored", "first_day", "last_day"]
    return pd.DataFrame.from_records(rows, columns=columns)


@dataclass(frozen=True)
class Candidate:
    """A sentence that becomes an event mention, with its dates relative to the sentence."""

    article: int
    sentence_index: int
    text: str
    dates: tuple[DateMention, ...]


def event_candidates(
    articles: pd.DataFrame,
    dated: Sequence[DatedText],
    granularities: Sequence[str],
    per_article: int,
    min_content_words: int = 0,
) -> list[Candidate]:
    """Sentences with a DATE/TIME of an allowed granularity that resolves to days; an article's first few.

    A sentence that says little besides its date and dateline ("TASS, February 24.") reports no event."""
    allowed = set(granularities)
    found = []
    for number, (body, text) in enumerate(zip(articles["body"], dated, strict=True)):
        taken = 0
        for index, ((start, end), timexes) in enumerate(zip(text.spans, text.timexes, strict=True)):
            if taken >= per_article:
                break
            dates = []
            for timex in timexes:
                bounds = timex.date_range() if timex.type in ("DATE", "TIME") else None
                if bounds is not None and timex.granularity in allowed:
                    dates.append(
                        DateMention(timex.start - start, min(timex.end, end) - start, timex.text, timex.value,
                                    timex.granularity, bounds[0], bounds[1])
                    )
            if dates and content_words(strip_dateline(body[start:end])) >= min_content_words:
                found.append(Candidate(number, index, body[start:end], tuple(dates)))
                taken += 1
    return found


def event_frame(
    articles: pd.DataFrame, candidates: Sequence[Candidate], parts: Sequence[EventParts], groups: Mapping[str, str]
) -> pd.DataFrame:
    records = []
    for candidate, part in zip(candidates, parts, strict=True):
        article = articles.iloc[candidate.article]
        published = article["date"]
        date = part.date
        relation = None
        if published is not None:
            relation = "before" if date.last_day < published else "after" if date.first_day > published else "same"
        records.append(
            {
                "mention_id": f"{article['id']}:{candidate.sentence_index}",
                "article_id": article["id"],
                "outlet": article["outlet"],
                "source_country": article["source_country"],
                "outlet_group": groups.get(article["outlet"], OTHER_GROUP),
                "published": published,
                "sentence_index": candidate.sentence_index,
                "sentence": " ".join(candidate.text.split()),
                "timex_text": date.text,
                "date_value": date.value,
                "granularity": date.granularity,
                "date_first": date.first_day,
                "date_last": date.last_day,
                "relation": relation,
                "date_values": [mention.value for mention in candidate.dates],
                "trigger": part.trigger,
                "trigger_tag": part.trigger_tag,
                "actors": list(part.actors),
                "targets": list(part.targets),
                "locations": list(part.locations),
                "entities": list(part.entities),
            }
        )
    return pd.DataFrame.from_records(records, columns=EVENT_MENTION_COLUMNS)


EVENT_MENTION_COLUMNS = [
    "mention_id", "article_id", "outlet", "source_country", "outlet_group", "published", "sentence_index",
    "sentence", "timex_text", "date_value", "granularity", "date_first", "date_last", "relation", "date_values",
    "trigger", "trigger_tag", "actors", "targets", "locations", "entities",
]


def extract_events(candidates: Sequence[Candidate], config: TimelineConfig) -> list[EventParts]:
    """Parse each distinct (sentence, dates) pair once: wire copies repeat sentences across outlets."""
    unique: dict[tuple[str, tuple[DateMention, ...]], int] = {}
    for candidate in candidates:
        unique.setdefault((candidate.text, candidate.dates), len(unique))
    nlp = load_spacy(config.spacy_model)
    n_process = config.n_jobs if len(unique) >= 2000 else 1
    parsed = parse_events(nlp, iter(unique), batch_size=config.spacy_batch_size, n_process=n_process)
    parts = list(tqdm(parsed, desc="parsing", unit="sentence", total=len(unique), leave=False))
    return [parts[unique[candidate.text, candidate.dates]] for candidate in candidates]


def provenance(articles: pd.DataFrame, corpus: CorpusConfig) -> Provenance:
    """Outlet groups and countries by the corpus contract, and the days each outlet published."""
    dated = articles.dropna(subset=["date"])
    active = {str(outlet): frozenset(days) for outlet, days in dated.groupby("outlet")["date"]}
    return Provenance(group_of(corpus.outlet_groups), outlet_countries(articles, corpus), active)


def merge_events(mentions: pd.DataFrame, origin: Provenance, config: MergeConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Label each mention with its merged event and describe the events; mentions come back with event_id."""
    order = mentions.assign(_published=mentions["published"].fillna(dt.date.max)).sort_values(
        ["date_first", "_published", "article_id", "sentence_index"], kind="stable"
    )
    ordered = order.drop(columns="_published").reset_index(drop=True)
    if ordered.empty:
        return ordered.assign(event_id=pd.Series(dtype=object)), describe_events(
            ordered, np.array([], dtype=np.int64), sentence_vectors([""], 1), origin, config
        )
    vectors = sentence_vectors([strip_dateline(sentence) for sentence in ordered["sentence"]], config.min_df)
    labels = cluster_mentions(ordered, vectors, config)
    events = describe_events(ordered, labels, vectors, origin, config)
    event_of = {mention: event for event, ids in zip(events["event_id"], events["mention_ids"], strict=True)
                for mention in ids}
    ordered["event_id"] = ordered["mention_id"].map(event_of)
    return ordered, events


def summary_sentences(articles: pd.DataFrame, dated: Sequence[DatedText], lead_sentences: int) -> list[DatedSentence]:
    """What the summariser may read: sentences that name a day, and undated article leads."""
    sentences = []
    for article_id, body, published, outlet, text in zip(articles["id"], articles["body"], articles["date"],
                                                           articles["outlet"], dated, strict=True):
        if published is None:
            continue
        for index, ((start, end), timexes) in enumerate(zip(text.spans, text.timexes, strict=True)):
            if mentioned_days(timexes) or index < lead_sentences:
                sentences.append(dated_sentence(" ".join(body[start:end].split()), article_id, published, index,
                                                timexes, outlet))
    return sentences


def summary_json(
    entries: Sequence[TimelineEntry], articles: pd.DataFrame, event_of: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The summary timeline, each sentence with its article (id, outlet, url, day) and merged event, if any."""
    by_id = articles.set_index("id")
    timeline = []
    for entry in entries:
        sentences = []
        for sentence in entry.sentences:
            article = by_id.loc[sentence.article_id]
            sentences.append(
                {"text": sentence.text, "article_id": sentence.article_id, "outlet": article["outlet"],
                 "url": article["url"], "published": sentence.published.isoformat(),
                 "event_id": event_of.get(f"{sentence.article_id}:{sentence.position}")}
            )
        timeline.append({"date": f"{entry.day.isoformat()}T00:00:00", "score": round(entry.score, 3),
                         "sentences": sentences})
    return timeline


@contextlib.contextmanager
def timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    """Record a step's wall-clock seconds (for the metrics) and log its start and end."""
    start = time.perf_counter()
    log.info("%s ...", name)
    yield
    seconds[name] = round(time.perf_counter() - start, 2)
    log.info("%s: %.1f s", name, seconds[name])


@dataclass(frozen=True)
class StageResult:
    timexes: pd.DataFrame
    events: pd.DataFrame
    timeline: pd.DataFrame
    summary: list[dict[str, Any]]
    metrics: dict[str, Any]


def run_stage(articles: pd.DataFrame, config: TimelineConfig, corpus: CorpusConfig) -> StageResult:
    """The whole stage on loaded articles (see `load_articles`), without touching the disk."""
    seconds: dict[str, float] = {}
    with timed(seconds, "tagging"):
        dated = date_articles(articles, config.n_jobs)
        timexes = timex_frame(articles, dated)
    with timed(seconds, "event parsing"):
        candidates = event_candidates(
            articles, dated, config.event_granularities, config.max_events_per_article, config.event_min_content_words
        )
        parts = extract_events(candidates, config) if candidates else []
        mentions = event_frame(articles, candidates, parts, group_of(corpus.outlet_groups))
    with timed(seconds, "merging"):
        mentions, events = merge_events(mentions, provenance(articles, corpus), config.merge)
    with timed(seconds, "summary timeline"):
        entries = summarise(
            summary_sentences(articles, dated, config.summary.lead_sentences),
            n_dates=config.summary_dates,
            n_sentences=config.summary_sentences,
            config=config.summary,
        )
        summary = summary_json(entries, articles, dict(zip(mentions["mention_id"], mentions["event_id"], strict=True)))
    metrics = stage_metrics(articles, dated, timexes, mentions, events, summary, seconds)
    return StageResult(timexes, mentions, events, summary, metrics)


def stage_metrics(
    articles: pd.DataFrame,
    dated: Sequence[DatedText],
    timexes: pd.DataFrame,
    mentions: pd.DataFrame,
    events: pd.DataFrame,
    summary: Sequence[Mapping[str, Any]],
    seconds: Mapping[str, float],
) -> dict[str, Any]:
    characters = int(articles["body"].str.len().sum())
    articles_with_event = int(mentions["article_id"].nunique())
    outlets = events["n_outlets"] if len(events) else pd.Series(dtype=int)
    return {
        "articles": len(articles),
        "characters": characters,
        "sentences": sum(len(text.spans) for text in dated),
        "sentences_with_date_or_time": _dated_sentences(timexes),
        "timexes": len(timexes),
        "timexes_by_type": _counts(timexes["type"]),
        "timexes_by_granularity": _counts(timexes["granularity"]),
        "event_mentions": len(mentions),
        "event_mentions_by_granularity": _counts(mentions["granularity"]),
        "articles_with_dated_event": articles_with_event,
        "share_articles_with_dated_event": round(articles_with_event / len(articles), 4) if len(articles) else 0.0,
        "merged_events": len(events),
        "merged_events_by_precision": _counts(events["precision"]),
        "events_reported_by_2plus_outlets": int((outlets >= 2).sum()),
        "events_reported_by_3plus_outlets": int((outlets >= 3).sum()),
        "largest_event_outlets": int(outlets.max()) if len(outlets) else 0,
        "summary_dates": len(summary),
        "summary_sentences": sum(len(entry["sentences"]) for entry in summary),
        "seconds": dict(seconds),
        "tagger_chars_per_second": _rate(characters, seconds.get("tagging")),
        "parser_sentences_per_second": _rate(len(mentions), seconds.get("event parsing")),
    }


def _dated_sentences(timexes: pd.DataFrame) -> int:
    dated = timexes[timexes["type"].isin(["DATE", "TIME"])]
    return int(dated.groupby(["article_id", "sentence_index"]).ngroups)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(key): int(count) for key, count in values.value_counts().sort_index().items()}


def _rate(amount: int, seconds: float | None) -> float | None:
    return round(amount / seconds, 1) if seconds else None


def write_outputs(result: StageResult, out_dir: Path, metrics_path: Path) -> None:
    write_parquet(out_dir / "timexes.parquet", result.timexes)
    write_parquet(out_dir / "events.parquet", result.events)
    write_parquet(out_dir / "timeline.parquet", result.timeline)
    write_json(out_dir / "timeline.json", result.summary)
    write_json(metrics_path, result.metrics)

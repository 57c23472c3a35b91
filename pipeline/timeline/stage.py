"""The `timeline` stage: dated sentences → event records → events merged across outlets → summary timeline.

Reads the ingest stage's articles; writes under `data/processed/timeline/`: `timexes.parquet` (every temporal
expression), `events.parquet` (one event mention per dated sentence, capped per article), `timeline.parquet`
(merged events with provenance), `timeline.json` (the summary timeline, each sentence traceable to its
article and merged event), and `metrics/timeline.json`. The tagger runs over every article; spaCy only over
the sentences that become event mentions, which is what keeps the stage within minutes.

This module runs the steps in order, times them and counts what they produced; the steps themselves are
`tagging` (sentences and timexes), `mentions` (event mentions), `merge` (events across outlets) and
`summary_timeline` (what `summarise` reads, and `timeline.json`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import CorpusConfig, TimelineConfig
from pipeline.corpus import select_articles
from pipeline.engine import Engine
from pipeline.io import write_json, write_parquet
from pipeline.timeline.mentions import event_candidates, event_frame, extract_events, parse_cache
from pipeline.timeline.merge import merge_events, provenance
from pipeline.timeline.pool import ProcessPool
from pipeline.timeline.sentences import DatedText
from pipeline.timeline.summarise import summarise
from pipeline.timeline.summary_timeline import summary_json, summary_sentences
from pipeline.timeline.tagging import date_articles, tag_cache, timex_frame

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = ["id", "url", "outlet", "source_country", "title", "body", "date"]


def load_articles(path: Path, canonical_only: bool) -> pd.DataFrame:
    """The ingest stage's articles that later stages use (canonical ones when asked), ordered by id; an article
    without an outlet gets the outlet `(unknown)`, as in the topic tables."""
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


def run_stage(
    articles: pd.DataFrame, config: TimelineConfig, corpus: CorpusConfig, engine: Engine | None = None
) -> StageResult:
    """The whole stage on loaded articles (see `load_articles`), without touching the disk; tagging and event
    parsing run partition by partition on `engine` (default: in this process), on `config.processes` worker
    processes when the engine is local."""
    seconds: dict[str, float] = {}
    engine = engine or Engine()
    with contextlib.ExitStack() as stack:
        if engine.config.name == "local" and config.processes > 1:  # the costly steps on several cores
            engine = stack.enter_context(ProcessPool(config.processes, engine.config))
        with timed(seconds, "tagging"):
            dated = date_articles(articles, engine, tag_cache(config.cache_dir))
            timexes = timex_frame(articles, dated)
        with timed(seconds, "event parsing"):
            candidates = event_candidates(
                articles, dated, config.event_granularities, config.max_events_per_article,
                config.event_min_content_words,
            )
            parts = extract_events(candidates, config, engine, parse_cache(config.cache_dir, config.spacy_model)) \
                if candidates else []
        origin = provenance(articles, corpus)  # each outlet's group and country by the corpus contract
        mentions = event_frame(articles, candidates, parts, origin.outlet_groups, origin.outlet_countries)
    with timed(seconds, "merging"):
        mentions, events = merge_events(mentions, origin, config.merge)
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

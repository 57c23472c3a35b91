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
import math
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.config import CorpusConfig, TimelineConfig
from pipeline.corpus import select_articles
from pipeline.engine import Engine
from pipeline.io import atomic_path, write_json, write_parquet
from pipeline.timeline.mentions import event_candidates, event_frame, extract_events, parse_cache
from pipeline.timeline.merge import Provenance, merge_events, provenance
from pipeline.timeline.pool import ProcessPool
from pipeline.timeline.sentences import DatedText
from pipeline.timeline.summarise import DatedSentence, summarise
from pipeline.timeline.summary_timeline import summary_json, summary_sentences
from pipeline.timeline.tagging import date_articles, tag_cache, timex_frame

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = ["id", "url", "outlet", "source_country", "title", "body", "date"]


def load_articles(path: Path, canonical_only: bool) -> pd.DataFrame:
    """The ingest stage's articles that later stages use (canonical ones when asked), ordered by id; an article
    without an outlet gets the outlet `(unknown)`, as in the topic tables."""
    if not path.is_file():
        raise FileNotFoundError(f"articles not found: {path} (run the ingest stage first)")
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)  # only the columns used: not every paragraph, heading and caption
    columns = [name for name in (*ARTICLE_COLUMNS, "is_canonical") if name in present]
    frame = select_articles(pd.read_parquet(path, columns=columns), canonical_only, required=ARTICLE_COLUMNS)
    frame = frame[ARTICLE_COLUMNS].copy()
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
def timed(seconds: dict[str, float], name: str, quiet: bool = False) -> Iterator[None]:
    """Add a block's wall-clock seconds to a step's (for the metrics; a step may run chunk by chunk) and log its
    start and end unless `quiet`."""
    start = time.perf_counter()
    if not quiet:
        log.info("%s ...", name)
    yield
    seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - start, 2)
    if not quiet:
        log.info("%s: %.1f s", name, time.perf_counter() - start)


CHUNK_ARTICLES = 2048  # articles tagged and read at a time: their bodies, sentences and timexes are not kept
TIMEX_SCHEMA = pa.schema([
    ("article_id", pa.large_string()), ("sentence_index", pa.int64()), ("start", pa.int64()), ("end", pa.int64()),
    ("text", pa.large_string()), ("type", pa.large_string()), ("value", pa.large_string()),
    ("granularity", pa.large_string()), ("mod", pa.large_string()), ("anchored", pa.bool_()),
    ("first_day", pa.date32()), ("last_day", pa.date32()),
])


class ArticleChunks:
    """The stage's articles: every column but the body held whole (`meta`), the bodies read `CHUNK_ARTICLES`
    articles at a time (`chunks`, each a frame of `ARTICLE_COLUMNS` in `meta`'s order)."""

    def __init__(self, meta: pd.DataFrame, chunks: Callable[[], Iterator[pd.DataFrame]]) -> None:
        self.meta, self._chunks = meta, chunks

    def chunks(self) -> Iterator[pd.DataFrame]:
        return self._chunks()

    @classmethod
    def of_frame(cls, articles: pd.DataFrame) -> ArticleChunks:
        """Articles already loaded (`load_articles`), cut into chunks."""
        meta = articles.drop(columns="body")

        def chunks() -> Iterator[pd.DataFrame]:
            for start in range(0, len(articles), CHUNK_ARTICLES):
                yield articles.iloc[start : start + CHUNK_ARTICLES].reset_index(drop=True)

        return cls(meta, chunks)

    @classmethod
    def of_file(cls, path: Path, canonical_only: bool) -> ArticleChunks:
        """The ingest stage's table read as `load_articles` reads it, the bodies chunk by chunk from the file.
        A table whose kept rows are not in id order (ingest writes them so) is read whole instead."""
        import pyarrow.parquet as pq

        present = set(pq.read_schema(path).names)
        missing = sorted(set(ARTICLE_COLUMNS) - present)
        if missing:
            raise ValueError(f"articles table lacks column(s) {', '.join(missing)}")
        canonical = ["is_canonical"] if "is_canonical" in present else []
        columns = [name for name in ARTICLE_COLUMNS if name != "body"]
        raw = pd.read_parquet(path, columns=[*columns, *canonical])
        if not raw["id"].is_monotonic_increasing:
            return cls.of_frame(load_articles(path, canonical_only))
        meta = _prepared(select_articles(raw, canonical_only, required=columns)[columns].copy())
        keep = raw["is_canonical"].fillna(True).astype(bool).to_numpy() if canonical and canonical_only else None
        del raw

        def chunks() -> Iterator[pd.DataFrame]:
            table, row, done, held = pq.ParquetFile(path), 0, 0, []
            for batch in table.iter_batches(batch_size=CHUNK_ARTICLES, columns=["body"]):
                bodies = batch.column("body").to_pylist()
                if keep is not None:
                    bodies = [body for body, kept in zip(bodies, keep[row : row + len(bodies)], strict=True) if kept]
                row += batch.num_rows
                held.extend(bodies)
                while len(held) >= CHUNK_ARTICLES:
                    yield _with_bodies(meta, done, held[:CHUNK_ARTICLES])
                    done, held = done + CHUNK_ARTICLES, held[CHUNK_ARTICLES:]
            if held:
                yield _with_bodies(meta, done, held)

        return cls(meta, chunks)


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    frame["date"] = [_as_date(value) for value in frame["date"]]
    return frame


def _with_bodies(meta: pd.DataFrame, start: int, bodies: list[str | None]) -> pd.DataFrame:
    chunk = meta.iloc[start : start + len(bodies)].reset_index(drop=True)
    return chunk.assign(body=[body or "" for body in bodies])[ARTICLE_COLUMNS]


class StageResult:
    """The stage's outputs; the timexes (about ten per article) wait in a file until `write_outputs` copies it,
    and `timexes` reads them back when asked."""

    def __init__(self, timex_file: Any, events: pd.DataFrame, timeline: pd.DataFrame, summary: list[dict[str, Any]],
                 metrics: dict[str, Any]) -> None:
        self._timex_file = timex_file  # a NamedTemporaryFile: removed with this result
        self.events, self.timeline, self.summary, self.metrics = events, timeline, summary, metrics

    @property
    def timex_path(self) -> Path:
        return Path(self._timex_file.name)

    @property
    def timexes(self) -> pd.DataFrame:
        return pd.read_parquet(self.timex_path)


def run_stage(
    articles: pd.DataFrame | ArticleChunks, config: TimelineConfig, corpus: CorpusConfig, engine: Engine | None = None
) -> StageResult:
    """The whole stage on the articles (loaded by `load_articles`, or `ArticleChunks.of_file`); tagging and event
    parsing run partition by partition on `engine` (default: in this process), on `config.processes` worker
    processes when the engine is local. Articles are tagged, and their event sentences parsed, a chunk at a time;
    of each chunk only what the corpus-level steps read is kept (event mentions, the sentences the summary may
    use, counts), and its timexes go to a file."""
    import tempfile

    import pyarrow.parquet as pq

    source = articles if isinstance(articles, ArticleChunks) else ArticleChunks.of_frame(articles)
    meta = source.meta
    origin = provenance(meta, corpus)  # each outlet's group and country by the corpus contract
    seconds: dict[str, float] = {"tagging": 0.0, "event parsing": 0.0}  # present for an empty corpus too
    counts: dict[str, Any] = {"characters": 0, "sentences": 0, "timexes": 0, "dated_sentences": 0,
                              "types": Counter(), "granularities": Counter()}
    mention_frames: list[pd.DataFrame] = []
    sentences: list[DatedSentence] = []
    timex_file = tempfile.NamedTemporaryFile(prefix="newsline-timexes-", suffix=".parquet")  # noqa: SIM115 (lives with the result)
    engine = engine or Engine()
    with contextlib.ExitStack() as stack:
        if engine.config.name == "local" and config.processes > 1:  # the costly steps on several cores
            engine = stack.enter_context(ProcessPool(config.processes, engine.config))
        writer = stack.enter_context(pq.ParquetWriter(timex_file.name, TIMEX_SCHEMA, compression="zstd"))
        tags, parses = tag_cache(config.cache_dir), parse_cache(config.cache_dir, config.spacy_model)
        log.info("tagging and event parsing, %d articles at a time ...", CHUNK_ARTICLES)
        for chunk in source.chunks():
            with timed(seconds, "tagging", quiet=True):
                dated = date_articles(chunk, engine, tags)
                timexes = timex_frame(chunk, dated)
                writer.write_table(pa.Table.from_pandas(timexes, schema=TIMEX_SCHEMA, preserve_index=False)
                                   .replace_schema_metadata(None))
                _count(counts, chunk, dated, timexes)
                sentences.extend(summary_sentences(chunk, dated, config.summary.lead_sentences))
            with timed(seconds, "event parsing", quiet=True):  # a chunk's candidates now, never all at once
                found = event_candidates(chunk, dated, config.event_granularities, config.max_events_per_article,
                                         config.event_min_content_words)
                parts = extract_events(found, config, engine, parses) if found else []
                mention_frames.append(event_frame(chunk, found, parts, origin.outlet_groups, origin.outlet_countries))
        log.info("tagging: %.1f s, event parsing: %.1f s", seconds["tagging"], seconds["event parsing"])
    mentions = _concatenated(mention_frames, meta, origin)
    del mention_frames
    with timed(seconds, "summary timeline"):  # before merging, so the two never hold their state at once
        entries = summarise(sentences, config.summary_dates, config.summary_sentences, config.summary)
        del sentences
    with timed(seconds, "merging"):
        mentions, events = merge_events(mentions, origin, config.merge)
    summary = summary_json(entries, meta, dict(zip(mentions["mention_id"], mentions["event_id"], strict=True)))
    metrics = stage_metrics(meta, counts, mentions, events, summary, seconds)
    return StageResult(timex_file, mentions, events, summary, metrics)


def _concatenated(frames: list[pd.DataFrame], meta: pd.DataFrame, origin: Provenance) -> pd.DataFrame:
    """The chunks' event mentions as one frame (an empty one with the columns when no chunk had any)."""
    found = [frame for frame in frames if len(frame)]
    if not found:
        return event_frame(meta, [], [], origin.outlet_groups, origin.outlet_countries)
    return pd.concat(found, ignore_index=True)


def _count(counts: dict[str, Any], chunk: pd.DataFrame, dated: Sequence[DatedText], timexes: pd.DataFrame) -> None:
    """Add a chunk's characters, sentences and timexes to the stage's counts."""
    counts["characters"] += int(chunk["body"].str.len().sum())
    counts["sentences"] += sum(len(text.spans) for text in dated)
    counts["timexes"] += len(timexes)
    counts["dated_sentences"] += _dated_sentences(timexes)
    counts["types"].update(timexes["type"].tolist())
    counts["granularities"].update(timexes["granularity"].tolist())


def stage_metrics(
    articles: pd.DataFrame,
    counts: Mapping[str, Any],
    mentions: pd.DataFrame,
    events: pd.DataFrame,
    summary: Sequence[Mapping[str, Any]],
    seconds: Mapping[str, float],
) -> dict[str, Any]:
    characters = counts["characters"]
    articles_with_event = int(mentions["article_id"].nunique())
    outlets = events["n_outlets"] if len(events) else pd.Series(dtype=int)
    return {
        "articles": len(articles),
        "characters": characters,
        "sentences": counts["sentences"],
        "sentences_with_date_or_time": counts["dated_sentences"],
        "timexes": counts["timexes"],
        "timexes_by_type": _sorted_counts(counts["types"]),
        "timexes_by_granularity": _sorted_counts(counts["granularities"]),
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


def _sorted_counts(counts: Counter[Any]) -> dict[str, int]:
    """As `_counts` gives them for the same values (None, a missing value, is not counted)."""
    return {str(key): int(count) for key, count in sorted(counts.items(), key=lambda item: str(item[0]))
            if key is not None and not (isinstance(key, float) and math.isnan(key))}


def _dated_sentences(timexes: pd.DataFrame) -> int:
    dated = timexes[timexes["type"].isin(["DATE", "TIME"])]
    return int(dated.groupby(["article_id", "sentence_index"]).ngroups)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(key): int(count) for key, count in values.value_counts().sort_index().items()}


def _rate(amount: int, seconds: float | None) -> float | None:
    return round(amount / seconds, 1) if seconds else None


def write_outputs(result: StageResult, out_dir: Path, metrics_path: Path) -> None:
    with atomic_path(out_dir / "timexes.parquet") as tmp:
        shutil.copyfile(result.timex_path, tmp)
    write_parquet(out_dir / "events.parquet", result.events)
    write_parquet(out_dir / "timeline.parquet", result.timeline)
    write_json(out_dir / "timeline.json", result.summary)
    write_json(metrics_path, result.metrics)

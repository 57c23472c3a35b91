"""The ingest stage: read every source, keep clean dated English articles, quarantine the rest with a reason.

Outputs (written atomically):
- `articles.parquet`: one row per kept article (schema: `ARTICLE_SCHEMA`, documented in the README);
- `quarantine.parquet`: one row per rejected record, with its source, locator, reason and detail;
- `metrics/ingest.json`: counts that reconcile, per source and per reason: read = kept + quarantined.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline import io
from pipeline.config import IngestConfig
from pipeline.corpus import ARTICLE_SCHEMA, DEDUP_COLUMNS
from pipeline.engine import Engine, partitions
from pipeline.ingest.cache import IngestCache, record_key
from pipeline.ingest.dating import infer_missing_dates, parse_metadata_date
from pipeline.ingest.dedup import duplicate_columns, exact_key, minhash_signature
from pipeline.ingest.guards import implausible_date
from pipeline.ingest.language import detect_language
from pipeline.ingest.parse import parse_article
from pipeline.ingest.readers import RawRecord, read_source
from pipeline.sources import content_hash

log = logging.getLogger(__name__)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("locator", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("encoding", pa.string()),
        ("n_bytes", pa.int64()),
        ("text_preview", pa.string()),
    ]
)
EXACT_KEY = "_exact_key"  # the body's exact-copy key, carried with a built article to the corpus-level steps
LEAD_SENTENCES_CHARS = 400  # the lead is the first paragraph, or its first sentences up to about this length


BUILT_SCHEMA = pa.schema(
    [*(field for field in ARTICLE_SCHEMA if field.name not in DEDUP_COLUMNS), ("_seq", pa.int64())]
)
DATE_COLUMNS = ("date", "date_source", "date_confidence", "date_evidence")  # set again by date inference
SPILL_ROWS = 2048  # built articles held before they are written to the spill
OUTPUT_ROW_GROUP = 4096  # rows per row group of articles.parquet


class _Spill:
    """Built article rows written to disk as they come, in one Arrow stream per bucket of ids (the ids' first two
    characters), and read back bucket by bucket in id order: what is held is a bucket, not the corpus."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="newsline-ingest-")
        self.path = Path(self._folder.name)
        self._buffers: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self._writers: dict[str, Any] = {}
        self._paths: dict[str, Path] = {}
        self._buffered = 0

    def add(self, row: dict[str, Any]) -> None:
        self._buffers[row["id"][:2]].append(row)
        self._buffered += 1
        if self._buffered >= SPILL_ROWS:
            self.flush()

    def flush(self) -> None:
        for bucket, rows in self._buffers.items():
            if bucket not in self._writers:
                self._paths[bucket] = self.path / f"{len(self._paths)}.arrow"
                self._writers[bucket] = pa.ipc.new_stream(str(self._paths[bucket]), BUILT_SCHEMA)
            self._writers[bucket].write_table(pa.Table.from_pylist(rows, schema=BUILT_SCHEMA))
        self._buffers.clear()
        self._buffered = 0

    def close(self) -> None:
        self.flush()
        for writer in self._writers.values():
            writer.close()

    def buckets(self, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """Each bucket's rows (or these columns of them), buckets in id order (rows within one are not sorted)."""
        for bucket in sorted(self._paths):
            with pa.ipc.open_stream(str(self._paths[bucket])) as reader:
                table = reader.read_all()
            yield table.select(columns) if columns else table

    def cleanup(self) -> None:
        self._folder.cleanup()


class IngestResult:
    """What ingest built: the articles (in id order, streamed from the spill by `tables`, or whole as `articles`),
    the quarantine and the metrics."""

    def __init__(self, spill: _Spill, light: pd.DataFrame, quarantine: pd.DataFrame, metrics: dict[str, Any]) -> None:
        self._spill, self._light = spill, light
        self.quarantine, self.metrics = quarantine, metrics
        self._articles: pd.DataFrame | None = None

    def tables(self) -> Iterator[pa.Table]:
        """The articles in id order, a table (ARTICLE_SCHEMA) per bucket of ids: their built rows with the dates
        and duplicate clusters the corpus-level steps gave them."""
        light = self._light
        for table in self._spill.buckets():
            ids = table["id"].to_pylist()
            order = sorted(range(len(ids)), key=ids.__getitem__)
            table = table.take(pa.array(order, type=pa.int64()))
            rows = table["_seq"].to_numpy()
            found = light.iloc[rows]
            columns = {}
            for field in ARTICLE_SCHEMA:
                if field.name in DATE_COLUMNS or field.name in DEDUP_COLUMNS:
                    values = found[field.name].tolist()
                    columns[field.name] = pa.array(values, type=field.type)
                else:
                    columns[field.name] = table[field.name]
            yield pa.table(columns, schema=ARTICLE_SCHEMA)

    @property
    def articles(self) -> pd.DataFrame:
        """Every article as one frame (held whole: for a corpus that fits in memory and for tests)."""
        if self._articles is None:
            records = [row for table in self.tables() for row in table.to_pylist()]
            self._articles = pd.DataFrame.from_records(records, columns=ARTICLE_SCHEMA.names)
            for name in ("dup_cluster", "dup_cluster_size", "n_chars", "n_words", "boilerplate_removed"):
                self._articles[name] = self._articles[name].astype("int64")
        return self._articles


class Rejected(Exception):
    """A record that cannot become an article; carries the quarantine reason code and a detail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail

    def __reduce__(self) -> tuple[type[Rejected], tuple[str, str]]:  # crosses to and from Dask workers whole
        return Rejected, (self.reason, self.detail)


def stable_id(url: str | None, body: str) -> str:
    """Hash of the URL when there is one, else of the whitespace- and case-normalised text."""
    key = url.strip() if url else " ".join(body.lower().split())
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def copy_id(first_id: str, source: str, locator: str) -> str:
    """The id of an exact copy of an article whose id is taken: its own, from where it was read."""
    return hashlib.sha1(f"{first_id}\0{source}\0{locator}".encode()).hexdigest()[:16]


def _clean_string(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def outlet_from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlparse(url).netloc.lower()
    except ValueError:  # "http://[::1" and other malformed URLs: the article stays, without an outlet
        return None
    return host.removeprefix("www.") or None


def make_lead(paragraphs: list[str]) -> str:
    """The first paragraph, cut at a sentence end near LEAD_SENTENCES_CHARS when it is a long run-on."""
    if not paragraphs:
        return ""
    first = paragraphs[0]
    if len(first) <= LEAD_SENTENCES_CHARS * 1.5:
        return first
    cut = first.find(". ", LEAD_SENTENCES_CHARS)
    return first if cut < 0 else first[: cut + 1]


def build_article(record: RawRecord, config: IngestConfig) -> dict[str, Any]:
    """Turn a raw record into an article row, or raise `Rejected` with the quarantine reason."""
    if record.problem:
        raise Rejected(record.problem, record.detail)
    fields = record.fields
    text = fields.get("text")
    if text is None or (isinstance(text, float) and pd.isna(text)):
        raise Rejected("empty_text", "no text")
    if not isinstance(text, str):
        raise Rejected("invalid_record", f"text is {type(text).__name__}, not a string")
    if not text.strip():
        raise Rejected("empty_text", "text is empty or whitespace only")

    plain_layout = fields.get("layout") == "plain"
    title = None if plain_layout else (_clean_string(fields.get("title")) or "")
    parsed = parse_article(text, title=title, max_paragraph_chars=config.split_sentences_over)
    body = parsed.body
    n_words = len(body.split())
    if len(body) < config.min_chars or n_words < config.min_words:
        raise Rejected("too_short", f"{len(body)} chars, {n_words} words after cleaning")

    language, confidence = detect_language(f"{parsed.title}\n{body}")
    if language not in config.languages or confidence < config.min_language_confidence:
        raise Rejected("non_english", f"detected {language} (p={confidence})")

    raw_date = fields.get("date")
    metadata_date = parse_metadata_date(raw_date)
    if metadata_date is None and _clean_string(raw_date) is not None:
        raise Rejected("unparseable_date", f"date {raw_date!r} is not a calendar date")

    url = _clean_string(fields.get("url"))
    return {
        "id": stable_id(url, body),
        "source": record.source,
        "locator": record.locator,
        "url": url,
        "outlet": _clean_string(fields.get("outlet")) or outlet_from_url(url),
        "source_country": _clean_string(fields.get("source_country")),
        "title": parsed.title,
        "lead": make_lead(parsed.paragraphs),
        "body": body,
        "paragraphs": parsed.paragraphs,
        "headings": parsed.headings,
        "photo_credit": parsed.photo_credit,
        "photo_slug": parsed.photo_slug,
        "captions": parsed.captions,
        "date": metadata_date,
        "date_source": "metadata" if metadata_date else "unknown",
        "date_confidence": 1.0 if metadata_date else 0.0,
        "date_evidence": "source metadata" if metadata_date else "",
        "language": language,
        "language_confidence": confidence,
        "encoding": record.encoding,
        "n_chars": len(body),
        "n_words": n_words,
        "boilerplate_removed": parsed.boilerplate_removed,
    }


def _quarantine_row(record: RawRecord, reason: str, detail: str) -> dict[str, Any]:
    text = record.fields.get("text")
    return {
        "source": record.source,
        "locator": record.locator,
        "reason": reason,
        "detail": detail,
        "url": _clean_string(record.fields.get("url")),
        "title": _clean_string(record.fields.get("title")),
        "encoding": record.encoding,
        "n_bytes": record.n_bytes,
        "text_preview": text[:300] if isinstance(text, str) else None,
    }


def _reconcile(
    read: Counter[str], kept: Counter[str], quarantine: pd.DataFrame, sources: list[str]
) -> dict[str, Any]:
    per_source = {}
    for source in sources:
        rows = quarantine[quarantine["source"] == source] if len(quarantine) else quarantine
        by_reason = {str(k): int(v) for k, v in rows["reason"].value_counts().sort_index().items()} if len(rows) else {}
        per_source[source] = {
            "sha256": content_hash(source),  # what was read, for the report's provenance
            "read": read[source],
            "kept": kept[source],
            "quarantined": len(rows),
            "quarantined_by_reason": by_reason,
        }
        if read[source] != kept[source] + len(rows):
            raise AssertionError(f"records of {source} do not reconcile: {per_source[source]}")
    return per_source


def _build_or_reject(record: RawRecord, config: IngestConfig) -> dict[str, Any] | Rejected:
    """Parsing and language detection are the costly, independent part of ingest."""
    try:
        return build_article(record, config)
    except Rejected as rejection:
        return rejection
    except Exception as error:  # one record that trips a bug must not stop the stage: quarantine it, loudly
        log.warning("%s %s: %s", record.source, record.locator, error, exc_info=True)
        return Rejected("parse_error", f"{type(error).__name__}: {error}")


Built = tuple[dict[str, Any] | Rejected, Any]  # (article row or rejection, MinHash signature of its body or None)


def build_partition(records: list[RawRecord], config: IngestConfig) -> list[Built]:
    """The per-partition step, run on the engine's workers: each record's article and MinHash signature."""
    built: list[Built] = []
    for record in records:
        outcome = _build_or_reject(record, config)
        signature = None
        if isinstance(outcome, dict):
            signature = minhash_signature(outcome["body"], config.dedup)
            outcome[EXACT_KEY] = exact_key(outcome["body"])  # read by the corpus-level steps, never written out
        built.append((outcome, signature))
    return built


def _built_records(
    records: Iterable[RawRecord], config: IngestConfig, engine: Engine, cache: IngestCache
) -> Iterator[tuple[RawRecord, dict[str, Any] | Rejected, Any]]:
    """(record, outcome, signature) for every record, in input order. Records the cache knows are taken from it;
    the others are built partition by partition on `engine` and added to it. Only the partitions in flight are
    held here, so a large source is streamed."""
    sent: collections.deque[tuple[list[RawRecord], list[str], list[tuple[Any, Any] | None]]] = collections.deque()

    def feed() -> Iterator[list[RawRecord]]:
        for partition in partitions(records, engine.partition_size):
            keys = [record_key(record) for record in partition]
            cached = [cache.get(key, record) for key, record in zip(keys, partition, strict=True)]
            sent.append((partition, keys, cached))
            yield [record for record, hit in zip(partition, cached, strict=True) if hit is None]

    for built in engine.map(build_partition, feed(), config):
        partition, keys, cached = sent.popleft()
        new = iter(built)
        results = [hit if hit is not None else next(new) for hit in cached]
        # stored before the caller sees them: it may give an exact copy its own id, which is not the record's
        cache.add((key, *result) for key, result, hit in zip(keys, results, cached, strict=True) if hit is None)
        for record, (outcome, signature) in zip(partition, results, strict=True):
            yield record, outcome, signature


class _Signatures:
    """MinHash values of the kept articles, one row each, in blocks of arrays (about 1 KB per article)."""

    BLOCK = 4096

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self.blocks: list[np.ndarray] = []
        self.present: list[bool] = []

    def append(self, signature: Any) -> None:
        row = len(self.present) % self.BLOCK
        if row == 0:
            self.blocks.append(np.zeros((self.BLOCK, self.num_perm), dtype=np.uint64))
        if signature is not None:
            self.blocks[-1][row] = signature.hashvalues
        self.present.append(signature is not None)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.present)
        values = np.concatenate(self.blocks)[:n] if self.blocks else np.zeros((0, self.num_perm), dtype=np.uint64)
        self.blocks = []
        return values, np.array(self.present, dtype=bool)


LIGHT_COLUMNS = ["id", *DATE_COLUMNS, "n_chars", "outlet", "encoding", "boilerplate_removed"]


def ingest(config: IngestConfig, progress: bool = True, engine: Engine | None = None) -> IngestResult:
    """Read, clean, date and deduplicate every configured source (articles built on `engine`, default: in
    this process, through the cache in `config.cache_dir` when set); the outputs do not depend on the engine,
    its partition size or the cache.

    Built articles go to a spill on disk as they come; this process keeps a few columns of each (id, dates,
    length, outlet, exact-copy key, MinHash values) for the corpus-level steps (exact copies, deduplication,
    date inference), and `IngestResult.tables` reads the articles back in id order, bucket by bucket."""
    engine = engine or Engine()
    cache = IngestCache(config.cache_dir, config)
    spill = _Spill()
    light: list[tuple[Any, ...]] = []
    keys: list[str] = []
    signatures = _Signatures(config.dedup.num_perm)
    rejected: list[dict[str, Any]] = []
    read: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    seen_ids: dict[str, tuple[str, str]] = {}  # id -> (where it was read, its body's exact-copy key)
    today = dt.date.today()
    try:
        for source in config.sources:
            records = read_source(source, config.columns.model_dump(), config.max_bytes, label=source)
            built = tqdm(_built_records(records, config, engine, cache), desc=f"ingest {Path(source).name}",
                         unit="rec", disable=not progress)
            for record, outcome, signature in built:
                read[source] += 1
                key = outcome.pop(EXACT_KEY) if isinstance(outcome, dict) else None
                if isinstance(outcome, dict) and (why := implausible_date(outcome["date"], today)):
                    outcome = Rejected("implausible_date", why)
                if isinstance(outcome, dict) and outcome["id"] in seen_ids:
                    # The same text again (no URL, or the same URL) is an exact copy: it gets an id of its own and
                    # joins its original's duplicate cluster. One URL with another text is an id collision: the
                    # first stays.
                    where, first_key = seen_ids[outcome["id"]]
                    if key == first_key:
                        outcome["id"] = copy_id(outcome["id"], source, record.locator)
                    else:
                        outcome = Rejected("duplicate_id", f"id {outcome['id']} (its URL) already used by {where} "
                                                           "for another text")
                if isinstance(outcome, Rejected):
                    rejected.append(_quarantine_row(record, outcome.reason, outcome.detail))
                    continue
                seen_ids[outcome["id"]] = (f"{source}:{record.locator}", key)
                light.append(tuple(outcome[name] for name in LIGHT_COLUMNS))
                keys.append(key)
                signatures.append(signature)
                spill.add({**outcome, "_seq": len(light) - 1})
                kept[source] += 1
        spill.close()
        del seen_ids
        frame = pd.DataFrame.from_records(light, columns=LIGHT_COLUMNS)
        del light
        if len(frame):
            values, present = signatures.arrays()
            dedup = duplicate_columns(frame["id"].tolist(), frame["date"].tolist(), frame["n_chars"].tolist(), keys,
                                      values, present, config.dedup)
            del values, present, keys
            for name in dedup.columns:
                frame[name] = dedup[name].to_numpy()
            frame = _dated(frame, spill, config)
        else:
            frame = frame.reindex(columns=[*LIGHT_COLUMNS, *DEDUP_COLUMNS])
    except BaseException:
        spill.cleanup()
        raise
    quarantine = pd.DataFrame(rejected, columns=QUARANTINE_SCHEMA.names)
    quarantine = quarantine.sort_values(["source", "locator"], kind="stable").reset_index(drop=True)
    metrics = _metrics(frame, quarantine, read, kept, config.sources)
    if cache.folder is not None:
        log.info("ingest cache: %d records taken from %s, %d built now", cache.hits, cache.folder, cache.added)
    return IngestResult(spill, frame, quarantine, metrics)


def _dated(frame: pd.DataFrame, spill: _Spill, config: IngestConfig) -> pd.DataFrame:
    """`frame` (the kept articles' light columns, in the order they were read) with publication dates inferred
    for the articles without one. Inference compares texts across the corpus, so it reads the titles, bodies
    and captions back from the spill, and only when some article lacks a date."""
    if (frame["date_source"] == "metadata").all():
        return frame
    texts = pa.concat_tables(spill.buckets(["_seq", "title", "body", "captions"])).to_pandas()
    texts = texts.set_index("_seq").sort_index()
    whole = frame.assign(title=texts["title"].to_numpy(), body=texts["body"].to_numpy(),
                         captions=[list(value) for value in texts["captions"]])
    del texts
    inferred = infer_missing_dates(whole, config.dating)
    for name in DATE_COLUMNS:
        frame[name] = inferred[name].to_numpy()
    return frame


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts(dropna=False).sort_index().items()}


def _metrics(
    frame: pd.DataFrame, quarantine: pd.DataFrame, read: Counter[str], kept: Counter[str], sources: list[str]
) -> dict[str, Any]:
    duplicates = frame[frame["dup_cluster_size"] > 1] if len(frame) else frame
    return {
        "records_read": sum(read.values()),
        "kept": len(frame),
        "quarantined": len(quarantine),
        "quarantined_by_reason": _counts(quarantine["reason"]) if len(quarantine) else {},
        "per_source": _reconcile(read, kept, quarantine, sources),
        "date_source": _counts(frame["date_source"]) if len(frame) else {},
        "date_range": [str(frame["date"].min()), str(frame["date"].max())] if frame["date"].notna().any() else None,
        "outlets": _counts(frame["outlet"].fillna("(unknown)")) if len(frame) else {},
        "encodings": _counts(frame["encoding"].fillna("(unknown)")) if len(frame) else {},
        "duplicates": {
            "clusters": int(frame["dup_cluster"].nunique()) if len(frame) else 0,
            "clusters_with_copies": int(duplicates["dup_cluster"].nunique()) if len(frame) else 0,
            "articles_in_such_clusters": len(duplicates),
            "non_canonical_articles": int((~frame["is_canonical"]).sum()) if len(frame) else 0,
            "canonical_articles": int(frame["is_canonical"].sum()) if len(frame) else 0,
        },
        "boilerplate_units_removed": int(frame["boilerplate_removed"].sum()) if len(frame) else 0,
    }


def write_outputs(result: IngestResult, out_dir: Path, metrics_path: Path) -> None:
    """The articles streamed into `articles.parquet` (row groups of `OUTPUT_ROW_GROUP` articles, so the file
    depends on the articles only), the quarantine and the metrics, each written atomically."""
    with io.atomic_path(out_dir / "articles.parquet") as tmp, pq.ParquetWriter(
        tmp, ARTICLE_SCHEMA, compression="zstd"
    ) as writer:
        pending: list[pa.Table] = []
        held = 0
        for table in result.tables():
            pending.append(table)
            held += table.num_rows
            while held >= OUTPUT_ROW_GROUP:
                merged = pa.concat_tables(pending)
                writer.write_table(merged.slice(0, OUTPUT_ROW_GROUP), row_group_size=OUTPUT_ROW_GROUP)
                pending, held = [merged.slice(OUTPUT_ROW_GROUP)], held - OUTPUT_ROW_GROUP
        if held:
            writer.write_table(pa.concat_tables(pending), row_group_size=OUTPUT_ROW_GROUP)
    io.write_parquet(out_dir / "quarantine.parquet", result.quarantine, schema=QUARANTINE_SCHEMA)
    io.write_json(metrics_path, result.metrics)

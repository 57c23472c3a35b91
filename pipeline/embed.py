"""The embed stage: one sentence embedding per article, cached by (model, text) so a re-run embeds only new texts.

The encoder is a component named in `embed.encoder` (see `pipeline.components.encoders`: the packaged MiniLM,
a static model distilled from it, or any sentence-transformers folder on disk); nothing is downloaded.

The cache lives in `<cache_dir>/embeddings/<model key>/` as `.npz` shards of (sha256 of the text, float32
vector), outside DVC's outputs so `dvc repro` never deletes it. Only texts the cache lacks are encoded, a
partition (`engine.partition_size` texts) at a time on the engine (`pipeline.engine`: this process or Dask
workers, the encoder loaded once per worker); this process writes a shard after every partition, so an
interrupted run keeps what it embedded. A text's vector does not depend on the texts encoded with it (see the
encoders), so the outputs are the same whatever the engine, the partitions or the cache's history.

Outputs (written atomically) in the output folder:
- `embeddings.npy`: float32 matrix, row i belongs to row i of `ids.parquet`;
- `ids.parquet`: article `id` and the `text_sha256` of what was embedded;
- `info.json`: the encoder (name and arguments), model key, text mode and dimensions, so the topics stage
  embeds words the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline import integrity, io
from pipeline.components.encoders import Encoder
from pipeline.config import EmbedConfig
from pipeline.corpus import select_articles
from pipeline.engine import Engine, partitions

log = logging.getLogger(__name__)

LEAD_FALLBACK_CHARS = 600  # an article without a lead is represented by the opening of its body


def build_encoder(config: EmbedConfig) -> Encoder:
    return config.encoder.build(config.cache_dir)


def article_texts(articles: pd.DataFrame, mode: str) -> list[str]:
    """What gets embedded: the title and lead (short, and the most topical part of news) or title and body."""
    titles = articles["title"].fillna("").str.strip()
    bodies = articles["body"].fillna("").str.strip()
    if mode == "title_lead":
        leads = articles["lead"].fillna("").str.strip()
        bodies = leads.where(leads != "", bodies.str.slice(0, LEAD_FALLBACK_CHARS))
    return [f"{title}\n{body}".strip() for title, body in zip(titles, bodies, strict=True)]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors keyed by the sha256 of their text, stored as `.npz` shards in one folder per model key.

    Only an index (which shard holds each key) stays in memory; vectors are read from the shards when asked
    for, so a run's memory does not grow with the cache or the corpus by more than a key per text.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._shards: list[Path] = []
        self._where: dict[str, tuple[int, int]] = {}  # key -> (shard number, row)
        for shard in sorted(self.folder.glob("*.npz")):
            if (loaded := integrity.read_cache_shard(shard)) is not None:  # a damaged shard is recomputed
                self._register(shard, loaded[0])

    def _register(self, shard: Path, keys: list[str]) -> None:
        number = len(self._shards)
        self._shards.append(shard)
        for row, key in enumerate(keys):
            self._where.setdefault(key, (number, row))

    def keys(self) -> set[str]:
        return set(self._where)

    def __contains__(self, key: str) -> bool:
        return key in self._where

    def missing(self, keys: list[str]) -> list[str]:
        """Keys without a cached vector, each once, in first-seen order."""
        return [key for key in dict.fromkeys(keys) if key not in self._where]

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Store one shard; its name hashes its keys, so writing the same shard twice is harmless."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors")
        if not keys:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        name = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:20]
        shard = self.folder / f"{name}.npz"
        with io.atomic_path(shard) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, keys=np.array(keys, dtype="U64"), vectors=vectors)
        self._register(shard, keys)

    def _rows_by_shard(self, keys: list[str]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For each shard holding some of `keys`: (positions in `keys`, rows in the shard)."""
        grouped: dict[int, tuple[list[int], list[int]]] = {}
        for position, key in enumerate(keys):
            if key not in self._where:
                raise KeyError(f"no cached vector for text {key}")
            number, row = self._where[key]
            positions, rows = grouped.setdefault(number, ([], []))
            positions.append(position)
            rows.append(row)
        return {number: (np.array(positions), np.array(rows)) for number, (positions, rows) in sorted(grouped.items())}

    def _vectors(self, number: int) -> np.ndarray:
        with np.load(self._shards[number], allow_pickle=False) as data:
            return np.asarray(data["vectors"], dtype=np.float32)

    def matrix(self, keys: list[str]) -> np.ndarray:
        """The vectors of `keys`, in order, as one float32 matrix."""
        grouped = self._rows_by_shard(keys)
        if not grouped:
            return np.zeros((0, 0), dtype=np.float32)
        out: np.ndarray | None = None
        for number, (positions, rows) in grouped.items():
            vectors = self._vectors(number)
            if out is None:
                out = np.empty((len(keys), vectors.shape[1]), dtype=np.float32)
            out[positions] = vectors[rows]
        return out

    def write_matrix(self, keys: list[str], handle: BinaryIO) -> None:
        """`np.save` of `matrix(keys)`, the same bytes, written a shard at a time: the matrix is never held."""
        grouped = self._rows_by_shard(keys)
        dimensions = self._vectors(next(iter(grouped))).shape[1] if grouped else 0
        np.lib.format.write_array_header_1_0(
            handle, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
                     "shape": (len(keys), dimensions)})
        start, row_bytes = handle.tell(), dimensions * 4
        for number, (positions, rows) in grouped.items():
            vectors = self._vectors(number)
            for position, row in sorted(zip(positions.tolist(), rows.tolist(), strict=True)):
                handle.seek(start + position * row_bytes)
                handle.write(vectors[row].tobytes())
        handle.seek(start + len(keys) * row_bytes)
        handle.truncate()


@dataclass
class EmbedResult:
    """The stage's outputs: `ids` (id, text_sha256) in output order, their vectors in `cache`."""

    ids: pd.DataFrame
    cache: EmbeddingCache
    info: dict[str, Any]
    newly_embedded: int
    seconds: float

    @property
    def embeddings(self) -> np.ndarray:
        """The whole float32 matrix, row i for row i of `ids` (read from the cache when asked for)."""
        return self.cache.matrix(self.ids["text_sha256"].tolist())


def encode_partition(texts: list[str], encoder: Encoder) -> np.ndarray:
    """The per-partition step, run on the engine's workers (`encoder` is one object per worker: its model loads
    on the first partition and serves the rest)."""
    return np.asarray(encoder.encode(texts), dtype=np.float32)


def embed_texts(
    text_of: dict[str, str], encoder: Encoder, cache: EmbeddingCache, bar: Any = None, engine: Engine | None = None
) -> int:
    """Encode the texts (keyed by `text_hash`) the cache lacks (on `engine`, default: in this process) into the
    cache; returns how many were encoded."""
    engine = engine or Engine()
    todo = cache.missing(list(text_of))
    if todo:
        todo.sort(key=lambda key: len(text_of[key]))  # similar lengths per partition waste less padding
        chunks = list(partitions(todo, engine.partition_size))
        encoded = engine.map(encode_partition, ([text_of[key] for key in chunk] for chunk in chunks), encoder)
        for chunk, vectors in zip(chunks, encoded, strict=True):
            cache.add(chunk, vectors)
            if bar is not None:
                bar.update(len(chunk))
    return len(todo)


TEXT_COLUMNS = ("id", "title", "lead", "body")
TEXT_BATCH = 4096  # articles read, and their new texts encoded, at a time


def text_batches(path: Path, canonical_only: bool, mode: str) -> Iterator[pd.DataFrame]:
    """`id` and the text to embed (`article_texts`) of the articles an `articles.parquet` holds (the canonical
    ones when asked), `TEXT_BATCH` articles at a time in the file's order: the bodies and every other column are
    never held for the whole corpus. The file's columns are checked before the first batch is asked for."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    present = table.schema_arrow.names
    missing = sorted(set(TEXT_COLUMNS) - set(present))
    if missing:
        raise ValueError(f"articles table lacks column(s) {', '.join(missing)}")
    columns = [*TEXT_COLUMNS, *(["is_canonical"] if "is_canonical" in present else [])]

    def batches() -> Iterator[pd.DataFrame]:
        for batch in table.iter_batches(batch_size=TEXT_BATCH, columns=columns):
            frame = batch.to_pandas()
            if canonical_only and "is_canonical" in frame.columns:
                frame = frame[frame["is_canonical"].fillna(True).astype(bool)]
            yield pd.DataFrame({"id": frame["id"].astype(str).to_numpy(), "text": article_texts(frame, mode)})

    return batches()


def embed_articles(
    articles: pd.DataFrame,
    config: EmbedConfig,
    canonical_only: bool = True,
    encoder: Encoder | None = None,
    progress: bool = True,
    engine: Engine | None = None,
) -> EmbedResult:
    """Embed the selected articles' texts through the cache of `encoder` (built from `config` if not given),
    on `engine` (default: in this process)."""
    selected = select_articles(articles, canonical_only, required=TEXT_COLUMNS)
    texts = pd.DataFrame({"id": selected["id"].astype(str).to_numpy(), "text": article_texts(selected, config.text)})
    return embed_batches([texts], config, canonical_only, encoder, progress, engine)


def embed_batches(
    batches: Iterable[pd.DataFrame],
    config: EmbedConfig,
    canonical_only: bool = True,
    encoder: Encoder | None = None,
    progress: bool = True,
    engine: Engine | None = None,
) -> EmbedResult:
    """Embed batches of texts (`id`, `text`: `text_batches` or `embed_articles` make them), each batch's new
    texts encoded before the next is read; the result is ordered by id."""
    started = time.perf_counter()
    encoder = encoder or build_encoder(config)
    cache = EmbeddingCache(config.cache_dir / "embeddings" / encoder.key)
    ids: list[pd.DataFrame] = []
    newly = 0
    with tqdm(desc=f"embed {encoder.key}", unit="doc", disable=not progress) as bar:
        for batch in batches:
            texts = batch["text"].tolist()
            keys = [text_hash(text) for text in texts]  # each text hashed once
            newly += embed_texts(dict(zip(keys, texts, strict=True)), encoder, cache, bar, engine)
            ids.append(pd.DataFrame({"id": batch["id"].astype(str).to_numpy(), "text_sha256": keys}))
    frame = pd.concat(ids, ignore_index=True) if ids else pd.DataFrame({"id": [], "text_sha256": []}, dtype=object)
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    sample = frame["text_sha256"].head(1).tolist()
    info = {
        "encoder": config.encoder.describe(),
        "model_key": encoder.key,
        "text": config.text,
        "articles": len(frame),
        "dimensions": int(cache.matrix(sample).shape[1]) if sample else 0,
        "canonical_only": canonical_only,
    }
    return EmbedResult(frame, cache, info, newly, time.perf_counter() - started)


def write_outputs(result: EmbedResult, out_dir: Path) -> None:
    with io.atomic_path(out_dir / "embeddings.npy") as tmp, open(tmp, "wb") as handle:
        result.cache.write_matrix(result.ids["text_sha256"].tolist(), handle)
    io.write_parquet(out_dir / "ids.parquet", result.ids)
    io.write_json(out_dir / "info.json", result.info)


def load_embeddings(out_dir: Path) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Read the stage's outputs back: (ids frame, float32 matrix, info), checking that they line up."""
    ids = pd.read_parquet(out_dir / "ids.parquet")
    embeddings = np.load(out_dir / "embeddings.npy", allow_pickle=False)
    info = json.loads((out_dir / "info.json").read_text(encoding="utf-8"))
    if len(ids) != len(embeddings):
        raise ValueError(f"{out_dir}: {len(ids)} ids but {len(embeddings)} embeddings; re-run the embed stage")
    return ids, embeddings, info

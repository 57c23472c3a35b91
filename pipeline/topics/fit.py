"""The topic model's fit: BERTopic over cached embeddings, every step built from params and seeded.

Steps, each an injected object as BERTopic intends, the swappable ones named in params (`topics.reducer`,
`topics.clusterer`, `topics.representation`/`aspects`; see `pipeline.components`): a reducer (by default the
spectral layout of the exact neighbour graph, continuous in the embeddings; UMAP or PCA by name) -> a clusterer
(HDBSCAN by default) -> CountVectorizer with stop words and
min_df (`pipeline.topics.words`) -> c-TF-IDF -> representation models as extra word lists or re-ranking the
main words. Outliers are then placed with `reduce_outliers`, and the representations recomputed on the final
assignment. Saving and loading the fitted model: `pipeline.topics.persist`; placing new documents with it:
`pipeline.topics.assign`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.components.encoders import Encoder
from pipeline.components.reduction import exact_graph_accepted
from pipeline.config import TopicsConfig
from pipeline.topics.words import make_label, make_vectorizer, topic_words


def bertopic_backend(encoder: Encoder, known: dict[str, np.ndarray] | None = None) -> Any:
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


@contextlib.contextmanager
def _bertopic_warnings_silenced() -> Iterator[None]:
    bertopic_log = logging.getLogger("BERTopic")
    level = bertopic_log.level
    bertopic_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        bertopic_log.setLevel(level)


def make_representation(config: TopicsConfig) -> dict[str, Any] | None:
    """BERTopic's representation: the main words (c-TF-IDF, fine-tuned by `config.representation` in order)
    plus one aspect per entry of `config.aspects`, each computed from the c-TF-IDF candidates."""
    def build(component: Any) -> Any:
        return component.build(top_n_words=config.top_n_words, seed=config.seed)

    representation: dict[str, Any] = {aspect.name: build(aspect) for aspect in config.aspects}
    if config.representation:
        representation["Main"] = [build(component) for component in config.representation]
    return representation or None


def make_ctfidf(config: TopicsConfig) -> Any:
    from bertopic.vectorizers import ClassTfidfTransformer

    return ClassTfidfTransformer(
        reduce_frequent_words=config.reduce_frequent_words, bm25_weighting=config.bm25_weighting
    )


def for_corpus(config: TopicsConfig, n_documents: int) -> TopicsConfig:
    """`config` with the reducer's and clusterer's sizes given relative to the corpus set for `n_documents`
    articles (`Component.resolve`); absolute values the user set stay as they are."""
    return config.model_copy(
        update={"reducer": config.reducer.resolve(n_documents), "clusterer": config.clusterer.resolve(n_documents)}
    )


def build_topic_model(
    config: TopicsConfig,
    encoder: Encoder | None,
    prepared: Any = None,
    known: dict[str, np.ndarray] | None = None,
    stop_words: Iterable[str] = (),
    reducer_model: Any = None,
) -> Any:
    """An unfitted BERTopic whose steps all come from `config` (representation models are applied later);
    `prepared` is what the reducer precomputed on the embeddings it will be fitted on (`reducer.prepare`);
    `reducer_model` replaces the reducer built from `config` (a `PrefittedReducer`)."""
    from bertopic import BERTopic

    return BERTopic(
        embedding_model=bertopic_backend(encoder, known) if encoder is not None else None,
        umap_model=reducer_model if reducer_model is not None else config.reducer.build(config.seed, prepared),
        hdbscan_model=config.clusterer.build(config.seed),
        vectorizer_model=make_vectorizer(config.vectorizer, stop_words),
        ctfidf_model=make_ctfidf(config),
        top_n_words=config.top_n_words,
        calculate_probabilities=False,
    )


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
    prepared: Any = None,
    reducer_model: Any = None,
) -> TopicFit:
    """Fit BERTopic on precomputed embeddings, reduce outliers, and derive words and labels.

    `stop_words` adds corpus-specific stop words (see `corpus_stop_words`) to the configured ones; `prepared`
    is what the reducer precomputed on the embeddings (`reducer.prepare`; computed here when not given);
    `reducer_model`, a reducer already fitted on `embeddings` (`pipeline.topics.select.PrefittedReducer`).
    """
    if len(docs) != len(embeddings):
        raise ValueError(f"{len(docs)} documents but {len(embeddings)} embeddings")
    if len(docs) < config.reducer.min_documents:
        raise ValueError(f"{len(docs)} documents are too few for the reducer {config.reducer.describe()}")
    started = time.perf_counter()
    docs = list(docs)
    stop_words = list(stop_words)
    config = for_corpus(config, len(docs))
    prepared = prepared if prepared is not None else config.reducer.prepare(embeddings)
    known = dict(zip(docs, embeddings, strict=True))
    model = build_topic_model(config, encoder, prepared, known, stop_words, reducer_model)
    with exact_graph_accepted():
        clusters = np.asarray(model.fit_transform(docs, embeddings)[0], dtype=int)
    model.umap_model = getattr(model.umap_model, "model", model.umap_model)  # a PrefittedReducer's own reducer
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
        for name in (aspect.name for aspect in config.aspects)
    }
    return TopicFit(model, topics, clusters, scores, labels, words, aspects, time.perf_counter() - started)


def cluster_labels(embeddings: np.ndarray, config: TopicsConfig, seed: int, prepared: Any = None) -> np.ndarray:
    """Reduction and clustering alone, as in the fit but with another seed: the second clustering for stability."""
    config = for_corpus(config, len(embeddings))
    prepared = prepared if prepared is not None else config.reducer.prepare(embeddings)
    with exact_graph_accepted():
        reduced = config.reducer.build(seed, prepared).fit_transform(embeddings)
    return np.asarray(config.clusterer.build(seed).fit(reduced).labels_, dtype=int)

"""The topic model: BERTopic over cached embeddings, every step built from params and seeded.

Steps, each an injected object as BERTopic intends, the swappable ones named in params (`topics.reducer`,
`topics.clusterer`, `topics.representation`/`aspects`; see `pipeline.components`): a seeded reducer (UMAP on
an exact neighbour graph by default) -> a clusterer (HDBSCAN by default) -> CountVectorizer with stop words and
min_df -> c-TF-IDF -> representation models as extra word lists or re-ranking the main words. Outliers are
then placed with `reduce_outliers`, and the representations recomputed on the final assignment.

A model saved with safetensors keeps topics, c-TF-IDF and topic embeddings but drops the reducer and the
clusterer, after which `transform` falls back to nearest topic embeddings and disagrees with the fit.
`save_model` therefore stores both beside it (joblib) and `load_model` puts them back, so `assign_topics`
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
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline import io
from pipeline.components.encoders import Encoder, hf_offline
from pipeline.components.reduction import exact_graph_accepted
from pipeline.config import EmbedConfig, OutlierConfig, TopicsConfig, VectorizerConfig
from pipeline.embed import build_encoder

log = logging.getLogger(__name__)

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


def make_vectorizer(params: VectorizerConfig, corpus_stop_words: Iterable[str] = ()) -> CountVectorizer:
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


def build_topic_model(
    config: TopicsConfig,
    encoder: Encoder | None,
    prepared: Any = None,
    known: dict[str, np.ndarray] | None = None,
    stop_words: Iterable[str] = (),
) -> Any:
    """An unfitted BERTopic whose steps all come from `config` (representation models are applied later);
    `prepared` is what the reducer precomputed on the embeddings it will be fitted on (`reducer.prepare`)."""
    from bertopic import BERTopic

    return BERTopic(
        embedding_model=_bertopic_backend(encoder, known) if encoder is not None else None,
        umap_model=config.reducer.build(config.seed, prepared),
        hdbscan_model=config.clusterer.build(config.seed),
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
    prepared: Any = None,
) -> TopicFit:
    """Fit BERTopic on precomputed embeddings, reduce outliers, and derive words and labels.

    `stop_words` adds corpus-specific stop words (see `corpus_stop_words`) to the configured ones; `prepared`
    is what the reducer precomputed on the embeddings (`reducer.prepare`; computed here when not given).
    """
    if len(docs) != len(embeddings):
        raise ValueError(f"{len(docs)} documents but {len(embeddings)} embeddings")
    if len(docs) < config.reducer.min_documents:
        raise ValueError(f"{len(docs)} documents are too few for the reducer {config.reducer.describe()}")
    started = time.perf_counter()
    docs = list(docs)
    stop_words = list(stop_words)
    prepared = prepared if prepared is not None else config.reducer.prepare(embeddings)
    model = build_topic_model(config, encoder, prepared, dict(zip(docs, embeddings, strict=True)), stop_words)
    with exact_graph_accepted():
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
        for name in (aspect.name for aspect in config.aspects)
    }
    return TopicFit(model, topics, clusters, scores, labels, words, aspects, time.perf_counter() - started)


def cluster_labels(embeddings: np.ndarray, config: TopicsConfig, seed: int, prepared: Any = None) -> np.ndarray:
    """Reduction and clustering alone, as in the fit but with another seed: the second clustering for stability."""
    prepared = prepared if prepared is not None else config.reducer.prepare(embeddings)
    with exact_graph_accepted():
        reduced = config.reducer.build(seed, prepared).fit_transform(embeddings)
    return np.asarray(config.clusterer.build(seed).fit(reduced).labels_, dtype=int)


def reassign_outliers(
    model: Any, docs: Sequence[str], embeddings: np.ndarray, topics: np.ndarray, params: OutlierConfig
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


def assign_topics(model: Any, docs: Sequence[str], embeddings: np.ndarray, params: OutlierConfig) -> np.ndarray:
    """Topics of new documents: UMAP transform, HDBSCAN approximate_predict, then outlier reassignment."""
    topics, _ = model.transform(list(docs), embeddings)
    return reassign_outliers(model, docs, embeddings, np.asarray(topics, dtype=int), params)


def save_model(fit: TopicFit, folder: Path, embed_config: EmbedConfig, outliers: OutlierConfig) -> None:
    """BERTopic with safetensors, plus the fitted UMAP and HDBSCAN and what `load_model` needs to rebuild it."""
    import joblib

    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pointer = str(embed_config.encoder.folder(embed_config.cache_dir))  # lets plain `BERTopic.load` find it too
    fit.model.save(tmp / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer)
    joblib.dump(fit.model.umap_model, tmp / "reducer.joblib")
    joblib.dump(fit.model.hdbscan_model, tmp / "clusterer.joblib")
    io.write_json(
        tmp / "assignment.json",
        {"embed": embed_config.model_dump(mode="json"), "outliers": outliers.model_dump(mode="json")},
    )
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


@dataclass
class LoadedModel:
    model: Any
    outliers: OutlierConfig
    embed_config: EmbedConfig


def load_model(folder: Path, encoder: Encoder | None = None) -> LoadedModel:
    """The saved model with UMAP and HDBSCAN restored; `encoder` defaults to the one it was fitted with."""
    import joblib
    from bertopic import BERTopic

    folder = Path(folder)
    settings = json.loads((folder / "assignment.json").read_text(encoding="utf-8"))
    embed_config = EmbedConfig.model_validate(settings["embed"])
    encoder = encoder or build_encoder(embed_config)
    hf_offline()  # BERTopic.load first tries the saved pointer with sentence-transformers
    model = BERTopic.load(str(folder / "bertopic"), embedding_model=_bertopic_backend(encoder))
    model.umap_model = joblib.load(folder / "reducer.joblib")  # written by `save_model` only, never by a corpus
    model.hdbscan_model = joblib.load(folder / "clusterer.joblib")
    return LoadedModel(model, OutlierConfig.model_validate(settings["outliers"]), embed_config)

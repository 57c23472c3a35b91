"""Choosing the size of the smallest topic for a corpus by measures that need no labels (`topics.select`).

One corpus is a handful of distinct stories (Timeline17 pooled: an oil spill, a flu pandemic, an earthquake, ...),
another one story told in many threads (the default corpus: one war), and corpora differ in size. No single
smallest topic suits all, so the stage compares a few candidates on one reduction of the embeddings:

1. the reducer is fitted once; HDBSCAN clusters its layout with each candidate's sizes (`min_topic_scales`:
   the smallest topic 0.3, 0.6 and 1.2 times the square root of the number of articles by default, or
   `min_topic_shares` when the clusterer sets a share; `Hdbscan.resolve`; a candidate whose sizes equal a
   smaller one's, at the floor, is not tried twice), outliers are placed as the fit places them (cosine to the
   topic centroids, above `topics.outliers.threshold`) and c-TF-IDF gives each topic its words. A reducer may
   offer other layouts of the same fit (`alternatives()`: the spectral reducer's cut at the largest gap of its
   spectrum and its first 10 and 20 eigenvectors); each size is then tried on each layout;
2. each candidate is scored by mean NPMI (one pass over the reference corpus for all candidates), topic
   diversity, the outlier share, the largest topic's share and the degenerate-result flags;
3. the kept candidate: the highest NPMI among those without a flag (among all when every one is flagged);
   equal NPMI: the smaller topic size, then the reducer's own layout.

The rule has no constant fitted to a corpus besides the candidates (chosen on development subsets of the default
corpus, README); `metrics/topics.json` records every candidate with its scores and which one was kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.components.clustering import Hdbscan
from pipeline.config import TopicsConfig
from pipeline.topics.metrics import degenerate_findings, npmi_coherence, topic_diversity

log = logging.getLogger(__name__)


class PrefittedReducer:
    """A reducer already fitted on the embeddings, handed to BERTopic so the fit does not redo it.

    `fit_transform` of the same embeddings returns the layout computed once; anything else is delegated.
    """

    def __init__(self, model: Any, embeddings: np.ndarray, layout: np.ndarray) -> None:
        self.model, self._embeddings, self._layout = model, embeddings, layout

    def fit(self, X: np.ndarray, y: Any = None) -> PrefittedReducer:
        self._check(X)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        self._check(X)
        return self._layout

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.model.transform(X)

    def _check(self, X: np.ndarray) -> None:
        if X is not self._embeddings and not np.array_equal(X, self._embeddings):
            raise ValueError("a prefitted reducer can only be fitted on the embeddings it was fitted on")


def centroid_assignment(embeddings: np.ndarray, clusters: np.ndarray, threshold: float) -> np.ndarray:
    """Outliers (-1) placed in the topic whose mean embedding is most cosine-similar, if at least `threshold`
    (BERTopic's `reduce_outliers(strategy="embeddings")` on its topic embeddings)."""
    topics = np.asarray(clusters).copy()
    found = sorted(set(topics.tolist()) - {-1})
    outliers = np.flatnonzero(topics == -1)
    if not found or not len(outliers):
        return topics
    centroids = np.stack([embeddings[topics == topic].mean(axis=0) for topic in found])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    vectors = embeddings[outliers] / np.maximum(np.linalg.norm(embeddings[outliers], axis=1, keepdims=True), 1e-12)
    similarity = vectors @ centroids.T
    best = np.asarray(found)[similarity.argmax(axis=1)]
    topics[outliers] = np.where(similarity.max(axis=1) >= threshold, best, -1)
    return topics


@dataclass
class Selection:
    rule: str  # the clusterer's field the candidates vary: "min_topic_scale" or "min_topic_share"
    value: float  # its kept value
    reducer: PrefittedReducer
    candidates: list[dict[str, Any]]
    n_components: int | None = None  # the layout kept, when it is one of the reducer's alternatives


def candidate_values(config: TopicsConfig) -> tuple[str | None, tuple[float, ...]]:
    """The clusterer's field `topics.select` varies and the values it tries: `min_topic_scales` when HDBSCAN's
    smallest topic follows the square-root rule, `min_topic_shares` when it is a share of the corpus; (None, ())
    when it is an absolute size or the clusterer is not HDBSCAN (nothing to choose)."""
    clusterer = config.clusterer
    rule = clusterer.size_rule if isinstance(clusterer, Hdbscan) else None
    if rule == "min_topic_scale":
        return rule, config.select.min_topic_scales
    if rule == "min_topic_share":
        return rule, config.select.min_topic_shares
    return None, ()


def candidate_words(docs: Sequence[str], embeddings: np.ndarray, topics: np.ndarray, config: TopicsConfig,
                    stop_words: Sequence[str]) -> list[list[str]]:
    """Each topic's c-TF-IDF words for a given assignment (BERTopic with the clustering step skipped)."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction

    from pipeline.topics.fit import make_ctfidf
    from pipeline.topics.words import make_vectorizer

    if not (topics != -1).any():
        return []
    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=make_vectorizer(config.vectorizer, stop_words),
        ctfidf_model=make_ctfidf(config),
        top_n_words=config.top_n_words,
    )
    model.fit(list(docs), embeddings, y=topics)
    return [[word for word, _ in model.get_topic(topic) if word] for topic in sorted(set(topics.tolist()) - {-1})]


def select_topic_size(
    docs: Sequence[str],
    embeddings: np.ndarray,
    config: TopicsConfig,
    reference: Sequence[Sequence[str]],
    stop_words: Sequence[str],
    prepared: Any,
) -> Selection:
    """Compare the candidate sizes of HDBSCAN's smallest topic (`candidate_values`) on one reduction and its
    alternative layouts, and keep one (see the module's rule)."""
    from pipeline.components.reduction import exact_graph_accepted

    rule, values = candidate_values(config)
    if rule is None:
        raise ValueError("topics.select compares HDBSCAN's relative sizes; the clusterer is not HDBSCAN with "
                         "min_cluster_size null")
    reducer = config.reducer.build(config.seed, prepared)
    with exact_graph_accepted():
        layout = reducer.fit_transform(embeddings)
    layouts: list[tuple[str, int | None, np.ndarray]] = [("configured", None, layout)]
    layouts += list(reducer.alternatives()) if hasattr(reducer, "alternatives") else []
    metrics = config.metrics
    threshold = config.outliers.threshold if config.outliers.strategy != "none" else 2.0
    rows, word_lists = [], []
    for kind, components, candidate_layout in layouts:
        tried: set[tuple[int | None, int | None]] = set()
        for value in values:
            clusterer = config.clusterer.model_copy(update={rule: value}).resolve(len(docs))
            if (clusterer.min_cluster_size, clusterer.min_samples) in tried:  # the floor: a smaller value's twin
                continue
            tried.add((clusterer.min_cluster_size, clusterer.min_samples))
            clusters = np.asarray(clusterer.build(config.seed).fit(candidate_layout).labels_, dtype=int)
            topics = centroid_assignment(embeddings, clusters, threshold)
            words = candidate_words(docs, embeddings, topics, config, stop_words)
            sizes = {int(topic): int(size) for topic, size in zip(*np.unique(topics, return_counts=True), strict=True)}
            real = [size for topic, size in sizes.items() if topic != -1]
            rows.append(
                {
                    rule: value,
                    "n_components": int(candidate_layout.shape[1]),
                    "layout": kind,
                    "min_cluster_size": clusterer.min_cluster_size,
                    "min_samples": clusterer.min_samples,
                    "topics": len(words),
                    "diversity": round(topic_diversity(words, metrics.diversity_top_n), 4) if words else None,
                    "outlier_share_before_reduction": round(float((clusters == -1).mean()), 6),
                    "outlier_share": round(float((topics == -1).mean()), 6),
                    "largest_topic_share": round(max(real) / len(topics), 6) if real else None,
                    "_sizes": sizes,
                    "_components": components,
                    "_layout": candidate_layout,
                }
            )
            word_lists.append(words)
    flat = [words for candidate in word_lists for words in candidate]
    _, per_topic = npmi_coherence(flat, reference, metrics.npmi_top_n)
    start = 0
    for row, words in zip(rows, word_lists, strict=True):
        scores = per_topic[start : start + len(words)]
        start += len(words)
        npmi = float(np.nanmean(scores)) if scores and not np.isnan(scores).all() else float("nan")
        row["npmi"] = None if np.isnan(npmi) else round(npmi, 4)
        row["degenerate"] = degenerate_findings(
            row.pop("_sizes"), npmi, metrics.flag_topic_share, metrics.flag_min_topics,
            metrics.flag_min_topics_documents, metrics.flag_min_npmi,
        )
    sound = [row for row in rows if not row["degenerate"]] or rows
    kept = max(sound, key=lambda row: (row["npmi"] if row["npmi"] is not None else -2.0, -row["min_cluster_size"],
                                       row["_components"] is None))
    components, kept_layout = kept["_components"], kept["_layout"]
    for row in rows:
        row["kept"] = row is kept
        del row["_components"], row["_layout"]
    if components is not None:
        reducer.use(components)
    log.info("smallest topic: %s %s (%s articles) on %s components kept (NPMI by candidate: %s)",
             rule, kept[rule], kept["min_cluster_size"], kept["n_components"],
             ", ".join(f"{row['min_cluster_size']}/{row['n_components']}: {row['npmi']}" for row in rows))
    return Selection(rule, kept[rule], PrefittedReducer(reducer, embeddings, kept_layout), rows, components)

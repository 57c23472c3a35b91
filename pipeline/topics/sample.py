"""Topics at scale: the model fitted on a sample of the corpus, the rest assigned with it (`topics.fit_sample`).

Above `topics.fit_sample` articles the stage fits on a seeded uniform sample of that many (the neighbour graph,
the share selection, the reducer and the clusterer, the words and the stability refit all see the sample only),
then places every other article with the fitted model by the rule that places new documents
(`pipeline.topics.assign`: the reducer's transform, HDBSCAN's approximate_predict, outliers as at fit time),
`ASSIGN_PARTITION` articles at a time so that what is held besides the model does not grow with the corpus. The
same rule places the articles a later run adds when the stage keeps its fit (`topics.refit`; README, "Past one
machine"). Topic
words and labels are those of the fit; the tables, shares and metrics count every article. At or below the size
the whole corpus is fitted, exactly as without the setting.

The partition size is a constant, not `engine.partition_size`: UMAP's transform optimises the new points of one
call together, so the partitions are part of what decides the answer, and the engine must not change it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.components.reduction import exact_graph_accepted
from pipeline.config import OutlierConfig
from pipeline.topics.assign import reassign_outliers
from pipeline.topics.fit import TopicFit, similarity_to_topic

ASSIGN_PARTITION = 2048  # articles placed per transform call (fixed: see the module docstring)


def sample_rows(n_documents: int, fit_sample: int | None, seed: int) -> np.ndarray | None:
    """Sorted row numbers of the articles to fit on, or None when the whole corpus is fitted (`fit_sample` unset
    or not below the corpus); the same seed and size give the same sample."""
    if fit_sample is None or n_documents <= fit_sample:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_documents, size=fit_sample, replace=False))


@dataclass
class Placer:
    """What placing new documents needs of a fitted BERTopic model, without BERTopic: its reducer and clusterer,
    the map from the clusterer's labels to topics, the topic embeddings and whether their table starts with an
    outlier row. `transform` answers as `BERTopic.transform` does (reducer, HDBSCAN's approximate_predict or the
    clusterer's predict, the topic map), so `place` and `reassign_outliers` take it for the model when outliers
    are placed by `embeddings` (or not at all); importing BERTopic (sentence-transformers, torch: about 17 CPU s)
    is then left to the runs that fit."""

    reducer: Any
    clusterer: Any
    mapping: dict[int, int]
    topic_embeddings_: np.ndarray
    _outliers: int

    STRATEGIES = ("embeddings", "none")  # outlier strategies that need nothing else of the model

    @classmethod
    def of(cls, model: Any) -> Placer:
        return cls(model.umap_model, model.hdbscan_model, dict(model.topic_mapper_.get_mappings(original_topics=True)),
                   np.asarray(model.topic_embeddings_), int(model._outliers))

    def transform(self, docs: Sequence[str], embeddings: np.ndarray) -> tuple[list[int], None]:
        import hdbscan

        reduced = self.reducer.transform(embeddings)
        if isinstance(self.clusterer, hdbscan.HDBSCAN):
            predictions, _ = hdbscan.approximate_predict(self.clusterer, reduced)
        else:
            predictions = self.clusterer.predict(reduced)
        return [self.mapping.get(int(prediction), -1) for prediction in predictions], None


def place(
    model: Any, docs: Sequence[str], embeddings: np.ndarray, outliers: OutlierConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(cluster before outlier placement, final topic) of new documents under a fitted model."""
    with exact_graph_accepted():
        clusters, _ = model.transform(list(docs), embeddings)
    clusters = np.asarray(clusters, dtype=int)
    return clusters, reassign_outliers(model, docs, embeddings, clusters, outliers)


def place_in_partitions(
    model: Any, docs: Sequence[str], embeddings: np.ndarray, outliers: OutlierConfig, partition: int = ASSIGN_PARTITION
) -> tuple[np.ndarray, np.ndarray]:
    """`place` over `partition` documents at a time: (cluster, topic) of each, in order."""
    clusters = np.full(len(docs), -1, dtype=int)
    topics = np.full(len(docs), -1, dtype=int)
    for start in range(0, len(docs), partition):
        part = slice(start, start + partition)
        clusters[part], topics[part] = place(model, docs[part], embeddings[part], outliers)
    return clusters, topics


def extend_fit(
    fit: TopicFit, docs: Sequence[str], embeddings: np.ndarray, rows: np.ndarray, outliers: OutlierConfig,
    partition: int = ASSIGN_PARTITION,
) -> TopicFit:
    """`fit`, made on the articles `rows` of the corpus (`docs`, `embeddings`), with every other article placed by
    its model, partition by partition: topics, clusters and scores then cover the whole corpus in its order."""
    if len(fit.topics) != len(rows):
        raise ValueError(f"the fit covers {len(fit.topics)} articles, the sample {len(rows)}")
    n = len(docs)
    topics = np.full(n, -1, dtype=int)
    clusters = np.full(n, -1, dtype=int)
    topics[rows], clusters[rows] = fit.topics, fit.clusters
    rest = np.setdiff1d(np.arange(n), rows)
    clusters[rest], topics[rest] = place_in_partitions(fit.model, [docs[i] for i in rest], embeddings[rest],
                                                       outliers, partition)
    scores = similarity_to_topic(embeddings, topics, np.asarray(fit.model.topic_embeddings_))
    return dataclasses.replace(fit, topics=topics, clusters=clusters, scores=scores)

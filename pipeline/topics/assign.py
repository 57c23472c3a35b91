"""Topics of new documents by a fitted model, by the same rules as at fit time.

`assign_topics` runs the fitted reducer and clusterer (the spectral reducer's Nystroem extension or UMAP's
transform, HDBSCAN approximate_predict), then `reassign_outliers` places the outliers as `reduce_outliers` did
in the fit (`topics.outliers`). With a model reloaded by `pipeline.topics.persist.load_model` the answers are
the same as before saving.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.config import OutlierConfig
from pipeline.topics.words import clean_for_vectorizer


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
    """Topics of new documents: the reducer's transform, HDBSCAN approximate_predict, then outlier reassignment."""
    topics, _ = model.transform(list(docs), embeddings)
    return reassign_outliers(model, docs, embeddings, np.asarray(topics, dtype=int), params)

"""Clusterers for the topic model: HDBSCAN (topics found, outliers allowed) and k-means (a fixed number)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field

from pipeline.components import CLUSTERERS, Component


@CLUSTERERS.register("hdbscan")
class Hdbscan(Component):
    """Density clusters: the number of topics follows from the data; sparse articles become outliers (-1).

    The smallest topic is `min_cluster_size` articles when set (an absolute value is honoured as given), else
    `min_topic_share` of the corpus when that is set, else `min_topic_scale` times the square root of the number
    of articles (the default: the number of topics a corpus supports grows about as that root, see README,
    Topics that hold on any corpus); never fewer than `min_cluster_floor`. `min_samples` is likewise given or an
    eighth of the smallest topic. `resolve(n)` turns the rule into numbers; the metrics record them.
    """

    name: Literal["hdbscan"] = "hdbscan"
    min_cluster_size: int | None = Field(None, ge=2, description="the smallest topic, in articles (None: a rule)")
    min_topic_scale: float = Field(0.6, gt=0.0, le=100.0,
                                   description="the smallest topic is this times the square root of the articles")
    min_topic_share: float | None = Field(None, gt=0.0, le=0.5,
                                          description="the smallest topic as a share of the articles (None: the scale)")
    min_cluster_floor: int = Field(10, ge=2, description="the smallest topic never has fewer articles than this")
    min_samples: int | None = Field(None, ge=1, description="lower: fewer outliers (None: min_cluster_size / 8)")
    cluster_selection_method: Literal["eom", "leaf"] = "eom"

    @property
    def size_rule(self) -> str | None:
        """Which field sets the smallest topic: None (an absolute `min_cluster_size`), "min_topic_share" or
        "min_topic_scale"."""
        if self.min_cluster_size is not None:
            return None
        return "min_topic_share" if self.min_topic_share is not None else "min_topic_scale"

    def resolve(self, n_documents: int) -> Hdbscan:
        size = self.min_cluster_size
        if size is None and self.min_topic_share is not None:
            size = max(self.min_cluster_floor, round(self.min_topic_share * n_documents))
        elif size is None:
            size = max(self.min_cluster_floor, round(self.min_topic_scale * math.sqrt(n_documents)))
        samples = self.min_samples if self.min_samples is not None else max(1, round(size / 8))
        return self.model_copy(update={"min_cluster_size": size, "min_samples": samples})

    def build(self, seed: int) -> Any:
        from hdbscan import HDBSCAN

        if self.min_cluster_size is None or self.min_samples is None:
            raise ValueError("HDBSCAN sizes are relative to the corpus: call resolve(n_documents) before build")
        return HDBSCAN(
            min_cluster_size=self.min_cluster_size,
            min_samples=self.min_samples,
            cluster_selection_method=self.cluster_selection_method,
            metric="euclidean",
            prediction_data=True,  # needed by `transform` (approximate_predict) on new documents
        )


@CLUSTERERS.register("kmeans")
class KMeans(Component):
    """k-means: exactly `n_clusters` topics and no outliers."""

    name: Literal["kmeans"] = "kmeans"
    n_clusters: int = Field(ge=2, description="the number of topics")
    n_init: int = Field(10, ge=1, description="restarts; the best of them is kept")

    def build(self, seed: int) -> Any:
        from pipeline.components.one_thread_kmeans import OneThreadKMeans

        return OneThreadKMeans(n_clusters=self.n_clusters, n_init=self.n_init, random_state=seed)

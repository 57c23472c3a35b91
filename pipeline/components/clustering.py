"""Clusterers for the topic model: HDBSCAN (topics found, outliers allowed) and k-means (a fixed number)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.components import CLUSTERERS, Component


@CLUSTERERS.register("hdbscan")
class Hdbscan(Component):
    """Density clusters: the number of topics follows from the data; sparse articles become outliers (-1)."""

    name: Literal["hdbscan"] = "hdbscan"
    min_cluster_size: int = Field(80, ge=2, description="the smallest topic, in articles")
    min_samples: int = Field(10, ge=1, description="lower: fewer outliers, looser topics")
    cluster_selection_method: Literal["eom", "leaf"] = "eom"

    def build(self, seed: int) -> Any:
        from hdbscan import HDBSCAN

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
        from sklearn.cluster import KMeans as SklearnKMeans

        return SklearnKMeans(n_clusters=self.n_clusters, n_init=self.n_init, random_state=seed)

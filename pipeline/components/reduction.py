"""Dimension reducers for the topic model: UMAP (on an exact cosine neighbour graph) and PCA.

A reducer's `prepare(embeddings)` computes what every fit on those embeddings can share (UMAP's neighbour
graph: the stability refit with another seed reuses it); `build(seed, prepared)` makes the unfitted model,
an object with `fit`/`transform` as BERTopic expects.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from pydantic import Field

from pipeline.components import REDUCERS, Component


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


@contextlib.contextmanager
def exact_graph_accepted() -> Iterator[None]:
    """UMAP warns that `transform` needs an NNDescent index; `ExactCosineIndex` serves it just as well."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\].*not an NNDescent", category=UserWarning)
        yield


@REDUCERS.register("umap")
class Umap(Component):
    """Seeded UMAP with cosine distances; repeatable because it runs single-threaded."""

    name: Literal["umap"] = "umap"
    n_neighbors: int = Field(30, ge=2, description="larger: broader, more stable neighbourhoods")
    n_components: int = Field(5, ge=1)
    min_dist: float = Field(0.0, ge=0.0, le=1.0)
    exact_neighbors: bool = Field(True, description="exact cosine kNN (O(n^2), no JIT) instead of pynndescent")

    @property
    def min_documents(self) -> int:
        return self.n_neighbors + 1

    def prepare(self, embeddings: np.ndarray) -> NeighbourGraph | None:
        """The exact cosine neighbour graph UMAP will use (None when pynndescent is to build its own)."""
        if not self.exact_neighbors:
            return None
        index = ExactCosineIndex(embeddings)
        return (*index.neighbor_graph(min(self.n_neighbors, len(embeddings))), index)

    def build(self, seed: int, prepared: NeighbourGraph | None = None) -> Any:
        from umap import UMAP

        knn: dict[str, Any] = {}
        if prepared is not None:
            # force_approximation_algorithm: use the graph even below 4096 documents
            knn = {"precomputed_knn": prepared, "force_approximation_algorithm": True}
        return UMAP(
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            min_dist=self.min_dist,
            metric="cosine",
            random_state=seed,  # fixes the layout
            n_jobs=1,  # UMAP is only repeatable single-threaded (it would force this itself, with a warning)
            low_memory=True,
            **knn,
        )


@REDUCERS.register("pca")
class Pca(Component):
    """Principal components: linear, deterministic and fast; a baseline, and a choice for very large corpora."""

    name: Literal["pca"] = "pca"
    n_components: int = Field(5, ge=1)

    @property
    def min_documents(self) -> int:
        return self.n_components + 1

    def prepare(self, embeddings: np.ndarray) -> None:
        return None

    def build(self, seed: int, prepared: None = None) -> Any:
        from sklearn.decomposition import PCA

        return PCA(n_components=self.n_components, random_state=seed)

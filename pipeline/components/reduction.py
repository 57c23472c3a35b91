"""Dimension reducers for the topic model: spectral (Laplacian eigenmaps), UMAP (on an exact cosine neighbour
graph) and PCA.

A reducer's `prepare(embeddings)` computes what every fit on those embeddings can share (the neighbour graph:
the stability refit with another seed reuses it); `build(seed, prepared)` makes the unfitted model, an object
with `fit`/`transform` as BERTopic expects.

`spectral` is the default because its result does not change when the embeddings change in their last bits
(issue 13.5): every step is a continuous function of the vectors (an exact neighbour search, UMAP's fuzzy
membership weights solved to full precision, an eigen-decomposition), where UMAP's stochastic layout is chaotic
in its input (README, "Stable across machines").
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field

from pipeline.components import REDUCERS, Component


def _as_tuple(value: Any) -> Any:
    """A YAML list as the tuple a frozen setting holds."""
    return tuple(value) if isinstance(value, list) else value


class ExactCosineIndex:
    """Exact nearest neighbours by cosine distance, standing in for UMAP's pynndescent search index.

    Brute force costs O(n^2) multiply-adds but no JIT compilation: pynndescent compiles for about half a
    minute in every new process on two cores, longer than this search takes on tens of thousands of
    documents. It is exact, so the neighbour graph has no randomness of its own. UMAP's `transform` calls
    `query` for new documents.
    """

    _angular_trees = True  # read by UMAP.transform to choose an epsilon that exact search ignores
    BLOCK = 2048  # query rows at a time, fewer when the index is large: a block holds at most BLOCK_CELLS
    BLOCK_CELLS = 1 << 25  # similarities (and as many int64 positions), so memory stays flat as n grows

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
        block = max(1, min(self.BLOCK, self.BLOCK_CELLS // max(1, len(self._data))))
        for start in range(0, len(queries), block):
            similarity = queries[start : start + block] @ self._data.T
            rows = np.arange(len(similarity))
            if first_row is not None:  # a training point is its own nearest neighbour, as UMAP expects
                similarity[rows, first_row + start + rows] = np.inf
            np.negative(similarity, out=similarity)  # in place (no copy): nearest first, 1 - s is 1 + (-s)
            top = np.argpartition(similarity, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(similarity, top, axis=1), axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            indices[start : start + len(top)] = top
            distances[start : start + len(top)] = np.clip(1 + np.take_along_axis(similarity, top, axis=1), 0, 2)
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


# Vectors closer than this (cosine distance) are one point of the spectral graph: exact duplicates sit at about
# 1e-7 (float32 rounding), distinct texts of both development corpora at more than 1e-4.
DUPLICATE_DISTANCE = 1e-5


def duplicate_groups(indices: np.ndarray, distances: np.ndarray, threshold: float = DUPLICATE_DISTANCE) -> np.ndarray:
    """For each point, the smallest index of the points it duplicates (itself when it has no duplicate).

    `indices`/`distances` are a neighbour graph with each point first; neighbours closer than `threshold` are
    joined (union-find), so the result does not depend on the order in which ties were listed.
    """
    parent = np.arange(len(indices))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return int(node)

    for row, column in zip(*np.nonzero(distances[:, 1:] < threshold), strict=True):
        a, b = root(int(row)), root(int(indices[row, column + 1]))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.array([root(node) for node in range(len(indices))])


def membership_strengths(distances: np.ndarray, bisections: int = 64) -> np.ndarray:
    """UMAP's fuzzy membership strengths of each point's neighbours (columns of `distances`, the point itself
    left out), exp(-(d - rho) / sigma) with rho the distance to the nearest neighbour and sigma such that the
    strengths sum to log2(k + 1), solved by bisection to full double precision.

    UMAP's own solver stops at a tolerance of 1e-5 (its result jumps as the input moves) and skips neighbours at
    distance 0 when it takes rho (a duplicate moves rho discontinuously); this is the same graph as a
    continuous function of the distances.
    """
    distances = np.asarray(distances, dtype=np.float64)
    rho = np.maximum(distances[:, 0], 0.0)
    excess = np.maximum(distances - rho[:, None], 0.0)
    target = np.log2(distances.shape[1] + 1)
    low = np.full(len(distances), 1e-12)
    high = np.maximum(excess.max(axis=1), 1e-12) * 1e6
    for _ in range(bisections):  # geometric bisection: the sum grows with sigma
        middle = np.sqrt(low * high)
        total = np.exp(-excess / middle[:, None]).sum(axis=1)
        above = total > target
        high, low = np.where(above, middle, high), np.where(above, low, middle)
    sigma = np.sqrt(low * high)
    sigma = np.where(rho > 0, np.maximum(sigma, 1e-3 * distances.mean(axis=1)), sigma)  # UMAP's floor
    return np.exp(-excess / sigma[:, None])


@dataclass
class SpectralInput:
    """What every spectral fit on the same embeddings shares: the distinct points and their neighbour graph."""

    rows: np.ndarray  # for each document, its row among the distinct points
    index: ExactCosineIndex  # the distinct points
    indices: np.ndarray  # neighbour graph of the distinct points, each point first
    distances: np.ndarray


def spectral_input(embeddings: np.ndarray, n_neighbors: int) -> SpectralInput:
    """Exact cosine neighbours of the distinct embeddings (duplicates are one point, see `duplicate_groups`)."""
    index = ExactCosineIndex(embeddings)
    indices, distances = index.neighbor_graph(min(n_neighbors, len(embeddings)))
    groups = duplicate_groups(indices, distances)
    distinct, rows = np.unique(groups, return_inverse=True)
    if len(distinct) < len(embeddings):
        index = ExactCosineIndex(embeddings[distinct])
        indices, distances = index.neighbor_graph(min(n_neighbors, len(distinct)))
    return SpectralInput(rows, index, indices, distances)


class SpectralEmbedding:
    """Laplacian eigenmaps of UMAP's fuzzy neighbour graph, rows scaled to unit length (fit/transform).

    The graph: each distinct point joined to its `n_neighbors - 1` nearest by `membership_strengths`,
    symmetrised as UMAP does (a + b - ab). The layout: the eigenvectors of D^-1/2 G D^-1/2 with the largest
    eigenvalues after the trivial one (removed exactly), `n_components` of them, each row divided by its
    length (Ng, Jordan and Weiss). The seed only starts the eigen-solver (ARPACK's start vector): the result is
    the same to solver precision from any start. `alternatives()` offers `topics.select` the layouts of the first
    m eigenvectors of the same fit: m at the largest relative gap of the spectrum (a corpus of a few distinct
    stories shows one) and each m of `cuts` below `n_components` (fewer dimensions suit small corpora); `use(m)`
    keeps one. New documents are placed by the Nystroem extension
    (their membership strengths to the distinct training points, through the same eigenvectors).
    """

    DENSE_BELOW = 600  # distinct points: a dense eigen-decomposition is exact and quick below this
    COLLAPSED = 1e-6  # a Laplacian eigenvalue below this is 0 (a connected component of the graph)

    def __init__(self, n_neighbors: int, n_components: int, eigengap: bool, seed: int,
                 prepared: SpectralInput | None = None, cuts: tuple[int, ...] = ()) -> None:
        self.n_neighbors, self.n_components, self.eigengap, self.seed = n_neighbors, n_components, eigengap, seed
        self.cuts = tuple(cuts)
        self._prepared = prepared

    def fit(self, X: np.ndarray, y: Any = None) -> SpectralEmbedding:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        from scipy import sparse

        prepared = self._prepared
        if prepared is None or len(prepared.rows) != len(X):
            prepared = spectral_input(np.asarray(X), self.n_neighbors)
        self._prepared = None  # not pickled with the model
        n = len(prepared.indices)
        if n < 3:
            raise ValueError(f"{n} distinct documents are too few for a spectral embedding")
        strengths = membership_strengths(prepared.distances[:, 1:])
        rows = np.repeat(np.arange(n), strengths.shape[1])
        graph = sparse.csr_matrix((strengths.ravel(), (rows, prepared.indices[:, 1:].ravel())), shape=(n, n))
        graph = (graph + graph.T - graph.multiply(graph.T)).tocsr()
        degrees = np.asarray(graph.sum(axis=1)).ravel()
        values, vectors = self._eigen(graph, degrees, min(self.n_components + 1, n - 2))
        self.index_, self.rows_, self.degrees_ = prepared.index, prepared.rows, degrees
        self.eigenvalues_, self.vectors_ = values, vectors
        self.n_used_ = min(self.n_components, vectors.shape[1])
        return self.embedding_

    def _eigen(self, graph: Any, degrees: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k largest eigenpairs of D^-1/2 G D^-1/2 without the trivial one, largest first.

        On one BLAS thread: OpenBLAS splits dot products and LAPACK's eigen-solvers by its thread count, so their
        last bits (and the saved model's bytes) would follow the machine's cores or an OMP_NUM_THREADS a caller
        set (Dask's workers set it to 1)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._eigen_single_thread(graph, degrees, k)

    def _eigen_single_thread(self, graph: Any, degrees: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        from scipy import sparse
        from scipy.sparse.linalg import LinearOperator, eigsh

        n = graph.shape[0]
        scale = sparse.diags(1 / np.sqrt(degrees))
        normalised = (scale @ graph @ scale).tocsr()
        trivial = np.sqrt(degrees) / np.linalg.norm(np.sqrt(degrees))
        if n < self.DENSE_BELOW:
            dense = normalised.toarray() - np.outer(trivial, trivial)
            values, vectors = np.linalg.eigh(dense)
            values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
        else:
            operator = LinearOperator(
                (n, n), matvec=lambda v: normalised @ v - trivial * (trivial @ v), dtype=np.float64
            )
            start = np.random.default_rng(self.seed).standard_normal(n)
            values, vectors = eigsh(operator, k, which="LA", tol=1e-10, v0=start)
            order = np.argsort(-values, kind="stable")
            values, vectors = values[order], vectors[:, order]
        return values, self._signed(vectors)

    @staticmethod
    def _signed(vectors: np.ndarray) -> np.ndarray:
        """Each eigenvector with the sign that makes the sum of its cubed entries positive. A solver returns either
        sign (it follows the start vector and how many eigenvectors were asked for), and HDBSCAN breaks its ties
        by the coordinates: a layout flipped along one axis gave other topics (ARI 0.81 on three synthetic blobs
        with small topics), so a refit with another seed or a kept cut could disagree with the fit."""
        signs = np.where((vectors**3).sum(axis=0) < 0, -1.0, 1.0)
        return vectors * signs

    @staticmethod
    def _rows_to_unit(layout: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(layout, axis=1, keepdims=True)
        return layout / np.where(norms == 0, 1, norms)

    @property
    def embedding_(self) -> np.ndarray:
        """The layout of the fitted documents (duplicates share their point)."""
        return self._rows_to_unit(self.vectors_[:, : self.n_used_])[self.rows_]

    def eigengap_components(self) -> int | None:
        """m at the largest ratio lambda_(m+1) / lambda_m of the normalised Laplacian's eigenvalues (the trivial
        one left out), 2 <= m < n_components: where the spectrum has its largest relative gap."""
        laplacian = np.maximum(1 - self.eigenvalues_, 1e-12)
        top = min(self.n_components, len(laplacian) - 1)  # m from 2 to top - 1
        if top < 3:
            return None
        return int(np.argmax(laplacian[2:top] / laplacian[1 : top - 1])) + 2

    def alternatives(self) -> list[tuple[str, int, np.ndarray]]:
        """Other layouts `topics.select` may compare with `embedding_`: (kind, components, layout), kind
        "eigengap" (the cut at the spectrum's largest gap) or "cut" (one of `cuts`), each m once, the eigengap
        first. A cut is not offered when every eigenvalue it keeps is 0: the graph then falls apart into
        components, the layout puts all articles of a component on one point, and how HDBSCAN splits coinciding
        points is arbitrary."""
        gap = self.eigengap_components() if self.eigengap else None
        offered = [("eigengap", gap)] if gap is not None else []
        offered += [("cut", m) for m in sorted(set(self.cuts)) if 2 <= m < self.n_used_ and m != gap]
        return [(kind, m, self._rows_to_unit(self.vectors_[:, :m])[self.rows_]) for kind, m in offered
                if 1 - self.eigenvalues_[m - 1] >= self.COLLAPSED]

    def use(self, n_components: int) -> SpectralEmbedding:
        """Keep the first `n_components` eigenvectors (one of `alternatives()`) for the layout and `transform`."""
        self.n_used_ = min(n_components, self.vectors_.shape[1])
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """New documents through the fitted eigenvectors: v(x) = sum_i w_i v_i / (sqrt(deg_i) mu), with w the
        membership strengths of x's nearest distinct training points (rows then scaled to unit length)."""
        k = min(self.n_neighbors - 1, len(self.degrees_))
        indices, distances = self.index_.query(np.asarray(X), k)
        strengths = membership_strengths(distances) / np.sqrt(self.degrees_[indices])
        used = self.vectors_[:, : self.n_used_]
        scale = np.maximum(self.eigenvalues_[: self.n_used_], 1e-3)  # eigenvalues near 0 only on tiny corpora
        layout = np.einsum("nk,nkd->nd", strengths, used[indices]) / scale
        return self._rows_to_unit(layout)


@REDUCERS.register("spectral")
class Spectral(Component):
    """Laplacian eigenmaps of the exact cosine neighbour graph (`SpectralEmbedding`): deterministic, and
    continuous in the embeddings, so a last-bit change of the vectors leaves the topics as they were."""

    name: Literal["spectral"] = "spectral"
    n_neighbors: int = Field(30, ge=3, description="neighbours of each article in the graph")
    n_components: int = Field(30, ge=2, description="eigenvectors in the layout")
    eigengap: bool = Field(True, description="offer topics.select the layout cut at the spectrum's largest gap")
    cuts: Annotated[tuple[Annotated[int, Field(ge=2)], ...], BeforeValidator(_as_tuple)] = Field(
        (10, 20), description="offer topics.select the layouts of the first m eigenvectors for each m (below "
        "n_components)")

    @property
    def min_documents(self) -> int:
        return self.n_neighbors + 1

    def prepare(self, embeddings: np.ndarray) -> SpectralInput:
        return spectral_input(embeddings, self.n_neighbors)

    def build(self, seed: int, prepared: SpectralInput | None = None) -> SpectralEmbedding:
        return SpectralEmbedding(self.n_neighbors, self.n_components, self.eigengap, seed, prepared, self.cuts)

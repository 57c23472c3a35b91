"""scikit-learn's k-means fitted on one OpenMP thread, in a module of its own so that the clusterer registry does
not import scikit-learn and a saved model names a class pickle can find."""

from __future__ import annotations

from typing import Any

from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


class OneThreadKMeans(KMeans):
    """k-means whose fit runs on one OpenMP thread: scikit-learn splits its sums by thread count and records the
    count in the fitted model, so more cores (or an OMP_NUM_THREADS a Dask nanny set in the parent process)
    would otherwise change the saved model's bytes."""

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> OneThreadKMeans:
        with threadpool_limits(limits=1, user_api="openmp"):
            return super().fit(X, y, sample_weight)

"""Topic-stage designs side by side under a last-bit change of the embeddings (issue 13, part 5).

Each design clusters the same articles three times: as given, with every embedding value multiplied by
(1 + 1e-6 N(0, 1)) (what another machine's math kernels leave), and with the seed + 1. Reported: topics each
time, the adjusted Rand index of the final assignments against the first (the perturbation test passes with
the same number of topics and ARI >= 0.95), and the first fit's NPMI, diversity, outlier shares, largest topic
and CPU seconds (this process and its children: gensim's coherence workers). Designs the stage offers run
through `model_topics` with the shared params changed in one place (HDBSCAN's share chosen by `topics.select`);
k-means and Ward on the raw embeddings have no stage component and take the spectral design's number of topics.

    python benchmarks/topic_designs.py [--size 4000] [--subset-seed 101] [--designs spectral umap ...]

`--size 0` takes the whole default corpus. Results merge into benchmarks/results/topic_designs.json under the
corpus's name.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from pipeline import io
from pipeline.components.clustering import Hdbscan
from pipeline.components.reduction import ExactCosineIndex, Pca, Spectral, Umap
from pipeline.config import TopicsConfig, load_config
from pipeline.embed import load_embeddings
from pipeline.topics.metrics import npmi_coherence, perturbed, topic_diversity
from pipeline.topics.select import candidate_words
from pipeline.topics.stage import align, document_texts, model_topics, reference_tokens

RESULTS = Path(__file__).parent / "results" / "topic_designs.json"
log = logging.getLogger("topic_designs")

STAGE_DESIGNS: dict[str, dict[str, Any]] = {
    "spectral": {},  # the shipped params
    "spectral_without_eigengap": {"reducer": Spectral(eigengap=False)},
    "umap": {"reducer": Umap()},
    "pca10_hdbscan": {"reducer": Pca(n_components=10)},
}


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def kmeans_raw(embeddings: np.ndarray, n_topics: int, seed: int) -> np.ndarray:
    """k-means (k-means++ from `seed`) on the unit-length embeddings."""
    from sklearn.cluster import KMeans as SklearnKMeans

    vectors = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    return SklearnKMeans(n_topics, n_init=1, random_state=seed).fit_predict(vectors)


def ward_knn(embeddings: np.ndarray, n_topics: int, seed: int) -> np.ndarray:
    """Ward's agglomeration of the unit-length embeddings, merging only along the exact 15-NN graph."""
    from scipy import sparse
    from sklearn.cluster import AgglomerativeClustering

    indices, _ = ExactCosineIndex(embeddings).neighbor_graph(15)
    rows = np.repeat(np.arange(len(embeddings)), indices.shape[1])
    graph = sparse.csr_matrix((np.ones(indices.size), (rows, indices.ravel())), shape=(len(embeddings),) * 2)
    vectors = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    return AgglomerativeClustering(n_topics, linkage="ward", connectivity=graph.maximum(graph.T)).fit_predict(vectors)


RAW_DESIGNS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {"kmeans_raw": kmeans_raw, "ward_knn": ward_knn}


def raw_measures(articles: pd.DataFrame, embeddings: np.ndarray, topics: np.ndarray, config: TopicsConfig,
                 reference: list[list[str]], stop_words: list[str]) -> dict[str, Any]:
    docs = document_texts(articles, config.document_text)
    words = candidate_words(docs, embeddings, topics, config, stop_words)
    metrics = config.metrics
    npmi = npmi_coherence(words, reference, metrics.npmi_top_n)[0]
    return {"topics": len(words), "npmi": round(npmi, 4), "diversity": round(topic_diversity(words), 4),
            "outlier_share_before_reduction": 0.0, "outlier_share": 0.0,
            "largest_topic_share": round(float(np.bincount(topics).max() / len(topics)), 4)}


def run(articles: pd.DataFrame, embeddings: np.ndarray, config: TopicsConfig, designs: list[str]) -> dict[str, Any]:
    config = config.model_copy(update={"aspects": ()})  # aspects change no measure; they embed words
    reference, stop_words = reference_tokens(articles, config)
    variants = (("first", embeddings, 0), ("perturbed_1e-6", perturbed(embeddings), 0), ("seed_plus_1", embeddings, 1))
    results: dict[str, Any] = {}
    n_topics = None
    for name in designs:
        log.info("%s", name)
        row: dict[str, Any] = {}
        assignments = {}
        for variant, vectors, extra_seed in variants:
            started = cpu_seconds()
            if name in STAGE_DESIGNS:
                design = config.model_copy(update={**STAGE_DESIGNS[name], "seed": config.seed + extra_seed})
                result = model_topics(articles, vectors, design, None, {})
                assignments[variant] = result.fit.topics
                measures = {key: result.metrics[key] for key in (
                    "topics", "npmi", "diversity", "outlier_share_before_reduction", "outlier_share",
                    "largest_topic_share")}
                selection = result.metrics["selection"] or {}
                measures["kept"] = {key.removeprefix("kept_"): value for key, value in selection.items()
                                    if key.startswith("kept_")}
            else:
                if n_topics is None:
                    raise ValueError(f"{name} takes the spectral design's number of topics: run spectral first")
                topics = RAW_DESIGNS[name](vectors, n_topics, config.seed + extra_seed)
                assignments[variant] = topics
                measures = raw_measures(articles, vectors, topics, config, reference, stop_words)
            measures["cpu_seconds"] = round(cpu_seconds() - started, 1)
            if variant == "first":
                row.update(measures)
            else:
                row[variant] = {"topics": measures["topics"],
                                "ari": round(float(adjusted_rand_score(assignments["first"], assignments[variant])), 4)}
        pert = row["perturbed_1e-6"]
        row["perturbation_test_passed"] = pert["topics"] == row["topics"] and pert["ari"] >= 0.95
        if name == "spectral":
            n_topics = row["topics"]
        results[name] = row
        log.info("%s: %s", name, row)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--embeddings", type=Path, default=Path("data/processed/embeddings"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--size", type=int, default=4000, help="random articles of the default corpus (0: all)")
    parser.add_argument("--subset-seed", type=int, default=101)
    parser.add_argument("--designs", nargs="*", default=[*STAGE_DESIGNS, *RAW_DESIGNS])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    params = load_config(args.params)
    if params.topics.reducer != Spectral() or not isinstance(params.topics.clusterer, Hdbscan):
        log.warning("the designs change the reducer of these params: %s", params.topics.reducer)
    ids, embeddings, _ = load_embeddings(args.embeddings)
    articles = align(pd.read_parquet(args.articles), ids, params.corpus.canonical_only)
    name = f"default ({len(articles):,})"
    if 0 < args.size < len(articles):
        rows = np.sort(np.random.default_rng(args.subset_seed).choice(len(articles), args.size, replace=False))
        articles, embeddings = articles.iloc[rows].reset_index(drop=True), embeddings[rows]
        name = f"default subset {args.size:,} (seed {args.subset_seed})"
    designs = sorted(args.designs, key=lambda design: design != "spectral")  # the others take its topic count
    table = run(articles, embeddings, params.topics, designs)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {"designs": table, "load_average": os.getloadavg(),
                     "notes": "kmeans_raw and ward_knn (no outliers) take the spectral design's number of topics"}
    io.write_json(RESULTS, results)
    print(json.dumps({name: table}, indent=2))


if __name__ == "__main__":
    main()

"""The topic stage on several corpora and sizes beside BERTopic's library defaults and LDA (issue 15), and its
stability under a last-bit perturbation of the embeddings and a change of seed (issue 13, part 5).

Corpora: the default corpus (all articles, and random subsets: 1,000, 3,000 and 8,000 articles drawn with seed 0,
1,000 and 3,000 with seed 1; draws held out from tuning, see `topic_tuning.py`) with its cached embeddings, and
the fourteen Timeline17 folders pooled (`pipeline.topics.labelled`; seven stories, NMI and ARI against them),
embedded once with the configured encoder through the embedding cache. Every model is measured on the same
reference corpus (title + body tokenised by the stage's analyzer, corpus stop words removed): NPMI, diversity,
outlier shares, topic count, largest topic's share; NMI/ARI where labelled. Outliers (-1) count as one cluster in
NMI/ARI. The perturbation test multiplies every value by (1 + 1e-6 N(0, 1)) and refits with the same
seed: same number of topics and ARI of the final assignments >= 0.95 pass.

    python benchmarks/bench_topics.py --corpora [--subsets 1000:0 3000:0 8000:0 1000:1 3000:1] [--perturb default]
"""

from __future__ import annotations

import dataclasses
import logging
import resource
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pipeline.components import REDUCERS
from pipeline.config import Params
from pipeline.embed import embed_articles, load_embeddings
from pipeline.topics.labelled import news_tls_articles
from pipeline.topics.metrics import npmi_coherence, perturbed, stability, topic_diversity
from pipeline.topics.stage import align, full_texts, model_topics, reference_tokens
from pipeline.topics.words import tokenise

log = logging.getLogger("bench_topics")
TIMELINE17 = "Timeline17 pooled"  # its entry's name continues with the number of articles
ARI_TARGET = 0.95


@dataclasses.dataclass
class Corpus:
    name: str
    articles: pd.DataFrame
    embeddings: np.ndarray
    labels: np.ndarray | None = None


def parse_subsets(specs: list[str]) -> list[tuple[int, int]]:
    """`SIZE:SEED` pairs ("1000:0") as (size, seed), a clear error for anything else."""
    pairs = []
    for spec in specs:
        size, _, seed = spec.partition(":")
        if not (size.isdigit() and seed.isdigit()) or int(size) < 1:
            raise ValueError(f"a subset is SIZE:SEED, such as 1000:0; got {spec!r}")
        pairs.append((int(size), int(seed)))
    return pairs


def subset_rows(n_articles: int, subsets: list[tuple[int, int]]) -> dict[tuple[int, int], np.ndarray]:
    """The rows of each (size, seed) subset: one `default_rng(seed)` per seed draws its sizes smallest first, so
    seed 0's 1,000, 3,000 and 8,000 are the draws this benchmark has always made. Sizes at or above the corpus
    are left out."""
    rows: dict[tuple[int, int], np.ndarray] = {}
    for seed in sorted({seed for _, seed in subsets}):
        rng = np.random.default_rng(seed)
        for size in sorted(size for size, other in subsets if other == seed):
            if size < n_articles:
                rows[(size, seed)] = np.sort(rng.choice(n_articles, size, replace=False))
    return rows


def default_corpora(articles_path: Path, embeddings_dir: Path, params: Params,
                    subsets: list[tuple[int, int]]) -> list[Corpus]:
    """The whole default corpus and its random subsets, named "default subset SIZE (seed SEED)". These draws are
    held out from tuning: the stage's settings were chosen on other draws (`topic_tuning.py`, seeds 11-13, 21,
    22, 101)."""
    ids, embeddings, _ = load_embeddings(embeddings_dir)
    articles = align(pd.read_parquet(articles_path), ids, params.corpus.canonical_only)
    corpora = [Corpus(f"default ({len(articles):,})", articles, embeddings)]
    for (size, seed), rows in subset_rows(len(articles), subsets).items():
        corpora.append(Corpus(f"default subset {size:,} (seed {seed})", articles.iloc[rows].reset_index(drop=True),
                              embeddings[rows]))
    return corpora


def timeline17_corpus(root: Path, params: Params, cache_dir: Path) -> Corpus:
    articles = news_tls_articles(root).assign(is_canonical=True)
    config = params.embed.model_copy(update={"cache_dir": cache_dir})
    embedded = embed_articles(articles, config, progress=False)
    articles = articles.set_index("id").loc[embedded.ids["id"]].reset_index()
    return Corpus(f"{TIMELINE17} ({len(articles):,})", articles, embedded.embeddings,
                  articles["label"].to_numpy())


def _scores(words: list[list[str]], labels: np.ndarray, reference: list[list[str]], corpus: Corpus,
            params: Params) -> dict[str, Any]:
    metrics = params.topics.metrics
    real = labels[labels != -1]
    row: dict[str, Any] = {
        "topics": len(words),
        "npmi": round(npmi_coherence(words, reference, metrics.npmi_top_n)[0], 4),
        "diversity": round(topic_diversity(words, metrics.diversity_top_n), 4),
        "outlier_share": round(float((labels == -1).mean()), 4),
        "largest_topic_share": round(float(np.bincount(real).max() / len(labels)), 4) if len(real) else None,
    }
    if corpus.labels is not None:
        row["nmi"] = round(float(normalized_mutual_info_score(corpus.labels, labels)), 4)
        row["ari"] = round(float(adjusted_rand_score(corpus.labels, labels)), 4)
    return row


def cpu_seconds() -> float:
    """CPU seconds of this process and its waited-for children (gensim's coherence workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stage_row(corpus: Corpus, params: Params) -> tuple[dict[str, Any], Any]:
    config = params.topics.model_copy(update={"aspects": ()})  # aspects change no measure; they embed words
    row, result = _stage_row(corpus, config)
    return row, result


def _stage_row(corpus: Corpus, config: Any) -> tuple[dict[str, Any], Any]:
    started = cpu_seconds()
    result = model_topics(corpus.articles, corpus.embeddings, config, None, {})
    metrics = result.metrics
    row = {
        "topics": metrics["topics"],
        "npmi": metrics["npmi"],
        "diversity": metrics["diversity"],
        "outlier_share_before_reduction": metrics["outlier_share_before_reduction"],
        "outlier_share": metrics["outlier_share"],
        "largest_topic_share": metrics["largest_topic_share"],
        "degenerate": metrics["degenerate"],
        "min_cluster_size": metrics["components"]["clusterer"].get("min_cluster_size"),
        "selection": metrics["selection"],
        "cpu_seconds": round(cpu_seconds() - started, 1),
        "seconds": result.timing,
    }
    if corpus.labels is not None:
        row["nmi"] = round(float(normalized_mutual_info_score(corpus.labels, result.fit.topics)), 4)
        row["ari"] = round(float(adjusted_rand_score(corpus.labels, result.fit.topics)), 4)
    return row, result


def robustness(corpus: Corpus, params: Params, first: Any, config: Any = None) -> dict[str, Any]:
    """Refit on perturbed embeddings (same seed) and with another seed; compare the final assignments.
    `config`: the topics config `first` was fitted with (default: the shipped params)."""
    config = config if config is not None else params.topics.model_copy(update={"aspects": ()})
    out: dict[str, Any] = {"topics": first.metrics["topics"]}
    for name, embeddings, seed in (("perturbed_1e-6", perturbed(corpus.embeddings), config.seed),
                                   ("seed_plus_1", corpus.embeddings, config.seed + 1)):
        started = cpu_seconds()
        other = model_topics(corpus.articles, embeddings, config.model_copy(update={"seed": seed}), None, {})
        agreement = stability(first.fit.topics, other.fit.topics)
        out[name] = {
            "cpu_seconds": round(cpu_seconds() - started, 1),
            "topics": other.metrics["topics"],
            "ari": round(agreement["ari"], 4),
            "ari_before_outlier_reduction": round(stability(first.fit.clusters, other.fit.clusters)["ari"], 4),
            "npmi": other.metrics["npmi"],
            **{key: value for key, value in (other.metrics["selection"] or {}).items() if key.startswith("kept_")},
        }
    pert = out["perturbed_1e-6"]
    out["perturbation_test_passed"] = pert["topics"] == out["topics"] and pert["ari"] >= ARI_TARGET
    return out


def run_corpora(corpora: list[Corpus], params: Params, lda_passes: int, perturb: set[str],
                baselines: bool, reducers: tuple[str, ...] = ()) -> dict[str, Any]:
    """One entry per corpus: `this_stage` (the shipped params), `this_stage_<reducer>` for each of `reducers`
    (the shipped params with that reducer at its defaults, e.g. `umap`: the reducer before issue 13.5), the
    baselines, and `robustness` / `robustness_<reducer>` for the corpora named in `perturb`."""
    from bench_topics import bertopic_defaults, lda_labels

    results: dict[str, Any] = {}
    for corpus in corpora:
        log.info("%s: this stage", corpus.name)
        reference, _ = reference_tokens(corpus.articles, params.topics)
        stage, result = stage_row(corpus, params)
        entry: dict[str, Any] = {"documents": len(corpus.articles), "this_stage": stage}
        robust = any(corpus.name.startswith(prefix) for prefix in perturb)
        if robust:
            log.info("%s: perturbed embeddings and another seed", corpus.name)
            entry["robustness"] = robustness(corpus, params, result)
        for name in reducers:
            log.info("%s: this stage with the %s reducer", corpus.name, name)
            config = params.topics.model_copy(update={"aspects": (), "reducer": REDUCERS.get(name)()})
            entry[f"this_stage_{name}"], other = _stage_row(corpus, config)
            entry[f"this_stage_{name}"]["reducer"] = config.reducer.model_dump(mode="json")
            if robust:
                entry[f"robustness_{name}"] = robustness(corpus, params, other, config)
        if baselines:
            log.info("%s: BERTopic defaults", corpus.name)
            documents = full_texts(corpus.articles)
            words, labels, _ = bertopic_defaults(documents, corpus.embeddings, params.topics.seed)
            entry["bertopic_defaults"] = _scores(words, np.asarray(labels), reference, corpus, params)
            own_tokens = tokenise(documents, CountVectorizer(stop_words="english"))
            entry["bertopic_defaults"]["npmi_own_tokens"] = round(
                npmi_coherence(words, own_tokens, params.topics.metrics.npmi_top_n)[0], 4)
            log.info("%s: LDA with %d topics", corpus.name, max(stage["topics"], 2))
            words, labels = lda_labels(reference, max(stage["topics"], 2), lda_passes, params.topics.seed)
            entry["lda"] = _scores(words, labels, reference, corpus, params)
        results[corpus.name] = entry
        log.info("%s: %s", corpus.name, {key: value for key, value in stage.items() if key != "selection"})
    return results


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """Issue 15's targets per corpus, for this stage."""
    checks: dict[str, Any] = {}
    for name, entry in results.items():
        stage = entry["this_stage"]
        check = {
            "npmi_at_least_0.17": stage["npmi"] is not None and stage["npmi"] >= 0.17,
            "diversity_at_least_0.80": stage["diversity"] is not None and stage["diversity"] >= 0.80,
            "outliers_at_most_10_percent": stage["outlier_share"] <= 0.10,
            "no_topic_above_a_third": (stage["largest_topic_share"] or 0) <= 1 / 3,
        }
        if "nmi" in stage:
            check["nmi_at_least_0.80"] = stage["nmi"] >= 0.80
        if "robustness" in entry:
            check["perturbation_same_topics_and_ari_0.95"] = entry["robustness"]["perturbation_test_passed"]
        checks[name] = check
    return checks

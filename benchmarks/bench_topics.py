"""Topics benchmark: the embed + topics stages against BERTopic defaults and LDA, with timings and memory.

One run on the default corpus (data/interim/articles.parquet), all models on the same cached embeddings:
1. the two stages as `dvc repro` runs them (subprocesses), from a cold embedding cache and again warm, wall
   time and peak memory of each process; the fast Model2Vec backend likewise, with its distillation timed;
2. quality side by side: this stage, BERTopic with library defaults (CountVectorizer(stop_words="english",
   min_df=5), no outlier reduction; UMAP seeded so that the run repeats) on title + body, and gensim LDA with
   the stage's number of topics on the stage's tokens. NPMI is counted on one common reference corpus (title +
   body tokenised by the stage's analyzer), and also on each model's own tokenisation as in ANCHORS.md;
3. the quality cost of KeyBERTInspired or MMR as the main representation, and of the fast backend (NPMI,
   diversity, adjusted Rand index of its topics against MiniLM's).

    python benchmarks/bench_topics.py [--articles data/interim/articles.parquet] [--lda-passes 10]
    python benchmarks/bench_topics.py --corpora   # corpora x sizes x methods, perturbation and seed ARI, the
                                                  # stage with UMAP beside it (topic_corpora.py; issues 15, 13.5)

Writes benchmarks/results/topics.json. Timings on a shared machine are pessimistic: the load average before
and after is recorded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_rand_score

from pipeline import io
from pipeline.components import REPRESENTATIONS
from pipeline.config import TopicsConfig, load_config
from pipeline.embed import build_encoder, load_embeddings
from pipeline.topics.metrics import npmi_coherence, topic_diversity
from pipeline.topics.stage import align, full_texts, model_topics, reference_tokens
from pipeline.topics.words import tokenise

RESULTS = Path(__file__).parent / "results" / "topics.json"
REPO = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_topics")


def run_stage(args: list[str]) -> dict[str, float]:
    """Run `python -m pipeline ARGS` in a fresh process; its wall time and peak resident memory."""
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=REPO, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # reaps the child and reports its own resource usage
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(f"pipeline {args[0]} failed:\n{errors.read()[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_mb": round(usage.ru_maxrss / 1024)}


def stage_runs(folder: Path, params: dict[str, Any], articles: Path, backend: str, cache: Path) -> dict[str, Any]:
    """embed then topics with `backend`, caching under `cache`; outputs in folder/<backend>."""
    params = json.loads(json.dumps(params))
    params["embed"].update(encoder={"name": backend}, cache_dir=str(cache))
    params_file = folder / f"params_{backend}.yaml"
    params_file.write_text(yaml.safe_dump(params))
    out = folder / backend
    common = [f"--params={params_file}", f"--articles={articles}"]
    embed = run_stage(["embed", *common, f"--out-dir={out / 'embeddings'}", "--no-progress"])
    topics = run_stage(
        ["topics", *common, f"--embeddings={out / 'embeddings'}", f"--out-dir={out / 'topics'}", f"--metrics-dir={out}"]
    )
    return {"embed": embed, "topics": topics, "total_seconds": round(embed["seconds"] + topics["seconds"], 1)}


def bertopic_defaults(docs: list[str], embeddings: np.ndarray, seed: int) -> tuple[list[list[str]], np.ndarray, float]:
    """BERTopic as its documentation starts: default steps, the vectorizer of ANCHORS.md, seeded UMAP."""
    from bertopic import BERTopic
    from umap import UMAP

    started = time.perf_counter()
    model = BERTopic(
        umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed),
        vectorizer_model=CountVectorizer(stop_words="english", min_df=5),
        top_n_words=25,
    )
    topics = np.asarray(model.fit_transform(docs, embeddings)[0])
    seconds = time.perf_counter() - started
    words = [[word for word, _ in model.get_topic(topic) if word] for topic in sorted(set(topics)) if topic != -1]
    return words, topics, seconds


def lda(tokens: list[list[str]], n_topics: int, passes: int, seed: int) -> tuple[list[list[str]], float]:
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    started = time.perf_counter()
    dictionary = Dictionary(tokens)
    dictionary.filter_extremes(no_below=5, no_above=1.0, keep_n=None)
    corpus = [dictionary.doc2bow(doc) for doc in tokens]
    model = LdaModel(corpus, num_topics=n_topics, id2word=dictionary, passes=passes, chunksize=2000, random_state=seed)
    seconds = time.perf_counter() - started
    words = [[word for word, _ in model.show_topic(topic, topn=25)] for topic in range(n_topics)]
    return words, seconds


def lda_labels(tokens: list[list[str]], n_topics: int, passes: int, seed: int) -> tuple[list[list[str]], np.ndarray]:
    """LDA's words and each document's most probable topic (for NMI/ARI against labels)."""
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    dictionary = Dictionary(tokens)
    dictionary.filter_extremes(no_below=5, no_above=1.0, keep_n=None)
    corpus = [dictionary.doc2bow(doc) for doc in tokens]
    model = LdaModel(corpus, num_topics=n_topics, id2word=dictionary, passes=passes, chunksize=2000, random_state=seed)
    words = [[word for word, _ in model.show_topic(topic, topn=25)] for topic in range(n_topics)]
    labels = np.array([max(model.get_document_topics(bow), key=lambda pair: pair[1], default=(-1, 0))[0]
                       for bow in corpus])
    return words, labels


def quality(words: list[list[str]], references: dict[str, list[list[str]]], config: TopicsConfig) -> dict[str, Any]:
    scores: dict[str, Any] = {
        "topics": len(words),
        "diversity": round(topic_diversity(words, config.diversity_top_n), 4),
    }
    for name, tokens in references.items():
        scores[f"npmi_{name}"] = round(
            npmi_coherence(words, tokens, config.npmi_top_n)[0], 4
        )
    return scores


def compare_corpora(args: argparse.Namespace) -> None:
    """Issue 15's table: corpora x sizes x methods, merged into the existing results file (a corpus measured
    again replaces its entry; `--only` measures some corpora and keeps the others' entries)."""
    from topic_corpora import TIMELINE17, default_corpora, parse_subsets, run_corpora, targets, timeline17_corpus

    params = load_config(args.params)
    corpora = default_corpora(args.articles, args.embeddings, params, parse_subsets(args.subsets))
    names = [corpus.name for corpus in corpora]
    if args.timeline17.is_dir():
        names.append(TIMELINE17)
        if not args.only or TIMELINE17.startswith(tuple(args.only)):  # embedded (into --cache-dir) only if measured
            corpora.append(timeline17_corpus(args.timeline17, params, args.cache_dir))
    else:
        log.warning("%s not found: Timeline17 left out", args.timeline17)
    if args.only:
        corpora = [corpus for corpus in corpora if corpus.name.startswith(tuple(args.only))]
    corpora.sort(key=lambda corpus: len(corpus.articles))  # smallest first; results are written after each
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    for corpus in corpora:
        started = time.process_time()
        entry = run_corpora([corpus], params, args.lda_passes, set(args.perturb), not args.no_baselines,
                            tuple(args.reducers))[corpus.name]
        entry["run"] = {"cpu_seconds_main_process": round(time.process_time() - started, 1),
                        "load_average": os.getloadavg(), "commit": commit.stdout.strip()}
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        table = {name: kept for name, kept in results.get("corpora", {}).items()  # corpora no longer drawn: dropped
                 if any(name == known or name.startswith(f"{known} (") for known in names)}
        if args.no_baselines:  # kept from the last run that measured them, with its commit
            entry.update(_baselines_of(results.get("corpora", {}), corpus.name))
        table[corpus.name] = entry
        results["corpora"] = {name: table[name] for name in sorted(table, key=_corpus_order(names))}
        results["corpora_targets"] = targets(results["corpora"])
        results["corpora_run"] = {
            "complete": all(any(measured.startswith(name) for measured in table) for name in names),
            "reducers_compared": args.reducers,
            "topics_params": params.topics.model_dump(mode="json"),
        }
        io.write_json(RESULTS, results)
    print(json.dumps({"corpora": results["corpora"], "targets": results["corpora_targets"]}, indent=2))


BASELINES = ("bertopic_defaults", "lda")


def _baselines_of(corpora: dict[str, Any], name: str) -> dict[str, Any]:
    """A corpus's baseline results from an earlier run, with the commit that measured them (BERTopic's defaults
    do not depend on the stage; LDA was given the number of topics the stage found then). Seed 0's subsets were
    named without their seed before ("default subset 1,000"): the same draws."""
    entry = corpora.get(name) or corpora.get(name.removesuffix(" (seed 0)")) or {}
    kept = {key: entry[key] for key in BASELINES if key in entry}
    if kept:
        kept["baselines_run"] = entry.get("baselines_run") or entry.get("run", {})
    return kept


def _corpus_order(names: list[str]) -> Any:
    return lambda name: names.index(name) if name in names else len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--lda-passes", type=int, default=10)
    parser.add_argument("--corpora", action="store_true",
                        help="only the corpora x sizes comparison (topic_corpora.py), kept beside the other results")
    parser.add_argument("--embeddings", type=Path, default=Path("data/processed/embeddings"))
    parser.add_argument("--subsets", nargs="*", default=["1000:0", "3000:0", "8000:0", "1000:1", "3000:1"],
                        help="random subsets of the default corpus as SIZE:SEED (draws held out from tuning)")
    parser.add_argument("--timeline17", type=Path, default=REPO.parent / "shared" / "tls" / "t17")
    parser.add_argument("--cache-dir", type=Path, default=Path("data/cache"), help="embedding cache for Timeline17")
    parser.add_argument("--perturb", nargs="*", default=["default", "Timeline17"],
                        help="corpora (name prefixes) refitted on perturbed embeddings and with another seed")
    parser.add_argument("--reducers", nargs="*", default=["umap"],
                        help="also the stage with each of these reducers at their defaults (umap: the one before 13.5)")
    parser.add_argument("--only", nargs="*", default=[],
                        help="measure only the corpora with these name prefixes; the others' entries are kept")
    parser.add_argument("--no-baselines", action="store_true",
                        help="this stage only; a corpus's baseline results from an earlier run are kept")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    if args.corpora:
        compare_corpora(args)
        return
    articles_path = args.articles.resolve()
    validated = load_config(args.params)
    params = validated.model_dump(mode="json")
    config = validated.topics
    load_before = os.getloadavg()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_average_before": load_before}}

    with tempfile.TemporaryDirectory(prefix="bench_topics_") as tmp:
        folder = Path(tmp)
        log.info("cold run: MiniLM from an empty cache")
        results["minilm_cold"] = stage_runs(folder, params, articles_path, "minilm", folder / "cache")
        log.info("warm run: the same again")
        results["minilm_warm"] = stage_runs(folder, params, articles_path, "minilm", folder / "cache")
        log.info("fast backend: Model2Vec, distilled on first use")
        results["model2vec_with_distillation"] = stage_runs(
            folder, params, articles_path, "model2vec", folder / "cache"
        )
        for shard_folder in (folder / "cache" / "embeddings").glob("model2vec-*"):
            for shard in shard_folder.glob("*.npz"):
                shard.unlink()
        results["model2vec_cold"] = stage_runs(folder, params, articles_path, "model2vec", folder / "cache")

        stage_metrics = json.loads((folder / "minilm" / "topics.json").read_text())
        fast_metrics = json.loads((folder / "model2vec" / "topics.json").read_text())
        minilm_topics = pd.read_parquet(folder / "minilm" / "topics" / "doc_topics.parquet")
        fast_topics = pd.read_parquet(folder / "model2vec" / "topics" / "doc_topics.parquet")
        aligned = minilm_topics.merge(fast_topics, on="id", suffixes=("_minilm", "_fast"))
        results["fast_backend"] = {
            "npmi": fast_metrics["npmi"],
            "diversity": fast_metrics["diversity"],
            "topics": fast_metrics["topics"],
            "outlier_share_before_reduction": fast_metrics["outlier_share_before_reduction"],
            "outlier_share": fast_metrics["outlier_share"],
            "ari_vs_minilm_topics": round(adjusted_rand_score(aligned["topic_minilm"], aligned["topic_fast"]), 4),
        }

        log.info("baselines on the cached MiniLM embeddings")
        ids, embeddings, info = load_embeddings(folder / "minilm" / "embeddings")
        articles = align(pd.read_parquet(articles_path), ids, validated.corpus.canonical_only)
    documents = full_texts(articles)
    stage_tokens, _ = reference_tokens(articles, config)
    default_tokens = tokenise(documents, CountVectorizer(stop_words="english"))

    stage_timing = results["minilm_warm"]["topics"]
    comparison: dict[str, dict[str, Any]] = {}
    comparison["this_stage"] = {
        "topics": stage_metrics["topics"],
        "npmi_common": stage_metrics["npmi"],
        "npmi_own": stage_metrics["npmi"],
        "diversity": stage_metrics["diversity"],
        "outlier_share_before_reduction": stage_metrics["outlier_share_before_reduction"],
        "outlier_share": stage_metrics["outlier_share"],
        "stage_seconds_warm": stage_timing["seconds"],
    }

    log.info("BERTopic with library defaults")
    words, topics, seconds = bertopic_defaults(documents, embeddings, config.seed)
    comparison["bertopic_defaults"] = {
        **quality(words, {"common": stage_tokens, "own": default_tokens}, config),
        "outlier_share": round(float((topics == -1).mean()), 4),
        "fit_seconds": round(seconds, 1),
    }
    log.info("LDA with %d topics", stage_metrics["topics"])
    words, seconds = lda(stage_tokens, stage_metrics["topics"], args.lda_passes, config.seed)
    comparison["lda"] = {
        **quality(words, {"common": stage_tokens}, config),
        "outlier_share": 0.0,
        "fit_seconds": round(seconds, 1),
        "passes": args.lda_passes,
    }
    comparison["lda"]["npmi_own"] = comparison["lda"]["npmi_common"]

    log.info("representation variants on the stage's clusters")
    encoder = build_encoder(validated.embed)
    for name, representation in (("keybert_main", ("keybert",)), ("mmr_main", ("mmr",))):
        variant = config.model_copy(
            update={"representation": tuple(REPRESENTATIONS.get(name)() for name in representation), "aspects": ()}
        )
        started = time.perf_counter()
        result = model_topics(articles, embeddings, variant, encoder, info)
        comparison[f"this_stage_{name}"] = {
            "topics": result.metrics["topics"],
            "npmi_common": result.metrics["npmi"],
            "diversity": result.metrics["diversity"],
            "seconds": round(time.perf_counter() - started, 1),
        }

    results["comparison"] = comparison
    results["stability"] = stage_metrics["stability"]
    results["largest_topics"] = [topic["label"] for topic in stage_metrics["largest_topics"]]
    results["targets"] = {
        "npmi_at_least_0.17": stage_metrics["npmi"] >= 0.17,
        "diversity_at_least_0.80": stage_metrics["diversity"] >= 0.80,
        "outliers_at_most_10_percent": stage_metrics["outlier_share"] <= 0.10,
        "npmi_above_both_baselines": stage_metrics["npmi"]
        > max(comparison["bertopic_defaults"]["npmi_common"], comparison["lda"]["npmi_common"]),
        "cold_within_10_minutes": results["minilm_cold"]["total_seconds"] <= 600,
        "warm_within_2_minutes": results["minilm_warm"]["total_seconds"] <= 120,
    }
    runs = [run for key, run in results.items() if key.startswith(("minilm_", "model2vec_"))]
    peaks = [run[step]["peak_mb"] for run in runs for step in ("embed", "topics")]
    results["peak_memory_mb"] = {
        "stage_processes": max(peaks),
        "benchmark_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    results["machine"]["load_average_after"] = os.getloadavg()
    io.write_json(RESULTS, results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Development subsets for the topic stage's settings (issue 15): where the knobs were chosen, apart from the draws
the benchmark reports.

The subsets: random draws of the default corpus, each with its own `default_rng(seed)` — 1,000 articles with seeds
11, 12 and 13, 3,000 with seeds 21 and 22, 4,000 with seed 101 (one of the two draws the spectral reducer's
neighbours and components were chosen on). `bench_topics.py --corpora` reports other draws (seeds 0 and 1, drawn
in sequence from one generator per seed) and pooled Timeline17, never looked at while choosing.

Each variant is the shipped `topics` params with some settings changed; on each subset the stage's own choice
(`pipeline.topics.select.select_topic_size`: one reducer fit, HDBSCAN with each candidate size on each layout,
c-TF-IDF words, NPMI on the subset) is run, and the kept candidate and every candidate are recorded with CPU seconds
(this process and the NPMI workers). The kept candidate's measures are the stage's (the final fit places outliers
and finds words as the candidates do). Results merge into `benchmarks/results/topic_tuning.json` by variant.

    python benchmarks/topic_tuning.py [--variants shipped before] [--subsets 1000:11 1000:12 ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.components.clustering import Hdbscan
from pipeline.components.reduction import Spectral
from pipeline.config import SelectConfig, TopicsConfig, load_config
from pipeline.embed import load_embeddings
from pipeline.topics.select import select_topic_size
from pipeline.topics.stage import align, document_texts, reference_tokens

RESULTS = Path(__file__).parent / "results" / "topic_tuning.json"
REPO = Path(__file__).resolve().parents[1]
DEV_SUBSETS = ["1000:11", "1000:12", "1000:13", "3000:21", "3000:22", "4000:101"]
log = logging.getLogger("topic_tuning")

# Changes to the shipped topics params, by name. "before": the settings before this round (e68c454): the smallest
# topic 0.5%, 1% or 2% of the corpus, layouts of 30 eigenvectors and the eigengap cut.
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "before": {"reducer": Spectral(cuts=()), "clusterer": Hdbscan(min_topic_share=0.005),
               "select": SelectConfig(min_topic_shares=(0.005, 0.01, 0.02))},
    "shipped_without_cuts": {"reducer": Spectral(cuts=())},
    "shares_with_cuts": {"clusterer": Hdbscan(min_topic_share=0.005),
                         "select": SelectConfig(min_topic_shares=(0.005, 0.01, 0.02, 0.03))},
    "words_full_text": {"document_text": "full"},
    "words_without_bm25": {"bm25_weighting": False},
    "words_without_frequent_damping": {"reduce_frequent_words": False},
}


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def dev_subset(articles: pd.DataFrame, embeddings: np.ndarray, size: int, seed: int) -> tuple[pd.DataFrame,
                                                                                                  np.ndarray]:
    rows = np.sort(np.random.default_rng(seed).choice(len(articles), size, replace=False))
    return articles.iloc[rows].reset_index(drop=True), embeddings[rows]


def kept_choice(articles: pd.DataFrame, embeddings: np.ndarray, config: TopicsConfig) -> dict[str, Any]:
    """The stage's choice on one corpus: its kept candidate and all candidates, with CPU seconds."""
    started = cpu_seconds()
    reference, stop_words = reference_tokens(articles, config)
    docs = document_texts(articles, config.document_text)
    prepared = config.reducer.prepare(embeddings)
    selection = select_topic_size(docs, embeddings, config, reference, stop_words, prepared)
    kept = next(row for row in selection.candidates if row["kept"])
    return {"kept": kept, "candidates": selection.candidates, "cpu_seconds": round(cpu_seconds() - started, 1)}


def summary(entries: dict[str, Any]) -> dict[str, Any]:
    """Mean NPMI of the kept candidates, per subset size and over all subsets."""
    by_size: dict[str, list[float]] = {}
    for name, entry in entries.items():
        by_size.setdefault(name.split(":")[0], []).append(entry["kept"]["npmi"])
    return {"mean_kept_npmi_by_size": {size: round(float(np.mean(values)), 4) for size, values in by_size.items()},
            "mean_kept_npmi": round(float(np.mean([value for values in by_size.values() for value in values])), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--embeddings", type=Path, default=Path("data/processed/embeddings"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--variants", nargs="*", default=["shipped", "before"], choices=sorted(VARIANTS))
    parser.add_argument("--subsets", nargs="*", default=DEV_SUBSETS, help="SIZE:SEED, each drawn with its own seed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    params = load_config(args.params)
    ids, embeddings, _ = load_embeddings(args.embeddings)
    articles = align(pd.read_parquet(args.articles), ids, params.corpus.canonical_only)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    for variant in args.variants:
        config = params.topics.model_copy(update={**VARIANTS[variant], "aspects": ()})
        entries: dict[str, Any] = {}
        for spec in args.subsets:
            size, seed = (int(part) for part in spec.split(":"))
            log.info("%s on %s", variant, spec)
            entries[spec] = kept_choice(*dev_subset(articles, embeddings, size, seed), config)
            log.info("%s on %s: kept %s", variant, spec, entries[spec]["kept"])
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[variant] = {"summary": summary(entries), "subsets": entries, "commit": commit.stdout.strip(),
                            "topics_params": {key: value for key, value in config.model_dump(mode="json").items()
                                              if key in ("reducer", "clusterer", "select", "outliers")}}
        io.write_json(RESULTS, results)
        print(json.dumps({variant: results[variant]["summary"]}, indent=2))


if __name__ == "__main__":
    main()

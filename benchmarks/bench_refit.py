"""topics.refit_share: how far new articles placed with a kept fit drift from what a refit would give them.

A corpus grows by its newest articles. On one half of the default corpus (a seeded random half: the dev half),
the articles are ordered by publication day; for each share s the topics stage's fit (`fit_corpus`, params.yaml's
settings, aspects left out: they place nothing) is made on the oldest 1 - s and the newest s are placed with it
(`place_in_partitions`, the rule a placing run applies), and the result is compared with a fit of the whole
half: the adjusted Rand index over every article and over the placed ones only, the placed articles' outlier
share, topics, and CPU seconds. For scale, the whole half is fitted again with seed + 1: what a refit itself
varies by.

The rule, fixed before the run: `refit_share` is the largest share at which placing agrees with the whole fit
(ARI over every article) at least as well as the whole fit agrees with itself at seed + 1; shares measured
1%, 2%, 5%, 10%, 20%. It is chosen on the dev half and then checked on the other half (the held-out half, not
used for the choice), whose figures are the ones to quote.

    python benchmarks/bench_refit.py [--data /work/main/data] [--shares 0.01 0.02 0.05 0.1 0.2]

writes benchmarks/results/refit.json (after each measurement, so a stopped run keeps what it measured).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "refit.json"
SPLIT_SEED = 14


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def fitted_topics(articles: pd.DataFrame, embeddings: np.ndarray, config: Any, encoder: Any,
                  info: dict[str, Any]) -> tuple[np.ndarray, Any, float]:
    from pipeline.topics.stage import fit_corpus

    started = _cpu()
    fit, _, _ = fit_corpus(articles, embeddings, config, encoder, info)
    return fit.topics, fit, _cpu() - started


def halves(articles: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the dev half and of the held-out half, each ordered by publication day (then id)."""
    rng = np.random.default_rng(SPLIT_SEED)
    dev = np.zeros(len(articles), dtype=bool)
    dev[rng.choice(len(articles), size=len(articles) // 2, replace=False)] = True
    order = articles.assign(_day=pd.to_datetime(articles["date"]), _row=np.arange(len(articles))).sort_values(
        ["_day", "id"], na_position="first", kind="stable")["_row"].to_numpy()
    return order[dev[order]], order[~dev[order]]


def measure_half(name: str, rows: np.ndarray, articles: pd.DataFrame, embeddings: np.ndarray, config: Any,
                 encoder: Any, info: dict[str, Any], shares: list[float], results: dict[str, Any]) -> None:
    from pipeline.topics.sample import place_in_partitions
    from pipeline.topics.stage import document_texts

    half, vectors = articles.iloc[rows].reset_index(drop=True), embeddings[rows]
    entry = results.setdefault(name, {"articles": len(rows), "shares": {}})
    whole, _, seconds = fitted_topics(half, vectors, config, encoder, info)
    entry["whole_fit"] = {"topics": len(set(whole) - {-1}), "cpu_seconds": round(seconds, 1)}
    reseed, _, _ = fitted_topics(half, vectors, config.model_copy(update={"seed": config.seed + 1}), encoder, info)
    entry["reseed_ari"] = round(float(adjusted_rand_score(whole, reseed)), 4)
    _save(results)
    for share in shares:
        cut = len(rows) - round(len(rows) * share)
        old, new = np.arange(cut), np.arange(cut, len(rows))
        topics, fit, seconds = fitted_topics(half.iloc[old].reset_index(drop=True), vectors[old], config, encoder,
                                             info)
        started = _cpu()
        docs = document_texts(half.iloc[new], config.document_text)
        _, placed = place_in_partitions(fit.model, docs, vectors[new], config.outliers)
        place_seconds = _cpu() - started
        combined = np.concatenate([topics, placed])
        entry["shares"][str(share)] = {
            "placed": len(new),
            "ari_all": round(float(adjusted_rand_score(whole, combined)), 4),
            "ari_placed": round(float(adjusted_rand_score(whole[new], placed)), 4),
            "ari_fitted": round(float(adjusted_rand_score(whole[old], topics)), 4),
            "outlier_share_placed": round(float((placed == -1).mean()), 4),
            "outlier_share_whole_fit_newest": round(float((whole[new] == -1).mean()), 4),
            "topics": len(set(topics) - {-1}),
            "fit_cpu_seconds": round(seconds, 1),
            "place_cpu_seconds": round(place_seconds, 2),
        }
        print(name, share, json.dumps(entry["shares"][str(share)]), flush=True)
        _save(results)


def chosen_share(entry: dict[str, Any]) -> float | None:
    """The largest share whose ARI over every article reaches the reseed's (None: not even the smallest)."""
    passing = [float(share) for share, found in entry["shares"].items() if found["ari_all"] >= entry["reseed_ari"]]
    return max(passing) if passing else None


def _save(results: dict[str, Any]) -> None:
    from pipeline import io

    io.write_json(RESULTS, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.01, 0.02, 0.05, 0.1, 0.2])
    parser.add_argument("--held-out-shares", type=float, nargs="*",
                        help="shares measured on the held-out half (default: the chosen one and the smallest)")
    parser.add_argument("--held-out-only", action="store_true",
                        help="keep the dev half's results in the results file and measure the held-out half only "
                             "(its whole fit and reseed again, then --held-out-shares)")
    args = parser.parse_args()
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    from pipeline.config import load_config
    from pipeline.embed import build_encoder, load_embeddings
    from pipeline.topics.stage import align

    params = load_config(args.params)
    embed = params.embed.model_copy(update={"cache_dir": args.data / "cache"})
    config = params.topics.model_copy(update={"aspects": (), "cache_dir": None})
    ids, embeddings, info = load_embeddings(args.data / "processed" / "embeddings")
    articles = align(pd.read_parquet(args.data / "interim" / "articles.parquet"), ids, params.corpus.canonical_only)
    encoder = build_encoder(embed)
    dev, held_out = halves(articles)
    previous = json.loads(RESULTS.read_text()) if args.held_out_only and RESULTS.is_file() else {}
    results: dict[str, Any] = {
        **previous,
        "what": "bench_refit.py: a fit on the oldest 1 - s of half the default corpus, the newest s placed with it, "
                "against a fit of the whole half (ARI), and the whole half refitted with seed + 1",
        "rule": "refit_share = the largest share whose ARI over every article reaches the seed + 1 ARI (dev half)",
        "machine": f"{os.cpu_count()} CPUs shared with other work: CPU seconds",
        "embedding_model": info.get("model_key"),
        "started": previous.get("started", time.strftime("%Y-%m-%d %H:%M")),
    }
    if not args.held_out_only:
        measure_half("dev", dev, articles, embeddings, config, encoder, info, args.shares, results)
    choice = chosen_share(results["dev"])
    results["chosen_refit_share"] = choice
    results.pop("held_out", None)
    _save(results)
    held = args.held_out_shares if args.held_out_shares is not None else sorted(
        {min(args.shares), *([choice] if choice else [])})
    measure_half("held_out", held_out, articles, embeddings, config, encoder, info, held, results)
    print(json.dumps({key: results[key] for key in ("chosen_refit_share",)}), flush=True)


if __name__ == "__main__":
    main()

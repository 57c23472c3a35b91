"""Ingest benchmark: throughput and peak memory on the default corpus, and date-inference error.

Date inference is measured by hiding known dates: a random sample of articles loses its metadata date and is
dated with the other dated articles as neighbours, its own duplicate cluster excluded (a syndicated copy would
otherwise give its date away), by the prior fitted on the other outlet fold. This is setting (a) of
benchmarks/bench_dating.py, which also dates articles alone and as an undated folder.

    python benchmarks/bench_ingest.py [--hidden 1000] [--params params.yaml]

Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_dating import latest_full_date, prepare, with_neighbours  # benchmarks/ is the script's folder

from pipeline import io
from pipeline.config import load_config
from pipeline.ingest.stage import ingest

RESULTS = Path(__file__).parent / "results" / "ingest.json"


def error_summary(errors: list[float | None]) -> dict[str, float]:
    """Median absolute error over dated guesses; within-k shares over all hidden articles (no guess = miss)."""
    n = len(errors)
    found = np.array([e for e in errors if e is not None], dtype=float)
    return {
        "coverage": round(len(found) / n, 4),
        "median_abs_error_days": float(np.median(found)) if len(found) else None,
        "within_1_day": round(float((found <= 1).sum()) / n, 4),
        "within_3_days": round(float((found <= 3).sum()) / n, 4),
        "within_7_days": round(float((found <= 7).sum()) / n, 4),
    }


def date_inference(articles: pd.DataFrame, hidden: int, params: str, seed: int = 0) -> dict[str, object]:
    """Setting (a) of bench_dating.py (which has the rest): hidden dates inferred with the other dated articles as
    neighbours, the prior held out by outlet fold, at ingest.dating.min_confidence; and the trivial baseline."""
    config = load_config(params).ingest.dating
    started = time.perf_counter()
    setup = prepare(articles, Path("data/cache"))
    fit_seconds = time.perf_counter() - started
    dated = setup.dated
    held_out = sorted(dated.sample(hidden, random_state=seed).index)
    started = time.perf_counter()
    guesses = with_neighbours(setup, held_out, config)
    infer_seconds = time.perf_counter() - started
    errors: dict[str, list[float | None]] = {"model": [], "baseline_latest_full_date": []}
    for position, index in enumerate(held_out):
        truth, guess = dated.at[index, "date"], guesses[position].date
        errors["model"].append(abs((guess - truth).days) if guess else None)
        baseline = latest_full_date("\n".join([*dated.at[index, "captions"], dated.at[index, "body"]]))
        errors["baseline_latest_full_date"].append(abs((baseline - truth).days) if baseline else None)
    return {
        "hidden_articles": hidden,
        "fitted_on": {fold: prior.meta["articles"] for fold, prior in setup.priors.items()},
        "fit_seconds": round(fit_seconds, 1),
        "infer_ms_per_article": round(1000 * infer_seconds / hidden, 1),
        **{name: error_summary(values) for name, values in errors.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--hidden", type=int, default=1000, help="articles whose date is hidden and inferred")
    args = parser.parse_args()

    config = load_config(args.params).ingest
    files = [
        path for source in map(Path, config.sources) for path in ([source] if source.is_file() else source.rglob("*"))
    ]
    n_bytes = sum(path.stat().st_size for path in files)
    started = time.perf_counter()
    result = ingest(config, progress=False)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    throughput = {
        "records": result.metrics["records_read"],
        "seconds": round(seconds, 1),
        "articles_per_second": round(result.metrics["records_read"] / seconds, 1),
        "mb_per_second": round(n_bytes / 1e6 / seconds, 2),
        "input_mb": round(n_bytes / 1e6, 1),
        "peak_memory_mb": round(peak_mb),
    }
    print(json.dumps(throughput, indent=2))
    dating = date_inference(result.articles, args.hidden, args.params)
    print(json.dumps(dating, indent=2))
    io.write_json(RESULTS, {"throughput": throughput, "date_inference": dating})


if __name__ == "__main__":
    main()

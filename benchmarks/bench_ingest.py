"""Ingest benchmark: throughput and peak memory on the default corpus, and date-inference error.

Date inference is measured by hiding known dates: a random sample of articles loses its metadata date,
the model is fitted on the others, and each hidden article is dated with its own duplicate cluster
excluded from the reference set (a syndicated copy would otherwise give its date away).

    python benchmarks/bench_ingest.py [--hidden 1000] [--params params.yaml]

Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.config import load_config
from pipeline.ingest.dating import DateInferrer, _neighbour_texts
from pipeline.ingest.stage import ingest

RESULTS = Path(__file__).parent / "results" / "ingest.json"
_MONTHS = [calendar.month_name[number].lower() for number in range(1, 13)]
_FULL_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r") (\d{1,2}), (\d{4})\b", re.IGNORECASE)


def latest_full_date(text: str) -> dt.date | None:
    """The trivial baseline from ANCHORS.md: the latest "Month D, YYYY" in the text."""
    days = []
    for match in _FULL_DATE.finditer(text):
        try:
            days.append(dt.date(int(match.group(3)), _MONTHS.index(match.group(1).lower()) + 1, int(match.group(2))))
        except ValueError:
            continue
    return max(days) if days else None


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


def date_inference(articles: pd.DataFrame, hidden: int, seed: int = 0) -> dict[str, object]:
    dated = articles[articles["date_source"] == "metadata"].reset_index(drop=True)
    held_out = dated.sample(hidden, random_state=seed)
    frame = dated.copy()
    frame.loc[held_out.index, "date_source"] = "unknown"
    started = time.perf_counter()
    model = DateInferrer.fit(frame)
    fit_seconds = time.perf_counter() - started
    reference = frame[frame["date_source"] == "metadata"]
    reference_clusters = reference["dup_cluster"].to_numpy()

    errors: dict[str, list[float | None]] = {"model": [], "baseline_latest_full_date": []}
    started = time.perf_counter()
    for (_, row), neighbour_text in zip(held_out.iterrows(), _neighbour_texts(held_out), strict=True):
        captions = list(row["captions"])
        guess = model.infer(row["body"], captions, neighbour_text, exclude=reference_clusters == row["dup_cluster"])
        text = "\n".join([*captions, row["body"]])
        errors["model"].append(abs((guess.date - row["date"]).days) if guess.date else None)
        baseline = latest_full_date(text)
        errors["baseline_latest_full_date"].append(abs((baseline - row["date"]).days) if baseline else None)
    infer_seconds = time.perf_counter() - started
    return {
        "hidden_articles": hidden,
        "fitted_on": model.fitted_on,
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
    dating = date_inference(result.articles, args.hidden)
    print(json.dumps(dating, indent=2))
    io.write_json(RESULTS, {"throughput": throughput, "date_inference": dating})


if __name__ == "__main__":
    main()

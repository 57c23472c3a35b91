"""Timeline stage benchmark: wall time of the whole stage on the default corpus, step by step.

Runs exactly what `dvc repro` runs (`run_stage` on data/interim/articles.parquet with params.yaml) and writes
the outputs to a temporary folder. The target is 5 minutes on 2 cores; the load average before and after is
recorded because other jobs on a shared machine slow every step (figures taken under load are pessimistic).
The CPU seconds of this process and its workers are recorded too, and from them the wall time on two otherwise
idle cores: the single-process steps (loading, merging, summary) plus half the CPU time of the rest.

    python benchmarks/bench_timeline.py [--articles data/interim/articles.parquet] [--params params.yaml]

Writes benchmarks/results/timeline.json (timings, counts, and the ten events most outlets reported, by id,
date and counts; no article text).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from pipeline import io
from pipeline.config import load_config
from pipeline.engine import Engine
from pipeline.timeline.stage import load_articles, run_stage, write_outputs

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "timeline.json"
TARGET_SECONDS = 300


def seconds_of(seconds: dict[str, float], *steps: str) -> float:
    return sum(seconds.get(step, 0.0) for step in steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=REPO / "data" / "interim" / "articles.parquet")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    load_before = os.getloadavg()
    started = time.perf_counter()
    params = load_config(args.params)
    config = params.timeline.model_copy(update={"cache_dir": None})  # cold: nothing taken from a cache
    articles = load_articles(args.articles, params.corpus.canonical_only)
    loaded = time.perf_counter()
    with Engine(params.engine) as engine:
        result = run_stage(articles, config, params.corpus, engine)
    with tempfile.TemporaryDirectory() as folder:
        write_outputs(result, Path(folder), Path(folder) / "metrics.json")
    total = time.perf_counter() - started
    # Tagging and parsing run in two processes; loading, merging and the summary in one.
    serial = seconds_of(result.metrics["seconds"], "merging", "summary timeline") + (loaded - started)
    cpu = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )
    events = result.timeline.sort_values(["n_outlets", "n_articles", "event_id"], ascending=[False, False, True])
    top = [
        {key: row[key] for key in ("event_id", "date", "precision", "n_outlets", "n_articles", "n_countries",
                                   "outlets", "lag_days", "trigger", "actors", "locations")}
        for _, row in events.head(10).iterrows()
    ]
    seconds = {"loading": round(loaded - started, 2), **result.metrics["seconds"], "total": round(total, 2)}
    io.write_json(RESULTS, {
        "seconds": seconds,
        "target_seconds": TARGET_SECONDS,
        "within_target": total <= TARGET_SECONDS,
        "cpu_seconds": round(cpu, 1),
        "idle_two_core_estimate_seconds": round(serial + (cpu - serial) / 2, 1),
        "counts": {key: value for key, value in result.metrics.items() if key != "seconds"},
        "top_events": top,
        "settings": {"engine": params.engine.model_dump(), "max_events_per_article": config.max_events_per_article,
                     "event_granularities": list(config.event_granularities)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
    })
    print(f"timeline stage: {total:.1f} s for {len(articles)} articles (target {TARGET_SECONDS} s); steps {seconds}")
    print(f"CPU {cpu:.0f} s (this process and its workers)")
    print(f"load average before {load_before}, after {os.getloadavg()}; wrote {RESULTS}")


if __name__ == "__main__":
    main()

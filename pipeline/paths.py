"""Where each stage reads and writes by default: the one list of paths that `dvc.yaml` mirrors.

The command-line layer uses these as defaults; `tests/test_paths.py` checks that every stage's deps and outs
in `dvc.yaml` name the same files, so the map and the code cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

PARAMS = Path("params.yaml")
DVC_YAML = Path("dvc.yaml")

ARTICLES = Path("data/interim/articles.parquet")
QUARANTINE = Path("data/interim/quarantine.parquet")
INTERIM = ARTICLES.parent
OUTLETS = Path("data/processed/outlets")
EMBEDDINGS = Path("data/processed/embeddings")
TOPICS = Path("data/processed/topics")
TIMELINE = Path("data/processed/timeline")

METRICS = Path("metrics")
INGEST_METRICS = METRICS / "ingest.json"
TOPICS_METRICS = METRICS / "topics.json"
TIMELINE_METRICS = METRICS / "timeline.json"
REPORT_METRICS = METRICS / "report.json"

NOTEBOOKS = Path("notebooks")
REPORTS = Path("reports")
EXPLORER = REPORTS / "explorer.html"
BENCHMARK_RESULTS = Path("benchmarks/results")

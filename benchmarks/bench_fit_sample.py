"""topics.fit_sample on the default corpus: a model fitted on a sample, the rest assigned, against the full fit.

For each sample size (and the whole corpus, the reference), the topics stage (`model_topics`, params.yaml's
settings but `fit_sample`) runs in a process of its own on the embed stage's vectors, and reports:

- its CPU seconds (the process and its children: gensim's coherence workers) and peak RSS, and the stage's own
  timings (neighbour graph, share selection, fit, assignment of the rest);
- topics, mean NPMI and diversity (NPMI always counted on the whole corpus's titles and bodies);
- agreement with the full fit: ARI of the final topics over every article, over the assigned articles only
  (never seen by the sample's fit) and over the articles both place in a topic (`ari_clustered`).

    python benchmarks/bench_fit_sample.py --sizes 2000 4000 8000 [--data /work/main/data]

writes benchmarks/results/fit_sample.json. Sample sizes below the corpus only; the reference is fitted once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fit_sample.json"


def run_one(data: Path, params: Path, fit_sample: int | None, out: Path) -> None:
    """One topics run in this process: its doc topics to `out`.parquet, its metrics and timings to `out`.json."""
    import logging

    from pipeline.config import load_config
    from pipeline.embed import build_encoder, load_embeddings
    from pipeline.topics.stage import align, model_topics

    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    config = load_config(params)
    topics = config.topics.model_copy(update={"fit_sample": fit_sample})
    ids, embeddings, info = load_embeddings(data / "processed" / "embeddings")
    articles = align(pd.read_parquet(data / "interim" / "articles.parquet"), ids, config.corpus.canonical_only)
    result = model_topics(articles, embeddings, topics, build_encoder(config.embed), info)
    result.doc_topics.to_parquet(out.with_suffix(".parquet"))
    keep = ("documents", "fit_sample", "topics", "npmi", "diversity", "outlier_share_before_reduction",
            "outlier_share", "largest_topic_share", "components", "selection")
    out.with_suffix(".json").write_text(json.dumps({"metrics": {key: result.metrics[key] for key in keep},
                                                    "timing": result.timing}, default=str))


def measured(data: Path, params: Path, fit_sample: int | None, out: Path) -> dict:
    """Run `run_one` in a child process; its CPU seconds (with its own children) and peak RSS from wait4."""
    command = [sys.executable, __file__, "--one", str(fit_sample or 0), "--data", str(data), "--params", str(params),
               "--out", str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the run with fit_sample={fit_sample} failed ({child.returncode})")
    found = json.loads(out.with_suffix(".json").read_text())
    found["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    found["wall_seconds"] = round(time.perf_counter() - started, 1)
    found["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return found


def agreement(reference: pd.DataFrame, other: pd.DataFrame, fitted: np.ndarray | None) -> dict:
    from pipeline.topics.metrics import stability

    if not (reference["id"].to_numpy() == other["id"].to_numpy()).all():
        raise SystemExit("the runs list different articles")
    a, b = reference["topic"].to_numpy(), other["topic"].to_numpy()
    found = {key: round(value, 4) for key, value in stability(a, b).items()}
    if fitted is not None:
        assigned = np.ones(len(a), dtype=bool)
        assigned[fitted] = False
        found["ari_assigned"] = round(stability(a[assigned], b[assigned])["ari"], 4)
        found["ari_fitted"] = round(stability(a[fitted], b[fitted])["ari"], 4)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 4000, 8000])
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="folder with interim/ and processed/")
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        run_one(args.data, args.params, args.one or None, args.out)
        return

    from pipeline.config import load_config
    from pipeline.topics.sample import sample_rows

    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs["full"] = measured(args.data, args.params, None, folder / "full")
        reference = pd.read_parquet(folder / "full.parquet")
        seed = load_config(args.params).topics.seed
        for size in args.sizes:
            name = f"sample_{size}"
            runs[name] = measured(args.data, args.params, size, folder / name)
            other = pd.read_parquet(folder / f"{name}.parquet")
            runs[name]["agreement_with_full"] = agreement(reference, other, sample_rows(len(reference), size, seed))
            print(name, runs[name]["agreement_with_full"], runs[name]["cpu_seconds"], flush=True)
    result = {
        "what": "topics stage on the default corpus, fitted whole vs on seeded samples with the rest assigned "
                "(benchmarks/bench_fit_sample.py); cpu_seconds: the run's process and its children, peak_rss_mb: "
                "the run's process",
        "machine": f"{os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f}",
        "runs": runs,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({name: {k: run.get(k) for k in ("cpu_seconds", "peak_rss_mb")} | {
        "npmi": run["metrics"]["npmi"], "diversity": run["metrics"]["diversity"], "topics": run["metrics"]["topics"],
        **run.get("agreement_with_full", {})} for name, run in runs.items()}, indent=1))


if __name__ == "__main__":
    main()

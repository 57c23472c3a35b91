"""The engine on slices of the default corpus: `local` (this process) against a Dask LocalCluster, per stage.

For each slice size (the first N rows of data/raw/csli.parquet) and each engine, one fresh Python process runs
one stage with no cache (ingest; embed with MiniLM ONNX float32, one thread per worker, on that slice's
articles; the timeline's tagging and event parsing), and reports the figures below. `ingest_plus_1pct` (local
only) is ingest of the slice after its first 99% filled the ingest cache: it must write the cold run's bytes.

- CPU seconds of the stage: this process's, plus every Dask worker's own CPU time measured inside the worker
  (`client.run`) after the work minus right after the cluster started (worker start-up is reported apart);
- peak memory (max RSS) of this process and of each worker, and each worker's RSS when it had just started;
- wall seconds (noisy on a shared machine: compare CPU seconds), and whether the outputs' bytes are the same
  under both engines (sha256 of the files the stage writes).

    python benchmarks/bench_engine.py [--sizes 1000 4000] [--stages ingest embed timeline] [--embed-sizes 1000]
        [--timeline-sizes 1000 4000] [--workers 2] [--corpus data/raw/csli.parquet]

Writes benchmarks/results/engine.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "engine.json"
CORPUS = REPO / "data" / "raw" / "csli.parquet"


def _usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
            "rss_mb": _current_rss_mb()}


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            for path in sorted(folder.iterdir()) if path.is_file() and path.suffix in (".parquet", ".npy")}


def run_one(stage: str, engine_name: str, workers: int, source: Path, articles: Path, out: Path,
            graph_cache: Path) -> dict[str, Any]:
    """One stage on one engine, in this (fresh) process; returns the measurements."""
    import pandas as pd

    from pipeline.components.encoders import MiniLM
    from pipeline.config import EmbedConfig, EngineConfig, IngestConfig, load_config
    from pipeline.engine import Engine

    engine = Engine(EngineConfig(name=engine_name, workers=workers, memory_limit="2GB"))
    started: dict[str, Any] = {}
    if engine_name == "dask":
        started = engine.client.run(_usage)  # workers just started: their start-up, apart
    before = _usage()
    wall = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    if stage == "ingest":
        from pipeline.ingest.stage import ingest, write_outputs

        result = ingest(IngestConfig.model_validate({"sources": [str(source)]}), progress=False, engine=engine)
        write_outputs(result, out, out / "ingest.json")
        count = result.metrics["kept"]
    elif stage == "ingest_plus_1pct":  # warm the cache with 99% of the slice, then measure the whole slice
        from pipeline.ingest.stage import ingest, write_outputs

        rows = pd.read_parquet(source)
        first = out.parent / f"{out.name}-source.parquet"
        rows.iloc[: round(len(rows) / 1.01)].to_parquet(first)
        config = IngestConfig.model_validate({"sources": [str(first)], "cache_dir": str(out / "cache")})
        cold = time.process_time()
        ingest(config, progress=False, engine=engine)
        started["cold_cpu_s_99pct"] = round(time.process_time() - cold, 1)
        before, wall = _usage(), time.perf_counter()
        # the whole slice, from the same path as the cold ingest (cached rows are keyed by content, not path)
        result = ingest(config.model_copy(update={"sources": [str(source)]}), progress=False, engine=engine)
        (out / "cache").rename(out / "cache-used")
        write_outputs(result, out, out / "ingest.json")
        count = result.metrics["kept"]
    elif stage == "embed":
        from pipeline import embed

        cache = out / "cache"
        cache.mkdir()
        (cache / "onnx").symlink_to(graph_cache)
        config = EmbedConfig(encoder=MiniLM(threads=1), cache_dir=cache)
        embedded = embed.embed_articles(pd.read_parquet(articles), config, progress=False, engine=engine)
        embed.write_outputs(embedded, out)
        count = embedded.newly_embedded
    else:
        from pipeline.timeline.stage import load_articles, run_stage, write_outputs

        params = load_config(REPO / "params.yaml")
        frame = load_articles(articles, params.corpus.canonical_only)
        timeline = run_stage(frame, params.timeline.model_copy(update={"cache_dir": None}), params.corpus, engine)
        write_outputs(timeline, out, out / "timeline.json")
        count = len(frame)
    wall = time.perf_counter() - wall
    after = _usage()
    finished = engine.client.run(_usage) if engine_name == "dask" else {}
    engine.close()
    extra = {key: started.pop(key) for key in list(started) if key.startswith("cold_")}
    per_worker = [
        {"startup_cpu_s": round(started[address]["cpu"], 1),
         "cpu_s": round(finished[address]["cpu"] - started[address]["cpu"], 1),
         "rss_after_startup_mb": round(started[address]["rss_mb"]),
         "peak_rss_mb": round(finished[address]["max_rss_mb"])}
        for address in sorted(finished)
    ]
    return {
        "stage": stage, "engine": engine_name, "items": count, "wall_s": round(wall, 1),
        "cpu_s_this_process": round(after["cpu"] - before["cpu"], 1),
        "cpu_s_total": round(after["cpu"] - before["cpu"] + sum(w["cpu_s"] for w in per_worker), 1),
        "peak_rss_mb_this_process": round(after["max_rss_mb"]),
        "workers": per_worker,
        **extra,
        "outputs": _digests(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--stages", nargs="+", default=["ingest", "embed", "timeline"])
    parser.add_argument("--embed-sizes", type=int, nargs="+", default=[1000],
                        help="MiniLM costs ~30 CPU s per 1,000 texts: embed only these sizes")
    parser.add_argument("--timeline-sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the table the slices are cut from")
    parser.add_argument("--graph-cache", type=Path, default=REPO / "data" / "cache" / "onnx")
    parser.add_argument("--one", nargs=6, help=argparse.SUPPRESS)  # internal: stage engine workers source articles out
    args = parser.parse_args()
    if args.one:
        stage, engine_name, workers, source, articles, out = args.one
        print(json.dumps(run_one(stage, engine_name, int(workers), Path(source), Path(articles), Path(out),
                                 args.graph_cache)))
        return
    import pandas as pd

    runs = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            source = Path(folder) / f"slice-{size}.parquet"
            pd.read_parquet(args.corpus).iloc[:size].to_parquet(source)
            articles = Path(folder) / f"ingest-{size}-local" / "articles.parquet"
            stages = [stage for stage in ("ingest", "ingest_plus_1pct", "embed", "timeline") if stage in args.stages]
            for stage in stages:
                if (stage == "embed" and size not in args.embed_sizes) or (
                        stage == "timeline" and size not in args.timeline_sizes):
                    continue
                for engine_name in ("local",) if stage == "ingest_plus_1pct" else ("local", "dask"):
                    out = Path(folder) / f"{stage}-{size}-{engine_name}"
                    command = [sys.executable, __file__, f"--graph-cache={args.graph_cache}", "--one", stage,
                               engine_name, str(args.workers), str(source), str(articles), str(out)]
                    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
                    run = {"rows": size, **json.loads(done.stdout.strip().splitlines()[-1])}
                    runs.append(run)
                    print(json.dumps(run), flush=True)
                reference = "ingest" if stage == "ingest_plus_1pct" else stage
                local = next(run for run in runs if run["rows"] == size and run["stage"] == reference
                             and run["engine"] == "local")
                if runs[-1] is not local:
                    runs[-1]["same_outputs_as_local"] = runs[-1]["outputs"] == local["outputs"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "runs": runs, "workers": args.workers, "cpus": os.cpu_count(),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "note": "CPU seconds are the comparable figure; wall seconds were taken on a shared 2-core machine",
    }, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

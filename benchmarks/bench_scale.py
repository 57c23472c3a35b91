"""Cost against corpus size: the pipeline's stages on the default corpus at 1/8 to 4 times its size, per engine.

Sizes. The default corpus's table (data/raw/csli.parquet, 16,839 rows) is cut to a seeded sample of rows below
1x, and replicated above it: copy k (k = 1, 2, 3) of every row gets its own URL (`#copy-k`, hence its own id),
a publication date k days later and its wording perturbed (every 8th word, from the k-th on, swapped with the
next one, in title and text). Each copy then shares no 5-word shingle with about 5 in 8 of the original's and
keeps its vocabulary, so deduplication (MinHash over 5-word shingles, Jaccard 0.8) keeps every copy while
topics and events still have real words to work on.

Stages. Ingest, embed, topics and timeline run as `dvc repro` runs them (`python -m pipeline STAGE`, params.yaml's
settings) with these changes: the static Model2Vec encoder for the embed stage (MiniLM would take hours at 4x),
every cache (ingest, embeddings) empty at the start of each size (cold runs), and `engine.name` local or dask
(a 2-worker LocalCluster). Per stage and size: wall seconds, CPU seconds (the stage's process and everything
it started and waited for: Dask workers, gensim's and spaCy's processes), peak memory of the process tree
(sum of resident sizes sampled every 0.25 s) and of its largest single process, the articles it handled.

+1%. At the factors of `--plus-one-percent` (default 1x), after the cold run, 1% new articles (perturbed copies
of other rows) are appended to the source and every stage runs again in the same folder, with the caches the
cold run filled (ingest records, embeddings, the timeline's tags and event parts, the topics fit, which places
the new articles: `topics.refit: auto`): the CPU seconds of each stage against its cold run's. With `--encoder
default` the embed stage uses params.yaml's encoder (MiniLM) instead of the static one: the cold run a
researcher's `dvc repro` makes, for the +1% share at 1x (those runs are kept apart from the sizes' fit).

Fit. The growth exponent k of CPU seconds = c * n^k per stage and engine, by least squares on log-log over
the sizes run (n: articles into the stage), and again over the largest three sizes only (where the fixed costs,
the interpreter, the models and a cluster's start, weigh least), each with its extrapolation to a million
articles.

    python benchmarks/bench_scale.py [--factors 0.125 0.25 0.5 1 2 4] [--engines local dask] [--stages ...]
        [--plus-one-percent 1]
    python benchmarks/bench_scale.py --plot-only     # table and figure from the results file

Results: benchmarks/results/scale.json (each run is added as it finishes, so a stopped run keeps what it
measured); figure: benchmarks/results/scale.png, the figure the report draws from the results (its performance
section: `pipeline.report.figures.scale`, `run_tables.scale_table`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
FIGURE = ROOT / "benchmarks" / "results" / "scale.png"  # reports/figures/ is the report stage's DVC output
STAGES = ("ingest", "embed", "topics", "timeline")
PER_ARTICLE = ("ingest", "embed", "timeline")
SWAP_EVERY = 8
MILLION = 1_000_000


def perturb(text: str, copy: int) -> str:
    """Every `SWAP_EVERY`th word, from the `copy`th on, swapped with the next (copy 0: the text itself)."""
    if not copy or not isinstance(text, str):
        return text
    words = text.split(" ")
    for index in range(copy % SWAP_EVERY, len(words) - 1, SWAP_EVERY):
        words[index], words[index + 1] = words[index + 1], words[index]
    return " ".join(words)


def scaled_table(base: pd.DataFrame, factor: float, seed: int = 0) -> pd.DataFrame:
    """`base` at `factor` times its rows: a seeded sample below 1, perturbed copies above (see the docstring)."""
    if factor <= 1:
        rows = np.sort(np.random.default_rng(seed).choice(len(base), size=round(len(base) * factor), replace=False))
        return base.iloc[rows].reset_index(drop=True)
    copies = []
    for copy in range(math.ceil(factor)):
        part = base.copy() if copy else base
        if copy:
            part["url"] = part["url"].astype(str) + f"#copy-{copy}"
            part["date"] = (pd.to_datetime(part["date"], errors="coerce") + pd.Timedelta(days=copy)).dt.strftime(
                "%Y-%m-%d")
            part["title"] = [perturb(text, copy) for text in part["title"]]
            part["text"] = [perturb(text, copy) for text in part["text"]]
        copies.append(part)
    whole = pd.concat(copies, ignore_index=True)
    return whole.iloc[: round(len(base) * factor)].reset_index(drop=True)


def stage_params(base: dict[str, Any], source: Path, cache: Path, engine: str, workers: int,
                 encoder: str = "static") -> dict[str, Any]:
    params = json.loads(json.dumps(base))
    params["engine"].update(name=engine, workers=workers)
    params["ingest"].update(sources=[str(source)], cache_dir=str(cache))
    if encoder == "static":
        params["embed"]["encoder"] = {"name": "model2vec", "pca_dims": 256, "max_seq_length": 256}
    params["embed"]["cache_dir"] = str(cache)
    params["timeline"]["summary"]["cache_dir"] = str(cache)
    params["timeline"]["cache_dir"] = str(cache)
    params["topics"]["cache_dir"] = str(cache)
    return params


def commands(root: Path, source: Path) -> dict[str, list[str]]:
    interim, processed, metrics = root / "interim", root / "processed", root / "metrics"
    articles = interim / "articles.parquet"
    return {
        "ingest": ["ingest", f"--source={source}", f"--out-dir={interim}", f"--metrics={metrics / 'ingest.json'}",
                   "--no-progress"],
        "embed": ["embed", f"--articles={articles}", f"--out-dir={processed / 'embeddings'}", "--no-progress"],
        "topics": ["topics", f"--articles={articles}", f"--embeddings={processed / 'embeddings'}",
                   f"--out-dir={processed / 'topics'}", f"--metrics-dir={metrics}"],
        "timeline": ["timeline", f"--articles={articles}", f"--out-dir={processed / 'timeline'}",
                     f"--metrics={metrics / 'timeline.json'}"],
    }


def measure(command: list[str], cwd: Path, log: Path) -> dict[str, Any]:
    """Run `command`; its wall and CPU seconds (with every descendant it waited for) and peak memory."""
    import psutil

    peaks = {"tree": 0, "process": 0}
    started = time.perf_counter()
    with open(log, "ab") as out:
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        done = threading.Event()

        def sample() -> None:
            root = psutil.Process(child.pid)
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.Error:
                    break
                sizes = []
                for member in tree:
                    try:
                        sizes.append(member.memory_info().rss)
                    except psutil.Error:
                        continue
                peaks["tree"] = max(peaks["tree"], sum(sizes))
                peaks["process"] = max(peaks["process"], max(sizes, default=0))
                done.wait(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        done.set()
        sampler.join()
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_tree_mb": round(peaks["tree"] / 2**20),
        "peak_process_mb": round(peaks["process"] / 2**20),
        "load_average_end": round(os.getloadavg()[0], 2),
    }


def stage_items(root: Path, stage: str) -> int | None:
    """How many articles the stage handled (ingest: records read), from its outputs."""
    try:
        if stage == "ingest":
            found = json.loads((root / "metrics" / "ingest.json").read_text())
            return int(found["records_read"])
        if stage == "embed":
            return len(pd.read_parquet(root / "processed" / "embeddings" / "ids.parquet"))
        if stage == "topics":
            return int(json.loads((root / "metrics" / "topics.json").read_text())["documents"])
        return int(json.loads((root / "metrics" / "timeline.json").read_text())["articles"])
    except (OSError, KeyError, ValueError):
        return None


def appended(base_table: pd.DataFrame, table: pd.DataFrame, share: float = 0.01, seed: int = 1) -> pd.DataFrame:
    """`table` with `share` of its size added as new articles: perturbed copies (copy 1) of seeded base rows
    that the table does not hold yet."""
    new = scaled_table(base_table, 2).iloc[len(base_table):]
    new = new[~new["url"].isin(set(table["url"]))]
    rows = np.sort(np.random.default_rng(seed).choice(len(new), size=round(len(table) * share), replace=False))
    return pd.concat([table, new.iloc[rows]], ignore_index=True)


def run_size(base_table: pd.DataFrame, factor: float, engine: str, workers: int, stages: list[str],
             params: dict[str, Any], model2vec: Path, work: Path, plus_one: bool = False,
             encoder: str = "static") -> list[dict[str, Any]]:
    root = work / f"{engine}-{factor}" if encoder == "static" else work / f"{engine}-{factor}-{encoder}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "cache").mkdir(parents=True)
    (root / "cache" / "model2vec").symlink_to(model2vec, target_is_directory=True)  # distilled once, not measured
    source = root / "corpus.parquet"
    table = scaled_table(base_table, factor)
    table.to_parquet(source)
    params_path = root / "params.yaml"
    params_path.write_text(yaml.safe_dump(stage_params(params, source, root / "cache", engine, workers, encoder)))
    runs: list[dict[str, Any]] = []
    for phase in ("cold", "plus_1pct") if plus_one else ("cold",):
        if phase == "plus_1pct":  # the same folder, caches as the cold run left them, 1% new articles
            table = appended(base_table, table)
            table.to_parquet(source)
        for stage in stages:
            command = [sys.executable, "-m", "pipeline", commands(root, source)[stage][0],
                       f"--params={params_path}", *commands(root, source)[stage][1:]]
            found = measure(command, ROOT, root / "log.txt")
            run = {"factor": factor, "rows": len(table), "engine": engine, "encoder": encoder, "stage": stage,
                   "phase": phase, **found,
                   "articles": stage_items(root, stage)}
            print(json.dumps(run), flush=True)
            runs.append(run)
            if found["returncode"]:
                print((root / "log.txt").read_text()[-3000:], file=sys.stderr)
                return runs
    return runs


def exponents(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per engine and stage: k in cpu = c n^k (least squares on logs), with the fitted cost at a million."""
    fitted: dict[str, dict[str, Any]] = {}
    runs = [run for run in runs if run.get("encoder", "static") == "static"]  # sizes compared on one encoder
    for engine in sorted({run["engine"] for run in runs}):
        for stage in STAGES:
            points = sorted((run["articles"] or run["rows"], run["cpu_seconds"], run["peak_process_mb"],
                             run["peak_tree_mb"]) for run in runs
                            if run["engine"] == engine and run["stage"] == stage and not run["returncode"]
                            and run.get("phase", "cold") == "cold")
            if len(points) < 3:
                continue
            n, cpu = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            k, c = np.polyfit(n, cpu, 1)
            # the largest three sizes alone: the fixed costs (interpreter, models, a cluster's start) weigh least
            k_large, c_large = np.polyfit(n[-3:], cpu[-3:], 1)
            fitted.setdefault(engine, {})[stage] = {
                "exponent": round(float(k), 3),
                "exponent_largest_three": round(float(k_large), 3),
                "cpu_seconds_at_a_million_largest_three": round(float(math.exp(c_large) * MILLION**k_large)),
                "sizes": [p[0] for p in points],
                "cpu_seconds": [p[1] for p in points],
                "cpu_seconds_at_a_million": round(float(math.exp(c) * MILLION**k)),
                "peak_process_mb": [p[2] for p in points],
                "peak_tree_mb": [p[3] for p in points],
                "peak_process_largest_over_1x": _ratio(points, runs, engine, stage, "peak_process_mb"),
            }
    return fitted


def _ratio(points: list[tuple], runs: list[dict[str, Any]], engine: str, stage: str, field: str) -> float | None:
    one = [run[field] for run in runs if run["engine"] == engine and run["stage"] == stage and run["factor"] == 1
           and not run["returncode"] and run.get("phase", "cold") == "cold"]
    largest = max(points)[2] if field == "peak_process_mb" else max(points)[3]
    return round(largest / one[0], 2) if one and one[0] else None


def plot(fitted: dict[str, dict[str, Any]], path: Path) -> None:
    """The report's figure (`pipeline.report.figures.scale`), also saved beside the results."""
    import matplotlib

    matplotlib.use("Agg")
    from pipeline.report import figures

    figures.use_style()
    figure = figures.scale(fitted)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    figure.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
    os.replace(tmp, path)


def incremental(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per engine, size and encoder with a +1% phase: CPU seconds of each stage cold and after 1% more articles
    (keyed `local@1.0`, or `local@1.0 default encoder` for the shipped encoder)."""
    found: dict[str, Any] = {}
    for run in runs:
        if run.get("phase") != "plus_1pct" or run["returncode"]:
            continue
        encoder = run.get("encoder", "static")
        cold = next((other for other in runs if other.get("phase", "cold") == "cold" and other["stage"] == run["stage"]
                     and other["engine"] == run["engine"] and other["factor"] == run["factor"]
                     and other.get("encoder", "static") == encoder), None)
        if cold is None:
            continue
        where = f"{run['engine']}@{run['factor']}" + ("" if encoder == "static" else f" {encoder} encoder")
        entry = found.setdefault(where, {"stages": {}})
        entry["stages"][run["stage"]] = {"cold_cpu_seconds": cold["cpu_seconds"],
                                         "plus_1pct_cpu_seconds": run["cpu_seconds"],
                                         "share": round(run["cpu_seconds"] / cold["cpu_seconds"], 3)}
    for entry in found.values():
        stages = entry["stages"].values()
        entry["cold_cpu_seconds"] = round(sum(stage["cold_cpu_seconds"] for stage in stages), 1)
        entry["plus_1pct_cpu_seconds"] = round(sum(stage["plus_1pct_cpu_seconds"] for stage in stages), 1)
        entry["share"] = round(entry["plus_1pct_cpu_seconds"] / entry["cold_cpu_seconds"], 3)
    return found


def _key(run: dict[str, Any]) -> tuple[Any, ...]:
    return (run["engine"], run.get("encoder", "static"), run["factor"], run.get("phase", "cold"),
            STAGES.index(run["stage"]))


def merged(runs: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`runs` with `new` added, a new run replacing an old one of the same engine, size, phase and stage (and a
    later one of `new` an earlier one: logs of two runs merged in the order given)."""
    latest = {_key(run): run for run in new}
    return sorted([*(run for run in runs if _key(run) not in latest), *latest.values()], key=_key)


def save(runs: list[dict[str, Any]], note: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    fitted = exponents(runs)
    result = {**note, "runs": runs, "fitted": fitted, "plus_1pct": incremental(runs)}
    from pipeline import io

    io.write_json(path, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[0.125, 0.25, 0.5, 1, 2, 4])
    parser.add_argument("--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "raw" / "csli.parquet")
    parser.add_argument("--model2vec", type=Path, default=ROOT / "data" / "cache" / "model2vec",
                        help="the distilled static encoder's folder (made by any run with it)")
    parser.add_argument("--plus-one-percent", type=float, nargs="*", default=[1.0],
                        help="at these factors, then add 1%% new articles and rerun every stage with the caches")
    parser.add_argument("--encoder", choices=["static", "default"], default="static",
                        help="static: Model2Vec at every size (the sizes compared); default: params.yaml's encoder "
                             "(what a cold dvc repro embeds with: for the +1%% share at 1x)")
    parser.add_argument("--plot-only", action="store_true")
    parser.add_argument("--add-runs", type=Path, nargs="*", default=[],
                        help="merge the runs a benchmark printed (one JSON line per stage) into the results first: "
                             "what a run stopped before it saved its size had measured")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="the results file (a trial run elsewhere leaves the committed one alone)")
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    previous = json.loads(args.results.read_text()) if args.results.is_file() else {"runs": []}
    runs: list[dict[str, Any]] = merged(previous["runs"], [
        json.loads(line) for log in args.add_runs for line in log.read_text().splitlines()
        if line.startswith("{") and '"stage"' in line])
    note = {
        "what": "bench_scale.py: stages at multiples of the default corpus (static Model2Vec encoder, cold caches)",
        "machine": f"{os.cpu_count()} CPUs shared with other work: compare CPU seconds, not wall seconds",
        "base_rows": len(pd.read_parquet(args.corpus, columns=["url"])),
    }
    if not args.plot_only:
        base_table = pd.read_parquet(args.corpus)
        params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
        work = args.keep or Path(tempfile.mkdtemp(prefix="bench_scale_"))
        try:
            for engine in args.engines:
                for factor in args.factors:
                    found = run_size(base_table, factor, engine, args.workers, args.stages, params,
                                     args.model2vec.resolve(), work, plus_one=factor in args.plus_one_percent,
                                     encoder=args.encoder)
                    runs = merged(runs, found)
                    save(runs, note, args.results)
                    if not args.keep:
                        shutil.rmtree(work / f"{engine}-{factor}", ignore_errors=True)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    result = save(runs, note, args.results)
    plot(result["fitted"], args.figure)
    for where, entry in result["plus_1pct"].items():
        print(f"+1% articles at {where}: {entry['plus_1pct_cpu_seconds']} CPU s of a cold {entry['cold_cpu_seconds']} "
              f"({entry['share']:.1%}): " + ", ".join(f"{name} {stage['share']:.1%}"
                                                    for name, stage in entry["stages"].items()))
    for engine, stages in result["fitted"].items():
        for stage, found in stages.items():
            print(f"{engine:6} {stage:9} k={found['exponent']:.2f} (largest 3: {found['exponent_largest_three']:.2f}) "
                  f"CPU s {found['cpu_seconds']} "
                  f"peak MB {found['peak_process_mb']} -> 1M: {found['cpu_seconds_at_a_million']:,} CPU s")


if __name__ == "__main__":
    main()

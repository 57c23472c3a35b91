"""The whole pipeline as a newcomer runs it: cold `dvc repro` on a fresh clone, a no-op rerun, one topics change.

In one run, for one commit (issue 13, part 1):
1. `git clone` of this repository into a temporary folder, checked out at `--commit`, using the project's warm
   environment (the interpreter running this script: its `bin/` goes first on PATH, as `make repro` does);
2. `dvc pull data/raw.dvc` from the default remote (as `make data`), then `python -m pipeline sync`;
3. cold `dvc repro`: every stage runs (the clone has no outputs, no embedding cache, no run cache);
4. no-op `dvc repro`: nothing changed, nothing runs;
5. one parameter of the topics stage changed (`--param`, by default `topics.label_words`): only topics and report
   should run, and the benchmark records which did.

Per stage: wall seconds, CPU seconds (user + system of the stage and every process it started) and peak memory of
the stage's process tree (the sum of its processes' resident sizes, sampled every 0.2 s, and their proportional
set size, which counts pages shared by forked workers once), measured by a `python` shim first on PATH that
runs the stage's own command. The load average is sampled alongside, because other work on the machine slows
every figure down.

    python benchmarks/bench_pipeline.py --commit 4b95360 --label before [--slice 2000]
    python benchmarks/bench_pipeline.py --label after        # the commit checked out here (HEAD)

`--slice N` runs on the first N rows of the corpus's table (plus its folder of texts), to try the benchmark out.
Writes (merges) `benchmarks/results/pipeline.json` under `runs.<label>` (a slice under `slice_runs.<label>`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline import io

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "pipeline.json"
TARGETS = {"cold_seconds": 300, "noop_seconds": 5, "peak_memory_mb": 6144}
log = logging.getLogger("bench_pipeline")

# Runs a stage's `python ...` command and appends one JSON line about it to $BENCH_RECORDS. Processes it starts
# that call `python` again (notebook kernels) run unmeasured: they are inside the stage's process tree already.
SHIM = r'''#!{python}
import json, os, resource, subprocess, sys, time
import psutil

REAL = {python!r}
if os.environ.get("BENCH_SHIM_ACTIVE"):
    os.execv(REAL, [REAL, *sys.argv[1:]])
os.environ["BENCH_SHIM_ACTIVE"] = "1"
started, load_start = time.perf_counter(), os.getloadavg()[0]
process = subprocess.Popen([REAL, *sys.argv[1:]])
root = psutil.Process(process.pid)
peak_rss = peak_pss = 0
loads = []
while process.poll() is None:
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        tree = []
    rss = pss = 0
    for member in tree:
        try:
            info = member.memory_full_info()
        except psutil.Error:
            continue
        rss, pss = rss + info.rss, pss + info.pss
    peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
    loads.append(os.getloadavg()[0])
    time.sleep(0.2)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
record = {{
    "argv": sys.argv[1:],
    "wall_seconds": round(time.perf_counter() - started, 2),
    "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    "peak_rss_tree_mb": round(peak_rss / 2**20),
    "peak_pss_tree_mb": round(peak_pss / 2**20),
    "max_rss_one_process_mb": round(usage.ru_maxrss / 1024),
    "load_average_start": round(load_start, 2),
    "load_average_mean": round(sum(loads) / len(loads), 2) if loads else None,
    "returncode": process.returncode,
}}
with open(os.environ["BENCH_RECORDS"], "a", encoding="utf-8") as handle:
    handle.write(json.dumps(record) + "\n")
sys.exit(process.returncode)
'''


def run(command: list[str], cwd: Path, env: dict[str, str], what: str) -> float:
    """Run a command; its wall seconds, or a RuntimeError with the end of its output."""
    log.info("%s: %s", what, " ".join(command))
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode:
        raise RuntimeError(f"{what} failed ({completed.returncode}):\n{(completed.stdout + completed.stderr)[-4000:]}")
    log.info("%s: %.1f s", what, seconds)
    return seconds


def stage_name(argv: list[str]) -> str:
    """`-m pipeline topics ...` -> topics."""
    if argv[:2] == ["-m", "pipeline"] and len(argv) > 2:
        return argv[2]
    return " ".join(argv)


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.unlink()
    for record in records:
        record["stage"] = stage_name(record.pop("argv"))
    return records


def timed_repro(clone: Path, env: dict[str, str], records: Path, what: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    seconds = run([str(Path(sys.executable).parent / "dvc"), "repro"], clone, env, what)
    stages = read_records(records)
    return {
        "seconds": round(seconds, 2),
        "stages_run": [stage["stage"] for stage in stages],
        "stages": {stage.pop("stage"): stage for stage in stages},
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def make_slice(clone: Path, rows: int) -> None:
    """Point ingest at the first `rows` rows of the corpus's table (and its folder of texts)."""
    import pandas as pd

    target = clone / "data" / "raw_slice"
    target.mkdir(parents=True)
    pd.read_parquet(clone / "data" / "raw" / "csli.parquet").head(rows).to_parquet(target / "csli.parquet")
    params = clone / "params.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("- data/raw/csli.parquet", "- data/raw_slice/csli.parquet", 1), encoding="utf-8")


def change_param(clone: Path, setting: str) -> None:
    """Set `section.key=value` in params.yaml by editing its line (keeps the comments)."""
    path, value = setting.split("=", 1)
    section, key = path.split(".", 1)
    params = clone / "params.yaml"
    text = params.read_text(encoding="utf-8")
    block = re.search(rf"(?ms)^{re.escape(section)}:\n.*?(?=^\S)", text)
    if block is None or "." in key:
        raise ValueError(f"--param {setting}: give a top-level key of a section, e.g. topics.label_words=5")
    line = re.compile(rf"(?m)^(  {re.escape(key)}:\s*)(\S+)")
    changed, count = line.subn(lambda match: match.group(1) + value, block.group(0), count=1)
    if not count:
        raise ValueError(f"--param {setting}: {key} not found in the {section} section")
    params.write_text(text[: block.start()] + changed + text[block.end() :], encoding="utf-8")


def peak(runs: list[dict[str, Any]], field: str) -> int:
    return max((stage[field] for phase in runs for stage in phase["stages"].values()), default=0)


def bench(
    commit: str, slice_rows: int | None, param: str, keep: bool, save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run the three phases on a fresh clone of `commit`; `save` is called with the results after each phase."""
    venv_bin = Path(sys.executable).parent
    remote = subprocess.run([str(venv_bin / "dvc"), "remote", "list"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    workdir = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    clone, shim_dir, records = workdir / "repo", workdir / "shim", workdir / "records.jsonl"
    try:
        shim_dir.mkdir()
        (shim_dir / "python").write_text(SHIM.format(python=sys.executable), encoding="utf-8")
        (shim_dir / "python").chmod(0o755)
        env = {**os.environ, "PATH": f"{shim_dir}:{venv_bin}:{os.environ['PATH']}", "PYTHONPATH": str(clone),
               "BENCH_RECORDS": str(records)}
        env.pop("BENCH_SHIM_ACTIVE", None)
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", commit], cwd=clone,
                       check=True)
        resolved = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True,
                                  check=True).stdout.strip()
        where = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"], cwd=clone,
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        if not Path(where).resolve().is_relative_to(clone.resolve()):
            raise RuntimeError(f"the clone imports pipeline from {where}, not from itself")
        if len(remote) >= 2:  # the remote's URL resolved here (a relative one would not resolve from the clone)
            run([str(venv_bin / "dvc"), "remote", "modify", "--local", remote[0], "url", remote[1]], clone, env,
                "remote")
        result: dict[str, Any] = {
            "commit": resolved,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "machine": {"cpus": os.cpu_count(), "memory_gb": round(_memory_bytes() / 2**30, 1)},
            "slice_rows": slice_rows,
        }
        result["dvc_pull_seconds"] = round(run([str(venv_bin / "dvc"), "pull", "--quiet", "data/raw.dvc"], clone,
                                               env, "dvc pull"), 2)
        if slice_rows:
            make_slice(clone, slice_rows)
        run([sys.executable, "-m", "pipeline", "sync"], clone, env, "sync")
        result["cold"] = cold = timed_repro(clone, env, records, "cold dvc repro")
        save(result)
        result["noop"] = noop = timed_repro(clone, env, records, "no-op dvc repro")
        save(result)
        change_param(clone, param)
        result["param_change"] = changed = timed_repro(clone, env, records, f"dvc repro after {param}")
        changed["param"] = param
        result["peak_memory_mb"] = {
            "pss_tree": peak([cold, changed], "peak_pss_tree_mb"),
            "rss_tree": peak([cold, changed], "peak_rss_tree_mb"),
        }
        result["targets"] = {
            "cold_within_5_minutes": cold["seconds"] <= TARGETS["cold_seconds"],
            "noop_within_5_seconds": noop["seconds"] <= TARGETS["noop_seconds"],
            "peak_memory_within_6_gb": result["peak_memory_mb"]["pss_tree"] <= TARGETS["peak_memory_mb"],
            "param_change_reruns_only_topics_and_report": sorted(changed["stages_run"]) == ["report", "topics"],
        }
        return result
    finally:
        if keep:
            log.info("kept %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _memory_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default="HEAD", help="the commit to clone and run (default: HEAD)")
    parser.add_argument("--label", default="after", help="the name of this run in the results (before, after)")
    parser.add_argument("--slice", type=int, default=None, help="run on the first N rows of the table only")
    parser.add_argument("--param", default="topics.label_words=5", help="the topics setting changed in step 5")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def save(result: dict[str, Any]) -> None:
        results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
        results["targets"] = dict(TARGETS)
        results.setdefault("slice_runs" if args.slice else "runs", {})[args.label] = result
        io.write_json(args.out, results)

    result = bench(args.commit, args.slice, args.param, args.keep, save)
    save(result)
    log.info("cold %.0f s, no-op %.1f s, %s: %.0f s (%s); peak %d MB", result["cold"]["seconds"],
             result["noop"]["seconds"], args.param, result["param_change"]["seconds"],
             ", ".join(result["param_change"]["stages_run"]), result["peak_memory_mb"]["pss_tree"])


if __name__ == "__main__":
    main()

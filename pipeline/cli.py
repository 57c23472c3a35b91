"""Command-line entry: `python -m pipeline COMMAND ...` (also installed as `newsline`).

The thin layer around the stages: argparse, default paths (`pipeline.paths`, mirrored by `dvc.yaml`), loading
the validated configuration, and exit codes. Stages are plain functions of their configuration section and
inputs; they are imported only when their command runs, so `--help` stays fast.

Exit codes, the same for every command: 0 done; 1 the stage failed while running; 2 invalid params.yaml or
command line (the message names the key, the value and what is allowed); 3 an input is missing or unreadable.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pipeline import paths
from pipeline.config import EXIT_CONFIG, ConfigError, Params, load_config

log = logging.getLogger("pipeline")

EXIT_FAILED = 1
EXIT_INPUT = 3
T = TypeVar("T")


class InputError(Exception):
    """A stage's input is missing, unreadable or does not match what the stage expects."""


def _config(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Params:
    return load_config(args.params, overrides)


def _require(*files: Path, hint: str) -> None:
    missing = [str(path) for path in files if not Path(path).exists()]
    if missing:
        raise InputError(f"input(s) not found: {', '.join(missing)} ({hint})")


def _read_articles(path: Path, read: Callable[[Path], T]) -> T:
    """`read(path)` of the ingest stage's table, or an InputError naming it when it is missing, unreadable or
    not an articles table (a missing column, a file that is not Parquet)."""
    _require(path, hint="run the ingest stage first")
    try:
        return read(path)
    except (ValueError, OSError) as error:
        raise InputError(f"{path}: {error}") from None


def _reading(path: Path, batches: Iterator[T]) -> Iterator[T]:
    """The batches read from the ingest stage's table `path`, with a damaged file's error as `_read_articles`
    gives it (errors of whoever consumes the batches pass untouched)."""
    try:
        yield from batches
    except (ValueError, OSError) as error:
        raise InputError(f"{path}: {error}") from None


# --- ingest ---------------------------------------------------------------------------------------------------


def _ingest_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", dest="sources", metavar="PATH",
        help="ingest this file or folder instead of ingest.sources (repeatable): run on your own corpus",
    )
    parser.add_argument("--out-dir", type=Path, default=paths.INTERIM, help="where the Parquet files go")
    parser.add_argument("--metrics", type=Path, default=paths.INGEST_METRICS, help="metrics JSON path")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _ingest(args: argparse.Namespace) -> int:
    from pipeline.engine import Engine
    from pipeline.ingest.readers import SourceError
    from pipeline.ingest.stage import ingest, write_outputs

    config = _config(args, {"ingest.sources": args.sources} if args.sources else None)
    if not args.sources:
        _check_declared(config.ingest.sources)
    try:
        with Engine(config.engine) as engine:
            result = ingest(config.ingest, progress=not args.no_progress, engine=engine)
    except SourceError as error:
        raise InputError(str(error)) from None
    write_outputs(result, args.out_dir, args.metrics)
    metrics = result.metrics
    log.info(
        "read %d records: kept %d, quarantined %d %s; %d duplicate clusters with copies",
        metrics["records_read"], metrics["kept"], metrics["quarantined"], metrics["quarantined_by_reason"],
        metrics["duplicates"]["clusters_with_copies"],
    )
    return 0


def _check_declared(sources: list[str]) -> None:
    """Under DVC, refuse a corpus that `dvc.yaml` does not declare: its changes would not rerun ingest."""
    from pipeline.sources import unsynced

    if paths.DVC_YAML.is_file() and (missing := unsynced(paths.DVC_YAML, sources)):
        raise ConfigError(
            f"ingest.sources names {', '.join(missing)}, which {paths.DVC_YAML}'s ingest stage does not list as "
            "dependencies, so DVC would not rerun ingest when they change: run `python -m pipeline sync` "
            "(`make repro` does), then `dvc repro`"
        )


def _sync_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dvc-yaml", type=Path, default=paths.DVC_YAML, help="the pipeline file to update")


def _sync(args: argparse.Namespace) -> int:
    from pipeline.sources import sync

    config = _config(args)
    _require(args.dvc_yaml, hint="run from the repository root")
    changed = sync(args.dvc_yaml, config.ingest.sources)
    log.info("%s: ingest depends on %s%s", args.dvc_yaml, ", ".join(config.ingest.sources),
             "" if changed else " (already so)")
    return 0


# --- outlets --------------------------------------------------------------------------------------------------


def _outlets_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=Path, default=paths.ARTICLES, help="the ingest stage's table")
    parser.add_argument("--out-dir", type=Path, default=paths.OUTLETS, help="where the outlets table goes")


def _outlets(args: argparse.Namespace) -> int:
    import pandas as pd
    import pyarrow.parquet as pq

    from pipeline.corpus import find_outlets, select_articles, write_outlets

    config = _config(args)

    def read(path: Path) -> pd.DataFrame:
        present = set(pq.read_schema(path).names)
        columns = [name for name in ("id", "outlet", "url", "source_country", "is_canonical") if name in present]
        return select_articles(pd.read_parquet(path, columns=columns), config.corpus.canonical_only)

    found = find_outlets(_read_articles(args.articles, read), config.corpus)
    write_outlets(args.out_dir, found)
    for warning in found.check["warnings"]:
        log.warning("%s", warning)
    grouped = found.table[found.table["group"] != "other"]
    log.info("%d outlets, %d in %d groups -> %s", len(found.table), len(grouped), grouped["group"].nunique(),
             args.out_dir)
    return 0


# --- embed ----------------------------------------------------------------------------------------------------


def _embed_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=Path, default=paths.ARTICLES, help="the ingest stage's table")
    parser.add_argument("--out-dir", type=Path, default=paths.EMBEDDINGS, help="where the embeddings go")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _embed(args: argparse.Namespace) -> int:
    from pipeline.embed import embed_batches, text_batches, write_outputs
    from pipeline.engine import Engine

    config = _config(args)
    canonical_only = config.corpus.canonical_only
    batches = _read_articles(args.articles, lambda path: text_batches(path, canonical_only, config.embed.text))
    with Engine(config.engine) as engine:
        result = embed_batches(_reading(args.articles, batches), config.embed, canonical_only,
                               progress=not args.no_progress, engine=engine)
    write_outputs(result, args.out_dir)
    log.info("%d articles embedded with %s in %.1f s (%d texts encoded now, the rest taken from the cache)",
             len(result.ids), result.info["model_key"], result.seconds, result.newly_embedded)
    return 0


# --- topics ---------------------------------------------------------------------------------------------------


def _topics_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=Path, default=paths.ARTICLES, help="the ingest stage's table")
    parser.add_argument("--embeddings", type=Path, default=paths.EMBEDDINGS, help="the embed stage's folder")
    parser.add_argument("--out-dir", type=Path, default=paths.TOPICS, help="where outputs go")
    parser.add_argument("--metrics-dir", type=Path, default=paths.METRICS, help="where the metrics files go")


def _topics(args: argparse.Namespace) -> int:
    from pipeline.embed import build_encoder, load_embeddings
    from pipeline.topics.stage import align, read_articles, run_topics, write_outputs

    logging.getLogger("gensim").setLevel(logging.WARNING)  # it logs every 1000 sliding windows
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # warns about update_topics with our own assignment
    config = _config(args)
    _require(args.articles, args.embeddings / "ids.parquet", hint="run the ingest and embed stages first")
    try:
        ids, embeddings, info = load_embeddings(args.embeddings)
        encoder = build_encoder(config.embed)
        if info.get("model_key") != encoder.key:
            raise ValueError(f"embeddings were made with {info.get('model_key')}, params ask for {encoder.key}")
        articles = align(read_articles(args.articles), ids, config.corpus.canonical_only)
        result = run_topics(articles, ids, embeddings, config.topics, encoder, info, config.embed)
    except ValueError as error:
        raise InputError(str(error)) from None
    write_outputs(result, args.out_dir, args.metrics_dir, config.embed, config.topics)
    metrics = result.metrics
    log.info(
        "%d topics over %d articles in %.0f s: NPMI %s, diversity %s, outliers %s -> %s",
        metrics["topics"], metrics["documents"], result.timing["total_seconds"], metrics["npmi"],
        metrics["diversity"], metrics["outlier_share_before_reduction"], metrics["outlier_share"],
    )
    for finding in metrics["degenerate"]:
        log.warning("degenerate topic model: %s; read its topics as a failure of the settings, not as a finding "
                    "(README, Topics that hold on any corpus)", finding)
    return 0


# --- timeline -------------------------------------------------------------------------------------------------


def _timeline_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=Path, default=paths.ARTICLES, help="the ingest stage's table")
    parser.add_argument("--out-dir", type=Path, default=paths.TIMELINE, help="where outputs go")
    parser.add_argument("--metrics", type=Path, default=paths.TIMELINE_METRICS, help="metrics JSON path")


def _timeline(args: argparse.Namespace) -> int:
    import time

    from pipeline.engine import Engine
    from pipeline.timeline.stage import ArticleChunks, run_stage, write_outputs

    config = _config(args)
    articles = _read_articles(args.articles, lambda path: ArticleChunks.of_file(path, config.corpus.canonical_only))
    started = time.perf_counter()
    with Engine(config.engine) as engine:
        result = run_stage(articles, config.timeline, config.corpus, engine)
    result.metrics["seconds"]["total"] = round(time.perf_counter() - started, 2)
    write_outputs(result, args.out_dir, args.metrics)
    log.info(
        "%d articles, %d event mentions, %d merged events (%d reported by 2+ outlets), %d summary dates",
        result.metrics["articles"], result.metrics["event_mentions"], result.metrics["merged_events"],
        result.metrics["events_reported_by_2plus_outlets"], result.metrics["summary_dates"],
    )
    return 0


# --- tls ------------------------------------------------------------------------------------------------------


TLS_CACHE = Path("data/cache/tls")


def _tls_parser(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="tls_command", required=True, metavar="SUBCOMMAND")
    run_parser = commands.add_parser("summarise", help="write a timeline for a news-tls folder")
    run_parser.add_argument("folder", type=Path)
    run_parser.add_argument("--dates", type=int, required=True, help="number of dates in the timeline")
    run_parser.add_argument("--sentences", type=int, default=1, help="sentences per date")
    run_parser.add_argument("--out", type=Path, required=True, help="timeline JSON (news-tls layout)")
    run_parser.add_argument("--keywords", default=None, help="comma-separated keywords (default: keywords.json)")
    eval_parser = commands.add_parser(
        "evaluate", help="leave-one-topic-out Date-F1 and alignment ROUGE, with floors and ceilings",
        description="Folders are named <topic>_<outlet>; all outlets of a topic leave together. Every learnt "
        "weight and tuned knob is chosen on the other topics; PubCount, random days and the date and text "
        "oracles are scored in the same run.",
    )
    eval_parser.add_argument("folders", type=Path, nargs="+")
    eval_parser.add_argument("--out", type=Path, default=None, help="results JSON (scores and timelines)")
    eval_parser.add_argument("--seeds", type=int, default=5, help="random-date draws averaged (default 5)")
    eval_parser.add_argument("--cache-dir", type=Path, default=TLS_CACHE,
                             help="dated sentences and fold models are kept here (default data/cache/tls)")
    eval_parser.add_argument("--no-baselines", action="store_true", help="score our configuration only")
    eval_parser.add_argument("--as-configured", action="store_true",
                             help="score the configured components as they are, without leaving topics out")
    train_parser = commands.add_parser(
        "train", help="fit the learnt date ranker on topic folders and write its JSON model",
        description="Its regularisation is chosen by leave-one-topic-out Date-F1, then it is fitted on every "
        "folder. Deterministic: the same folders give the same file.",
    )
    train_parser.add_argument("folders", type=Path, nargs="+")
    train_parser.add_argument("--out", type=Path, required=True, help="model JSON, e.g. "
                              "pipeline/timeline/models/date_ranker-v1.json")
    train_parser.add_argument("--cache-dir", type=Path, default=TLS_CACHE, help="dated sentences are kept here")


def _tls(args: argparse.Namespace) -> int:
    from pipeline.config import SummaryConfig
    from pipeline.io import write_json
    from pipeline.timeline.tls import TopicError, summarise_folder, write_timeline

    # Outside a checkout (no params.yaml) the built-in defaults, which are params.yaml's values, apply.
    config = _config(args).timeline.summary if Path(args.params).is_file() else SummaryConfig()
    try:
        if args.tls_command == "summarise":
            keywords = args.keywords.split(",") if args.keywords is not None else None
            timeline = summarise_folder(args.folder, args.dates, args.sentences, config, keywords)
            write_timeline(args.out, timeline)
            log.info("wrote %d dates to %s", len(timeline), args.out)
        elif args.tls_command == "evaluate":
            _tls_evaluate(args, config, write_json)
        else:
            _tls_train(args, config)
    except (TopicError, OSError, ValueError) as error:
        raise InputError(str(error)) from None
    return 0


# --- dating ---------------------------------------------------------------------------------------------------


def _dating_parser(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="dating_command", required=True, metavar="SUBCOMMAND")
    fit_parser = commands.add_parser("fit", help="refit the publication-date prior on the dated articles")
    fit_parser.add_argument("--articles", type=Path, default=paths.ARTICLES, help="the ingest stage's table")
    fit_parser.add_argument("--out", type=Path, default=None,
                            help="the model JSON (default: the shipped pipeline/ingest/models/date_prior-v3.json)")
    fit_parser.add_argument("--cache-dir", type=Path, default=Path("data/cache"), help="date cues are cached here")
    fit_parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _dating(args: argparse.Namespace) -> int:
    import pandas as pd

    from pipeline.ingest.dating.prior import DEFAULT_MODEL
    from pipeline.ingest.dating.training import fit_prior

    _require(args.articles, hint="run the ingest stage first")
    try:
        articles = pd.read_parquet(args.articles, columns=["id", "outlet", "title", "body", "captions", "date",
                                                           "date_source", "dup_cluster"])
        prior = fit_prior(articles, args.cache_dir, str(args.articles), progress=not args.no_progress)
    except (ValueError, OSError) as error:
        raise InputError(f"{args.articles}: {error}") from None
    out = args.out or DEFAULT_MODEL
    prior.save(out)
    log.info("date prior fitted on %d dated articles -> %s", prior.meta["articles"], out)
    return 0


def _tls_evaluate(args: argparse.Namespace, config: Any, write_json: Callable[..., None]) -> None:
    from pipeline.timeline import loto

    report = loto.run(args.folders, config, args.cache_dir, seeds=args.seeds, tuning=not args.as_configured,
                      floors_and_ceilings=not args.no_baselines)
    for scope in ("overall", "fold_mean"):
        for method, scores in report[scope]["scores"].items():
            log.info("%s %-12s Date-F1 %.3f  AR1-F %.3f  AR2-F %.3f", scope, method, scores["date_f1"],
                     scores["ar1"], scores["ar2"])
    if args.out is not None:
        write_json(args.out, report)


def _tls_train(args: argparse.Namespace, config: Any) -> None:
    from pipeline.timeline import date_model, loto

    _, tasks = loto.read_tasks(args.folders, args.cache_dir)
    tuner = loto.Tuner(tasks, args.cache_dir)
    training = [tuner.training_task(task, config) for task in tasks]
    c, means = date_model.choose_c(training)
    command = " ".join(["python -m pipeline tls train", *map(str, args.folders), "--out", str(args.out)])
    model = date_model.fit_model(training, c, {
        "inner_date_f1": {str(key): round(value, 4) for key, value in means.items()},
        "rebuild": command,
    })
    date_model.save_model(model, args.out)
    log.info("fitted on %d timelines of %d topics (C %s, leave-one-topic-out Date-F1 %s) -> %s", len(training),
             len({task.group for task in tasks}), c, round(means.get(c, float("nan")), 3), args.out)


# --- report ---------------------------------------------------------------------------------------------------


def _report_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=Path, default=paths.ARTICLES)
    parser.add_argument("--topics-dir", type=Path, default=paths.TOPICS)
    parser.add_argument("--timeline-dir", type=Path, default=paths.TIMELINE)
    parser.add_argument("--embeddings-dir", type=Path, default=paths.EMBEDDINGS,
                        help="the article embeddings the explorer's topic map reduces to 2-D")
    parser.add_argument("--outlets-dir", type=Path, default=paths.OUTLETS,
                        help="the outlets stage's table: each outlet's group and country")
    parser.add_argument("--metrics-dir", type=Path, default=paths.METRICS, help="the stages' metrics files")
    parser.add_argument("--benchmarks-dir", type=Path, default=paths.BENCHMARK_RESULTS,
                        help="benchmark results shown when present (temporal tagger, timeline summarisation)")
    parser.add_argument("--notebooks", type=Path, default=paths.NOTEBOOKS, help="the notebooks to run")
    parser.add_argument("--out-dir", type=Path, default=paths.REPORTS, help="where the report goes")
    parser.add_argument("--report-metrics", type=Path, default=paths.REPORT_METRICS,
                        help="counts of figures, tables and pages (timings go beside it, *_timing.json)")


def _report(args: argparse.Namespace) -> int:
    import time

    from papermill.exceptions import PapermillExecutionError

    from pipeline import io
    from pipeline.report.stage import NOTEBOOKS, Inputs, build_report

    logging.getLogger("papermill").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # WeasyPrint's font subsetting logs every font
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # logs every page, and that it subsets with fontTools
    config = _config(args)
    inputs = Inputs(Path(args.params), args.articles, args.topics_dir, args.timeline_dir, args.metrics_dir,
                    args.benchmarks_dir, args.embeddings_dir, args.outlets_dir)
    _require(*inputs.required(), *(args.notebooks / f"{name}.ipynb" for name in NOTEBOOKS),
             hint="run the ingest, outlets, embed, topics and timeline stages first")
    started = time.perf_counter()
    try:
        result = build_report(config, inputs, args.notebooks, args.out_dir)
    except PapermillExecutionError as error:  # it names the cell and the exception; the traceback adds noise
        log.error("a notebook cell failed: %s (the executed notebook in %s shows where)", error,
                  args.out_dir / "notebooks")
        return EXIT_FAILED
    result["seconds"]["total"] = round(time.perf_counter() - started, 2)
    timing_path = args.report_metrics.with_name(args.report_metrics.stem + "_timing.json")
    io.write_json(timing_path, result.pop("seconds"))
    io.write_json(args.report_metrics, result)
    log.info("report: %d figures, %d tables, %d PDF pages in %.0f s -> %s, %s", len(result["figures"]),
             len(result["tables"]), result["pages"], time.perf_counter() - started,
             args.out_dir / "report.html", args.out_dir / "report.pdf")
    return 0


# --- the entry ------------------------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace], int]
STAGES: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "sync": ("make dvc.yaml's ingest stage depend on exactly ingest.sources", _sync_parser, _sync),
    "ingest": ("parse, clean, date and deduplicate a corpus", _ingest_parser, _ingest),
    "outlets": ("each outlet's group and country by the corpus contract (corpus section)", _outlets_parser,
                _outlets),
    "embed": ("embed each article's text (cached: only new texts are embedded)", _embed_parser, _embed),
    "topics": ("fit BERTopic on the embeddings; topic tables over time and per outlet", _topics_parser, _topics),
    "timeline": ("dated events merged across outlets, and a summary timeline", _timeline_parser, _timeline),
    "tls": ("timeline summarisation on a news-tls folder, and its evaluation", _tls_parser, _tls),
    "dating": ("refit the publication-date prior model shipped with ingest", _dating_parser, _dating),
    "report": ("execute the notebooks, render the HTML/PDF report and write the explorer", _report_parser, _report),
}
TIMEX_SUMMARY = "tag TimeML files and score them (TempEval-3 Task A)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, configure, handler) in STAGES.items():
        sub = subparsers.add_parser(name, help=summary, description=summary)
        sub.add_argument("--params", type=Path, default=paths.PARAMS, help="parameter file (default: params.yaml)")
        configure(sub)
        sub.set_defaults(handler=handler)
    timex = subparsers.add_parser("timex", help=TIMEX_SUMMARY, description=TIMEX_SUMMARY)
    from pipeline.timex import cli as timex_cli  # the tagger library's own commands (stdlib only: cheap)

    timex_cli.configure_parser(timex)
    timex.set_defaults(handler=timex_cli.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        log.error("%s", error)
        return EXIT_CONFIG
    except InputError as error:
        log.error("%s", error)
        return EXIT_INPUT

"""Command-line entry: `python -m pipeline <command> ...` (also installed as `newsline`).

Each command lives in its own module, which provides `configure_parser(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("pipeline.ingest.stage", "parse, clean, date and deduplicate a corpus"),
    "embed": ("pipeline.embed", "embed each article's text (cached: only new texts are embedded)"),
    "topics": ("pipeline.topics.stage", "fit BERTopic on the embeddings; topic tables over time and per outlet"),
    "timex": ("pipeline.timex.cli", "tag TimeML files and score them (TempEval-3 Task A)"),
    "timeline": ("pipeline.timeline.stage", "dated events merged across outlets, and a summary timeline"),
    "tls": ("pipeline.timeline.tls", "timeline summarisation on a news-tls folder, and its evaluation"),
    "report": ("pipeline.report.stage", "execute the notebooks and render the HTML/PDF report"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    requested = next((arg for arg in argv if arg in COMMANDS), None)
    for name, (module_name, summary) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=summary, description=summary)
        if name == requested:
            module = importlib.import_module(module_name)
            module.configure_parser(sub)
            sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.handler(args) or 0)

"""`python -m pipeline timex ...`: tag TimeML files, score them (TempEval-3 Task A), tag a sentence.

    python -m pipeline timex annotate IN_DIR OUT_DIR        # .tml / .TE3input, DCT from each file
    python -m pipeline timex score GOLD_DIR SYSTEM_DIR [--json]
    python -m pipeline timex tag --dct 2022-03-15 "Talks resume on Monday."
    python -m pipeline timex meantime IN_DIR OUT_DIR         # MEANTIME CAT XML -> gold TimeML
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from pipeline import io
from pipeline.timex.narrative import AUTO, MODES
from pipeline.timex.scorer import MEASURES, figures, score_folders
from pipeline.timex.tagger import parse_dct, tag
from pipeline.timex.timeml import TimeMLError, meantime_to_timeml, read_timeml, render_timeml, timeml_files

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AnnotationReport:
    """What `annotate_folder` did: documents written, characters and timexes tagged, time spent tagging."""

    documents: int = 0
    characters: int = 0
    timexes: int = 0
    tagging_seconds: float = 0.0
    failed: list[str] = field(default_factory=list)


def annotate_folder(source: str | Path, target: str | Path, progress: bool = True,
                    anchoring: str = AUTO) -> AnnotationReport:
    """Tag every TimeML document of `source` against its own DCT (`anchoring` as in `tag`) and write it, same
    name, to `target`.

    Markup inside <TEXT> (gold TIMEX3, EVENT, SIGNAL) is dropped first, so gold files can be re-annotated;
    an unreadable file is logged, listed in `failed` and skipped.
    """
    target = Path(target)
    report = AnnotationReport()
    for path in tqdm(timeml_files(source), desc="timex annotate", unit="doc", disable=not progress):
        try:
            document = read_timeml(path)
        except TimeMLError as error:
            log.warning("skipped %s", error)
            report.failed.append(path.name)
            continue
        try:
            dct = parse_dct(document.dct)
        except ValueError:
            log.warning("%s: unreadable DCT %r; relative expressions anchor only to dates the text establishes",
                        path.name, document.dct)
            dct = None
        if document.dct is None:
            log.warning("%s: no DCT; relative expressions anchor only to dates the text establishes", path.name)
        started = time.perf_counter()
        timexes = tag(document.text, dct, anchoring)
        report.tagging_seconds += time.perf_counter() - started
        io.write_text(target / path.name, render_timeml(document, timexes))
        report.documents += 1
        report.characters += len(document.text)
        report.timexes += len(timexes)
    return report


def convert_meantime(source: str | Path, target: str | Path) -> list[Path]:
    """Write each MEANTIME CAT file under `source` as a gold TimeML file in `target`."""
    written = []
    for path in sorted(Path(source).rglob("*.xml")):
        try:
            content = meantime_to_timeml(path)
        except TimeMLError as error:
            log.warning("skipped %s", error)
            continue
        output = Path(target) / f"{path.stem}.tml"
        io.write_text(output, content)
        written.append(output)
    return written


def score_table(name: str, scores: dict[str, dict[str, float]], gold: int, system: int) -> str:
    """The TempEval-3 Task A figures as a small text table."""
    lines = [f"{name}: {gold} gold TIMEX3, {system} system TIMEX3", f"{'':8s}{'P':>8s}{'R':>8s}{'F1':>8s}"]
    for measure in MEASURES:
        row = scores[measure]
        lines.append(f"{measure:8s}{row['precision']:8.2f}{row['recall']:8.2f}{row['f1']:8.2f}")
    return "\n".join(lines)


_ANCHORING_HELP = ("what relative expressions are anchored to: auto (decided per document and paragraph), news "
                   "(the DCT) or narrative (the last date the text established)")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="timex_command", required=True, metavar="SUBCOMMAND")
    annotate = commands.add_parser("annotate", help="insert TIMEX3 into .tml / .TE3input files")
    annotate.add_argument("source", type=Path, help="folder of .tml or .TE3input files (DCT read from each)")
    annotate.add_argument("target", type=Path, help="folder for the annotated files (same names)")
    annotate.add_argument("--anchoring", choices=MODES, default=AUTO, help=_ANCHORING_HELP)
    score = commands.add_parser("score", help="TempEval-3 Task A figures of system files against gold files")
    score.add_argument("gold", type=Path)
    score.add_argument("system", type=Path)
    score.add_argument("--json", action="store_true", help="print the figures as JSON")
    quick = commands.add_parser("tag", help="tag a text given on the command line (or stdin)")
    quick.add_argument("text", nargs="*", help="the text; read from stdin when absent")
    quick.add_argument("--dct", help="document date, YYYY-MM-DD (relative expressions stay open without it)")
    quick.add_argument("--json", action="store_true", help="print the timexes as JSON")
    quick.add_argument("--anchoring", choices=MODES, default=AUTO, help=_ANCHORING_HELP)
    meantime = commands.add_parser("meantime", help="convert MEANTIME CAT XML into gold TimeML files")
    meantime.add_argument("source", type=Path, help="folder holding MEANTIME .xml files (searched recursively)")
    meantime.add_argument("target", type=Path)


def run(args: argparse.Namespace) -> int:
    try:
        if args.timex_command == "annotate":
            report = annotate_folder(args.source, args.target, anchoring=args.anchoring)
            rate = report.characters / report.tagging_seconds if report.tagging_seconds else 0.0
            log.info("annotated %d documents, %d TIMEX3, %d characters in %.2f s of tagging (%.0f chars/s)",
                     report.documents, report.timexes, report.characters, report.tagging_seconds, rate)
            return 1 if report.failed else 0
        if args.timex_command == "score":
            counts, missing = score_folders(args.gold, args.system)
            if missing:
                log.warning("%d gold documents have no system file (scored as empty): %s", len(missing),
                            ", ".join(missing[:5]))
            scores = figures(counts)
            if args.json:
                print(json.dumps({"gold": counts.gold, "system": counts.system, **scores}, indent=2))
            else:
                print(score_table(str(args.gold), scores, counts.gold, counts.system))
            return 0
        if args.timex_command == "tag":
            text = " ".join(args.text) if args.text else sys.stdin.read()
            timexes = tag(text, args.dct, args.anchoring)
            if args.json:
                print(json.dumps([{"start": t.start, "end": t.end, "text": t.text, "type": t.type, "value": t.value,
                                   "granularity": t.granularity, "mod": t.mod, "anchored": t.anchored}
                                  for t in timexes], indent=2, ensure_ascii=False))
            for t in [] if args.json else timexes:
                print(f"{t.start:>6d}-{t.end:<6d} {t.type:9s} {t.value:16s} {t.mod or '':10s} {t.text}")
            return 0
        written = convert_meantime(args.source, args.target)
        log.info("wrote %d TimeML files to %s", len(written), args.target)
        return 0 if written else 1
    except (TimeMLError, ValueError, OSError) as error:
        log.error("%s", error)
        return 1

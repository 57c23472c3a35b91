"""Temporal tagger benchmark: TempEval-3 Task A figures on TimeBank, AQUAINT, MEANTIME and wikiwars_dev, the
cross-validated narrative-anchoring thresholds, and throughput.

Each dataset goes through the same path a user takes: `annotate_folder` writes TimeML with our TIMEX3 into a
temporary folder, `score_folders` scores it against the gold files (MEANTIME is first converted from CAT XML).
Throughput counts tagging time only (no file I/O), in one process on one core, as the median of several runs;
it is also measured on a sample of the default war-news corpus when data/raw/csli.parquet is present.

The thresholds of narrative anchoring (pipeline/timex/narrative.py) are chosen by 2-fold cross-validation over
the ten wikiwars_dev documents (alternate files in name order): on each half, the grid point with the best value
F1 among those that keep TimeBank's value F1 within 0.5 points of the tagger before narrative anchoring (ties:
better TimeBank value F1, then the more conservative point, see GRID) is scored on the other half; the held-out
counts of both halves are pooled. The same rule on all ten documents gives the shipped thresholds. AQUAINT and
MEANTIME are never looked at while choosing.

    python benchmarks/bench_timex.py [--runs 5] [--corpus-articles 2000] [--skip-cv] [--workers 2]

Writes benchmarks/results/timex.json.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline import io
from pipeline.timex import narrative, tag
from pipeline.timex.cli import annotate_folder, convert_meantime
from pipeline.timex.scorer import MEASURES, Counts, count, figures, score_folders
from pipeline.timex.tagger import parse_dct
from pipeline.timex.timeml import Document, Span, read_timeml, timeml_files

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "timex"
WIKIWARS = SHARED / "wikiwars_dev"
TIMEBANK = SHARED / "TBAQ-cleaned" / "TimeBank"
CORPUS = REPO / "data" / "raw" / "csli.parquet"
RESULTS = Path(__file__).parent / "results" / "timex.json"

# HeidelTime 2.2.1, TempEval-3 Task A, as measured in ../shared/docs/ANCHORS.md and ../shared/timex/README.md:
# news mode with each document's DCT, and narratives mode on wikiwars_dev (the user has to choose the mode).
HEIDELTIME = {
    "TimeBank": {"strict": 85.34, "relaxed": 92.18, "value": 79.48, "type": 89.66},
    "AQUAINT": {"strict": 81.34, "relaxed": 92.86, "value": 72.91, "type": 84.61},
    "MEANTIME": None,
    "wikiwars_dev": {"strict": 85.18, "relaxed": 92.30, "value": 83.44, "type": None},
    "TE3-platinum": {"strict": 81.78, "relaxed": 90.71, "value": 78.07, "type": None},
}
HEIDELTIME_CHARS_PER_SECOND = 1_000  # "about 1 k characters/s" with a JVM per document (ANCHORS.md)
# This tagger before narrative anchoring (commit e319fc3, everything anchored to the DCT), measured with this
# script: the figures the change is held to (value F1 may drop by at most 0.5 on the news corpora).
BEFORE_NARRATIVE = {
    "TimeBank": {"strict": 88.86, "relaxed": 92.83, "value": 81.00, "type": 89.80},
    "AQUAINT": {"strict": 83.51, "relaxed": 93.12, "value": 75.72, "type": 85.17},
    "MEANTIME": {"strict": 86.12, "relaxed": 90.37, "value": 79.04, "type": 85.27},
    "wikiwars_dev": {"strict": 83.78, "relaxed": 90.03, "value": 54.03, "type": 80.40},
}
TIMEBANK_VALUE_FLOOR = BEFORE_NARRATIVE["TimeBank"]["value"] - 0.5

# The grid the cross-validation searches: narrative.py's names and candidate values, each listed from the most
# conservative (the least re-anchoring of news) to the least, since ties go to the earlier grid point.
GRID: dict[str, tuple[float, ...]] = {
    "FAR_DAYS": (1826, 730, 365),
    "NARRATIVE_VOTES": (8, 5, 2),
    "NARRATIVE_SHARE": (0.9, 0.67, 0.5),
    "RECENT_DAYS": (180, 90),
    "BACKWARD_WEIGHT": (1.0, 2.0, 4.0),
    "JUMP_YEARS": (1, 2, 5),
    "YEAR_WINDOW": (10, 30),
}


def tagging_throughput(texts: list[tuple[str, object]], runs: int) -> float:
    """Median characters per second of `tag` over all texts, after one warm-up pass."""
    characters = sum(len(text) for text, _ in texts)
    for text, dct in texts[:20]:
        tag(text, dct)
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for text, dct in texts:
            tag(text, dct)
        rates.append(characters / (time.perf_counter() - started))
    return statistics.median(rates)


def corpus_sample(articles: int) -> list[tuple[str, object]]:
    """A deterministic sample of the default corpus (text, publication date), or [] when it is absent."""
    if not CORPUS.exists() or articles <= 0:
        return []
    import pandas as pd

    frame = pd.read_parquet(CORPUS, columns=["date", "text"])
    frame = frame.sample(min(articles, len(frame)), random_state=0)
    return [(text, parse_dct(date)) for text, date in zip(frame["text"], frame["date"], strict=True)]


def evaluate(name: str, gold_dir: Path, work: Path, runs: int) -> dict[str, object]:
    system_dir = work / f"{name}-system"
    report = annotate_folder(gold_dir, system_dir, progress=False)
    counts, missing = score_folders(gold_dir, system_dir)
    documents = [read_timeml(path) for path in timeml_files(gold_dir)]
    texts = [(document.text, parse_dct(document.dct)) for document in documents]
    return {
        "documents": report.documents,
        "characters": report.characters,
        "gold_timex": counts.gold,
        "system_timex": counts.system,
        "missing_system_files": len(missing),
        "scores": figures(counts),
        "chars_per_second": round(tagging_throughput(texts, runs)),
    }


def document_counts(documents: Sequence[Document], anchoring: str = narrative.AUTO) -> list[Counts]:
    """TempEval-3 counts of each document, tagged in memory."""
    counts = []
    for document in documents:
        timexes = tag(document.text, parse_dct(document.dct), anchoring=anchoring)
        counts.append(count(document.timexes, [Span(t.start, t.end, t.type, t.value) for t in timexes]))
    return counts


def pooled(counts: Iterable[Counts]) -> Counts:
    return sum(counts, Counts())


def value_f1(counts: Counts) -> float:
    return figures(counts)["value"]["f1"]


_DOCUMENTS: dict[str, list[Document]] = {}


def _grid_point(point: tuple[float, ...]) -> tuple[list[Counts], Counts]:
    """Per-document wikiwars counts and pooled TimeBank counts with the thresholds `point` (in a worker)."""
    for name, value in zip(GRID, point, strict=True):
        setattr(narrative, name, value)
    return document_counts(_DOCUMENTS["wikiwars"]), pooled(document_counts(_DOCUMENTS["timebank"]))


def choose(results: list[tuple[tuple[float, ...], list[Counts], Counts]], documents: Sequence[int]
           ) -> tuple[float, ...]:
    """The grid point with the best pooled value F1 on `documents` whose TimeBank value F1 stays above the floor;
    ties go to the better TimeBank value F1, then to the earlier (more conservative) grid point."""
    allowed = [(point, wiki, timebank) for point, wiki, timebank in results
               if value_f1(timebank) >= TIMEBANK_VALUE_FLOOR] or results
    best = max(allowed, key=lambda r: (value_f1(pooled(r[1][i] for i in documents)), value_f1(r[2])))
    return best[0]


def cross_validate(workers: int) -> dict[str, object]:
    """2-fold cross-validation of narrative anchoring's thresholds over the wikiwars documents (see above)."""
    _DOCUMENTS["wikiwars"] = [read_timeml(path) for path in timeml_files(WIKIWARS)]
    _DOCUMENTS["timebank"] = [read_timeml(path) for path in timeml_files(TIMEBANK)]
    shipped = tuple(getattr(narrative, name) for name in GRID)
    points = list(itertools.product(*GRID.values()))
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            measured = pool.map(_grid_point, points, chunksize=4)
    finally:
        for name, value in zip(GRID, shipped, strict=True):
            setattr(narrative, name, value)
    results = [(point, wiki, timebank) for point, (wiki, timebank) in zip(points, measured, strict=True)]
    by_point = {point: (wiki, timebank) for point, wiki, timebank in results}
    names = [path.name for path in timeml_files(WIKIWARS)]
    halves = [list(range(0, len(names), 2)), list(range(1, len(names), 2))]
    held_out = Counts()
    folds = []
    for train, test in (halves, halves[::-1]):
        point = choose(results, train)
        test_counts = pooled(by_point[point][0][i] for i in test)
        held_out = held_out + test_counts
        folds.append({
            "chosen_on": [names[i] for i in train],
            "thresholds": dict(zip(GRID, point, strict=True)),
            "train_value_f1": value_f1(pooled(by_point[point][0][i] for i in train)),
            "held_out": [names[i] for i in test],
            "held_out_scores": figures(test_counts),
        })
    final = choose(results, range(len(names)))
    all_ten = [value_f1(pooled(wiki)) for _, wiki, _ in results]
    return {
        "grid": {name: list(values) for name, values in GRID.items()},
        "grid_points": len(points),
        "timebank_value_floor": TIMEBANK_VALUE_FLOOR,
        "folds": folds,
        "cross_validated_scores": figures(held_out),
        "all_ten_value_f1_over_the_grid": {"min": min(all_ten), "median": statistics.median(all_ten),
                                           "max": max(all_ten)},
        "chosen_on_all_ten": dict(zip(GRID, final, strict=True)),
        "shipped": dict(zip(GRID, shipped, strict=True)),
        "shipped_is_chosen": final == shipped,
    }


def forced_modes() -> dict[str, dict[str, dict[str, float]]]:
    """wikiwars_dev and TimeBank with anchoring forced to news and to narrative: what deciding by itself buys."""
    documents = {name: [read_timeml(path) for path in timeml_files(folder)]
                 for name, folder in (("wikiwars_dev", WIKIWARS), ("TimeBank", TIMEBANK))}
    return {mode: {name: figures(pooled(document_counts(docs, mode))) for name, docs in documents.items()}
            for mode in (narrative.NEWS, narrative.NARRATIVE)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed passes per dataset (median reported)")
    parser.add_argument("--corpus-articles", type=int, default=2000, help="war-news articles timed (0: skip)")
    parser.add_argument("--skip-cv", action="store_true", help="skip the cross-validation (a few minutes)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the cross-validation grid")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not SHARED.exists():
        parser.error(f"{SHARED} is missing: the TimeML data lives in ../shared/timex")

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        meantime_gold = work / "MEANTIME-gold"
        convert_meantime(SHARED / "meantime_en" / "intra-doc_annotation", meantime_gold)
        for name, gold_dir in (("TimeBank", TIMEBANK), ("AQUAINT", SHARED / "TBAQ-cleaned" / "AQUAINT"),
                               ("MEANTIME", meantime_gold), ("wikiwars_dev", WIKIWARS)):
            results[name] = evaluate(name, gold_dir, work, args.runs)

    sample = corpus_sample(args.corpus_articles)
    throughput = {name: results[name]["chars_per_second"] for name in results}
    if sample:
        throughput["war_news_sample"] = round(tagging_throughput(sample, args.runs))
    conditions = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "runs": args.runs,
        "note": "one process, one core; the machine is shared, so timings are pessimistic",
    }
    cv = None if args.skip_cv else cross_validate(args.workers)
    payload = {
        "datasets": results,
        "throughput_chars_per_second": throughput,
        "war_news_sample_articles": len(sample),
        "before_narrative_anchoring": BEFORE_NARRATIVE,
        "forced_anchoring": forced_modes(),
        "narrative_cross_validation": cv,
        "heideltime_reference": HEIDELTIME,
        "heideltime_chars_per_second": HEIDELTIME_CHARS_PER_SECOND,
        "conditions": conditions,
    }
    io.write_json(RESULTS, payload)

    header = f"{'dataset':14s} {'gold':>5s} " + " ".join(f"{m + ' F1':>11s}" for m in MEASURES) + f" {'chars/s':>11s}"
    print(header)
    for name, result in results.items():
        scores = result["scores"]
        print(f"{name:14s} {result['gold_timex']:5d} " + " ".join(f"{scores[m]['f1']:11.2f}" for m in MEASURES)
              + f" {result['chars_per_second']:11,d}")
        print(f"{'  before':20s} " + " ".join(f"{BEFORE_NARRATIVE[name][m]:11.2f}" for m in MEASURES))
        reference = HEIDELTIME.get(name)
        if reference:
            print(f"{'  HeidelTime':20s} " + " ".join(f"{reference[m]:11.2f}" if reference[m] is not None
                                                     else f"{'':11s}" for m in MEASURES)
                  + f" {HEIDELTIME_CHARS_PER_SECOND:11,d}")
    if cv is not None:
        held_out = cv["cross_validated_scores"]
        print("wikiwars_dev, 2-fold cross-validated: " + " / ".join(f"{held_out[m]['f1']:.2f}" for m in MEASURES)
              + f" (strict / relaxed / value / type F1); shipped thresholds = chosen on all ten: "
              f"{cv['shipped_is_chosen']}")
    if sample:
        print(f"war-news sample ({len(sample)} articles): {throughput['war_news_sample']:,d} chars/s")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

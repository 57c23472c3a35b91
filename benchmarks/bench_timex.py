"""Temporal tagger benchmark: TempEval-3 Task A figures on TimeBank, AQUAINT and MEANTIME, and throughput.

Each dataset goes through the same path a user takes: `annotate_folder` writes TimeML with our TIMEX3 into a
temporary folder, `score_folders` scores it against the gold files (MEANTIME is first converted from CAT XML).
Throughput counts tagging time only (no file I/O), in one process on one core, as the median of several runs;
it is also measured on a sample of the default war-news corpus when data/raw/csli.parquet is present.

    python benchmarks/bench_timex.py [--runs 5] [--corpus-articles 2000]

Writes benchmarks/results/timex.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from pipeline import io
from pipeline.timex import tag
from pipeline.timex.cli import annotate_folder, convert_meantime
from pipeline.timex.scorer import MEASURES, figures, score_folders
from pipeline.timex.tagger import parse_dct
from pipeline.timex.timeml import read_timeml, timeml_files

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "timex"
CORPUS = REPO / "data" / "raw" / "csli.parquet"
RESULTS = Path(__file__).parent / "results" / "timex.json"

# HeidelTime 2.2.1 (news mode, each document's DCT), TempEval-3 Task A, as measured in ../shared/docs/ANCHORS.md.
HEIDELTIME = {
    "TimeBank": {"strict": 85.34, "relaxed": 92.18, "value": 79.48, "type": 89.66},
    "AQUAINT": {"strict": 81.34, "relaxed": 92.86, "value": 72.91, "type": 84.61},
    "MEANTIME": None,
    "TE3-platinum": {"strict": 81.78, "relaxed": 90.71, "value": 78.07, "type": None},
}
HEIDELTIME_CHARS_PER_SECOND = 1_000  # "about 1 k characters/s" with a JVM per document (ANCHORS.md)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed passes per dataset (median reported)")
    parser.add_argument("--corpus-articles", type=int, default=2000, help="war-news articles timed (0: skip)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not SHARED.exists():
        parser.error(f"{SHARED} is missing: the TimeML data lives in ../shared/timex")

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        meantime_gold = work / "MEANTIME-gold"
        convert_meantime(SHARED / "meantime_en" / "intra-doc_annotation", meantime_gold)
        for name, gold_dir in (("TimeBank", SHARED / "TBAQ-cleaned" / "TimeBank"),
                               ("AQUAINT", SHARED / "TBAQ-cleaned" / "AQUAINT"),
                               ("MEANTIME", meantime_gold)):
            results[name] = evaluate(name, gold_dir, work, args.runs)

    sample = corpus_sample(args.corpus_articles)
    throughput = {name: results[name]["chars_per_second"] for name in results}
    if sample:
        throughput["war_news_sample"] = round(tagging_throughput(sample, args.runs))
    payload = {
        "datasets": results,
        "throughput_chars_per_second": throughput,
        "war_news_sample_articles": len(sample),
        "heideltime_reference": HEIDELTIME,
        "heideltime_chars_per_second": HEIDELTIME_CHARS_PER_SECOND,
        "conditions": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "runs": args.runs,
            "note": "one process, one core; the machine is shared, so timings are pessimistic",
        },
    }
    io.write_json(RESULTS, payload)

    header = f"{'dataset':10s} {'gold':>5s} " + " ".join(f"{m + ' F1':>11s}" for m in MEASURES) + f" {'chars/s':>11s}"
    print(header)
    for name, result in results.items():
        scores = result["scores"]
        print(f"{name:10s} {result['gold_timex']:5d} " + " ".join(f"{scores[m]['f1']:11.2f}" for m in MEASURES)
              + f" {result['chars_per_second']:11,d}")
        reference = HEIDELTIME.get(name)
        if reference:
            print(f"{'  HeidelTime':16s} " + " ".join(f"{reference[m]:11.2f}" for m in MEASURES)
                  + f" {HEIDELTIME_CHARS_PER_SECOND:11,d}")
    if sample:
        print(f"war-news sample ({len(sample)} articles): {throughput['war_news_sample']:,d} chars/s")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Timeline summarisation benchmark: the Timeline17 folders in ../shared/tls/t17, leave one topic out.

Fourteen outlet folders of nine topics. For each topic in turn, every learnt weight and tuned knob is chosen
on the other topics (all outlets of the topic leave together) and the topic is scored; the headline figures
are means over the left-out topics (`fold_mean`) and over the fourteen timelines (`overall`, the paper's
averaging). The same run scores the floors (PubCount, random days) and the ceilings (date, text and full
oracles); `pipeline/timeline/loto.py` states the protocol, recorded in the results as `protocol`.

Our configuration is params.yaml's `timeline.summary`; the other date ranker (`learnt` or `mention_counts`)
is scored beside it with the same protocol. DATEWISE's figures measured on three of the folders
(../shared/docs/ANCHORS.md) are shown next to ours. `--pooled` also scores news-tls' setting: all outlets of
a topic pooled into one collection, scored against each outlet's timeline.

The targets (issue 11): `overall` and `fold_mean` at least 20% above PubCount on Date-F1 and AR1, measured in
the same run; no topic more than 0.05 Date-F1 below PubCount.

    python benchmarks/bench_tls.py [--params params.yaml] [--t17 ../shared/tls/t17] [--seeds 5] [--pooled]

Writes benchmarks/results/tls.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline import io
from pipeline.components.rankers import Learnt, MentionCounts
from pipeline.config import SummaryConfig, load_config
from pipeline.timeline import loto, tls

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "tls.json"
CACHE = REPO / "data" / "cache" / "tls"

# Measured on the same timelines with news-tls' code and tilse's Python ROUGE (../shared/docs/ANCHORS.md):
# DATEWISE with its supervised date ranker leaving the topic out, one outlet's articles per topic.
DATEWISE = {
    "LibyaWar_cnn": {"date_f1": 0.368, "ar1": 0.087, "ar2": 0.021},
    "LibyaWar_reuters": {"date_f1": 0.250, "ar1": 0.051, "ar2": 0.006},
    "SyrianCrisis_bbc": {"date_f1": 0.077, "ar1": 0.011, "ar2": 0.002},
}
METRICS = ("date_f1", "ar1", "ar2")
TARGET_RATIO = 1.2
TARGET_TOPIC_MARGIN = 0.05


def other_ranker(config: SummaryConfig) -> dict[str, SummaryConfig]:
    """The date ranker params.yaml does not use, with everything else alike."""
    if isinstance(config.ranker, Learnt):
        return {"mention_counts": config.model_copy(update={"ranker": MentionCounts()})}
    return {"learnt": config.model_copy(update={"ranker": Learnt()})}


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """Issue 11's targets, checked on the figures of this run."""
    result: dict[str, Any] = {}
    for scope in ("overall", "fold_mean"):
        scores = report[scope]["scores"]
        result[scope] = {
            metric: {
                "ours": scores["ours"][metric],
                "pubcount": scores["pubcount"][metric],
                "ratio": round(scores["ours"][metric] / scores["pubcount"][metric], 3)
                if scores["pubcount"][metric] else None,
                "met": scores["ours"][metric] >= TARGET_RATIO * scores["pubcount"][metric],
            }
            for metric in ("date_f1", "ar1")
        }
    for level, rows in (("topics", report["folds"]), ("folders", report["folders"])):
        shortfalls = {
            name: round(row["scores"]["ours"]["date_f1"] - row["scores"]["pubcount"]["date_f1"], 3)
            for name, row in rows.items()
        }
        result[f"date_f1_minus_pubcount_per_{level[:-1]}"] = shortfalls
        result[f"no_{level[:-1]}_below_pubcount_by_more_than_{TARGET_TOPIC_MARGIN}"] = all(
            value >= -TARGET_TOPIC_MARGIN for value in shortfalls.values()
        )
    result["all_met"] = all(
        result[scope][metric]["met"] for scope in ("overall", "fold_mean") for metric in ("date_f1", "ar1")
    ) and result[f"no_topic_below_pubcount_by_more_than_{TARGET_TOPIC_MARGIN}"]
    return result


def per_folder(report: dict[str, Any]) -> dict[str, Any]:
    """One row per folder: every method's scores, and DATEWISE's where measured (the report's table reads this)."""
    rows = {}
    for folder, entry in report["folders"].items():
        row = {method: {metric: scores[metric] for metric in METRICS} for method, scores in entry["scores"].items()}
        if folder in DATEWISE:
            row["datewise"] = DATEWISE[folder]
        row.update(topic=entry["topic"], reference_dates=entry["reference_dates"],
                   articles_in_span=entry["articles_in_span"])
        rows[folder] = row
    return rows


def pooled(folders: list[Path], config: SummaryConfig, seeds: int) -> dict[str, Any]:
    """news-tls' setting: each topic's outlets pooled into one collection, scored against every outlet's timeline."""
    from pipeline.timeline.summarise import DatedSentence
    from pipeline.timex import tag

    topics = [tls.read_topic(folder) for folder in folders]
    sentences: dict[str, list[DatedSentence]] = {}
    groups: dict[str, list[tls.Topic]] = {}
    for topic in topics:
        groups.setdefault(topic.group, []).append(topic)
    for members in groups.values():
        pool: list[DatedSentence] = []
        for topic in members:
            for sentence in tls.topic_sentences(topic, tag, CACHE):  # ids made unique across outlets
                pool.append(replace(sentence, article_id=f"{topic.name}:{sentence.article_id}"))
        for topic in members:
            sentences[topic.name] = pool
    tasks = loto.build_tasks(topics, sentences)
    return loto.evaluate(tasks, {"ours": config}, CACHE / "models-pooled", seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--t17", type=Path, default=REPO.parent / "shared" / "tls" / "t17")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pooled", action="store_true", help="also score the pooled-outlets setting")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("pipeline.timeline.sentences").setLevel(logging.ERROR)
    config = load_config(args.params).timeline.summary
    folders = sorted(path for path in args.t17.iterdir() if (path / "articles.jsonl").is_file())
    started = time.perf_counter()
    report = loto.run(folders, config, CACHE, seeds=args.seeds, variants=other_ranker(config), progress=print)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["topics"] = per_folder(report)
    report["targets"] = targets(report)
    if args.pooled:
        started = time.perf_counter()
        report["pooled"] = {"setting": "all outlets of a topic pooled into one collection (article ids prefixed "
                                       "with the folder), scored against each outlet's timeline",
                            **pooled(folders, config, args.seeds), "seconds": round(time.perf_counter() - started, 1)}
    report["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "load_average": [round(value, 2) for value in os.getloadavg()]}
    for folders_of_a_setting in (report["folders"], report.get("pooled", {}).get("folders", {})):
        for folder in folders_of_a_setting.values():
            folder.pop("timelines", None)  # the timelines are in `tls evaluate --out`; the results file stays small
    io.write_json(RESULTS, report)
    print(f"{'':22s} {'Date-F1':>8s} {'AR1':>7s} {'AR2':>7s}")
    for scope in ("overall", "fold_mean"):
        for method, scores in report[scope]["scores"].items():
            print(f"{scope + ' ' + method:22s} {scores['date_f1']:8.3f} {scores['ar1']:7.3f} {scores['ar2']:7.3f}")
    print("targets met:", report["targets"]["all_met"])
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

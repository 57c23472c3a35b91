"""Timeline summarisation benchmark: Timeline17 topics in ../shared/tls/t17 with the published protocol.

One task per ground-truth timeline: as many dates as the reference and its average sentences per date,
articles outside the reference's first and last date dropped, Date-F1 and alignment ROUGE-1/2 F1 (tilse 0.2.1,
`align_date_content_costs_many_to_one`, `rouge_computation="reimpl"`). Our figures sit next to DATEWISE and
the publication-count baseline as measured on the same timelines (../shared/docs/ANCHORS.md).

Each topic is also scored with one summary setting moved at a time (`sensitivity`: [Date-F1, AR1, AR2]).
LibyaWar_reuters holds six Reuters chronology articles ("March 17 - The U.N. Security Council votes ...")
whose lines are close to the journalists' timeline; the topic is also scored without them, to show how much
of the figure they carry.

    python benchmarks/bench_tls.py [--params params.yaml] [--t17 ../shared/tls/t17]

Writes benchmarks/results/tls.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import time
from pathlib import Path

from pipeline import io
from pipeline.config import SummaryConfig, load_config
from pipeline.timeline import tls
from pipeline.timex import tag

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "tls.json"

# Measured on the same timelines with news-tls' code and tilse's Python ROUGE (../shared/docs/ANCHORS.md).
ANCHORS = {
    "LibyaWar_cnn": {"datewise": {"date_f1": 0.368, "ar1": 0.087, "ar2": 0.021},
                     "pubcount": {"date_f1": 0.474, "ar1": 0.057}},
    "LibyaWar_reuters": {"datewise": {"date_f1": 0.250, "ar1": 0.051, "ar2": 0.006},
                         "pubcount": {"date_f1": 0.143, "ar1": 0.021}},
    "SyrianCrisis_bbc": {"datewise": {"date_f1": 0.077, "ar1": 0.011, "ar2": 0.002},
                         "pubcount": {"date_f1": 0.000, "ar1": 0.010}},
}
METRICS = ("date_f1", "ar1", "ar2")
CHRONOLOGY_LINE = re.compile(
    r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2} -", re.MULTILINE
)


def is_chronology(article: tls.Article) -> bool:
    """A dated list ("March 17 - ..."), recognised by three or more lines that start with a day."""
    return len(CHRONOLOGY_LINE.findall(article.text)) >= 3


# One setting moved at a time around params.yaml, to show how much the figures hang on the tuned values.
SENSITIVITY = {
    "later_smoothing": (0.1, 0.3),
    "next_day_mention_weight": (0.0, 1.0),
    "published_weight": (0.0, 0.5),
    "per_article": (1, 3),
    "max_similarity": (0.3, 0.7),
}


def moved(config: SummaryConfig, name: str, value: float) -> SummaryConfig:
    """`config` with one setting changed, whether it belongs to the date ranker or to the selector."""
    if name in type(config.ranker).model_fields:
        return config.model_copy(update={"ranker": config.ranker.model_copy(update={name: value})})
    return config.model_copy(update={name: value})


def scores_only(topic: tls.Topic, sentences: list, config: SummaryConfig) -> list[float]:
    average = tls.average_scores([scores for _, scores in tls.evaluate_topic(topic, sentences, config)])
    return [round(average.dates.f1, 3), round(average.rouge_1.f1, 3), round(average.rouge_2.f1, 3)]


def score(topic: tls.Topic, config: SummaryConfig, sensitivity: bool = False) -> dict[str, object]:
    started = time.perf_counter()
    sentences = tls.topic_sentences(topic, tag)
    tagged = time.perf_counter()
    results = tls.evaluate_topic(topic, sentences, config)
    average = tls.average_scores([scores for _, scores in results])
    return {
        "articles": len(topic.articles),
        "tasks": len(results),
        "reference_dates": [len(reference) for reference in topic.timelines],
        "date_f1": round(average.dates.f1, 3),
        "ar1": round(average.rouge_1.f1, 3),
        "ar2": round(average.rouge_2.f1, 3),
        "detail": average.as_dict(),
        "seconds_tagging": round(tagged - started, 2),
        "seconds_summarising_and_scoring": round(time.perf_counter() - tagged, 2),
        **({"sensitivity": {
            f"{name}={value}": scores_only(topic, sentences, moved(config, name, value))
            for name, values in SENSITIVITY.items() for value in values
        }} if sensitivity else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--t17", type=Path, default=REPO.parent / "shared" / "tls" / "t17")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = load_config(args.params).timeline.summary
    topics: dict[str, object] = {}
    for name in sorted(ANCHORS):
        topic = tls.read_topic(args.t17 / name)
        ours = score(topic, config, sensitivity=True)
        anchors = ANCHORS[name]
        topics[name] = {
            "ours": ours,
            **anchors,
            "beats_datewise": {metric: ours[metric] > anchors["datewise"][metric] for metric in METRICS},
        }
        chronologies = [article for article in topic.articles if is_chronology(article)]
        if chronologies:
            topic.articles = [article for article in topic.articles if not is_chronology(article)]
            topics[name]["without_chronologies"] = {"removed_articles": len(chronologies), **score(topic, config)}
        print(f"{name:18s} ours Date-F1 {ours['date_f1']:.3f} AR1 {ours['ar1']:.3f} AR2 {ours['ar2']:.3f} | "
              f"DATEWISE {anchors['datewise']['date_f1']:.3f} {anchors['datewise']['ar1']:.3f} "
              f"{anchors['datewise']['ar2']:.3f}")
        if chronologies:
            rest = topics[name]["without_chronologies"]
            print(f"{'':18s} without its {len(chronologies)} chronology articles: Date-F1 {rest['date_f1']:.3f} "
                  f"AR1 {rest['ar1']:.3f} AR2 {rest['ar2']:.3f}")
    io.write_json(RESULTS, {
        "protocol": "one task per timeline; l dates, k = rounded mean sentences/date; articles within the reference "
                    "span; no keyword filter (no keywords.json); tilse 0.2.1 reimpl ROUGE, many-to-one alignment",
        "summary_config": config.__dict__,
        "topics": topics,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
    })
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

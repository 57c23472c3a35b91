"""Encoder options for the embed stage: speed side by side, and what each costs in quality.

The options are ways of running the same model, all-MiniLM-L6-v2 (issue 13, part 2):
- `torch`: sentence-transformers, one text per batch (the reference: today's float vectors);
- `torch_sorted_batches`: sentence-transformers in length-sorted, padded batches of 32;
- `onnx_float32`: ONNX Runtime on the graph written from the packaged weights, each text alone;
- `onnx_int8`: the same graph with its linear layers' weights quantised to int8 per output channel;
- `onnx_float32_full_text`: the float graph on title + body (what `embed.text: full` embeds) instead of title +
  lead: speed only, since its vectors say something else.

1. Speed: a seeded sample of the corpus's texts, every option encoding it in turn, round after round (so a
   change of machine load hits all options alike); texts per second (wall and per CPU second), median over rounds.
2. Quality on the whole corpus: each option's vectors against the reference's (cosine: min, 1st percentile, mean),
   and the topic stage (`pipeline.topics.stage.model_topics`, params.yaml's topics settings without the
   stability refit and aspects) on each: topics, NPMI, diversity, outliers, and the adjusted Rand index of its
   topic assignments against the reference's. For scale, the reference refitted with the next seed gives the
   ARI that chance alone moves the topics by.
3. Whether each option's vectors are independent of the texts encoded with them: a text alone vs in the sample.

    python benchmarks/bench_encoders.py [--articles data/interim/articles.parquet] [--sample 400] [--rounds 3]
                                        [--cache data/cache] [--no-topics]

Vectors go through the embedding cache (`--cache`), so a second run reuses them. Writes
benchmarks/results/encoders.json, with the load average before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from pipeline import io
from pipeline.components.encoders import MiniLM
from pipeline.config import EmbedConfig, load_config
from pipeline.corpus import select_articles
from pipeline.embed import article_texts, embed_articles
from pipeline.topics.stage import model_topics

RESULTS = Path(__file__).parent / "results" / "encoders.json"
log = logging.getLogger("bench_encoders")

OPTIONS: dict[str, dict[str, Any]] = {
    "torch": {"backend": "torch", "batch_size": 1},
    "torch_sorted_batches": {"backend": "torch", "batch_size": 32},
    "onnx_float32": {"backend": "onnx", "precision": "float32"},
    "onnx_int8": {"backend": "onnx", "precision": "int8"},
}
REFERENCE = "torch"
FULL_CORPUS = ("torch", "onnx_float32", "onnx_int8")  # torch_sorted_batches: its vectors depend on the batch


def speed(encoders: dict[str, Any], texts: dict[str, list[str]], rounds: int) -> dict[str, dict[str, float]]:
    """Texts per second of every encoder on its texts, measured in interleaved rounds (median over rounds)."""
    walls: dict[str, list[float]] = {name: [] for name in encoders}
    cpus: dict[str, list[float]] = {name: [] for name in encoders}
    for name, encoder in encoders.items():
        encoder.encode(texts[name][:4])  # loads the model (and writes the ONNX graph) outside the timing
    for round_number in range(rounds):
        for name, encoder in encoders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            encoder.encode(texts[name])
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
            log.info("round %d %s: %.1f s", round_number + 1, name, walls[name][-1])
    result = {}
    for name in encoders:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        result[name] = {
            "texts": len(texts[name]),
            "texts_per_second": round(len(texts[name]) / wall, 2),
            "texts_per_cpu_second": round(len(texts[name]) / cpu, 2),
            "wall_seconds_per_round": [round(value, 2) for value in walls[name]],
        }
    reference = result[REFERENCE]
    for values in result.values():
        values["speedup_wall"] = round(values["texts_per_second"] / reference["texts_per_second"], 2)
        values["speedup_cpu"] = round(values["texts_per_cpu_second"] / reference["texts_per_cpu_second"], 2)
    return result


def cosines(vectors: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    values = (vectors * reference).sum(axis=1) / (
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1)
    )
    return {
        "min": round(float(values.min()), 8),
        "p1": round(float(np.percentile(values, 1)), 8),
        "mean": round(float(values.mean()), 8),
        "bit_identical_share": round(float((vectors == reference).all(axis=1).mean()), 4),
    }


def independence(encoder: Any, texts: list[str], alone_count: int = 20) -> dict[str, Any]:
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([text])[0] for text in texts[:alone_count]])
    return {
        "texts_alone": alone_count,
        "bit_identical": bool(np.array_equal(alone, together[:alone_count])),
        "max_abs_difference": float(np.abs(alone - together[:alone_count]).max()),
    }


def topic_quality(articles: pd.DataFrame, vectors: np.ndarray, config: Any, seed: int | None = None) -> Any:
    update: dict[str, Any] = {"aspects": (), "metrics": config.metrics.model_copy(update={"stability": False})}
    if seed is not None:
        update["seed"] = seed
    started = time.perf_counter()
    result = model_topics(articles, vectors, config.model_copy(update=update), None, {})
    metrics = result.metrics
    summary = {
        "topics": metrics["topics"],
        "npmi": metrics["npmi"],
        "diversity": metrics["diversity"],
        "outlier_share": metrics["outlier_share"],
        "outlier_share_before_reduction": metrics["outlier_share_before_reduction"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return summary, result.doc_topics["topic"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="embedding cache (reused)")
    parser.add_argument("--sample", type=int, default=400, help="texts in the speed comparison")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="threads of every option (the stage's setting)")
    parser.add_argument("--no-topics", action="store_true", help="skip the whole-corpus quality part")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = load_config(args.params)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(v, 2) for v in os.getloadavg()]},
        "options": {name: MiniLM(threads=args.threads, **values).describe() for name, values in OPTIONS.items()},
        "reference": REFERENCE,
    }
    articles = select_articles(pd.read_parquet(args.articles), config.corpus.canonical_only,
                               required=("id", "title", "lead", "body"))
    rng = np.random.default_rng(13)
    sample = articles.iloc[np.sort(rng.choice(len(articles), min(args.sample, len(articles)), replace=False))]
    title_lead, full = article_texts(sample, "title_lead"), article_texts(sample, "full")
    encoders = {name: MiniLM(threads=args.threads, **values).build(args.cache) for name, values in OPTIONS.items()}
    speed_encoders = {**encoders, "onnx_float32_full_text": encoders["onnx_float32"]}
    speed_texts = {name: title_lead for name in encoders} | {"onnx_float32_full_text": full}
    log.info("speed: %d texts, %d rounds", len(title_lead), args.rounds)
    results["speed"] = speed(speed_encoders, speed_texts, args.rounds)
    results["independence"] = {name: independence(encoder, title_lead) for name, encoder in encoders.items()}
    sample_vectors = {name: encoder.encode(title_lead) for name, encoder in encoders.items()}
    results["sample_cosine_to_reference"] = {
        name: cosines(vectors, sample_vectors[REFERENCE]) for name, vectors in sample_vectors.items()
    }

    if not args.no_topics:
        vectors: dict[str, np.ndarray] = {}
        for name in FULL_CORPUS:
            log.info("whole corpus: %s", name)
            embed_config = EmbedConfig(encoder=MiniLM(threads=args.threads, **OPTIONS[name]), cache_dir=args.cache,
                                       text=config.embed.text)
            started = time.perf_counter()
            embedded = embed_articles(articles, embed_config, config.corpus.canonical_only, encoders[name],
                                      progress=False)
            vectors[name] = embedded.embeddings
            log.info("%s: %d texts encoded in %.1f s", name, embedded.newly_embedded, time.perf_counter() - started)
        selected = articles.reset_index(drop=True)
        quality: dict[str, Any] = {}
        reference_topics = None
        for name in FULL_CORPUS:
            log.info("topics on %s", name)
            summary, topics = topic_quality(selected, vectors[name], config.topics)
            if name == REFERENCE:
                reference_topics = topics
            summary["cosine_to_reference"] = cosines(vectors[name], vectors[REFERENCE])
            summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
            quality[name] = summary
        log.info("topics on the reference with the next seed")
        summary, topics = topic_quality(selected, vectors[REFERENCE], config.topics, seed=config.topics.seed + 1)
        summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
        quality[f"{REFERENCE}_next_seed"] = summary
        results["quality"] = quality
        results["articles"] = len(selected)
    results["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    io.write_json(args.out, results)
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()

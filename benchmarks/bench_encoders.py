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
import json
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pipeline import io
from pipeline.components.encoders import MiniLM
from pipeline.config import EmbedConfig, load_config
from pipeline.corpus import select_articles
from pipeline.embed import article_texts, embed_articles
from pipeline.topics.labelled import news_tls_articles
from pipeline.topics.stage import model_topics

RESULTS = Path(__file__).parent / "results" / "encoders.json"
log = logging.getLogger("bench_encoders")

OPTIONS: dict[str, dict[str, Any]] = {
    "torch": {"backend": "torch", "batch_size": 1},
    "torch_sorted_batches": {"backend": "torch", "batch_size": 32},
    "onnx_float32": {"backend": "onnx", "precision": "float32"},
    "onnx_int8": {"backend": "onnx", "precision": "int8"},
    "onnx_int8_seq128": {"backend": "onnx", "precision": "int8", "max_seq_length": 128},
}
REFERENCE = "torch"
SPEED = ("torch", "torch_sorted_batches", "onnx_float32", "onnx_int8", "onnx_int8_seq128")
FULL_CORPUS = ("torch", "onnx_float32", "onnx_int8")  # torch_sorted_batches: its vectors depend on the batch


def speed(
    encoders: dict[str, Any], texts: dict[str, list[str]], rounds: int, reference: str = REFERENCE
) -> dict[str, dict[str, float]]:
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
    base = result[reference]
    for values in result.values():
        values["speedup_wall"] = round(values["texts_per_second"] / base["texts_per_second"], 2)
        values["speedup_cpu"] = round(values["texts_per_cpu_second"] / base["texts_per_cpu_second"], 2)
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
    parser.add_argument("--speed-options", nargs="+", default=list(SPEED), choices=list(OPTIONS))
    parser.add_argument("--options", nargs="+", default=list(FULL_CORPUS), choices=list(OPTIONS),
                        help="options embedding the whole corpus for the topic comparison")
    parser.add_argument("--reference", default=REFERENCE, choices=list(OPTIONS),
                        help="the option the others are compared with (speed-ups, cosines, ARI)")
    parser.add_argument("--no-topics", action="store_true", help="skip the whole-corpus quality part")
    parser.add_argument("--no-speed", action="store_true",
                        help="skip the speed part (its figures already in --out are kept)")
    parser.add_argument("--timeline17", type=Path, default=None,
                        help="also the fourteen Timeline17 folders pooled (e.g. ../shared/tls/t17): the topics on each "
                             "option's vectors against the seven stories (NMI, ARI) and against the reference's")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = load_config(args.params)
    reference = args.reference
    names = list(dict.fromkeys([*args.speed_options, *args.options, reference]))
    # the parts this run does not measure keep their figures from the last run that did
    results: dict[str, Any] = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    results.setdefault("machine", {})
    results["machine"].update({"cpus": os.cpu_count(), "load_average_before": [round(v, 2) for v in os.getloadavg()]})
    results["options"] = results.get("options", {}) | {
        name: MiniLM(threads=args.threads, **OPTIONS[name]).describe() for name in names
    }
    articles = select_articles(pd.read_parquet(args.articles), config.corpus.canonical_only,
                               required=("id", "title", "lead", "body"))
    encoders = {name: MiniLM(threads=args.threads, **OPTIONS[name]).build(args.cache) for name in names}
    if not args.no_speed:
        rng = np.random.default_rng(13)
        sample = articles.iloc[np.sort(rng.choice(len(articles), min(args.sample, len(articles)), replace=False))]
        title_lead, full = article_texts(sample, "title_lead"), article_texts(sample, "full")
        speed_names = list(dict.fromkeys([reference, *args.speed_options]))
        speed_encoders = {name: encoders[name] for name in speed_names}
        speed_texts = {name: title_lead for name in speed_names}
        if "onnx_float32" in speed_encoders:
            speed_encoders["onnx_float32_full_text"] = encoders["onnx_float32"]
            speed_texts["onnx_float32_full_text"] = full
        log.info("speed: %d texts, %d rounds", len(title_lead), args.rounds)
        results["reference"] = reference
        results["speed"] = speed(speed_encoders, speed_texts, args.rounds, reference)
        results["independence"] = {name: independence(encoders[name], title_lead) for name in speed_names}
        sample_vectors = {name: encoders[name].encode(title_lead) for name in speed_names}
        results["sample_cosine_to_reference"] = {
            name: cosines(vectors, sample_vectors[reference]) for name, vectors in sample_vectors.items()
        }

    if not args.no_topics:
        corpus_names = list(dict.fromkeys([reference, *args.options]))
        vectors: dict[str, np.ndarray] = {}
        encoded: dict[str, dict[str, float]] = {}  # CPU seconds of the texts the cache lacked (none: all cached)
        for name in corpus_names:
            log.info("whole corpus: %s", name)
            embed_config = EmbedConfig(encoder=MiniLM(threads=args.threads, **OPTIONS[name]), cache_dir=args.cache,
                                       text=config.embed.text)
            wall, cpu = time.perf_counter(), time.process_time()
            embedded = embed_articles(articles, embed_config, config.corpus.canonical_only, encoders[name],
                                      progress=False)
            vectors[name] = embedded.embeddings
            encoded[name] = {"texts_encoded": embedded.newly_embedded,
                             "cpu_seconds": round(time.process_time() - cpu, 1),
                             "wall_seconds": round(time.perf_counter() - wall, 1)}
            log.info("%s: %s", name, encoded[name])
        selected = articles.reset_index(drop=True)
        lengths = token_lengths(article_texts(selected, config.embed.text))
        quality: dict[str, Any] = {}
        reference_topics = None
        for name in corpus_names:
            log.info("topics on %s", name)
            summary, topics = topic_quality(selected, vectors[name], config.topics)
            if name == reference:
                reference_topics = topics
            summary["cosine_to_reference"] = cosines(vectors[name], vectors[reference])
            summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
            summary["embedding"] = encoded[name]
            cut = lengths > OPTIONS[name].get("max_seq_length", 256)
            summary["texts_truncated"] = int(cut.sum())
            summary["tokens_truncated_share"] = round(
                float(np.maximum(lengths - OPTIONS[name].get("max_seq_length", 256), 0).sum() / lengths.sum()), 4
            )
            quality[name] = summary
            log.info("%s: %s", name, summary)
        log.info("topics on the reference with the next seed")
        summary, topics = topic_quality(selected, vectors[reference], config.topics, seed=config.topics.seed + 1)
        summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
        quality[f"{reference}_next_seed"] = summary
        results["quality"] = quality
        results["quality_reference"] = reference
        results["quality_run"] = {"load_average_before": results["machine"]["load_average_before"]}
        results["articles"] = len(selected)
        results["token_lengths"] = {
            "median": float(np.median(lengths)), "p90": float(np.percentile(lengths, 90)),
            "p99": float(np.percentile(lengths, 99)), "max": int(lengths.max()),
            "over": {str(limit): int((lengths > limit).sum()) for limit in (128, 192, 256)},
        }
    if args.timeline17 is not None:
        corpus_names = list(dict.fromkeys([reference, *args.options]))
        results["timeline17"] = labelled_quality(args.timeline17, corpus_names, reference, encoders, config, args)
    results["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    io.write_json(args.out, results)
    log.info("wrote %s", args.out)


def labelled_quality(
    root: Path, names: list[str], reference: str, encoders: dict[str, Any], config: Any, args: argparse.Namespace
) -> dict[str, Any]:
    """The topic stage on each option's vectors of the pooled Timeline17 articles, scored against the stories
    (NMI, ARI; outliers count as one cluster) and against the reference option's topics (ARI)."""
    articles = news_tls_articles(root).assign(is_canonical=True)
    out: dict[str, Any] = {"articles": len(articles), "stories": int(articles["label"].nunique())}
    reference_topics = None
    vectors: dict[str, np.ndarray] = {}
    for name in [reference, *[name for name in names if name != reference]]:
        embed_config = EmbedConfig(encoder=MiniLM(threads=args.threads, **OPTIONS[name]), cache_dir=args.cache,
                                   text=config.embed.text)
        embedded = embed_articles(articles, embed_config, True, encoders[name], progress=False)
        articles = articles.set_index("id").loc[embedded.ids["id"]].reset_index()  # the embedding rows' order
        labels = articles["label"].to_numpy()
        vectors[name] = embedded.embeddings
        log.info("Timeline17 pooled: topics on %s", name)
        summary, topics = topic_quality(articles, vectors[name], config.topics)
        if name == reference:
            reference_topics = topics
        summary["nmi_vs_stories"] = round(float(normalized_mutual_info_score(labels, topics)), 4)
        summary["ari_vs_stories"] = round(float(adjusted_rand_score(labels, topics)), 4)
        summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
        summary["cosine_to_reference"] = cosines(vectors[name], vectors[reference])
        out[name] = summary
        log.info("%s: %s", name, summary)
    summary, topics = topic_quality(articles, vectors[reference], config.topics, seed=config.topics.seed + 1)
    summary["nmi_vs_stories"] = round(float(normalized_mutual_info_score(labels, topics)), 4)
    summary["ari_vs_reference_topics"] = round(adjusted_rand_score(reference_topics, topics), 4)
    out[f"{reference}_next_seed"] = summary
    return out


def token_lengths(texts: list[str]) -> np.ndarray:
    """Each text's length in MiniLM tokens before any truncation ([CLS] and [SEP] included)."""
    from tokenizers import Tokenizer

    from pipeline.components.encoders import minilm_path

    tokenizer = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return np.array([len(encoding.ids) for encoding in tokenizer.encode_batch([text.strip() for text in texts])])


if __name__ == "__main__":
    main()

"""The topics stage: BERTopic on the embed stage's vectors, then prevalence tables and quality metrics.

Outputs (written atomically) in the output folder, `data/processed/topics/` by default:
- `topic_info.csv`: topic, label, size, share, NPMI, top words, the words of each aspect (KeyBERTInspired,
  MMR) and the titles of the three articles closest to the topic's embedding;
- `doc_topics.parquet`: article id, topic, score (cosine similarity to the topic's embedding), and whether
  the article was an outlier that `reduce_outliers` placed;
- `topics_over_time.csv`, `topics_per_outlet.csv`, `topics_per_country.csv`, `topics_per_outlet_over_time.csv`:
  counts and shares per week, outlet, source country and outlet-week (see `pipeline.topics.tables`);
- `model/`: the BERTopic model (safetensors) with its fitted reducer and clusterer, loadable with `load_model`
  (`pipeline.topics.persist`).
Beside them: `metrics/topics.json` (identical for identical data and params), `metrics/topics_timing.json`
(wall-clock seconds, which vary run to run) and `metrics/topics_prevalence.csv` (weekly shares of the largest
topics, for `dvc plots`).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.components.encoders import Encoder
from pipeline.config import EmbedConfig, TopicsConfig
from pipeline.corpus import select_articles
from pipeline.embed import article_texts
from pipeline.topics.fit import TopicFit, cluster_labels, fit_topics, for_corpus
from pipeline.topics.metrics import degenerate_findings, npmi_coherence, stability, topic_diversity
from pipeline.topics.persist import (
    SAVED_FITS,
    SavedFit,
    fit_digest,
    load_model,
    load_saved,
    save_fit,
    save_model,
    save_placed,
)
from pipeline.topics.sample import Placer, extend_fit, place_in_partitions, sample_rows
from pipeline.topics.select import candidate_values, select_topic_size
from pipeline.topics.tables import assignments_frame, largest_topics_over_time, prevalence
from pipeline.topics.words import corpus_stop_words, make_vectorizer, tokenise

log = logging.getLogger(__name__)

EXAMPLE_TITLES = 3
LARGEST_TOPICS_IN_METRICS = 10
ASPECT_WORDS_SHOWN = 10


def full_texts(articles: pd.DataFrame) -> list[str]:
    """Title and body: what c-TF-IDF reads with `document_text: full`, and always the NPMI reference corpus."""
    return (articles["title"].fillna("") + "\n\n" + articles["body"].fillna("")).str.strip().tolist()


def document_texts(articles: pd.DataFrame, mode: str) -> list[str]:
    return full_texts(articles) if mode == "full" else article_texts(articles, "title_lead")


def reference_tokens(articles: pd.DataFrame, config: TopicsConfig) -> tuple[list[list[str]], list[str]]:
    """Titles and bodies tokenised by the stage's analyzer, and the corpus stop words found on them (already
    removed from the tokens): the corpus NPMI is counted on, and what the vectorizer leaves out."""
    slices = (articles.iloc[start : start + 4096] for start in range(0, len(articles), 4096))
    texts = (text for part in slices for text in full_texts(part))  # made a slice at a time, never all held
    tokens = tokenise(texts, make_vectorizer(config.vectorizer))
    stop_words = corpus_stop_words(tokens, config.vectorizer.max_doc_share)
    if stop_words:
        dropped = set(stop_words)
        tokens = [[token for token in doc if token not in dropped] for doc in tokens]
    return tokens, stop_words


ARTICLE_COLUMNS = ("id", "url", "outlet", "source_country", "date", "title", "lead", "body", "is_canonical")


def read_articles(path: Path) -> pd.DataFrame:
    """The columns of the ingest stage's table that the stage reads (those present): not every paragraph,
    heading and caption, which would double what the corpus's texts cost in memory."""
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    return pd.read_parquet(path, columns=[name for name in ARTICLE_COLUMNS if name in present])


def align(articles: pd.DataFrame, ids: pd.DataFrame, canonical_only: bool) -> pd.DataFrame:
    """The selected articles in the order of the embedding rows; stale embeddings are an error, not a guess."""
    selected = select_articles(articles, canonical_only, required=("id", "title", "lead", "body"))
    if len(selected) != len(ids) or not (selected["id"].to_numpy() == ids["id"].to_numpy()).all():
        raise ValueError(
            f"the embeddings ({len(ids)} rows) do not match the selected articles ({len(selected)}); "
            "re-run the embed stage"
        )
    return selected


def selects_size(config: TopicsConfig) -> bool:
    """Whether the stage compares candidate sizes of the smallest topic: HDBSCAN with its smallest topic left
    relative to the corpus (no `min_cluster_size` set) and more than one candidate for its rule
    (`topics.select.min_topic_scales`, or `min_topic_shares` when the clusterer sets a share)."""
    return len(candidate_values(config)[1]) > 1


@dataclass
class TopicsResult:
    fit: TopicFit
    doc_topics: pd.DataFrame
    topic_info: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, Any]
    timing: dict[str, float]
    record: dict[str, Any] = field(default_factory=dict)  # the fit's record (`fit_corpus`), kept with the model
    run: dict[str, Any] = field(default_factory=dict)  # fitted or placed, and why (topics_timing.json)
    model_source: Path | None = None  # the kept fit's model folder, copied to the outputs


def _rounded(value: float, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def topic_info_table(
    fit: TopicFit, articles: pd.DataFrame, npmi_per_topic: dict[int, float], words_shown: int
) -> pd.DataFrame:
    sizes = pd.Series(fit.topics).value_counts()
    rows = []
    for topic in sorted(fit.labels):
        members = np.flatnonzero(fit.topics == topic)
        closest = members[np.argsort(-np.nan_to_num(fit.scores[members], nan=-1.0), kind="stable")][:EXAMPLE_TITLES]
        rows.append(
            {
                "topic": topic,
                "label": fit.labels[topic],
                "size": int(sizes.get(topic, 0)),
                "share": round(int(sizes.get(topic, 0)) / len(fit.topics), 6),
                "npmi": _rounded(npmi_per_topic.get(topic, float("nan"))),
                "words": ", ".join(fit.words.get(topic, [])[:words_shown]),
                **{
                    f"{aspect}_words": ", ".join(words.get(topic, [])[:ASPECT_WORDS_SHOWN])
                    for aspect, words in fit.aspects.items()
                },
                "example_titles": " | ".join(articles["title"].iloc[closest].fillna("")),
            }
        )
    return pd.DataFrame(rows).sort_values(["size", "topic"], ascending=[False, True], kind="stable")


def _keyed(mapping: dict[int, Any]) -> dict[str, Any]:
    return {str(topic): value for topic, value in mapping.items()}


def _unkeyed(mapping: dict[str, Any]) -> dict[int, Any]:
    return {int(topic): value for topic, value in mapping.items()}


def fit_corpus(
    articles: pd.DataFrame,
    embeddings: np.ndarray,
    config: TopicsConfig,
    encoder: Encoder | None,
    embedding_info: dict[str, Any],
) -> tuple[TopicFit, dict[str, Any], dict[str, float]]:
    """Fit the model on the corpus (on a sample above `topics.fit_sample`, the rest placed with it) and measure
    it: (the fit covering every article, the record of the fit, seconds per step). The record holds what the
    fit decided and what was measured on the corpus it was fitted on (labels, words, aspects, NPMI, diversity,
    the selection, stability); `tabulate` turns it and the articles' topics into the outputs."""
    timing: dict[str, float] = {}
    started = time.perf_counter()
    docs = document_texts(articles, config.document_text)
    reference, stop_words = reference_tokens(articles, config)
    timing["tokenise_seconds"] = time.perf_counter() - started
    corpus = docs, embeddings
    rows = sample_rows(len(articles), config.fit_sample, config.seed)
    if rows is not None:  # fitted on a sample (everything down to the stability refit); the rest placed below
        docs, embeddings = [docs[i] for i in rows], embeddings[rows]
    begun = time.perf_counter()
    prepared = config.reducer.prepare(embeddings)
    timing["neighbours_seconds"] = time.perf_counter() - begun
    selection = None
    if selects_size(config):
        begun = time.perf_counter()
        selection = select_topic_size(docs, embeddings, config, reference, stop_words, prepared)
        update: dict[str, Any] = {"clusterer": config.clusterer.model_copy(update={selection.rule: selection.value})}
        if selection.n_components is not None:  # a layout the reducer offered besides its own (a cut of the fit)
            fixed = {"n_components": selection.n_components, "eigengap": False, "cuts": ()}  # that layout alone
            update["reducer"] = config.reducer.model_copy(
                update={key: value for key, value in fixed.items() if key in type(config.reducer).model_fields}
            )
        config = config.model_copy(update=update)
        timing["select_seconds"] = time.perf_counter() - begun
    config = for_corpus(config, len(docs))  # sizes relative to the corpus become numbers (metrics record them)
    fit = fit_topics(docs, embeddings, config, encoder, stop_words, prepared, selection.reducer if selection else None)
    timing["fit_seconds"] = fit.seconds

    stability_metrics: dict[str, Any] | None = None
    if config.metrics.stability:
        begun = time.perf_counter()
        second = cluster_labels(embeddings, config, config.seed + 1, prepared)
        stability_metrics = {key: _rounded(value) for key, value in stability(fit.clusters, second).items()}
        stability_metrics["seeds"] = [config.seed, config.seed + 1]
        timing["stability_seconds"] = time.perf_counter() - begun

    if rows is not None:
        begun = time.perf_counter()
        docs, embeddings = corpus
        fit = extend_fit(fit, docs, embeddings, rows, config.outliers)
        timing["assign_seconds"] = time.perf_counter() - begun

    begun = time.perf_counter()
    topic_ids = sorted(fit.words)
    words = [fit.words[topic] for topic in topic_ids]
    npmi, per_topic = npmi_coherence(words, reference, config.metrics.npmi_top_n)
    diversity = topic_diversity(words, config.metrics.diversity_top_n)
    timing["coherence_seconds"] = time.perf_counter() - begun
    record = {
        "fitted_documents": len(docs),
        "labels": _keyed(fit.labels),
        "words": _keyed(fit.words),
        "aspects": {name: _keyed(words) for name, words in fit.aspects.items()},
        "npmi_per_topic": _keyed(dict(zip(topic_ids, per_topic, strict=True))),
        "metrics": {
            "components": {
                "encoder": embedding_info.get("encoder"),
                "reducer": config.reducer.describe(),
                "clusterer": config.clusterer.describe(),
                "representation": [component.describe() for component in config.representation],
                "aspects": [component.describe() for component in config.aspects],
            },
            "fit_sample": None if rows is None else {"fitted": len(rows), "assigned": len(docs) - len(rows),
                                                     "seed": config.seed},
            "corpus_stop_words": stop_words,
            "document_text": config.document_text,
            "embedding_model": embedding_info.get("model_key"),
            "embedded_text": embedding_info.get("text"),
            "topics": len(topic_ids),
            "outlier_strategy": config.outliers.strategy,
            "npmi": _rounded(npmi),
            "npmi_top_n": config.metrics.npmi_top_n,
            "npmi_unscored_topics": int(sum(math.isnan(score) for score in per_topic)),
            "diversity": _rounded(diversity),
            "diversity_top_n": config.metrics.diversity_top_n,
            "stability": stability_metrics,
            "selection": None if selection is None else {
                "rule": "highest mean NPMI among the candidates without a degenerate flag (README, Topics that "
                        "hold on any corpus)",
                f"kept_{selection.rule}": selection.value,
                "kept_min_cluster_size": next(row["min_cluster_size"] for row in selection.candidates if row["kept"]),
                "kept_n_components": next(row["n_components"] for row in selection.candidates if row["kept"]),
                "kept_layout": next(row["layout"] for row in selection.candidates if row["kept"]),
                "candidates": selection.candidates,
            },
        },
    }
    timing["fit_total_seconds"] = time.perf_counter() - started
    return fit, json.loads(json.dumps(record)), timing  # as `fit.json` gives it back (NaN as JSON writes it)


def topic_scores(model: Any, embeddings: np.ndarray, topics: np.ndarray, n_topics: int) -> np.ndarray:
    """Cosine similarity of each article to its topic's embedding (NaN for outliers). The model's table of topic
    embeddings starts with an outlier row only when its fit kept outliers: counted from the table, not from the
    topics given, so articles placed later (some of them outliers) are scored against the same rows."""
    table = np.asarray(model.topic_embeddings_)
    offset = len(table) - n_topics
    rows = table[np.maximum(topics + offset, 0)]
    norms = np.linalg.norm(embeddings, axis=1) * np.linalg.norm(rows, axis=1)
    scores = (embeddings * rows).sum(axis=1) / np.where(norms == 0, 1, norms)
    return np.where(topics == -1, np.nan, scores).astype(np.float64)


def tabulate(
    articles: pd.DataFrame,
    embeddings: np.ndarray,
    model: Any,
    topics: np.ndarray,
    clusters: np.ndarray,
    record: dict[str, Any],
    config: TopicsConfig,
    placed_since_fit: int = 0,
) -> tuple[TopicFit, pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame], dict[str, Any]]:
    """The outputs from every article's topic under a fitted model and the record of its fit: (the fit over
    these articles, doc_topics, topic_info, tables, metrics). A run that fits and one that places nothing new
    with the saved fit call this with the same values, so they write the same bytes."""
    labels, words = _unkeyed(record["labels"]), _unkeyed(record["words"])
    aspects = {name: _unkeyed(found) for name, found in record["aspects"].items()}
    topics, clusters = np.asarray(topics, dtype=int), np.asarray(clusters, dtype=int)
    scores = topic_scores(model, embeddings, topics, len(words))
    fit = TopicFit(model, topics, clusters, scores, labels, words, aspects, 0.0)
    npmi_per_topic = {topic: float("nan") if value is None else value
                      for topic, value in _unkeyed(record["npmi_per_topic"]).items()}
    doc_topics = pd.DataFrame(
        {
            "id": articles["id"].to_numpy(),
            "topic": topics.astype("int64"),
            "score": np.round(scores, 6),
            "reassigned": (clusters == -1) & (topics != -1),
        }
    )
    topic_info = topic_info_table(fit, articles, npmi_per_topic, config.top_n_words)
    sizes = {int(topic): int(size) for topic, size in pd.Series(topics).value_counts().items()}
    assignments = assignments_frame(articles, doc_topics)
    over_time = prevalence(assignments, ["week"], labels)
    tables = {
        "topics_over_time": over_time,
        "topics_per_outlet": prevalence(assignments, ["outlet", "source_country"], labels),
        "topics_per_country": prevalence(assignments, ["source_country"], labels),
        "topics_per_outlet_over_time": prevalence(assignments, ["outlet", "week"], labels, complete=False),
        "prevalence_plot": largest_topics_over_time(over_time, sizes, config.plot_topics),
    }
    largest = topic_info[topic_info["topic"] != -1].head(LARGEST_TOPICS_IN_METRICS)
    limits = config.metrics
    fitted = record["metrics"]
    npmi = float("nan") if fitted["npmi"] is None else fitted["npmi"]
    degenerate = degenerate_findings(
        sizes, npmi, limits.flag_topic_share, limits.flag_min_topics, limits.flag_min_topics_documents,
        limits.flag_min_npmi,
    )
    topic_sizes = [size for topic, size in sizes.items() if topic != -1]
    metrics = {
        **fitted,
        "documents": len(articles),
        "model": {"fitted_documents": record["fitted_documents"], "placed_since_fit": placed_since_fit,
                  "npmi_counted_on": "the articles of the fit"},
        "outlier_share_before_reduction": _rounded(float((clusters == -1).mean()), 6),
        "outlier_share": _rounded(float((topics == -1).mean()), 6),
        "largest_topic_share": _rounded(max(topic_sizes) / len(articles), 6) if topic_sizes else None,
        "degenerate": degenerate,
        "largest_topics": [
            {"topic": int(row.topic), "label": row.label, "size": int(row.size)} for row in largest.itertuples()
        ],
        "undated_documents": int(assignments["week"].isna().sum()),
    }
    return fit, doc_topics, topic_info, tables, metrics


def model_topics(
    articles: pd.DataFrame,
    embeddings: np.ndarray,
    config: TopicsConfig,
    encoder: Encoder | None,
    embedding_info: dict[str, Any],
) -> TopicsResult:
    """Fit, measure and tabulate; `articles` are the selected articles in embedding-row order."""
    started = time.perf_counter()
    fit, record, timing = fit_corpus(articles, embeddings, config, encoder, embedding_info)
    fit, doc_topics, topic_info, tables, metrics = tabulate(
        articles, embeddings, fit.model, fit.topics, fit.clusters, record, config)
    fit.seconds = timing["fit_seconds"]
    timing["total_seconds"] = time.perf_counter() - started
    result = TopicsResult(fit, doc_topics, topic_info, tables, metrics, {k: round(v, 2) for k, v in timing.items()})
    result.record = record
    return result


def refit_reason(saved: SavedFit | None, current: pd.DataFrame, config: TopicsConfig) -> str | None:
    """Why this run fits the model again, or None: the saved fit places the articles it has not seen.

    `current` holds the corpus's `id` and `text_sha256` (the embed stage's ids). Under `refit: auto` the model is
    fitted again when the articles it did not fit (added since, or changed, by id and text) and those of its fit
    no longer in the corpus together exceed `refit_share` of the corpus."""
    if config.refit == "always":
        return "topics.refit is always"
    if saved is None:
        return "no saved fit for these settings, embeddings and code"
    if config.refit == "never":
        return None
    fitted = saved.placed[~saved.placed["since_fit"]]
    unchanged = len(fitted.merge(current[["id", "text_sha256"]], on=["id", "text_sha256"], how="inner"))
    removed = int(saved.record["fitted_documents"]) - int(fitted["id"].isin(current["id"]).sum())
    changed = (len(current) - unchanged) + removed  # new or edited (an id with another text), and gone
    share = changed / max(len(current), 1)
    if share > config.refit_share:
        return (f"{changed} articles added, changed or removed since the fit of {saved.record['fitted_documents']} "
                f"({share:.1%} of {len(current)}) exceed topics.refit_share {config.refit_share:g}")
    return None


def place_new(
    saved: SavedFit,
    articles: pd.DataFrame,
    current: pd.DataFrame,
    embeddings: np.ndarray,
    config: TopicsConfig,
    encoder: Encoder | None,
) -> tuple[TopicsResult, pd.DataFrame]:
    """The saved fit's topics for the articles it placed before, the articles new to it placed with its model
    (`pipeline.topics.sample.place`, the rule that placed a sample fit's other articles); (the result, every
    article's placement to keep)."""
    started = time.perf_counter()
    if config.outliers.strategy in Placer.STRATEGIES:
        model, outliers = saved.placer(), config.outliers
    else:  # outliers placed by c-TF-IDF or topic distributions need BERTopic's own model
        loaded = load_model(saved.model_folder, encoder)
        model, outliers = loaded.model, loaded.outliers
    timing = {"load_seconds": time.perf_counter() - started}
    keys = current[["id", "text_sha256"]].reset_index(drop=True)
    known = keys.merge(saved.placed, on=["id", "text_sha256"], how="left", validate="one_to_one")
    new = np.flatnonzero(known["topic"].isna().to_numpy())
    topics = known["topic"].fillna(-1).to_numpy(dtype=int)
    clusters = known["cluster"].fillna(-1).to_numpy(dtype=int)
    if len(new):
        begun = time.perf_counter()
        docs = document_texts(articles.iloc[new], config.document_text)
        clusters[new], topics[new] = place_in_partitions(model, docs, embeddings[new], outliers)
        timing["assign_seconds"] = time.perf_counter() - begun
    since_fit = known["since_fit"].fillna(True).to_numpy(dtype=bool)
    placed = pd.DataFrame({**keys, "topic": topics, "cluster": clusters, "since_fit": since_fit})
    fit, doc_topics, topic_info, tables, metrics = tabulate(
        articles, embeddings, model, topics, clusters, saved.record, config, int(since_fit.sum()))
    timing["total_seconds"] = time.perf_counter() - started
    result = TopicsResult(fit, doc_topics, topic_info, tables, metrics, {k: round(v, 2) for k, v in timing.items()})
    result.record = saved.record
    result.run = {"fitted": False, "placed_now": len(new), "placed_since_fit": int(since_fit.sum())}
    return result, placed


def run_topics(
    articles: pd.DataFrame,
    current: pd.DataFrame,
    embeddings: np.ndarray,
    config: TopicsConfig,
    encoder: Encoder | None,
    embedding_info: dict[str, Any],
    embed_config: EmbedConfig,
) -> TopicsResult:
    """The stage: fit (and keep the fit under `topics.cache_dir`), or place the new articles with the kept fit
    when `topics.refit` allows it (`refit_reason`). `current` holds the articles' `id` and `text_sha256`."""
    folder = None
    saved = None
    if config.cache_dir is not None:
        folder = Path(config.cache_dir) / SAVED_FITS / fit_digest(config, embedding_info)
        saved = load_saved(folder)
    reason = refit_reason(saved, current, config)
    if reason is None and saved is not None:
        result, placed = place_new(saved, articles, current, embeddings, config, encoder)
        result.run["saved_fit"] = str(folder)
        if result.run["placed_now"] or len(placed) != len(saved.placed):
            save_placed(saved, placed)
        result.model_source = saved.model_folder
        log.info("topics: %d new articles placed with the saved fit in %s (topics.refit %s, rule: refit above "
                 "%g of the corpus changed)", result.run["placed_now"], folder, config.refit, config.refit_share)
        return result
    log.info("topics: fitting (%s)", reason)
    result = model_topics(articles, embeddings, config, encoder, embedding_info)
    result.run = {"fitted": True, "reason": reason, "saved_fit": str(folder) if folder else None}
    if folder is not None:
        placed = pd.DataFrame({**current[["id", "text_sha256"]].reset_index(drop=True), "topic": result.fit.topics,
                               "cluster": result.fit.clusters, "since_fit": False})
        saved = save_fit(folder, result.fit, embed_config, config.outliers, result.record, placed)
        result.model_source = saved.model_folder
    return result


def write_outputs(
    result: TopicsResult, out_dir: Path, metrics_dir: Path, embed_config: EmbedConfig, config: TopicsConfig
) -> None:
    io.write_parquet(out_dir / "doc_topics.parquet", result.doc_topics)
    io.write_text(out_dir / "topic_info.csv", result.topic_info.to_csv(index=False))
    for name in ("topics_over_time", "topics_per_outlet", "topics_per_country", "topics_per_outlet_over_time"):
        io.write_text(out_dir / f"{name}.csv", result.tables[name].to_csv(index=False))
    if result.model_source is not None:  # the kept fit's files, so a run that fitted and one that placed agree
        with io.atomic_dir(out_dir / "model") as tmp:
            shutil.copytree(result.model_source, tmp, dirs_exist_ok=True)
    else:
        save_model(result.fit, out_dir / "model", embed_config, config.outliers)
    io.write_json(metrics_dir / "topics.json", result.metrics)
    io.write_json(metrics_dir / "topics_timing.json", {**result.timing, "run": result.run})
    io.write_text(metrics_dir / "topics_prevalence.csv", result.tables["prevalence_plot"].to_csv(index=False))

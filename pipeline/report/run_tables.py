"""The report's tables about the run itself: its parameters, each stage's metrics, the quarantine, the
benchmarks next to published figures, and the method (encoder, reducer, clusterer) in words.

Every function takes params, a stage's metrics or a benchmark's results as plain mappings (as read from
`params.yaml`, `metrics/` and `benchmarks/results/`) and returns a DataFrame or a phrase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.report.formatting import shorten


def flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{'a': {'b': 1}}` → `{'a.b': 1}`: params as the `dvc exp run -S` keys that set them."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def params_table(params: Mapping[str, Any], sections: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in sections:
        for key, value in flatten(params.get(name, {}), f"{name}.").items():
            shown = (", ".join(map(str, value)) or "(none)") if isinstance(value, list) else str(value)
            rows.append({"parameter": key, "value": shorten(shown, 120)})
    return pd.DataFrame(rows, columns=["parameter", "value"])


INGEST_LABELS = {
    "records_read": "records read",
    "kept": "articles kept",
    "quarantined": "records quarantined",
    "duplicates.clusters_with_copies": "duplicate clusters (2+ articles)",
    "duplicates.non_canonical_articles": "near copies set aside",
    "duplicates.canonical_articles": "articles after deduplication",
    "date_source.metadata": "dates from metadata",
    "date_source.inferred": "dates inferred from the text",
    "date_source.unknown": "articles without a date",
}

TOPICS_LABELS = {
    "documents": "articles modelled",
    "topics": "topics",
    "outlier_share_before_reduction": "share HDBSCAN left unassigned",
    "outlier_share": "share still unassigned after outlier reduction",
    "npmi": "NPMI coherence (mean over topics, -1 to 1)",
    "diversity": "topic diversity (unique share of top words)",
    "largest_topic_share": "largest topic's share of the articles",
    "degenerate": "degenerate result (flags; the topics are not a finding)",
    "stability.ari": "stability: adjusted Rand index with another seed",
    "stability.ari_clustered": "stability: adjusted Rand index among clustered articles",
    "embedding_model": "embedding model",
}

TIMELINE_LABELS = {
    "articles": "articles read",
    "timexes": "temporal expressions tagged",
    "event_mentions": "dated event mentions",
    "share_articles_with_dated_event": "share of articles with a dated event",
    "merged_events": "events after merging across outlets",
    "events_reported_by_2plus_outlets": "events reported by 2+ outlets",
    "events_reported_by_3plus_outlets": "events reported by 3+ outlets",
    "largest_event_outlets": "most outlets reporting one event",
    "summary_dates": "dates in the summary timeline",
}


def metrics_table(metrics: Mapping[str, Any], labels: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(_metric_rows(metrics, labels), columns=["measure", "value"])


def _metric_rows(metrics: Mapping[str, Any], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """(label, value) rows for the dotted keys of `labels` that `metrics` holds."""
    flat = flatten(metrics)
    return [{"measure": label, "value": _formatted(flat[key])} for key, label in labels.items() if key in flat]


def _formatted(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value)) or "none"
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def quarantine_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    reasons = metrics.get("quarantined_by_reason", {})
    return pd.DataFrame(
        [{"reason": reason, "records": int(count)} for reason, count in sorted(reasons.items())],
        columns=["reason", "records"],
    )


def timex_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Temporal tagger F1 per TimeML corpus (TempEval-3 Task A), with HeidelTime's published figures."""
    reference = benchmark.get("heideltime_reference", {})
    rows = []
    for dataset, result in sorted(benchmark.get("datasets", {}).items()):
        scores = result.get("scores", {})
        theirs = reference.get(dataset) or {}
        row: dict[str, Any] = {"corpus": dataset, "documents": result.get("documents")}
        for measure in ("strict", "relaxed", "type", "value"):
            ours = scores.get(measure, {}).get("f1")
            row[f"{measure} F1"] = "" if ours is None else f"{ours:.1f}"
            published = theirs.get(measure)
            row[f"{measure} F1 (HeidelTime)"] = "n/a" if published is None else f"{published:.1f}"
        rows.append(row)
    return pd.DataFrame(rows)


TLS_METHODS = {  # benchmarks/results/tls.json's methods, as the README's table names them
    "ours": "ours",
    "learnt": "learnt ranker",
    "pubcount": "PubCount",
    "random": "random",
    "date_oracle": "date oracle",
    "text_oracle": "text oracle",
}


def _tls_cell(scores: Mapping[str, Any] | None) -> str:
    if not scores:
        return ""
    return " / ".join(f"{float(scores[key]):.3f}" for key in ("date_f1", "ar1", "ar2"))


def tls_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Timeline summarisation on Timeline17, leaving one topic out (`benchmarks/bench_tls.py`): per left-out topic,
    over all timelines and as the mean over topics, each method's Date-F1 / AR1-F / AR2-F."""
    methods = [method for method in TLS_METHODS if method in benchmark.get("methods", TLS_METHODS)]
    rows = []
    for topic, fold in sorted(benchmark.get("folds", {}).items()):
        row = {"left-out topic (timelines)": f"{topic} ({len(fold.get('folders', [])) or '?'})"}
        row.update({TLS_METHODS[method]: _tls_cell(fold.get("scores", {}).get(method)) for method in methods})
        rows.append(row)
    for scope, name in (("overall", "all {n} timelines"), ("fold_mean", "mean over {k} topics")):
        scores = benchmark.get(scope, {}).get("scores", {})
        if scores:
            label = name.format(n=len(benchmark.get("folders", {})), k=len(benchmark.get("folds", {})))
            rows.append({"left-out topic (timelines)": label,
                         **{TLS_METHODS[method]: _tls_cell(scores.get(method)) for method in methods}})
    return pd.DataFrame(rows, columns=["left-out topic (timelines)", *(TLS_METHODS[method] for method in methods)])


DATING_SETTINGS = {  # benchmarks/results/dating.json (`benchmarks/bench_dating.py`)
    "a_neighbours": "(a) with the corpus's other dated articles as neighbours",
    "b_alone": "(b) each article alone, its own text only",
    "b_folder": "(b+) the whole corpus as an undated folder",
    "c_baseline_latest_full_date": "(c) baseline: the latest full date in the text",
}


PIPELINE_PHASES = {"cold": "cold dvc repro", "noop": "no-op dvc repro", "param_change": "one topics setting changed"}


def performance_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Whole-pipeline runs of benchmarks/bench_pipeline.py, before and after: each phase and its stages' figures."""
    rows = []
    for label, run in benchmark.get("runs", {}).items():
        for phase, name in PIPELINE_PHASES.items():
            result = run.get(phase)
            if not result:
                continue
            detail = f" ({result['param']})" if result.get("param") else ""
            rows.append({
                "run": f"{label} ({str(run.get('commit', ''))[:7]})",
                "step": name + detail,
                "wall (s)": round(result["seconds"], 1),
                "CPU (s)": "",
                "peak memory (MB)": "",
                "load average": result.get("load_average_before", ""),
            })
            for stage, figures in result.get("stages", {}).items():
                rows.append({
                    "run": "",
                    "step": f"· {stage}",
                    "wall (s)": figures.get("wall_seconds", ""),
                    "CPU (s)": figures.get("cpu_seconds", ""),
                    "peak memory (MB)": figures.get("peak_pss_tree_mb", ""),
                    "load average": figures.get("load_average_mean", ""),
                })
    return pd.DataFrame(rows, columns=["run", "step", "wall (s)", "CPU (s)", "peak memory (MB)", "load average"])


def date_inference_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Publication dates inferred for the default corpus's dated articles with their dates hidden, in each setting
    of `benchmarks/bench_dating.py`, at the configured `min_confidence`, and within 3 days when every article
    keeps its best guess (threshold 0)."""
    rows = []
    for key, name in DATING_SETTINGS.items():
        result = benchmark.get(key)
        if not result:
            continue
        every = result.get("every_article", result)
        result = result.get("at_min_confidence", result)
        median = result["median_abs_error_days"]
        rows.append(
            {
                "setting": name,
                "coverage": f"{result['coverage']:.0%}",
                "median error (days)": "n/a" if median is None else f"{median:g}",
                "within 1 day": f"{result['within_1_day']:.0%}",
                "within 3 days": f"{result['within_3_days']:.0%}",
                "within 3 days, every article dated": f"{every['within_3_days']:.0%}",
            }
        )
    return pd.DataFrame(rows, columns=["setting", "coverage", "median error (days)", "within 1 day", "within 3 days",
                                       "within 3 days, every article dated"])


EMBEDDING_MODELS = {
    "minilm": "all-MiniLM-L6-v2 sentence embeddings ({backend_text})",
    "model2vec": "a static Model2Vec model distilled from all-MiniLM-L6-v2",
    "sentence_transformers": "sentence embeddings from the model in {path}",
}

EMBEDDED_TEXTS = {"title_lead": "title and lead paragraph", "full": "title and body"}


def embedding_description(params: Mapping[str, Any]) -> str:
    """What the topics were computed from, in words, from the `embed` section of params (the encoder by name)."""
    embed = params.get("embed", {}) or {}
    encoder = dict(embed.get("encoder") or {"name": "minilm"})
    text = str(embed.get("text", "title_lead"))
    backend = encoder.get("backend", "torch")
    encoder["backend_text"] = (f"ONNX Runtime, {encoder.get('precision', 'float32')} weights" if backend == "onnx"
                               else "sentence-transformers on torch")
    model = EMBEDDING_MODELS.get(encoder["name"], "embeddings from the encoder {name}").format(**encoder)
    return f"{model} of each article's {EMBEDDED_TEXTS.get(text, text)}"


REDUCERS = {"spectral": "Laplacian eigenmaps of the neighbour graph", "umap": "UMAP",
            "pca": "principal components (PCA)"}

CLUSTERERS = {"hdbscan": "HDBSCAN", "kmeans": "k-means into {n_clusters} topics"}


def topic_method(params: Mapping[str, Any]) -> str:
    """How the topics were found, in words, from the reducer and clusterer named in the `topics` section."""
    topics = params.get("topics", {}) or {}
    reducer = dict(topics.get("reducer") or {"name": "umap"})
    clusterer = dict(topics.get("clusterer") or {"name": "hdbscan"})
    reduced = REDUCERS.get(reducer["name"], "the reducer {name}").format(**reducer)
    clustered = CLUSTERERS.get(clusterer["name"], "the clusterer {name}").format(**clusterer)
    return f"reduced by {reduced} and clustered by {clustered}"


TOPIC_METHODS = {"this_stage": "this stage", "this_stage_umap": "this stage with UMAP (before issue 13.5)",
                 "bertopic_defaults": "BERTopic defaults", "lda": "LDA"}


TOPIC_TARGETS = {"npmi_at_least_0.17": "NPMI >= 0.17", "diversity_at_least_0.80": "diversity >= 0.80",
                 "outliers_at_most_10_percent": "outliers <= 10%", "no_topic_above_a_third": "no topic above a third",
                 "nmi_at_least_0.80": "NMI >= 0.80",
                 "perturbation_same_topics_and_ari_0.95": "perturbed: same topics, ARI >= 0.95"}


def topic_corpora_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """The topic stage beside BERTopic's defaults and LDA on each corpus and size (bench_topics --corpora):
    one row per corpus and method; NMI/ARI only where the corpus is labelled, perturbation and seed ARI only
    where measured (the stage's rows), and on the stage's row the targets of issue 15 it misses
    (`corpora_targets`)."""
    columns = ["corpus", "method", "topics", "NPMI", "diversity", "outliers", "largest topic", "NMI", "ARI",
               "ARI perturbed (topics)", "ARI seed + 1", "flags", "targets missed"]
    checks = benchmark.get("corpora_targets", {})
    rows = []
    for corpus, entry in benchmark.get("corpora", {}).items():
        missed = [TOPIC_TARGETS.get(name, name) for name, met in checks.get(corpus, {}).items() if not met]
        for key, method in TOPIC_METHODS.items():
            scores = entry.get(key)
            if not scores:
                continue
            robust = entry.get(key.replace("this_stage", "robustness"), {}) if key.startswith("this_stage") else {}
            perturbed, reseeded = robust.get("perturbed_1e-6", {}), robust.get("seed_plus_1", {})
            rows.append({
                "corpus": corpus,
                "method": method,
                "topics": scores.get("topics"),
                "NPMI": _formatted(scores.get("npmi")),
                "diversity": _formatted(scores.get("diversity")),
                "outliers": f"{scores['outlier_share']:.1%}" if scores.get("outlier_share") is not None else "",
                "largest topic": f"{scores['largest_topic_share']:.1%}" if scores.get("largest_topic_share") else "",
                "NMI": _formatted(scores["nmi"]) if "nmi" in scores else "",
                "ARI": _formatted(scores["ari"]) if "ari" in scores else "",
                "ARI perturbed (topics)": f"{perturbed['ari']:.3f} ({perturbed['topics']})" if perturbed else "",
                "ARI seed + 1": f"{reseeded['ari']:.3f}" if reseeded else "",
                "flags": _formatted(scores.get("degenerate", [])) if key.startswith("this_stage") else "",
                "targets missed": ("; ".join(missed) or "none") if key == "this_stage" and corpus in checks else "",
            })
    return pd.DataFrame(rows, columns=columns)


SCALE_STAGES = ("ingest", "embed", "topics", "timeline")


def scale_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Cost against corpus size (benchmarks/bench_scale.py, results/scale.json): per stage and engine, the
    articles at the smallest and largest size, CPU seconds there, the peak memory of the largest process at 1x
    and at the largest size, the growth exponent k (CPU ∝ n^k; all sizes and the largest three) and the CPU
    seconds extrapolated to a million articles."""
    columns = ["stage (engine)", "articles", "CPU (s)", "peak memory (MB): 1x → largest", "k", "k, largest 3",
               "CPU (s) at 10⁶ articles"]
    rows = []
    for engine, stages in benchmark.get("fitted", {}).items():
        for stage in SCALE_STAGES:
            found = stages.get(stage)
            if not found:
                continue
            at_one = [run["peak_process_mb"] for run in benchmark.get("runs", []) if run["engine"] == engine
                      and run["stage"] == stage and run["factor"] == 1 and run.get("phase", "cold") == "cold"
                      and not run["returncode"] and run.get("encoder", "static") == "static"]
            peak = found["peak_process_mb"][-1]
            rows.append({
                "stage (engine)": f"{stage} ({engine})",
                "articles": f"{found['sizes'][0]:,} – {found['sizes'][-1]:,}",
                "CPU (s)": f"{found['cpu_seconds'][0]:,.0f} – {found['cpu_seconds'][-1]:,.0f}",
                "peak memory (MB): 1x → largest": (f"{at_one[0]:,} → {peak:,} ({peak / at_one[0]:.2f}x)" if at_one
                                                   else f"{peak:,}"),
                "k": f"{found['exponent']:.2f}",
                "k, largest 3": f"{found['exponent_largest_three']:.2f}",
                "CPU (s) at 10⁶ articles": f"{found['cpu_seconds_at_a_million_largest_three']:,}",
            })
    return pd.DataFrame(rows, columns=columns)


def plus_one_percent(benchmark: Mapping[str, Any]) -> str:
    """The +1% runs of bench_scale in words: the share of a cold run each cost, in all and per stage."""
    phrases = []
    for where, entry in benchmark.get("plus_1pct", {}).items():
        engine, rest = where.split("@")
        factor, _, encoder = rest.partition(" ")  # "1.0", or "1.0 default encoder" (the shipped MiniLM)
        setting = f"{engine}, {encoder}" if encoder else f"{engine}, static encoder"
        stages = ", ".join(f"{stage} {found['share']:.0%}" for stage, found in entry["stages"].items())
        phrases.append(f"1% more articles at {float(factor):g}x ({setting}) cost {entry['plus_1pct_cpu_seconds']:,.0f} "
                       f"CPU s, {entry['share']:.1%} of the cold run's {entry['cold_cpu_seconds']:,.0f} ({stages})")
    return "; ".join(phrases)

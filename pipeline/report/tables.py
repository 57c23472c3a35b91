"""The report's tables, derived from stage outputs (never recomputing a stage), and the sentences that read them.

Every function takes DataFrames as the stages wrote them and returns a DataFrame or a plain-text sentence;
the notebooks plot the frames and print the sentences, so what the report says is computed, not typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import CorpusConfig
from pipeline.corpus import OTHER_GROUP, UNKNOWN, fill_countries, group_of, week_start
from pipeline.corpus import outlet_countries as corpus_countries

ARTICLE_COLUMNS = ["id", "url", "outlet", "source_country", "title", "date", "is_canonical", "canonical_id"]
GROUP_NAMES = {
    "russian_state": "Russian state",
    "western": "Western",
    "chinese_state": "Chinese state",
    "cuban_state": "Cuban state",
    OTHER_GROUP: "other",
}


def load_articles(path: str | Path, outlet_countries: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The ingest stage's articles, reduced to what the report reads, with dates as timestamps.

    Outlets without a source country take their country by the corpus contract (the one their other articles
    carry, else `corpus.outlet_countries`), as the timeline stage does; the rest are `(unknown)`.
    """
    frame = pd.read_parquet(path)
    missing = sorted({"id", "outlet", "date"} - set(frame.columns))
    if missing:
        raise ValueError(f"{path} lacks column(s) {', '.join(missing)}")
    for column in ARTICLE_COLUMNS:
        if column not in frame.columns:
            frame[column] = True if column == "is_canonical" else None
    frame = frame[ARTICLE_COLUMNS].copy()
    frame["outlet"] = frame["outlet"].fillna(UNKNOWN)
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    frame["is_canonical"] = frame["is_canonical"].fillna(True).astype(bool)
    frame["canonical_id"] = frame["canonical_id"].fillna(frame["id"])
    corpus = CorpusConfig(outlet_countries=dict(outlet_countries or {}))
    return fill_countries(frame, corpus_countries(frame, corpus))


def group_name(group: str) -> str:
    return GROUP_NAMES.get(group, group.replace("_", " "))




def corpus_summary(articles: pd.DataFrame) -> dict[str, Any]:
    dated = articles["date"].dropna()
    return {
        "articles": len(articles),
        "canonical": int(articles["is_canonical"].sum()),
        "outlets": int(articles["outlet"].nunique()),
        "countries": int(articles.loc[articles["source_country"] != UNKNOWN, "source_country"].nunique()),
        "first_date": dated.min().date() if len(dated) else None,
        "last_date": dated.max().date() if len(dated) else None,
        "undated": int(articles["date"].isna().sum()),
    }


def outlet_table(articles: pd.DataFrame, groups: Mapping[str, str]) -> pd.DataFrame:
    """One row per outlet: group, country, article counts and the dates it covers, largest outlet first."""
    rows = []
    for outlet, part in articles.groupby("outlet", sort=False):
        countries = part["source_country"].value_counts()
        rows.append(
            {
                "outlet": outlet,
                "group": group_name(groups.get(outlet, OTHER_GROUP)),
                "country": countries.index[0] if len(countries) else UNKNOWN,
                "articles": len(part),
                "share": len(part) / len(articles),
                "after deduplication": int(part["is_canonical"].sum()),
                "first": _day(part["date"].min()),
                "last": _day(part["date"].max()),
            }
        )
    return pd.DataFrame(rows).sort_values(["articles", "outlet"], ascending=[False, True]).reset_index(drop=True)


def _day(value: Any) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def articles_per_week(articles: pd.DataFrame) -> pd.DataFrame:
    """Tidy counts (week, outlet, articles) over every week from the first to the last, zeros included."""
    dated = articles.dropna(subset=["date"]).assign(week=lambda frame: week_start(frame["date"]))
    if dated.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "outlet": [], "articles": []})
    weeks = pd.date_range(dated["week"].min(), dated["week"].max(), freq="7D")
    counts = dated.groupby(["week", "outlet"]).size()
    index = pd.MultiIndex.from_product([weeks, sorted(dated["outlet"].unique())], names=["week", "outlet"])
    return counts.reindex(index, fill_value=0).rename("articles").reset_index()


def busiest_week_sentence(weekly: pd.DataFrame) -> str:
    totals = weekly.groupby("week")["articles"].sum()
    if totals.empty or totals.max() == 0:
        return "No article carries a date, so there is no weekly series."
    week = totals.idxmax()
    in_week = weekly[weekly["week"] == week].sort_values(["articles", "outlet"], ascending=[False, True])
    top = in_week.iloc[0]
    return (
        f"The busiest week began on {week:%d %B %Y}, with {int(totals.max()):,} articles "
        f"({totals.max() / totals.median():.1f} times the median week); {top['outlet']} published the most "
        f"that week ({int(top['articles']):,})."
    )


def copy_shares(articles: pd.DataFrame) -> pd.DataFrame:
    """Per outlet: the share of its articles that are near copies of an earlier article, split by whose.

    An article is a copy when ingest put it in a duplicate cluster whose canonical (earliest) member is
    another article: a copy of the outlet's own article (a re-run or update) or of another outlet's
    (syndication, such as a wire story carried by several outlets).
    """
    outlet_of = articles.set_index("id")["outlet"]
    copies = articles[~articles["is_canonical"]]
    source_outlet = copies["canonical_id"].map(outlet_of)
    own = (source_outlet == copies["outlet"]).groupby(copies["outlet"]).sum()
    other = (source_outlet != copies["outlet"]).groupby(copies["outlet"]).sum()
    totals = articles.groupby("outlet").size()
    table = pd.DataFrame(
        {
            "articles": totals,
            "copies of own articles": own.reindex(totals.index, fill_value=0).astype(int),
            "copies of other outlets' articles": other.reindex(totals.index, fill_value=0).astype(int),
        }
    )
    table["own share"] = table["copies of own articles"] / table["articles"]
    table["other share"] = table["copies of other outlets' articles"] / table["articles"]
    table["copy share"] = table["own share"] + table["other share"]
    table = table.rename_axis("outlet").reset_index()
    return table.sort_values(["copy share", "outlet"], ascending=[False, True]).reset_index(drop=True)


def copy_share_sentence(copies: pd.DataFrame) -> str:
    if copies.empty or copies["copy share"].max() == 0:
        return "No outlet published a near copy of an earlier article."
    top = copies.iloc[0]
    whose = "other outlets'" if top["other share"] >= top["own share"] else "its own"
    overall = (copies["copies of own articles"].sum() + copies["copies of other outlets' articles"].sum()) / copies[
        "articles"
    ].sum()
    return (
        f"{top['outlet']} has the largest share of near copies ({top['copy share']:.0%} of its articles, mostly of "
        f"{whose} articles); across the corpus {overall:.1%} of articles are copies."
    )


def main_topics(topic_info: pd.DataFrame, n: int) -> pd.DataFrame:
    """The `n` largest topics (outliers excluded), largest first."""
    topics = topic_info[topic_info["topic"] != -1]
    return topics.sort_values(["size", "topic"], ascending=[False, True]).head(n).reset_index(drop=True)


def topic_name(topic: int, label: str) -> str:
    return "outliers" if topic == -1 else f"{topic}: {label}"


def topic_sizes_sentence(topic_info: pd.DataFrame) -> str:
    topics = main_topics(topic_info, len(topic_info))
    if topics.empty:
        return "The topic model found no topic."
    top = topics.iloc[0]
    outliers = topic_info.loc[topic_info["topic"] == -1, "share"]
    outlier_text = f"; {float(outliers.iloc[0]):.1%} of articles fit no topic" if len(outliers) else ""
    return (
        f"The largest of {len(topics)} topics, \u201c{top['label']}\u201d, holds {int(top['size']):,} articles "
        f"({float(top['share']):.1%}){outlier_text}."
    )


def prevalence_table(over_time: pd.DataFrame, topics: Sequence[int], min_articles: int) -> pd.DataFrame:
    """Weekly share of each topic in `topics`, blank in weeks with fewer than `min_articles` articles
    (a share of a handful of articles is noise)."""
    frame = over_time.copy()
    frame["week"] = pd.to_datetime(frame["week"])
    totals = frame.groupby("week")["count"].transform("sum")
    frame = frame[frame["topic"].isin(topics)].copy()
    frame["share"] = frame["share"].where(totals.loc[frame.index] >= min_articles)
    frame["articles_in_week"] = totals.loc[frame.index]
    return frame.sort_values(["topic", "week"]).reset_index(drop=True)


def prevalence_sentence(prevalence: pd.DataFrame) -> str:
    peaks = prevalence.dropna(subset=["share"])
    if peaks.empty:
        return "No week has enough articles to show topic shares."
    rises = []
    for topic, part in peaks.groupby("topic"):
        median = part["share"].median()
        peak = part.loc[part["share"].idxmax()]
        rises.append((peak["share"] - median, topic, peak, median))
    _, _, peak, median = max(rises, key=lambda item: (item[0], -item[1]))
    return (
        f"The sharpest peak belongs to \u201c{peak['label']}\u201d: {peak['share']:.0%} of the articles in the week "
        f"of {peak['week']:%d %B %Y}, against {median:.0%} in its median week."
    )


def topic_shares(per_outlet: pd.DataFrame, by: str, topics: Sequence[int]) -> pd.DataFrame:
    """Share of each group's articles (rows: `topics`, columns: values of `by`) from a topics table of counts."""
    counts = per_outlet.groupby([by, "topic"])["count"].sum().unstack(by, fill_value=0)
    shares = counts / counts.sum(axis=0)
    return shares.reindex(list(topics)).fillna(0.0)


def shares_by_country(per_outlet: pd.DataFrame, outlet_countries: Mapping[str, str]) -> pd.DataFrame:
    """The per-outlet topic counts with each outlet's source country filled as in `fill_countries`."""
    frame = per_outlet.copy()
    frame["source_country"] = frame["source_country"].where(frame["source_country"] != UNKNOWN)
    return fill_countries(frame, outlet_countries)


def group_contrast(
    per_outlet: pd.DataFrame, groups: Mapping[str, str], topic_names: Mapping[int, str], first: str, second: str
) -> pd.DataFrame:
    """Topic shares of two outlet groups side by side, most different first (empty if a group has no article)."""
    frame = per_outlet.assign(group=per_outlet["outlet"].map(groups).fillna(OTHER_GROUP))
    frame = frame[frame["topic"] != -1]
    if not {first, second} <= set(frame.loc[frame["count"] > 0, "group"]):
        return pd.DataFrame(columns=["topic", "name", first, second, "difference"])
    shares = topic_shares(frame, "group", sorted(frame["topic"].unique()))[[first, second]]
    table = shares.assign(difference=shares[first] - shares[second]).reset_index()
    table.insert(1, "name", table["topic"].map(topic_names))
    order = table["difference"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def contrast_sentence(contrast: pd.DataFrame, first: str, second: str) -> str:
    if contrast.empty:
        return (
            f"The corpus lacks articles from {group_name(first)} or {group_name(second)} outlets, "
            "so the two cannot be compared."
        )
    ahead = contrast[contrast["difference"] > 0].head(1)
    behind = contrast[contrast["difference"] < 0].head(1)
    parts = []
    for rows, more, less in ((ahead, first, second), (behind, second, first)):
        if len(rows):
            row = rows.iloc[0]
            parts.append(
                f"{group_name(more)} outlets give \u201c{row['name']}\u201d {row[more]:.0%} of their articles "
                f"against {row[less]:.0%} for {group_name(less)} outlets"
            )
    return "; ".join(parts) + "."


def within(events: pd.DataFrame, period: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """Day-precise events dated inside `period` (the corpus's first to last day), dates as timestamps.

    Articles also date events long before the corpus (anniversaries, history); they belong to the text,
    not to the period the corpus covers, and would stretch every date axis over decades.
    """
    events = events[events["precision"] == "day"].copy()
    events["date"] = pd.to_datetime(events["date"])
    if period is not None:
        first, last = (pd.Timestamp(day) for day in period)
        events = events[(events["date"] >= first) & (events["date"] <= last)]
    return events


def key_events(
    timeline: pd.DataFrame, n: int, per_day: int, period: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """The `n` day-precise events in `period` that the most outlets reported (then the most articles), at
    most `per_day` for one day, in date order: an event shared by many outlets is what the corpus agrees on."""
    events = within(timeline, period)
    events = events.sort_values(["n_outlets", "n_articles", "date", "event_id"], ascending=[False, False, True, True])
    events = events.groupby("date", sort=False).head(per_day).head(n)
    return events.sort_values(["date", "n_outlets"], ascending=[True, False]).reset_index(drop=True)


def shorten(text: str, limit: int) -> str:
    """Whitespace-normalised text cut at a word boundary with an ellipsis when longer than `limit`."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def events_table(events: pd.DataFrame, sentence_chars: int) -> pd.DataFrame:
    """The key events as a reader's table: date, reach, who reported first, and what happened."""
    return pd.DataFrame(
        {
            "date": events["date"].dt.strftime("%Y-%m-%d"),
            "outlets": events["n_outlets"].astype(int),
            "articles": events["n_articles"].astype(int),
            "first reported by": [
                f"{outlet} ({_day(day)})" for outlet, day in zip(events["first_outlet"], events["first_published"],
                                                                 strict=True)
            ],
            "what happened (most central sentence)": [
                shorten(text, sentence_chars) for text in events["representative"]
            ],
            "sources": [", ".join(outlets) for outlets in events["outlets"]],
        }
    )


def key_events_sentence(events: pd.DataFrame, total_outlets: int) -> str:
    if events.empty:
        return "No event is dated to the day, so there is no timeline of key events."
    top = events.sort_values(["n_outlets", "n_articles"], ascending=False).iloc[0]
    return (
        f"The most widely reported event is dated {top['date']:%d %B %Y}: {int(top['n_outlets'])} of the "
        f"{total_outlets} outlets and {int(top['n_articles'])} articles mention it, first "
        f"{top['first_outlet']}."
    )


def framing_table(events: pd.DataFrame, first: str, second: str, n: int, sentence_chars: int) -> pd.DataFrame:
    """For the widest-reported key events that both groups reported: each group's most central sentence."""
    rows = []
    ordered = events.sort_values(["n_outlets", "n_articles", "date"], ascending=[False, False, True])
    for event in ordered.itertuples():
        told = {entry["group"]: entry for entry in event.group_sentences}
        if first in told and second in told:
            for group in (first, second):
                rows.append(
                    {
                        "date": f"{event.date:%Y-%m-%d}",
                        "group": group_name(group),
                        "outlet": told[group]["outlet"],
                        "sentence": shorten(told[group]["sentence"], sentence_chars),
                    }
                )
        if len(rows) >= 2 * n:
            break
    return pd.DataFrame(rows, columns=["date", "group", "outlet", "sentence"])


def events_per_week(
    timeline: pd.DataFrame, groups: Sequence[str], min_outlets: int, period: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """Tidy weekly counts of day-precise events in `period` reported by at least `min_outlets` outlets, in
    total and per outlet group that reported them (an event reported by two groups counts in both)."""
    events = within(timeline, period)
    events = events[events["n_outlets"] >= min_outlets]
    weeks = week_start(events["date"])
    frames = [pd.DataFrame({"week": weeks, "series": "all events"})]
    for group in groups:
        reported = events["groups"].map(lambda names, group=group: group in list(names))
        frames.append(pd.DataFrame({"week": weeks[reported], "series": f"{group_name(group)} outlets"}))
    tidy = pd.concat(frames, ignore_index=True)
    if tidy.empty:
        return pd.DataFrame(columns=["week", "series", "events"])
    span = pd.date_range(tidy["week"].min(), tidy["week"].max(), freq="7D")
    series = tidy["series"].unique()
    counts = tidy.groupby(["week", "series"]).size()
    index = pd.MultiIndex.from_product([span, series], names=["week", "series"])
    return counts.reindex(index, fill_value=0).rename("events").reset_index()


def summary_timeline(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The summary timeline (timeline.json) as rows of date, sentence and source outlet."""
    rows = [
        {"date": str(entry["date"])[:10], "outlet": sentence["outlet"], "sentence": sentence["text"]}
        for entry in entries
        for sentence in entry["sentences"]
    ]
    return pd.DataFrame(rows, columns=["date", "outlet", "sentence"]).sort_values("date", kind="stable")


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


def date_range_text(first: dt.date | None, last: dt.date | None) -> str:
    if first is None or last is None:
        return "no dated article"
    return f"{first:%d %B %Y} to {last:%d %B %Y}"


def _metric_rows(metrics: Mapping[str, Any], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """(label, value) rows for the dotted keys of `labels` that `metrics` holds."""
    flat = flatten(metrics)
    return [{"measure": label, "value": _formatted(flat[key])} for key, label in labels.items() if key in flat]


def _formatted(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


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
            row[f"{measure} F1 (HeidelTime)"] = f"{theirs[measure]:.1f}" if measure in theirs else "n/a"
        rows.append(row)
    return pd.DataFrame(rows)


def tls_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Timeline summarisation on Timeline17 topics: our Date-F1 and alignment ROUGE next to DATEWISE's."""
    rows = []
    for topic, result in sorted(benchmark.get("topics", {}).items()):
        ours, datewise = result.get("ours", {}), result.get("datewise", {})
        rows.append(
            {
                "topic": topic,
                "Date-F1": ours.get("date_f1"),
                "Date-F1 (DATEWISE)": datewise.get("date_f1"),
                "AR-1 F1": ours.get("ar1"),
                "AR-1 F1 (DATEWISE)": datewise.get("ar1"),
                "AR-2 F1": ours.get("ar2"),
                "AR-2 F1 (DATEWISE)": datewise.get("ar2"),
            }
        )
    return pd.DataFrame(rows)


def date_inference_table(benchmark: Mapping[str, Any]) -> pd.DataFrame:
    """Publication dates inferred for articles whose known date was hidden, next to the baseline."""
    inference = benchmark.get("date_inference", {})
    names = {"model": "our date model", "baseline_latest_full_date": "latest full date in the text"}
    rows = []
    for key, name in names.items():
        result = inference.get(key)
        if result:
            rows.append(
                {
                    "method": name,
                    "coverage": f"{result['coverage']:.0%}",
                    "median error (days)": result["median_abs_error_days"],
                    "within 1 day": f"{result['within_1_day']:.0%}",
                    "within 7 days": f"{result['within_7_days']:.0%}",
                }
            )
    return pd.DataFrame(rows)


def outlet_order(articles: pd.DataFrame, outlet_groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Outlets grouped as params list their groups (ungrouped outlets last), largest first within a group."""
    groups = group_of(outlet_groups)
    rank = {group: number for number, group in enumerate(outlet_groups)}
    sizes = articles["outlet"].value_counts()
    return sorted(sizes.index, key=lambda outlet: (rank.get(groups.get(outlet, ""), len(rank)), -sizes[outlet], outlet))


def coverage_sentence(outlets: pd.DataFrame) -> str:
    named = outlets[outlets["outlet"] != UNKNOWN]
    if named.empty:
        return "No article names its outlet."
    first, last = named.iloc[0], named.iloc[-1]
    top3 = named["share"].head(3).sum()
    return (
        f"Coverage is uneven: {first['outlet']} contributes {first['share']:.1%} of the articles and "
        f"{last['outlet']} {last['share']:.1%}; the three largest outlets together hold {top3:.0%}."
    )


def topics_table(topic_info: pd.DataFrame, n: int, title_chars: int) -> pd.DataFrame:
    """The largest topics with their words and the titles of the articles closest to each topic."""
    topics = main_topics(topic_info, n)
    titles = topics["example_titles"].fillna("").map(
        lambda text: " | ".join(shorten(title, title_chars) for title in str(text).split(" | ")[:2] if title)
    )
    return pd.DataFrame(
        {
            "topic": topics["topic"].astype(int),
            "articles": topics["size"].astype(int),
            "share": topics["share"].map(lambda share: f"{float(share):.1%}"),
            "NPMI": topics["npmi"].map(lambda value: "" if pd.isna(value) else f"{float(value):.3f}"),
            "top words": topics["words"].fillna("").map(lambda words: ", ".join(str(words).split(", ")[:8])),
            "closest articles (titles)": titles,
        }
    )


def distinctive_sentence(shares: pd.DataFrame, counts: pd.Series, names: Mapping[int, str], min_articles: int) -> str:
    """The column (country or outlet) whose share of one topic most exceeds that topic's overall share."""
    eligible = [column for column in shares.columns if counts.get(column, 0) >= min_articles]
    if not eligible or shares.empty:
        return "No column has enough articles to compare topic shares."
    weights = counts.reindex(shares.columns).fillna(0)
    overall = (shares * weights).sum(axis=1) / weights.sum()
    ratio = shares[eligible].div(overall.where(overall > 0), axis=0)
    topic, column = ratio.stack().idxmax()
    return (
        f"The most distinctive cell is {column} on \u201c{names[topic]}\u201d: {shares.loc[topic, column]:.0%} of its "
        f"articles against {overall[topic]:.0%} across all of them ({ratio.loc[topic, column]:.1f} times)."
    )


EMBEDDING_MODELS = {
    "minilm": "all-MiniLM-L6-v2 sentence embeddings",
    "model2vec": "a static Model2Vec model distilled from all-MiniLM-L6-v2",
    "sentence_transformers": "sentence embeddings from the model in {path}",
}
EMBEDDED_TEXTS = {"title_lead": "title and lead paragraph", "full": "title and body"}


def embedding_description(params: Mapping[str, Any]) -> str:
    """What the topics were computed from, in words, from the `embed` section of params (the encoder by name)."""
    embed = params.get("embed", {}) or {}
    encoder = dict(embed.get("encoder") or {"name": "minilm"})
    text = str(embed.get("text", "title_lead"))
    model = EMBEDDING_MODELS.get(encoder["name"], "embeddings from the encoder {name}").format(**encoder)
    return f"{model} of each article's {EMBEDDED_TEXTS.get(text, text)}"


REDUCERS = {"umap": "UMAP", "pca": "principal components (PCA)"}
CLUSTERERS = {"hdbscan": "HDBSCAN", "kmeans": "k-means into {n_clusters} topics"}


def topic_method(params: Mapping[str, Any]) -> str:
    """How the topics were found, in words, from the reducer and clusterer named in the `topics` section."""
    topics = params.get("topics", {}) or {}
    reducer = dict(topics.get("reducer") or {"name": "umap"})
    clusterer = dict(topics.get("clusterer") or {"name": "hdbscan"})
    reduced = REDUCERS.get(reducer["name"], "the reducer {name}").format(**reducer)
    clustered = CLUSTERERS.get(clusterer["name"], "the clusterer {name}").format(**clusterer)
    return f"reduced by {reduced} and clustered by {clustered}"


def shared_events_sentence(events: pd.DataFrame, framing: pd.DataFrame, first: str, second: str) -> str:
    """How many of the key events both outlet groups reported, and how many the framing table shows."""
    both = int(sum(first in list(groups) and second in list(groups) for groups in events["groups"]))
    if both == 0:
        return f"No key event was reported by both {group_name(first)} and {group_name(second)} outlets."
    return (
        f"{both} of the {len(events)} key events were reported by both {group_name(first)} and "
        f"{group_name(second)} outlets; the table shows the {framing['date'].nunique()} most widely reported."
    )

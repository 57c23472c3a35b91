"""The report's topic tables: the largest topics, their weekly prevalence, their shares per outlet, per
source country and per outlet group, and the sentences that read them.

Every function takes the topics stage's outputs as it wrote them (`topic_info.csv` and the prevalence
tables) and returns a DataFrame or a plain-text sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.corpus import OTHER_GROUP, UNKNOWN, fill_countries, week_start
from pipeline.report.formatting import group_name, shorten


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


def topics_table(topic_info: pd.DataFrame, n: int, title_chars: int) -> pd.DataFrame:
    """The largest topics with their words and the titles of the articles closest to each topic."""
    topics = main_topics(topic_info, n)
    titles = topics["example_titles"].fillna("").map(
        lambda text: " | ".join(shorten(title, title_chars) for title in str(text).split(" | ")[:2] if title)
    )
    table = pd.DataFrame(
        {
            "topic": topics["topic"].astype(int),
            "articles": topics["size"].astype(int),
            "share": topics["share"].map(lambda share: f"{float(share):.1%}"),
            "NPMI": topics["npmi"].map(lambda value: "" if pd.isna(value) else f"{float(value):.3f}"),
            "top words": topics["words"].fillna("").map(lambda words: ", ".join(str(words).split(", ")[:8])),
            "closest articles (titles)": titles,
        }
    )
    if not titles.str.strip().astype(bool).any():  # a corpus without titles: no empty column
        table = table.drop(columns="closest articles (titles)")
    return table


def prevalence_table(
    over_time: pd.DataFrame, topics: Sequence[int], min_articles: int, period: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """Weekly share of each topic in `topics`, blank in weeks with fewer than `min_articles` articles
    (a share of a handful of articles is noise), over the weeks of `period` (the corpus's dense period)."""
    frame = over_time.copy()
    frame["week"] = pd.to_datetime(frame["week"])
    if period is not None:
        first, last = (week_start([day]).iloc[0] for day in period)
        frame = frame[(frame["week"] >= first) & (frame["week"] <= last)]
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


def shares_by_country(per_outlet: pd.DataFrame, outlet_countries: Mapping[str, str]) -> pd.DataFrame:
    """The per-outlet topic counts with each outlet's source country filled as in `fill_countries`."""
    frame = per_outlet.copy()
    frame["source_country"] = frame["source_country"].where(frame["source_country"] != UNKNOWN)
    return fill_countries(frame, outlet_countries)


SMALL_CONTRAST = 100  # articles a group needs in the compared weeks before its topic shares read as more than chance


@dataclass(frozen=True)
class Contrast:
    """Two outlet groups' topic shares over the weeks both covered, and what was left out to get there."""

    table: pd.DataFrame  # topic, name, first, second, difference (most different first); empty when not comparable
    weeks_compared: int
    weeks_first_only: int
    weeks_second_only: int
    articles: dict[str, int]  # articles of each group in the weeks compared
    articles_left_out: dict[str, int]  # articles of each group in weeks the other did not cover (or undated)


def group_contrast(
    per_outlet_week: pd.DataFrame, groups: Mapping[str, str], topic_names: Mapping[int, str], first: str, second: str,
    min_week_articles: int = 1,
) -> Contrast:
    """Topic shares of two outlet groups side by side, most different first, counted only in the weeks in which
    both groups published at least `min_week_articles` articles.

    Groups that covered different periods would otherwise differ by what happened in the weeks only one of them
    covered, and the table would read a difference of period as a difference of editorial choice. The counts come
    from the topics stage's `topics_per_outlet_over_time.csv` (outliers, topic -1, count in no share).
    """
    frame = per_outlet_week.assign(group=per_outlet_week["outlet"].map(groups).fillna(OTHER_GROUP))
    frame = frame[frame["group"].isin([first, second])]
    weekly = frame.groupby(["week", "group"])["count"].sum().unstack("group", fill_value=0)
    weekly = weekly.reindex(columns=[first, second], fill_value=0)
    covered = weekly >= min_week_articles
    both = covered[first] & covered[second]
    compared = frame[frame["week"].isin(weekly.index[both]) & (frame["topic"] != -1)]
    totals = {group: int(frame.loc[frame["group"] == group, "count"].sum()) for group in (first, second)}
    kept = {group: int(compared.loc[compared["group"] == group, "count"].sum()) for group in (first, second)}
    outliers = frame[frame["week"].isin(weekly.index[both]) & (frame["topic"] == -1)]
    kept_all = {group: kept[group] + int(outliers.loc[outliers["group"] == group, "count"].sum())
                for group in (first, second)}
    empty = pd.DataFrame(columns=["topic", "name", first, second, "difference"])
    result = dict(weeks_compared=int(both.sum()), weeks_first_only=int((covered[first] & ~covered[second]).sum()),
                  weeks_second_only=int((covered[second] & ~covered[first]).sum()), articles=kept_all,
                  articles_left_out={group: totals[group] - kept_all[group] for group in (first, second)})
    if not all(kept.values()):
        return Contrast(empty, **result)
    shares = topic_shares(compared, "group", sorted(compared["topic"].unique()))[[first, second]]
    table = shares.assign(difference=shares[first] - shares[second]).reset_index()
    table.insert(1, "name", table["topic"].map(topic_names))
    order = table["difference"].abs().sort_values(ascending=False, kind="stable").index
    return Contrast(table.loc[order].reset_index(drop=True), **result)


def contrast_sentence(contrast: Contrast, first: str, second: str) -> str:
    """What the contrast shows, or why there is none."""
    names = group_name(first), group_name(second)
    if contrast.table.empty:
        if not contrast.articles_left_out[first] + contrast.articles[first]:
            return f"No article comes from a {names[0]} outlet, so the two groups cannot be compared."
        if not contrast.articles_left_out[second] + contrast.articles[second]:
            return f"No article comes from a {names[1]} outlet, so the two groups cannot be compared."
        return (f"{names[0]} and {names[1]} outlets published in no common week ({contrast.weeks_first_only} weeks "
                f"only {names[0]}, {contrast.weeks_second_only} only {names[1]}), so their topics are not compared: "
                "any difference would be one of period, not of choice.")
    ahead = contrast.table[contrast.table["difference"] > 0].head(1)
    behind = contrast.table[contrast.table["difference"] < 0].head(1)
    parts = []
    for rows, more, less in ((ahead, first, second), (behind, second, first)):
        if len(rows):
            row = rows.iloc[0]
            parts.append(
                f"{group_name(more)} outlets give \u201c{row['name']}\u201d {row[more]:.0%} of their articles "
                f"against {row[less]:.0%} for {group_name(less)} outlets"
            )
    if not parts:
        return "The two groups give every topic the same share."
    few = min(contrast.articles.values())
    caution = (f" With {few:,} articles on one side, a gap of this size can be chance."
               if few < SMALL_CONTRAST else "")
    return "; ".join(parts) + "." + caution


def contrast_caption(contrast: Contrast, first: str, second: str, min_week_articles: int) -> str:
    """How the contrast was counted: the weeks both groups covered, and what that left out."""
    left = contrast.articles_left_out
    left_text = (f"; left out: {left[first]:,} {group_name(first)} and {left[second]:,} {group_name(second)} "
                 "articles from weeks only one group covered" if left[first] or left[second] else "")
    return (
        f"Share of each group's articles in each topic, the topics with the largest gap first (groups from "
        f"corpus.outlet_groups). Counted only in the {contrast.weeks_compared} weeks in which both groups published "
        f"at least {min_week_articles} article(s), so a topic of a period only one group covered does not pass for "
        f"a difference between them ({contrast.articles[first]:,} and {contrast.articles[second]:,} articles"
        f"{left_text})."
    )

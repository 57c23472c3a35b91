"""Topic prevalence tables: which topics each week, each outlet, each source country and each outlet-week carried.

Every table is tidy (one row per group and topic) with the article `count` and its `share` of the group's
articles, so rows of one group sum to 1 and groups of different size compare directly. Outliers (topic -1,
the articles no topic fits) are kept as a row of their own, so the shares stay honest. Articles without a
date are left out of the tables over time (the metrics count them).
"""

from __future__ import annotations

import pandas as pd

from pipeline.corpus import UNKNOWN, week_start


def week_label(dates: pd.Series) -> pd.Series:
    """The Monday of each date's ISO week (`pipeline.corpus.week_start`) as YYYY-MM-DD; missing stays missing."""
    monday = week_start(dates)
    return monday.dt.strftime("%Y-%m-%d").where(monday.notna())


def assignments_frame(articles: pd.DataFrame, doc_topics: pd.DataFrame) -> pd.DataFrame:
    """One row per article with its topic, outlet, source country and week."""
    frame = doc_topics[["id", "topic"]].merge(articles, on="id", how="left", validate="one_to_one")
    return pd.DataFrame(
        {
            "topic": frame["topic"].astype(int),
            "outlet": frame.get("outlet", pd.Series(index=frame.index, dtype=object)).fillna(UNKNOWN),
            "source_country": frame.get("source_country", pd.Series(index=frame.index, dtype=object)).fillna(UNKNOWN),
            "week": week_label(frame["date"]) if "date" in frame else pd.Series(index=frame.index, dtype=object),
        }
    )


def prevalence(assignments: pd.DataFrame, by: list[str], labels: dict[int, str], complete: bool = True) -> pd.DataFrame:
    """Count and share of each topic within each group of `by`.

    With `complete`, every (group, topic) pair gets a row, zero counts included, so a plot shows a topic's
    absence instead of interpolating over it; otherwise only the pairs that occur are listed.
    """
    rows = assignments.dropna(subset=by)
    counts = rows.groupby([*by, "topic"], observed=True).size().rename("count")
    if complete and len(counts):
        groups = counts.reset_index()[by].drop_duplicates()
        topics = pd.DataFrame({"topic": sorted(labels)})
        full_index = pd.MultiIndex.from_frame(groups.merge(topics, how="cross"))
        counts = counts.reindex(full_index, fill_value=0)
    table = counts.reset_index()
    totals = table.groupby(by, observed=True)["count"].transform("sum")
    table["share"] = (table["count"] / totals).round(6)
    table.insert(len(by) + 1, "label", table["topic"].map(labels))
    return table.sort_values([*by, "topic"], kind="stable").reset_index(drop=True)


def largest_topics_over_time(over_time: pd.DataFrame, sizes: dict[int, int], n: int) -> pd.DataFrame:
    """Weekly shares of the `n` largest topics (outliers excluded), labelled for a line plot."""
    largest = [topic for topic, _ in sorted(sizes.items(), key=lambda item: (-item[1], item[0])) if topic != -1][:n]
    rows = over_time[over_time["topic"].isin(largest)]
    return pd.DataFrame(
        {
            "week": rows["week"],
            "topic": rows["topic"].astype(str) + ": " + rows["label"],
            "share": rows["share"],
        }
    ).reset_index(drop=True)

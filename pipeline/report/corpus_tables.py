"""The report's corpus tables: the articles ingest kept, per outlet and per week, and the near copies.

Every function takes the articles as `load_articles` reads them (never recomputing a stage) and returns a
DataFrame or a plain-text sentence that reads one; the notebooks plot the frames and print the sentences,
so what the report says is computed, not typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import CorpusConfig
from pipeline.corpus import OTHER_GROUP, UNKNOWN, Outlets, Period, find_outlets, week_start
from pipeline.report.formatting import day_text, group_name

ARTICLE_COLUMNS = ["id", "url", "outlet", "source_country", "title", "date", "is_canonical", "canonical_id"]


def load_articles(path: str | Path, outlets: Outlets | None = None) -> pd.DataFrame:
    """The ingest stage's articles, reduced to what the report reads, with dates as timestamps.

    Each article gets its outlet's `group`, and articles without a source country their outlet's, from the
    `outlets` stage's table (`pipeline.corpus.read_outlets`), as the timeline stage derives them; without it,
    no outlet is in a group and countries come from the articles alone. The rest are `(unknown)`.
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
    return (outlets or find_outlets(frame, CorpusConfig())).fill(frame)


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


def date_range_text(first: dt.date | None, last: dt.date | None) -> str:
    if first is None or last is None:
        return "no dated article"
    return f"{first:%d %B %Y} to {last:%d %B %Y}"


def outlet_table(articles: pd.DataFrame, groups: Mapping[str, str]) -> pd.DataFrame:
    """One row per outlet: group, country, article counts, the dates it covers and how many have no date, largest
    outlet first."""
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
                "first": day_text(part["date"].min()),
                "last": day_text(part["date"].max()),
                "undated": int(part["date"].isna().sum()),
            }
        )
    columns = ["outlet", "group", "country", "articles", "share", "after deduplication", "first", "last", "undated"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["articles", "outlet"], ascending=[False, True]).reset_index(drop=True)


def coverage_sentence(outlets: pd.DataFrame) -> str:
    named = outlets[outlets["outlet"] != UNKNOWN]
    if named.empty:
        return "No article names its outlet (the corpus gives neither an outlet nor a URL), so nothing in this " \
               "report compares outlets."
    unnamed = outlets.loc[outlets["outlet"] == UNKNOWN, "articles"].sum()
    tail = (f" {int(unnamed):,} article{' names' if unnamed == 1 else 's name'} no outlet." if unnamed else "")
    if len(named) == 1:
        return f"Every article with a known outlet comes from {named.iloc[0]['outlet']}.{tail}"
    first, last = named.iloc[0], named.iloc[-1]
    top3 = f"; the three largest outlets together hold {named['share'].head(3).sum():.0%}" if len(named) > 3 else ""
    return (
        f"Coverage is uneven: {first['outlet']} contributes {first['share']:.1%} of the articles and "
        f"{last['outlet']} {last['share']:.1%}{top3}.{tail}"
    )


def outlet_order(articles: pd.DataFrame, groups: Mapping[str, str], group_order: Sequence[str]) -> list[str]:
    """Outlets grouped in the order params list their groups (ungrouped outlets last), largest first within a group."""
    rank = {group: number for number, group in enumerate(group_order)}
    sizes = articles["outlet"].value_counts()
    return sorted(sizes.index, key=lambda outlet: (rank.get(groups.get(outlet, ""), len(rank)), -sizes[outlet], outlet))


def articles_per_week(articles: pd.DataFrame, period: Period | None = None) -> pd.DataFrame:
    """Tidy counts (week, outlet, articles) over every week of `period` (default: first to last date), zeros
    included; articles dated outside the period and undated ones are not in it (`Period.note` says how many)."""
    dated = articles.dropna(subset=["date"])
    if period is not None and period.bounds():
        first, last = (pd.Timestamp(day) for day in period.bounds())
        dated = dated[(dated["date"] >= first) & (dated["date"] <= last)]
    dated = dated.assign(week=lambda frame: week_start(frame["date"]))
    if dated.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"), "outlet": [], "articles": []})
    weeks = pd.date_range(dated["week"].min(), dated["week"].max(), freq="7D")
    counts = dated.groupby(["week", "outlet"]).size()
    index = pd.MultiIndex.from_product([weeks, sorted(dated["outlet"].unique())], names=["week", "outlet"])
    return counts.reindex(index, fill_value=0).rename("articles").reset_index()


def undated_per_outlet(articles: pd.DataFrame) -> dict[str, int]:
    """Articles without a publication date, per outlet (outlets with none left out)."""
    counts = articles.loc[articles["date"].isna(), "outlet"].value_counts()
    return {str(outlet): int(count) for outlet, count in counts.items()}


def dates_sentence(period: Period, date_sources: Mapping[str, int]) -> str:
    """Where the publication dates came from and what the date axes leave out, in one or two sentences."""
    metadata, inferred, unknown = (int(date_sources.get(key, 0)) for key in ("metadata", "inferred", "unknown"))
    total = metadata + inferred + unknown
    if not total:
        return ""
    if inferred or unknown:
        origin = (f"Publication dates: {metadata:,} of {total:,} articles from the source, {inferred:,} inferred from "
                  f"their text, {unknown:,} unknown.")
    else:
        origin = "Every publication date comes from the source."
    return f"{origin} {period.note()}".strip()


def busiest_week_sentence(weekly: pd.DataFrame) -> str:
    totals = weekly.groupby("week")["articles"].sum()
    if totals.empty or totals.max() == 0:
        return "No article carries a date, so there is no weekly series."
    week = totals.idxmax()
    in_week = weekly[weekly["week"] == week].sort_values(["articles", "outlet"], ascending=[False, True])
    top = in_week.iloc[0]
    if len(totals) == 1:
        return f"Every dated article falls in the week that began on {week:%d %B %Y} ({int(totals.max()):,} articles)."
    who = "" if weekly["outlet"].nunique() == 1 else (
        f"; {top['outlet']} published the most that week ({int(top['articles']):,})")
    return (
        f"The busiest week began on {week:%d %B %Y}, with {int(totals.max()):,} articles "
        f"({totals.max() / totals.median():.1f} times the median week){who}."
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
        return "No article is a near copy of an earlier one."
    if set(copies["outlet"]) == {UNKNOWN}:
        share = copies["copy share"].iloc[0]
        return (f"{share:.1%} of the articles are copies of an earlier one; without outlets, a re-run cannot be told "
                "from syndication.")
    top = copies.iloc[0]
    whose = "other outlets'" if top["other share"] >= top["own share"] else "its own"
    overall = (copies["copies of own articles"].sum() + copies["copies of other outlets' articles"].sum()) / copies[
        "articles"
    ].sum()
    return (
        f"{top['outlet']} has the largest share of near copies ({top['copy share']:.0%} of its articles, mostly of "
        f"{whose} articles); across the corpus {overall:.1%} of articles are copies."
    )

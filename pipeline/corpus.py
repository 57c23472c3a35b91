"""The corpus contract: the article table every stage after ingest reads, and the ideas they share about it.

One definition each of: the article schema ingest writes, which articles later stages use (canonical members
of duplicate clusters, ordered by id), which group and country an outlet belongs to, and the week an article
falls in. Stages and notebooks call these instead of re-deriving them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import pyarrow as pa

from pipeline.config import CorpusConfig

UNKNOWN = "(unknown)"
OTHER_GROUP = "other"

ARTICLE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("locator", pa.string()),
        ("url", pa.string()),
        ("outlet", pa.string()),
        ("source_country", pa.string()),
        ("title", pa.string()),
        ("lead", pa.string()),
        ("body", pa.string()),
        ("paragraphs", pa.list_(pa.string())),
        ("headings", pa.list_(pa.struct([("before_paragraph", pa.int64()), ("text", pa.string())]))),
        ("photo_credit", pa.string()),
        ("photo_slug", pa.string()),
        ("captions", pa.list_(pa.string())),
        ("date", pa.date32()),
        ("date_source", pa.string()),
        ("date_confidence", pa.float64()),
        ("date_evidence", pa.string()),
        ("language", pa.string()),
        ("language_confidence", pa.float64()),
        ("encoding", pa.string()),
        ("n_chars", pa.int64()),
        ("n_words", pa.int64()),
        ("boilerplate_removed", pa.int64()),
        ("dup_cluster", pa.int64()),
        ("dup_cluster_size", pa.int64()),
        ("canonical_id", pa.string()),
        ("is_canonical", pa.bool_()),
        ("dup_similarity", pa.float64()),
    ]
)
DEDUP_COLUMNS = ARTICLE_SCHEMA.names[-5:]  # filled by deduplication, after every article is built


def select_articles(articles: pd.DataFrame, canonical_only: bool, required: Iterable[str] = ("id",)) -> pd.DataFrame:
    """The articles later stages use: canonical members of duplicate clusters when asked, ordered by id."""
    missing = sorted(set(required) - set(articles.columns))
    if missing:
        raise ValueError(f"articles table lacks column(s) {', '.join(missing)}")
    if canonical_only and "is_canonical" in articles.columns:
        articles = articles[articles["is_canonical"].fillna(True).astype(bool)]
    return articles.sort_values("id", kind="stable").reset_index(drop=True)


def group_of(outlet_groups: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Outlet → group, from `corpus.outlet_groups` (each outlet in one group: the configuration checks it)."""
    return {outlet: group for group, outlets in outlet_groups.items() for outlet in outlets}


def outlet_countries(articles: pd.DataFrame, config: CorpusConfig) -> dict[str, str]:
    """Outlet → source country: the most common one its articles carry, else the one params give it."""
    countries: dict[str, str] = {}
    known = articles.dropna(subset=["source_country"])
    for outlet, values in known.groupby("outlet")["source_country"]:
        countries[str(outlet)] = Counter(values).most_common(1)[0][0]
    for outlet, country in config.outlet_countries.items():
        countries.setdefault(outlet, country)
    return countries


def fill_countries(frame: pd.DataFrame, countries: Mapping[str, str]) -> pd.DataFrame:
    """A copy whose missing `source_country` values take their outlet's country, else `(unknown)`."""
    frame = frame.copy()
    frame["source_country"] = frame["source_country"].fillna(frame["outlet"].map(dict(countries))).fillna(UNKNOWN)
    return frame


def week_start(dates: pd.Series | Sequence[object]) -> pd.Series:
    """The Monday of each date's ISO week as a timestamp (missing dates stay missing)."""
    stamps = pd.to_datetime(pd.Series(dates), errors="coerce")
    return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.normalize()

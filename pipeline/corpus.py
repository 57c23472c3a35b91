"""The corpus contract: the article table every stage after ingest reads, and the ideas they share about it.

One definition each of: the article schema ingest writes, which articles later stages use (canonical members
of duplicate clusters, ordered by id), which group and country an outlet belongs to, and the week an article
falls in. Stages and notebooks call these instead of re-deriving them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipeline import io
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
    """The articles later stages use: canonical members of duplicate clusters when asked, ordered by id.

    An article without an outlet (a corpus of texts alone) has the outlet `(unknown)`, so every stage counts,
    groups and names it the same way instead of dropping it from a group-by or printing "None".
    """
    missing = sorted(set(required) - set(articles.columns))
    if missing:
        raise ValueError(f"articles table lacks column(s) {', '.join(missing)}")
    if canonical_only and "is_canonical" in articles.columns:
        articles = articles[articles["is_canonical"].fillna(True).astype(bool)]
    articles = articles.sort_values("id", kind="stable").reset_index(drop=True)
    if "outlet" in articles.columns:
        articles["outlet"] = articles["outlet"].fillna(UNKNOWN)
    return articles


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
    own = frame["source_country"].astype(object)  # a str column refuses a fill of all-missing floats
    outlets = frame["outlet"].map(dict(countries)).astype(object)
    frame["source_country"] = own.where(own.notna(), outlets).fillna(UNKNOWN)
    return frame


def week_start(dates: pd.Series | Sequence[object]) -> pd.Series:
    """The Monday of each date's ISO week as a timestamp (missing dates stay missing)."""
    stamps = pd.to_datetime(pd.Series(dates), errors="coerce")
    return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.normalize()


# --- outlet groups: by outlet name or by domain ------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(str(name).lower().split())


def _domain(url: object) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    from urllib.parse import urlparse

    try:
        host = urlparse(url.strip()).hostname or ""
    except ValueError:
        return None
    return host.lower().removeprefix("www.") or None


def _domain_matches(domain: str, entry: str) -> bool:
    """`news.bbc.co.uk` is `bbc.co.uk`; an entry with a scheme or `www.` is read as its bare domain."""
    entry = entry.lower().strip().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    return bool(entry) and (domain == entry or domain.endswith("." + entry))


@dataclass(frozen=True)
class GroupMatch:
    """How `corpus.outlet_groups` met a corpus: each outlet's group, and what matched nothing."""

    groups: dict[str, str]  # outlet -> group, for every outlet of the corpus ("other" when none matched)
    matched_by: dict[str, str]  # outlet -> "name" or "domain", for outlets in a group
    unmatched_entries: dict[str, list[str]]  # group -> its entries that named no outlet of the corpus
    articles: int
    grouped_articles: int

    def outlets_in(self, group: str) -> list[str]:
        return sorted(outlet for outlet, name in self.groups.items() if name == group)

    def warnings(self, outlet_groups: Mapping[str, Sequence[str]]) -> list[str]:
        """Sentences for the log and the report when groups match no outlet, or leave most articles "other"."""
        if not outlet_groups:
            return []
        found = []
        for group in outlet_groups:
            if not self.outlets_in(group):
                listed = ", ".join(list(outlet_groups[group])[:6]) + (", ..." if len(outlet_groups[group]) > 6 else "")
                found.append(f"Outlet group '{group}' matches no outlet of this corpus (it lists {listed}; entries "
                             "are compared with each article's outlet name and with its URL's domain).")
        share = self.grouped_articles / self.articles if self.articles else 0.0
        other = len([outlet for outlet, group in self.groups.items() if group == OTHER_GROUP])
        if self.articles and share < 0.5:
            found.append(f"Only {share:.0%} of the articles belong to a configured outlet group: {other} of "
                         f"{len(self.groups)} outlets are '{OTHER_GROUP}'.")
        return found

    def summary(self, outlet_groups: Mapping[str, Sequence[str]]) -> dict[str, object]:
        """For metrics: outlets per group, entries that matched nothing, the share of articles grouped, warnings."""
        return {
            "outlets": {group: self.outlets_in(group) for group in outlet_groups},
            "unmatched_entries": self.unmatched_entries,
            "grouped_article_share": round(self.grouped_articles / self.articles, 4) if self.articles else 0.0,
            "warnings": self.warnings(outlet_groups),
        }


def match_groups(articles: pd.DataFrame, outlet_groups: Mapping[str, Sequence[str]]) -> GroupMatch:
    """Each outlet's group from `corpus.outlet_groups`, whose entries are outlet names or domains.

    An entry names an outlet when it equals the outlet's name (case and spacing aside: "The Herald" or
    "bbc.co.uk" when the outlet is a domain), or when it is the domain (or a parent domain) of the URLs of the
    outlet's articles; a name match wins over a domain match, and an outlet whose URLs span several groups' domains
    takes the group of most of its articles. Outlets no entry names are `other`.
    """
    outlets = articles["outlet"].fillna(UNKNOWN) if "outlet" in articles else pd.Series(UNKNOWN, index=articles.index)
    urls = articles["url"] if "url" in articles else pd.Series(None, index=articles.index, dtype=object)
    by_name = {_name_key(entry): group for group, entries in outlet_groups.items() for entry in entries}
    used: set[tuple[str, str]] = set()
    groups: dict[str, str] = {}
    matched_by: dict[str, str] = {}
    domain_votes: dict[str, Counter[str]] = {}
    for outlet, url in zip(outlets, urls, strict=True):
        outlet = str(outlet)
        if outlet in groups:
            continue
        key = _name_key(outlet)
        if key in by_name:
            groups[outlet], matched_by[outlet] = by_name[key], "name"
            used.update((group, entry) for group, entries in outlet_groups.items() for entry in entries
                        if _name_key(entry) == key)
            continue
        domain = _domain(url)
        votes = domain_votes.setdefault(outlet, Counter())
        if domain:
            for group, entries in outlet_groups.items():
                hits = [entry for entry in entries if _domain_matches(domain, entry)]
                if hits:
                    votes[group] += 1
                    used.update((group, entry) for entry in hits)
                    break
            else:
                votes[OTHER_GROUP] += 1
    for outlet, votes in domain_votes.items():
        if outlet in groups:
            continue
        best = max(votes.items(), key=lambda item: (item[1], item[0] != OTHER_GROUP), default=(OTHER_GROUP, 0))[0]
        groups[outlet] = best
        if best != OTHER_GROUP:
            matched_by[outlet] = "domain"
    unmatched = {group: [entry for entry in entries if (group, entry) not in used]
                 for group, entries in outlet_groups.items()}
    grouped = int(outlets.astype(str).map(groups).ne(OTHER_GROUP).sum())
    return GroupMatch(dict(sorted(groups.items())), matched_by, {g: e for g, e in unmatched.items() if e},
                      len(articles), grouped)


# --- the outlets table: each outlet's group and country, written once by the `outlets` stage ----------------------

OUTLET_SCHEMA = pa.schema(
    [
        ("outlet", pa.string()),
        ("group", pa.string()),  # from corpus.outlet_groups ("other" when no entry names it)
        ("matched_by", pa.string()),  # "name" or "domain" for an outlet in a group, else missing
        ("country", pa.string()),  # its articles' most common source country, else corpus.outlet_countries
        ("articles", pa.int64()),  # among the selected articles
    ]
)


@dataclass(frozen=True)
class Outlets:
    """Each outlet's group and country, and the configured groups in their order (what readers colour and list)."""

    table: pd.DataFrame  # OUTLET_SCHEMA, one row per outlet, ordered by outlet
    groups: list[str]  # the groups of corpus.outlet_groups, in the order params.yaml lists them
    check: dict[str, object]  # GroupMatch.summary: outlets per group, entries that matched nothing, warnings

    def group_of(self) -> dict[str, str]:
        """Outlet -> group, for every outlet of the corpus."""
        return dict(zip(self.table["outlet"], self.table["group"], strict=True))

    def country_of(self) -> dict[str, str]:
        """Outlet -> source country, for the outlets whose country is known."""
        known = self.table.dropna(subset=["country"])
        return dict(zip(known["outlet"], known["country"], strict=True))

    def fill(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of a table with an `outlet` column, with its `group` and, where missing, `source_country`
        (as `fill_countries`); an outlet the table does not know is `other` and keeps its own country."""
        frame = frame.copy()
        frame["group"] = frame["outlet"].map(self.group_of()).fillna(OTHER_GROUP)
        if "source_country" not in frame.columns:
            frame["source_country"] = None
        return fill_countries(frame, self.country_of())


def find_outlets(articles: pd.DataFrame, config: CorpusConfig) -> Outlets:
    """The outlets of the selected articles (`select_articles`) with their group and country by this contract."""
    if "outlet" not in articles.columns:
        articles = articles.assign(outlet=UNKNOWN)
    if "source_country" not in articles.columns:
        articles = articles.assign(source_country=None)
    articles = articles.assign(outlet=articles["outlet"].fillna(UNKNOWN).astype(str))
    match = match_groups(articles, config.outlet_groups)
    countries = outlet_countries(articles, config)
    counts = articles["outlet"].value_counts()
    names = sorted(match.groups)
    table = pd.DataFrame(
        {
            "outlet": names,
            "group": [match.groups[name] for name in names],
            "matched_by": [match.matched_by.get(name) for name in names],
            "country": [countries.get(name) for name in names],
            "articles": [int(counts.get(name, 0)) for name in names],
        }
    )
    return Outlets(table, list(config.outlet_groups), match.summary(config.outlet_groups))


OUTLETS_TABLE = "outlets.parquet"
OUTLETS_GROUPS = "groups.json"


def write_outlets(folder: str | os.PathLike[str], found: Outlets) -> None:
    """The outlets table and the configured groups (with how they met the corpus), as one folder, atomically."""
    with io.atomic_dir(folder) as tmp:
        io.write_parquet(tmp / OUTLETS_TABLE, found.table, schema=OUTLET_SCHEMA)
        io.write_json(tmp / OUTLETS_GROUPS, {"groups": found.groups, "check": found.check})


def read_outlets(folder: str | os.PathLike[str]) -> Outlets:
    """What `write_outlets` wrote: the table the report and notebooks read instead of params.yaml."""
    folder = Path(folder)
    missing = [name for name in (OUTLETS_TABLE, OUTLETS_GROUPS) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}: run the outlets stage first")
    groups = json.loads((folder / OUTLETS_GROUPS).read_text(encoding="utf-8"))
    return Outlets(pd.read_parquet(folder / OUTLETS_TABLE), list(groups["groups"]), dict(groups["check"]))


# --- the period the corpus covers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The dense period of the corpus's publication dates, and what lies outside it."""

    first: dt.date | None
    last: dt.date | None
    dated: int
    undated: int
    before: int  # dated articles before `first` (stray old dates)
    after: int
    earliest: dt.date | None  # the earliest and latest dates of all, for saying what was left out
    latest: dt.date | None

    @property
    def outside(self) -> int:
        return self.before + self.after

    def bounds(self) -> tuple[dt.date, dt.date] | None:
        return (self.first, self.last) if self.first and self.last else None

    def note(self) -> str:
        """What a date axis over this period does not show, in words ('' when it shows every article)."""
        parts = []
        if self.outside:
            where = []
            if self.before:
                where.append(f"{self.before:,} before it (earliest {self.earliest:%d %B %Y})")
            if self.after:
                where.append(f"{self.after:,} after it (latest {self.latest:%d %B %Y})")
            parts.append(f"{self.outside:,} dated article(s) lie outside the period shown, {' and '.join(where)}")
        if self.undated:
            parts.append(f"{self.undated:,} of {self.dated + self.undated:,} articles have no publication date and "
                         "appear on no date axis")
        return "; ".join(parts) + "." if parts else ""


def dense_period(dates: pd.Series | Sequence[object], min_share: float = 0.02, min_gap_days: int = 60) -> Period:
    """The span of the corpus's publication dates without stray outliers (a 2013 article in a 2022 corpus).

    The sorted days are cut into runs wherever two consecutive dated days lie more than `min_gap_days` (or a tenth
    of the whole span, if longer) apart; runs holding at least `min_share` of the dated articles are kept, and the
    period runs from the first kept run to the last. Everything else is counted, not hidden.
    """
    stamps = pd.to_datetime(pd.Series(list(dates), dtype=object), errors="coerce")
    dated = stamps.dropna().dt.normalize().sort_values().reset_index(drop=True)
    undated = int(stamps.isna().sum())
    if dated.empty:
        return Period(None, None, 0, undated, 0, 0, None, None)
    days = dated.value_counts().sort_index()
    span = (days.index[-1] - days.index[0]).days
    gap = max(min_gap_days, span // 10)
    run_ids = (pd.Series(days.index).diff().dt.days.fillna(0) > gap).cumsum().to_numpy()
    runs = pd.DataFrame({"day": days.index, "count": days.to_numpy(), "run": run_ids})
    sizes = runs.groupby("run")["count"].sum()
    kept = sizes[sizes >= max(1.0, min_share * len(dated))].index
    if len(kept) == 0:
        kept = sizes.index[[int(sizes.to_numpy().argmax())]]
    inside = runs[runs["run"].between(kept.min(), kept.max())]
    first, last = inside["day"].min(), inside["day"].max()
    before = int(runs.loc[runs["day"] < first, "count"].sum())
    after = int(runs.loc[runs["day"] > last, "count"].sum())
    return Period(first.date(), last.date(), len(dated), undated, before, after, days.index[0].date(),
                  days.index[-1].date())

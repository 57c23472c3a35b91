"""Merging event mentions across articles and outlets into events, with their provenance.

Mentions are blocked by date: day-precise mentions meet those of the same or an adjacent day, week- and
month-precise ones those with the same TIMEX value. Within a block, a mention joins the event it is most
similar to (average cosine of TF-IDF sentence vectors with the event's mentions, plus a bonus for shared
named entities) if that similarity clears a threshold, else it starts a new event. Average linkage, not a
single best pair, keeps one ambiguous sentence from chaining two stories together. A second pass joins
the events of a block whose centroids are alike: deciding mention by mention, the first pass can found a
second event for a story its first event had drifted away from (a long wire lead against a short recap).

`merge_events` runs both passes on the stage's event mentions and describes the events, with the outlet
groups, countries and publication days that `provenance` reads from the articles.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from tqdm import tqdm

from pipeline.config import CorpusConfig, MergeConfig
from pipeline.corpus import OTHER_GROUP, match_groups, outlet_countries
from pipeline.timeline.sentences import strip_dateline

DAY_PRECISIONS = ("time", "day")


def entity_overlap(left: frozenset[str], right: Counter[str]) -> float:
    """Share of the smaller side's entities found on the other side (0 when either has none)."""
    if not left or not right:
        return 0.0
    shared = sum(1 for name in left if name in right)
    return shared / min(len(left), len(right))


def block_keys(mentions: pd.DataFrame) -> pd.Series:
    """The merge block of each mention: its day (as an ordinal) for day precision, else its TIMEX value."""
    day_level = mentions["granularity"].isin(DAY_PRECISIONS)
    keys = pd.Series("", index=mentions.index, dtype=object)
    keys[day_level] = [f"day:{day.toordinal()}" for day in mentions.loc[day_level, "date_first"]]
    keys[~day_level] = "value:" + mentions.loc[~day_level, "date_value"].astype(str)
    return keys


def sentence_vectors(sentences: list[str], min_df: int) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows; words in fewer than `min_df` sentences are dropped as noise."""
    vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=min(min_df, len(sentences)))
    try:
        return normalize(vectoriser.fit_transform(sentences), copy=False).tocsr()
    except ValueError:  # nothing but stop words: every mention stands alone
        return sparse.csr_matrix((len(sentences), 1))


def cluster_mentions(mentions: pd.DataFrame, vectors: sparse.csr_matrix, config: MergeConfig) -> np.ndarray:
    """One event label per mention (row order), deterministic for a given input order.

    Needs columns granularity, date_first (date), date_value, entities (list of names) and one vector row
    per mention; rows should be sorted by date then publication so that the earliest report founds an event.
    """
    labels = np.full(len(mentions), -1, dtype=np.int64)
    if mentions.empty:
        return labels
    entities = [frozenset(names) for names in mentions["entities"]]
    keys = block_keys(mentions).to_numpy()
    day_level = mentions["granularity"].isin(DAY_PRECISIONS).to_numpy()
    next_label = 0
    # Week- and month-precise mentions: one block per TIMEX value.
    for key in sorted(set(keys[~day_level])):
        rows = np.flatnonzero(keys == key)
        next_label = _cluster_block(rows, [], vectors, entities, labels, next_label, config)
    # Day-precise mentions: day by day, against the events of the last `max_day_gap` days.
    day_rows = np.flatnonzero(day_level)
    ordinals = np.array([day.toordinal() for day in mentions["date_first"].to_numpy()[day_rows]])
    events_by_day: dict[int, list[int]] = defaultdict(list)
    for ordinal in tqdm(sorted(set(ordinals)), desc="merging", unit="day", leave=False):
        rows = day_rows[ordinals == ordinal]
        earlier = [
            label for gap in range(1, config.max_day_gap + 1) for label in events_by_day.get(ordinal - gap, [])
        ]
        first_new = next_label
        next_label = _cluster_block(rows, earlier, vectors, entities, labels, next_label, config)
        events_by_day[ordinal] = list(range(first_new, next_label))
    return join_similar_events(labels, keys, vectors, config.event_similarity)


def join_similar_events(
    labels: np.ndarray, keys: np.ndarray, vectors: sparse.csr_matrix, min_similarity: float
) -> np.ndarray:
    """Join the events of one block that tell the same story: largest first, each event joins the earlier
    joined event whose centroid (the sum of its mentions' TF-IDF vectors) it is most alike, at a cosine of at
    least `min_similarity`, else it stands alone. Large events dominate the centroids they are part of, so a
    small ambiguous event cannot chain two stories. An event's block is the one most of its mentions fall in
    (one founded the day before may gather the day's mentions).

    Labels come back renumbered 0.. in order of their first row, as the first pass numbers them."""
    tally = pd.DataFrame({"label": labels, "key": keys}).value_counts().rename("n").reset_index()
    event_key = (
        tally.sort_values(["label", "n", "key"], ascending=[True, False, True])
        .drop_duplicates("label")
        .set_index("label")["key"]
    )
    joined = labels.copy()
    for rows in pd.Series(np.arange(len(labels))).groupby(event_key.loc[labels].to_numpy()).indices.values():
        event_labels, slot_of_row = np.unique(labels[rows], return_inverse=True)
        if len(event_labels) < 2:
            continue
        block = _membership(slot_of_row, len(event_labels)) @ vectors[rows]
        words = np.unique(block.indices)
        sums = sparse.csr_matrix(block[:, words])  # one row per event, the block's words only
        sizes = np.bincount(slot_of_row)
        joined_sums = np.zeros((len(event_labels), len(words)))
        squared_norms = np.zeros(len(event_labels))
        founders: list[int] = []  # the label of each joined event's largest event
        joined_slot = np.empty(len(event_labels), dtype=np.int64)
        for slot in sorted(range(len(event_labels)), key=lambda slot: (-sizes[slot], slot)):
            start, end = sums.indptr[slot], sums.indptr[slot + 1]
            columns, values = sums.indices[start:end], sums.data[start:end]
            chosen = len(founders)
            if founders:
                dots = joined_sums[: len(founders), columns] @ values
                norms = np.sqrt(squared_norms[: len(founders)] * (values @ values))
                similarity = np.divide(dots, norms, out=np.zeros(len(founders)), where=norms > 0)
                best = int(np.argmax(similarity))
                if similarity[best] >= min_similarity:
                    chosen = best
            if chosen == len(founders):
                founders.append(int(event_labels[slot]))
            joined_slot[slot] = chosen
            joined_sums[chosen, columns] += values
            squared_norms[chosen] = joined_sums[chosen] @ joined_sums[chosen]
        joined[rows] = np.asarray(founders)[joined_slot[slot_of_row]]
    _, first_rows, renumbered = np.unique(joined, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first_rows))[renumbered]


def _membership(slot_of_row: np.ndarray, n_slots: int) -> sparse.csr_matrix:
    """A slots x rows 0/1 matrix: multiplied with row vectors, it sums them per slot."""
    return sparse.csr_matrix(
        (np.ones(len(slot_of_row)), (slot_of_row, np.arange(len(slot_of_row)))), shape=(n_slots, len(slot_of_row))
    )


ROWS_AT_A_TIME = 256  # block rows whose similarities are held at once: memory grows with the block, not its square


def _cluster_block(
    rows: np.ndarray,
    earlier_events: list[int],
    vectors: sparse.csr_matrix,
    entities: Sequence[frozenset[str]],
    labels: np.ndarray,
    next_label: int,
    config: MergeConfig,
) -> int:
    """Assign the block's rows, in order, to an earlier event, an event founded in this block, or a new one.

    A row's similarity to an event is the summed cosine with the event's members (for an earlier event, with
    the sum of its members' vectors), added member by member in the order they joined. The cosines are
    computed `ROWS_AT_A_TIME` rows at a time against the whole block, so a day of n mentions holds 256 x n
    numbers, not n x n, and the sums come out the same bits whatever the number.
    """
    earlier_rows = np.flatnonzero(np.isin(labels, earlier_events))
    n_earlier, n_rows = len(earlier_events), len(rows)
    block = vectors[rows]
    sizes = np.zeros(n_earlier + n_rows)
    names: list[Counter[str]] = [Counter() for _ in range(n_earlier + n_rows)]
    earlier_sums = None
    if len(earlier_rows):
        slot_of = {label: slot for slot, label in enumerate(earlier_events)}
        slots = np.array([slot_of[int(label)] for label in labels[earlier_rows]])
        earlier_sums = (_membership(slots, n_earlier) @ vectors[earlier_rows]).T
        sizes[:n_earlier] = np.bincount(slots, minlength=n_earlier)
        for slot, row in zip(slots, earlier_rows, strict=True):
            names[slot].update(entities[row])
    slot_of_position = np.empty(n_rows, dtype=np.int64)
    slot_labels = list(earlier_events)
    for start in range(0, n_rows, ROWS_AT_A_TIME):
        chunk = block[start : start + ROWS_AT_A_TIME]
        pairwise = (chunk @ block.T).toarray()
        linked = np.zeros((len(pairwise), n_earlier + n_rows))
        if earlier_sums is not None:
            linked[:, :n_earlier] = (chunk @ earlier_sums).toarray()
        for offset, row in enumerate(rows[start : start + ROWS_AT_A_TIME]):
            position = start + offset
            similarities = linked[offset]
            np.add.at(similarities, slot_of_position[:position], pairwise[offset, :position])  # in joining order
            active = len(slot_labels)
            best_slot, best_score = -1, -np.inf
            if active:
                similarity = similarities[:active] / np.maximum(sizes[:active], 1)
                for slot in np.argsort(-similarity, kind="stable")[: config.entity_candidates]:
                    score = similarity[slot] + config.entity_weight * entity_overlap(entities[row], names[slot])
                    if score > best_score:
                        best_slot, best_score = int(slot), score
            if best_slot < 0 or best_score < config.min_similarity:
                best_slot = active
                slot_labels.append(next_label)
                next_label += 1
            labels[row] = slot_labels[best_slot]
            slot_of_position[position] = best_slot
            sizes[best_slot] += 1
            names[best_slot].update(entities[row])
    return next_label


@dataclass(frozen=True)
class Provenance:
    """Who could have reported what: the outlet-to-group and outlet-to-country maps, and each outlet's
    publication days."""

    outlet_groups: Mapping[str, str]
    outlet_countries: Mapping[str, str]
    active_days: Mapping[str, frozenset[dt.date]]

    def group(self, outlet: str) -> str:
        return self.outlet_groups.get(outlet, OTHER_GROUP)

    def active_outlets(self, first: dt.date, last: dt.date, window_days: int) -> list[str]:
        """Outlets that published anything from `window_days` before the event's first day to as many after its last."""
        low, high = first - dt.timedelta(days=window_days), last + dt.timedelta(days=window_days)
        return sorted(outlet for outlet, days in self.active_days.items() if any(low <= day <= high for day in days))


def provenance(articles: pd.DataFrame, corpus: CorpusConfig) -> Provenance:
    """Outlet groups and countries by the corpus contract, and the days each outlet published."""
    dated = articles.dropna(subset=["date"])
    active = {str(outlet): frozenset(days) for outlet, days in dated.groupby("outlet")["date"]}
    groups = match_groups(articles, corpus.outlet_groups).groups  # entries name outlets or their domains
    return Provenance(groups, outlet_countries(articles, corpus), active)


def merge_events(mentions: pd.DataFrame, origin: Provenance, config: MergeConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Label each mention with its merged event and describe the events; mentions come back with event_id."""
    order = mentions.assign(_published=mentions["published"].fillna(dt.date.max)).sort_values(
        ["date_first", "_published", "article_id", "sentence_index"], kind="stable"
    )
    ordered = order.drop(columns="_published").reset_index(drop=True)
    if ordered.empty:
        return ordered.assign(event_id=pd.Series(dtype=object)), describe_events(
            ordered, np.array([], dtype=np.int64), sentence_vectors([""], 1), origin, config
        )
    vectors = sentence_vectors([strip_dateline(sentence) for sentence in ordered["sentence"]], config.min_df)
    labels = cluster_mentions(ordered, vectors, config)
    events = describe_events(ordered, labels, vectors, origin, config)
    event_of = {mention: event for event, ids in zip(events["event_id"], events["mention_ids"], strict=True)
                for mention in ids}
    ordered["event_id"] = ordered["mention_id"].map(event_of)
    return ordered, events


MENTION_COLUMNS = (
    "mention_id", "article_id", "outlet", "published", "sentence", "granularity", "date_first", "date_last",
    "date_value", "trigger", "actors", "targets", "locations",
)

EVENT_COLUMNS = [
    "date", "date_last", "precision", "date_value", "n_mentions", "n_articles", "n_outlets", "n_countries",
    "n_groups", "outlets", "lag_days", "timely_outlets", "countries", "groups", "silent_outlets", "silent_countries",
    "first_outlet", "first_published", "representative", "representative_article", "representative_outlet",
    "group_sentences", "trigger", "actors", "targets", "locations", "article_ids", "mention_ids",
]


def describe_events(
    mentions: pd.DataFrame,
    labels: np.ndarray,
    vectors: sparse.csr_matrix,
    provenance: Provenance,
    config: MergeConfig,
) -> pd.DataFrame:
    """One row per merged event: date and precision, reach (articles, outlets, countries, groups), who
    reported first and how many days later each other outlet followed (`outlets` and `lag_days` in that
    order; `timely_outlets` mentioned it within `report_window_days` of the event, the rest only looked
    back on it later), who published in the days around it without mentioning it, the most central
    sentence overall and per outlet group, and the most frequent trigger, actors, targets and places."""
    columns = {name: mentions[name].tolist() for name in MENTION_COLUMNS}
    groups = pd.Series(np.arange(len(labels))).groupby(labels).indices
    centrality = _centrality(labels, vectors)
    silent_cache: dict[tuple[dt.date, dt.date], list[str]] = {}
    records = []
    for label in tqdm(sorted(groups), desc="describing events", unit="event", leave=False):
        rows = groups[label]
        records.append(_describe(columns, rows, centrality[rows], provenance, config, silent_cache))
    frame = pd.DataFrame.from_records(records, columns=EVENT_COLUMNS)
    frame = frame.sort_values(
        ["date", "n_outlets", "n_articles", "first_published", "representative"],
        ascending=[True, False, False, True, True],
        kind="stable",
    )
    frame["event_id"] = [f"{day.isoformat()}-{number:04d}" for number, day in _numbered(frame["date"])]
    return frame[["event_id", *EVENT_COLUMNS]].reset_index(drop=True)


def _centrality(labels: np.ndarray, vectors: sparse.csr_matrix) -> np.ndarray:
    """Each mention's dot product with the sum of its event's TF-IDF rows, for all events at once (one sparse
    product, not one per event). The sums add an event's rows in row order and each dot adds its row's products
    one after another in the row's stored order (a sparse product with a vector of ones, not numpy's pairwise
    sum), as summing and multiplying each event's own rows did, so the values are the same bits."""
    if not len(labels):
        return np.zeros(0)
    events, slot_of_row = np.unique(labels, return_inverse=True)
    sums = (_membership(slot_of_row, len(events)) @ vectors).tocsr()
    sums.sum_duplicates()  # sorted, one entry per (event, word): looked up by searchsorted below
    width = vectors.shape[1]
    keys = np.repeat(np.arange(len(events), dtype=np.int64), np.diff(sums.indptr)) * width + sums.indices
    rows = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
    wanted = slot_of_row[rows].astype(np.int64) * width + vectors.indices
    products = vectors.data * sums.data[np.searchsorted(keys, wanted)]
    # each row's products in the rows' own stored order, added one after another (a sparse product with ones)
    return sparse.csr_matrix((products, vectors.indices, vectors.indptr), shape=vectors.shape) @ np.ones(width)


def _numbered(days: pd.Series) -> list[tuple[int, dt.date]]:
    seen: Counter[dt.date] = Counter()
    numbered = []
    for day in days:
        seen[day] += 1
        numbered.append((seen[day], day))
    return numbered


def _describe(
    columns: Mapping[str, list[Any]],
    rows: np.ndarray,
    centrality: np.ndarray,
    provenance: Provenance,
    config: MergeConfig,
    active_cache: dict[tuple[dt.date, dt.date], list[str]],
) -> dict[str, Any]:
    def pick(name: str) -> list[Any]:
        return [columns[name][row] for row in rows]

    order = [int(index) for index in np.argsort(-centrality, kind="stable")]
    central = int(rows[order[0]])
    outlets_of, published_of = pick("outlet"), pick("published")
    if columns["granularity"][central] in DAY_PRECISIONS:
        precision = "day"
        days = Counter(pick("date_first"))
        first = last = min(days, key=lambda day: (-days[day], day))
    else:
        precision = str(columns["granularity"][central])
        first, last = columns["date_first"][central], columns["date_last"][central]
    first_seen: dict[str, dt.date] = {}
    for outlet, published in zip(outlets_of, published_of, strict=True):
        if pd.notna(published) and (outlet not in first_seen or published < first_seen[outlet]):
            first_seen[outlet] = published
    outlets = sorted(first_seen, key=lambda outlet: (first_seen[outlet], outlet))
    outlets += sorted(set(outlets_of) - set(first_seen))
    earliest = first_seen[outlets[0]] if first_seen else None
    lags = [(first_seen[outlet] - earliest).days if outlet in first_seen and earliest else None for outlet in outlets]
    deadline = last + dt.timedelta(days=config.report_window_days)
    timely = [outlet for outlet in outlets if outlet in first_seen and first_seen[outlet] <= deadline]
    countries = sorted({provenance.outlet_countries.get(outlet, "") for outlet in outlets} - {""})
    outlet_groups = sorted({provenance.group(outlet) for outlet in outlets})
    if (first, last) not in active_cache:
        active_cache[first, last] = provenance.active_outlets(first, last, config.active_window_days)
    reporting = set(outlets)
    silent = [outlet for outlet in active_cache[first, last] if outlet not in reporting]
    silent_countries = sorted(
        {provenance.outlet_countries.get(outlet, "") for outlet in silent} - set(countries) - {""}
    )
    group_sentences = []
    for group in outlet_groups:
        row = next(int(rows[index]) for index in order if provenance.group(outlets_of[index]) == group)
        group_sentences.append(
            {"group": group, "outlet": columns["outlet"][row], "article_id": columns["article_id"][row],
             "sentence": strip_dateline(columns["sentence"][row])}
        )
    values = Counter(pick("date_value"))
    return {
        "date": first,
        "date_last": last,
        "precision": precision,
        "date_value": min(values, key=lambda value: (-values[value], value)),
        "n_mentions": len(rows),
        "n_articles": len(set(pick("article_id"))),
        "n_outlets": len(outlets),
        "n_countries": len(countries),
        "n_groups": len(outlet_groups),
        "outlets": outlets,
        "lag_days": lags,
        "timely_outlets": timely,
        "countries": countries,
        "groups": outlet_groups,
        "silent_outlets": silent,
        "silent_countries": silent_countries,
        "first_outlet": outlets[0],
        "first_published": earliest,
        "representative": strip_dateline(columns["sentence"][central]),
        "representative_article": columns["article_id"][central],
        "representative_outlet": columns["outlet"][central],
        "group_sentences": group_sentences,
        "trigger": next(iter(_most_common(pick("trigger"), 1)), ""),
        "actors": _most_common(name for names in pick("actors") for name in names),
        "targets": _most_common(name for names in pick("targets") for name in names),
        "locations": _most_common(name for names in pick("locations") for name in names),
        "article_ids": sorted(set(pick("article_id"))),
        "mention_ids": pick("mention_id"),
    }


def _most_common(values: Any, top: int = 5) -> list[str]:
    counts = Counter(value for value in values if value)
    return [value for value, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]]

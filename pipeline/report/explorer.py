"""The explorer's data: articles on a 2-D map, topics, merged events and their sentences, and the questions a
reader asks of them.

`load` reads the stage outputs (ingest's articles, the topics stage's assignments and topic table, the embed
stage's vectors, the timeline stage's merged events and event mentions) into one `Outputs`; `map_coordinates`
reduces the article embeddings to two dimensions with a fixed seed and caches the result by the content it was
computed from, so the report stage computes the map once per embedding set, never the page. `article_frame`,
`event_frame` and `event_sentences` are the tables the explorer shows; `topic_articles`, `topic_words`,
`outlet_agenda`, `event_sources` and `day_coverage` answer the common questions, for the exploration notebook
as for the page (`explorer_page` turns the tables into the self-contained HTML file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.config import ExplorerConfig
from pipeline.corpus import (
    OTHER_GROUP,
    OUTLETS_GROUPS,
    OUTLETS_TABLE,
    UNKNOWN,
    read_outlets,
    select_articles,
    week_start,
)
from pipeline.embed import load_embeddings
from pipeline.report.corpus_tables import load_articles
from pipeline.report.event_tables import within

log = logging.getLogger(__name__)

OUTLIER_TOPIC = -1
MAP_COLUMNS = ("id", "x", "y")
MENTION_COLUMNS = ("event_id", "article_id", "outlet", "published", "sentence")


@dataclass(frozen=True)
class Outputs:
    """The stage outputs the explorer and the exploration notebook read, as the stages wrote them."""

    articles: pd.DataFrame  # the articles later stages read (canonical ones when asked), with outlet group
    doc_topics: pd.DataFrame  # id, topic, score
    topic_info: pd.DataFrame  # topic, label, size, share, words, ...
    embedding_ids: pd.DataFrame  # id (row order of `embeddings`)
    embeddings: np.ndarray
    events: pd.DataFrame  # merged events (timeline.parquet)
    mentions: pd.DataFrame  # event mentions (events.parquet), each with its event_id


def input_paths(
    articles: Path, topics_dir: Path, embeddings_dir: Path, timeline_dir: Path, outlets_dir: Path
) -> list[Path]:
    """Every file `load` reads, so a caller can name the missing ones before reading any."""
    return [
        articles,
        outlets_dir / OUTLETS_TABLE,
        outlets_dir / OUTLETS_GROUPS,
        topics_dir / "doc_topics.parquet",
        topics_dir / "topic_info.csv",
        embeddings_dir / "embeddings.npy",
        embeddings_dir / "ids.parquet",
        embeddings_dir / "info.json",
        timeline_dir / "timeline.parquet",
        timeline_dir / "events.parquet",
    ]


def load(
    articles: Path,
    topics_dir: Path,
    embeddings_dir: Path,
    timeline_dir: Path,
    outlets_dir: Path,
    canonical_only: bool = True,
) -> Outputs:
    """Read the stage outputs through the stages' own readers; a missing file is named, not a traceback."""
    missing = [str(path) for path in input_paths(articles, topics_dir, embeddings_dir, timeline_dir, outlets_dir)
               if not path.exists()]
    if missing:
        raise FileNotFoundError(f"the explorer needs {', '.join(missing)}: run the stages before the report")
    frame = select_articles(load_articles(articles, read_outlets(outlets_dir)), canonical_only,
                            required=("id", "outlet"))
    ids, embeddings, _ = load_embeddings(embeddings_dir)
    doc_topics = pd.read_parquet(topics_dir / "doc_topics.parquet")
    if "score" not in doc_topics.columns:
        doc_topics["score"] = np.nan
    return Outputs(
        articles=frame,
        doc_topics=doc_topics[["id", "topic", "score"]],
        topic_info=pd.read_csv(topics_dir / "topic_info.csv", keep_default_na=False, na_values=[""]),
        embedding_ids=ids[["id"]],
        embeddings=embeddings,
        events=pd.read_parquet(timeline_dir / "timeline.parquet"),
        mentions=pd.read_parquet(timeline_dir / "events.parquet"),
    )


# --- the 2-D map ----------------------------------------------------------------------------------------------


def reduce_2d(embeddings: np.ndarray, seed: int, neighbors: int, min_dist: float) -> np.ndarray:
    """UMAP (cosine, on the exact neighbour graph) to two dimensions with a fixed random_state, so equal inputs
    give equal coordinates.

    A handful of articles is too few for a neighbour graph: below `neighbors` + 2 of them the first two
    principal components stand in (deterministic as well).
    """
    count = len(embeddings)
    if count == 0:
        return np.zeros((0, 2), dtype=np.float32)
    if count < neighbors + 2:
        centred = embeddings - embeddings.mean(axis=0)
        if count < 2 or not np.any(centred):
            return np.zeros((count, 2), dtype=np.float32)
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        coordinates = centred @ components[:2].T
        return np.pad(coordinates, ((0, 0), (0, 2 - coordinates.shape[1]))).astype(np.float32)
    from pipeline.components.reduction import Umap, exact_graph_accepted

    # On the exact cosine neighbour graph (as the topic stage's UMAP): pynndescent's approximate search compiles
    # in every report run; the map of the default corpus cost 90-93 CPU s with it, 31-33 s without (README).
    reducer = Umap(n_neighbors=neighbors, n_components=2, min_dist=min_dist, exact_neighbors=True)
    with exact_graph_accepted():
        model = reducer.build(seed, reducer.prepare(embeddings))
        return np.asarray(model.fit_transform(embeddings), dtype=np.float32)


def map_key(ids: Sequence[str], embeddings: np.ndarray, config: ExplorerConfig) -> str:
    """What the map is a function of: the article ids, the vectors, the reduction's settings and UMAP's version."""
    import umap

    digest = hashlib.sha256()
    digest.update("\n".join(map(str, ids)).encode("utf-8"))
    digest.update(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    settings = {"seed": config.map_seed, "neighbors": config.map_neighbors, "min_dist": config.map_min_dist,
                "umap": getattr(umap, "__version__", "unknown"), "neighbour_search": "exact"}
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:24]


def map_coordinates(
    ids: pd.DataFrame, embeddings: np.ndarray, config: ExplorerConfig, cache_dir: Path | None
) -> tuple[pd.DataFrame, bool]:
    """Each embedded article's 2-D position (id, x, y), from the cache when the same inputs were reduced
    before; returns the frame and whether it came from the cache."""
    key = map_key(ids["id"].tolist(), embeddings, config)
    cached = cache_dir / f"map-{key}.parquet" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            frame = pd.read_parquet(cached)
        except (OSError, ValueError) as error:  # truncated or corrupted (pyarrow's errors are ValueErrors or OSErrors)
            log.warning("%s is unreadable (%s); reducing the embeddings again", cached, error)
        else:
            if list(frame.columns) == list(MAP_COLUMNS) and frame["id"].tolist() == ids["id"].tolist():
                return frame, True
            log.warning("%s does not match the embeddings; reducing them again", cached)
    started = time.process_time()
    coordinates = reduce_2d(embeddings, config.map_seed, config.map_neighbors, config.map_min_dist)
    frame = pd.DataFrame({"id": ids["id"].astype(str).to_numpy(), "x": coordinates[:, 0], "y": coordinates[:, 1]})
    log.info("article map: %d articles reduced to 2-D in %.0f s of CPU", len(frame), time.process_time() - started)
    if cached is not None:
        io.write_parquet(cached, frame)
    return frame, False


# --- the tables the explorer shows ----------------------------------------------------------------------------


def topic_frame(topic_info: pd.DataFrame) -> pd.DataFrame:
    """One row per topic, largest first and the outliers last: topic, label, size, share, words (a list)."""
    frame = topic_info.copy()
    for column, default in (("label", ""), ("size", 0), ("share", 0.0), ("words", "")):
        if column not in frame.columns:
            frame[column] = default
    frame["label"] = frame["label"].fillna("").astype(str)
    frame["words"] = frame["words"].fillna("").map(lambda text: [word for word in str(text).split(", ") if word])
    frame["topic"] = frame["topic"].astype(int)
    frame["outliers"] = frame["topic"] == OUTLIER_TOPIC
    frame = frame.sort_values(["outliers", "size", "topic"], ascending=[True, False, True], kind="stable")
    return frame[["topic", "label", "size", "share", "words"]].reset_index(drop=True)


def topic_name(topic: int | None, label: str) -> str:
    if topic is None:
        return "no topic"
    return "outliers (no topic fits)" if topic == OUTLIER_TOPIC else f"{topic}: {label}"


def article_frame(outputs: Outputs, coordinates: pd.DataFrame) -> pd.DataFrame:
    """One row per article: title, outlet and its group (the outlets stage's), date and week, link, topic (and how
    close it is to it), and its place on the map (missing when it has no embedding). Ordered by date, then id."""
    frame = outputs.articles[["id", "title", "outlet", "group", "source_country", "date", "url"]].copy()
    frame = frame.merge(outputs.doc_topics, on="id", how="left", validate="one_to_one")
    frame = frame.merge(coordinates, on="id", how="left", validate="one_to_one")
    frame["title"] = frame["title"].fillna("").astype(str)
    frame["title"] = frame["title"].where(frame["title"].str.strip() != "", "(untitled)")
    frame["outlet"] = frame["outlet"].fillna(UNKNOWN).astype(str)
    frame["group"] = frame["group"].fillna(OTHER_GROUP)
    frame["week"] = week_start(frame["date"])
    frame["url"] = frame["url"].map(safe_url)
    frame["topic"] = frame["topic"].astype("Int64")
    frame = frame.sort_values(["date", "id"], kind="stable", na_position="last").reset_index(drop=True)
    return frame[["id", "title", "outlet", "group", "source_country", "date", "week", "url", "topic", "score",
                  "x", "y"]]


def safe_url(value: object) -> str:
    """The link if it is an http(s) address, else "" (a `javascript:` link must not become clickable)."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


def map_sample(articles: pd.DataFrame, max_points: int, seed: int) -> pd.Series:
    """Which articles the map draws: all with a position, or at most `max_points` of them sampled within
    each topic in proportion to its size (each topic keeps at least one point), with a fixed seed."""
    placed = articles["x"].notna() & articles["y"].notna()
    if placed.sum() <= max_points:
        return placed
    fraction = max_points / placed.sum()
    rng = np.random.default_rng(seed)
    order = pd.Series(rng.permutation(len(articles)), index=articles.index)
    keys = articles["topic"].astype("Int64").fillna(-2)
    rank = order[placed].groupby(keys[placed]).rank(method="first")
    size = keys[placed].map(keys[placed].value_counts())
    keep = rank <= np.maximum(1, np.floor(size * fraction))
    return pd.Series(False, index=articles.index) | keep.reindex(articles.index, fill_value=False)


def corpus_period(articles: pd.DataFrame) -> tuple[dt.date, dt.date] | None:
    dates = pd.to_datetime(articles["date"], errors="coerce").dropna()
    return (dates.min().date(), dates.max().date()) if len(dates) else None


def event_frame(events: pd.DataFrame, period: tuple[dt.date, dt.date] | None, min_outlets: int,
                compare_groups: Sequence[str] = ()) -> pd.DataFrame:
    """The day-precise events inside the corpus period that at least `min_outlets` outlets reported, in date
    order, with `reach`: which of the two compared outlet groups reported each ("both", one of them, "neither")."""
    frame = within(events, period)
    frame = frame[frame["n_outlets"] >= min_outlets]
    frame = frame.sort_values(["date", "n_outlets", "event_id"], ascending=[True, False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["reach"] = [reach(list(groups), compare_groups) for groups in frame["groups"]]
    return frame


def reach(groups: Sequence[str], compare_groups: Sequence[str]) -> str:
    if len(compare_groups) != 2:
        return "all"
    told = [group for group in compare_groups if group in set(groups)]
    return "both" if len(told) == 2 else told[0] if told else "neither"


def event_sentences(mentions: pd.DataFrame, event_ids: Sequence[str]) -> pd.DataFrame:
    """The mentions of the given events (one sentence each), in order of publication within each event."""
    wanted = set(event_ids)
    frame = mentions[mentions["event_id"].isin(wanted)][list(MENTION_COLUMNS)].copy()
    frame["published"] = pd.to_datetime(frame["published"], errors="coerce")
    frame["sentence"] = frame["sentence"].fillna("").astype(str)
    return frame.sort_values(["event_id", "published", "outlet", "article_id"], kind="stable",
                             na_position="last").reset_index(drop=True)


# --- the common questions -------------------------------------------------------------------------------------


def topic_articles(articles: pd.DataFrame, topic: int, n: int | None = None) -> pd.DataFrame:
    """A topic's articles, the closest to the topic first (then the newest); all of them when `n` is None."""
    frame = articles[articles["topic"] == topic]
    frame = frame.sort_values(["score", "date", "id"], ascending=[False, False, True], kind="stable",
                              na_position="last")
    frame = frame if n is None else frame.head(n)
    return frame[["date", "outlet", "title", "url", "score"]].reset_index(drop=True)


def topic_words(topic_info: pd.DataFrame, topic: int) -> list[str]:
    """The topic's words as the topics stage ranked them (c-TF-IDF, refined by the representation models)."""
    row = topic_info[topic_info["topic"].astype(int) == topic]
    if row.empty:
        raise KeyError(f"there is no topic {topic} (topics: {sorted(topic_info['topic'].astype(int))})")
    return [word for word in str(row["words"].iloc[0] or "").split(", ") if word]


def weekly_topic_shares(articles: pd.DataFrame, topics: Sequence[int], min_week_articles: int = 1) -> pd.DataFrame:
    """Each week's share of the given articles that each topic holds (a week with fewer than
    `min_week_articles` articles shows no share), with the week's article count: week, articles, one
    column per topic."""
    modelled = articles.dropna(subset=["week"])
    modelled = modelled[modelled["topic"].notna()]
    if modelled.empty:
        return pd.DataFrame(columns=["week", "articles", *topics])
    weeks = pd.date_range(modelled["week"].min(), modelled["week"].max(), freq="7D")
    totals = modelled.groupby("week").size().reindex(weeks, fill_value=0)
    table = pd.DataFrame({"week": weeks, "articles": totals.to_numpy()})
    for topic in topics:
        counts = modelled[modelled["topic"] == topic].groupby("week").size().reindex(weeks, fill_value=0)
        shares = counts.to_numpy() / np.maximum(totals.to_numpy(), 1)
        table[topic] = np.where(totals.to_numpy() >= min_week_articles, shares, np.nan)
    return table


def topic_by_group(articles: pd.DataFrame, topic: int, min_week_articles: int = 1) -> pd.DataFrame:
    """A topic's weekly share of each outlet group's articles: week, articles (all groups), one column per group."""
    table = weekly_topic_shares(articles, [], min_week_articles)
    for group in sorted(articles["group"].dropna().unique()):
        own = weekly_topic_shares(articles[articles["group"] == group], [topic], min_week_articles)
        table[group] = table["week"].map(dict(zip(own["week"], own[topic], strict=True)))
    return table


def outlet_agenda(articles: pd.DataFrame, outlet: str, n_topics: int = 8, min_week_articles: int = 1) -> (
        pd.DataFrame):
    """An outlet's agenda: the weekly share of its articles in each of its `n_topics` largest topics."""
    own = articles[articles["outlet"] == outlet]
    if own.empty:
        raise KeyError(f"no article of outlet {outlet!r}")
    counts = own[own["topic"].notna() & (own["topic"] != OUTLIER_TOPIC)]["topic"].value_counts()
    largest = sorted(counts.index[:n_topics].astype(int), key=lambda topic: (-counts[topic], topic))
    return weekly_topic_shares(own, largest, min_week_articles)


def event_sources(events: pd.DataFrame, mentions: pd.DataFrame, articles: pd.DataFrame, event_id: str) -> (
        pd.DataFrame):
    """Who reported an event, in order of first report: outlet, its lag behind the first (days), and each of
    its sentences with the article's date, title and link."""
    row = events[events["event_id"] == event_id]
    if row.empty:
        raise KeyError(f"no event {event_id!r}")
    event = row.iloc[0]
    order = {outlet: position for position, outlet in enumerate(event["outlets"])}
    lags = dict(zip(event["outlets"], event["lag_days"], strict=True))
    sentences = event_sentences(mentions, [event_id]).merge(
        articles[["id", "title", "url"]].rename(columns={"id": "article_id"}), on="article_id", how="left"
    )
    sentences["order"] = sentences["outlet"].map(order)
    sentences["lag_days"] = sentences["outlet"].map(lags)
    sentences = sentences.sort_values(["order", "published", "article_id"], kind="stable", na_position="last")
    return sentences[["outlet", "lag_days", "published", "sentence", "title", "url"]].reset_index(drop=True)


def day_coverage(articles: pd.DataFrame, events: pd.DataFrame, day: dt.date | str) -> dict[str, pd.DataFrame]:
    """What the corpus says about one day: the articles published that day (per outlet and topic) and the
    events dated to it (widest reported first)."""
    stamp = pd.Timestamp(day)
    published = articles[pd.to_datetime(articles["date"]) == stamp]
    per_outlet = published.groupby("outlet").size().sort_values(ascending=False).rename("articles").reset_index()
    per_topic = published.groupby("topic").size().sort_values(ascending=False).rename("articles").reset_index()
    dated = events[pd.to_datetime(events["date"]) == stamp]
    dated = dated.sort_values(["n_outlets", "n_articles"], ascending=False)
    return {
        "articles": published[["outlet", "title", "topic", "url"]].reset_index(drop=True),
        "per_outlet": per_outlet,
        "per_topic": per_topic,
        "events": dated[["event_id", "n_outlets", "n_articles", "first_outlet", "representative"]].reset_index(
            drop=True),
    }

"""reports/explorer.html: the explorer's tables as one self-contained page (plotly.js, the data as JSON, and the
page's own script and style, all inline), which works from disk with no server and no network.

Corpus text never becomes markup: the data travels as JSON inside a `<script type="application/json">` block
with every `<`, `>` and `&` written as a `\\u` escape (so a title containing `</script>` cannot close it),
the page's script puts text into the document with `textContent` only, gives plotly's hover labels text
with `<`, `>` and `&` as entities, and makes links only of http(s) addresses.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.config import ExplorerConfig
from pipeline.report import explorer
from pipeline.report.formatting import group_name
from pipeline.report.items import escape

OUTLIER_COLOUR = "#c8c8c8"
# 50 distinguishable colours (after plotly's D3, Alphabet and Dark24, greys replaced so that no topic looks
# like the grey outliers): topics by size, then repeated.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#a6761d", "#bcbd22", "#17becf",
    "#AA0DFE", "#3283FE", "#85660D", "#782AB6", "#e7298a", "#1C8356", "#16FF32", "#F7E1A0", "#66a61e", "#1CBE4F",
    "#C4451C", "#DEA0FD", "#FE00FA", "#325A9B", "#FEAF16", "#F8A19F", "#90AD1C", "#F6222E", "#1CFFCE", "#2ED9FF",
    "#B10DA1", "#C075A6", "#FC1CBF", "#B00068", "#FBE426", "#FA0087", "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D",
    "#DA16FF", "#222A2A", "#B68100", "#750D86", "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D",
)
REACH_NAMES = {"both": "both groups", "neither": "neither group", "all": "events"}


@dataclass(frozen=True)
class Built:
    """What the report stage records about the explorer it wrote."""

    html_bytes: int
    data_bytes: int
    articles: int
    map_points: int
    events: int
    sentences: int
    map_from_cache: bool


def topic_colours(topics: Sequence[int]) -> dict[int, str]:
    """Topics (largest first) to colours; the outliers grey."""
    colours: dict[int, str] = {}
    for position, topic in enumerate(topic for topic in topics if topic != explorer.OUTLIER_TOPIC):
        colours[topic] = PALETTE[position % len(PALETTE)]
    colours[explorer.OUTLIER_TOPIC] = OUTLIER_COLOUR
    return colours


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _number(value: Any, digits: int) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def payload(
    articles: pd.DataFrame,
    on_map: pd.Series,
    topics: pd.DataFrame,
    events: pd.DataFrame,
    sentences: pd.DataFrame,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    """The page's data, column by column: outlets and topics as indexes into their own lists, days as
    YYYY-MM-DD, weeks as indexes into the list of Mondays."""
    outlets = sorted(articles["outlet"].unique())
    outlet_index = {outlet: position for position, outlet in enumerate(outlets)}
    group_of = articles.drop_duplicates("outlet").set_index("outlet")["group"].to_dict()
    groups = sorted(set(group_of.values()))
    topic_index = {int(topic): position for position, topic in enumerate(topics["topic"])}
    colours = topic_colours(topics["topic"].tolist())
    dated = articles["week"].dropna()
    weeks = (
        pd.date_range(dated.min(), dated.max(), freq="7D") if len(dated) else pd.DatetimeIndex([])
    )
    week_index = {week: position for position, week in enumerate(weeks)}
    article_index = {article: position for position, article in enumerate(articles["id"])}
    events = events.reset_index(drop=True)
    sentences = sentences[sentences["event_id"].isin(set(events["event_id"]))]
    by_event = {event: rows for event, rows in sentences.groupby("event_id", sort=False)}
    return {
        "meta": dict(meta),
        "outlets": outlets,
        "outlet_group": [groups.index(group_of[outlet]) for outlet in outlets],
        "groups": groups,
        "group_names": [group_name(group) for group in groups],
        "weeks": [week.strftime("%Y-%m-%d") for week in weeks],
        "topics": {
            "id": [int(topic) for topic in topics["topic"]],
            "label": topics["label"].tolist(),
            "size": [int(size) for size in topics["size"]],
            "share": [_number(share, 4) for share in topics["share"]],
            "words": [list(words)[:15] for words in topics["words"]],
            "colour": [colours[int(topic)] for topic in topics["topic"]],
        },
        "articles": {
            "title": articles["title"].tolist(),
            "outlet": [outlet_index[outlet] for outlet in articles["outlet"]],
            "date": [_day(day) for day in articles["date"]],
            "week": [week_index.get(week, -1) if pd.notna(week) else -1 for week in articles["week"]],
            "url": articles["url"].tolist(),
            "topic": [topic_index.get(int(topic), -1) if pd.notna(topic) else -1 for topic in articles["topic"]],
            "score": [_number(score, 3) for score in articles["score"]],
            "x": [_number(x, 3) if shown else None for x, shown in zip(articles["x"], on_map, strict=True)],
            "y": [_number(y, 3) if shown else None for y, shown in zip(articles["y"], on_map, strict=True)],
        },
        "events": {
            "id": events["event_id"].tolist(),
            "date": [_day(day) for day in events["date"]],
            "n_outlets": [int(count) for count in events["n_outlets"]],
            "n_articles": [int(count) for count in events["n_articles"]],
            "reach": events["reach"].tolist(),
            "sentence": events["representative"].fillna("").astype(str).tolist(),
            "outlets": [[outlet_index.get(str(outlet), -1) for outlet in outlets_] for outlets_ in events["outlets"]],
            "lags": [[None if lag is None or pd.isna(lag) else int(lag) for lag in lags]
                     for lags in events["lag_days"]],
            "mentions": [
                [
                    [article_index.get(str(row.article_id), -1), outlet_index.get(str(row.outlet), -1),
                     _day(row.published), row.sentence]
                    for row in by_event[event].itertuples()
                ] if event in by_event else []
                for event in events["event_id"]
            ],
        },
    }


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` (nor line separators) appear raw."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _asset(name: str) -> str:
    return resources.files("pipeline.report").joinpath("explorer_assets", name).read_text(encoding="utf-8")


def page(data: Mapping[str, Any], title: str) -> str:
    """The whole page: plotly.js, the style, the skeleton, the data and the page's script, inline."""
    import plotly.offline

    encoded = script_json(data)
    skeleton = _asset("explorer.html").replace("{{title}}", escape(title))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_asset('explorer.css')}</style>\n"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>\n</head>\n<body>\n'
        f"{skeleton}\n"
        f'<script type="application/json" id="explorer-data">{encoded}</script>\n'
        f"<script>{_asset('explorer.js')}</script>\n</body>\n</html>\n"
    )


def clean(value: Any) -> Any:
    """NaN and numpy scalars to JSON's values (the page's data must be strict JSON)."""
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def build(
    outputs: explorer.Outputs,
    config: ExplorerConfig,
    compare_groups: Sequence[str],
    min_week_articles: int,
    title: str,
    out_path: Path,
    cache_dir: Path | None,
) -> Built:
    """Reduce (or read from the cache) the map, derive the tables and write the page atomically."""
    coordinates, from_cache = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, config, cache_dir)
    built = write(outputs, coordinates, config, compare_groups, min_week_articles, title, out_path)
    return dataclasses.replace(built, map_from_cache=from_cache)


def write(
    outputs: explorer.Outputs,
    coordinates: pd.DataFrame,
    config: ExplorerConfig,
    compare_groups: Sequence[str],
    min_week_articles: int,
    title: str,
    out_path: Path,
) -> Built:
    """The page for articles placed at `coordinates` (id, x, y), written atomically."""
    articles = explorer.article_frame(outputs, coordinates)
    on_map = explorer.map_sample(articles, config.max_map_points, config.map_seed)
    topics = explorer.topic_frame(outputs.topic_info)
    period = explorer.corpus_period(articles)
    events = explorer.event_frame(outputs.events, period, config.min_event_outlets, compare_groups)
    sentences = explorer.event_sentences(outputs.mentions, events["event_id"].tolist())
    placed = int((articles["x"].notna() & articles["y"].notna()).sum())
    meta = {
        "title": title,
        "period": [_day(day) for day in period] if period else None,
        "articles": len(articles),
        "placed": placed,
        "map_points": int(on_map.sum()),
        "min_event_outlets": config.min_event_outlets,
        "events_in_period": len(explorer.within(outputs.events, period)),
        "topic_articles": config.topic_articles,
        "min_week_articles": min_week_articles,
        "compare_groups": list(compare_groups),
        "compare_names": [group_name(group) for group in compare_groups],
        "reach_names": {**REACH_NAMES, **{group: f"{group_name(group)} only" for group in compare_groups}},
        "map": {"method": "UMAP (cosine)", "seed": config.map_seed, "neighbors": config.map_neighbors,
                "min_dist": config.map_min_dist},
    }
    data = clean(payload(articles, on_map, topics, events, sentences, meta))
    document = page(data, title)
    io.write_text(out_path, document)
    return Built(
        html_bytes=len(document.encode("utf-8")),
        data_bytes=len(script_json(data).encode("utf-8")),
        articles=len(articles),
        map_points=int(on_map.sum()),
        events=len(events),
        sentences=len(sentences),
        map_from_cache=False,
    )

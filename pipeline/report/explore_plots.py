"""Interactive plotly figures for the exploration notebook (`notebooks/explore.ipynb`): the topic map, a topic's
or an outlet's weekly shares, an event's sources by lag, and a day's coverage.

Each takes a table from `pipeline.report.explorer` and returns a plotly Figure (zoom, hover, legend toggles in
JupyterLab). Corpus text goes into hover labels with `<`, `>` and `&` as entities, as in the explorer page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.report.explorer_page import OUTLIER_COLOUR, PALETTE
from pipeline.report.formatting import shorten

if TYPE_CHECKING:
    from plotly.graph_objects import Figure


def label_text(text: object) -> str:
    """Text for a plotly label: plotly reads a few tags in labels, so <, > and & go in as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def topic_map(articles: pd.DataFrame, names: Mapping[int, str], on_map: pd.Series | None = None) -> Figure:
    """Each article a point at its 2-D position, one trace per topic (largest first; click the legend to hide)."""
    import plotly.graph_objects as go

    shown = articles[articles["x"].notna() & articles["y"].notna()]
    if on_map is not None:
        shown = shown[on_map.reindex(shown.index, fill_value=False)]
    figure = go.Figure()
    sizes = shown["topic"].value_counts()
    order = [topic for topic in sizes.index if topic != -1] + ([-1] if -1 in sizes.index else [])
    for position, topic in enumerate(order):
        rows = shown[shown["topic"] == topic]
        figure.add_scattergl(
            x=rows["x"], y=rows["y"], mode="markers", name=label_text(shorten(names.get(int(topic), str(topic)), 40)),
            marker={"size": 4, "color": OUTLIER_COLOUR if topic == -1 else PALETTE[position % len(PALETTE)]},
            text=[f"{label_text(shorten(title, 90))}<br>{label_text(outlet)} · {day:%Y-%m-%d}" if pd.notna(day)
                  else f"{label_text(shorten(title, 90))}<br>{label_text(outlet)}"
                  for title, outlet, day in zip(rows["title"], rows["outlet"], rows["date"], strict=True)],
            hovertemplate="%{text}<extra></extra>",
        )
    figure.update_layout(height=650, xaxis_visible=False, yaxis_visible=False, legend={"font": {"size": 10}},
                         margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="Articles by topic (2-D map of embeddings)")
    return figure


def weekly_shares(table: pd.DataFrame, names: Mapping[object, str], title: str) -> Figure:
    """Lines of weekly shares (a `weekly_topic_shares`, `topic_by_group` or `outlet_agenda` table), one per
    column besides week and articles, named by `names` (topic numbers or group names)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for column in [column for column in table.columns if column not in ("week", "articles")]:
        figure.add_scatter(x=table["week"], y=table[column], mode="lines+markers",
                           name=label_text(shorten(names.get(column, str(column)), 45)))
    figure.add_bar(x=table["week"], y=table["articles"], name="articles", yaxis="y2",
                   marker_color="rgba(120,120,120,0.2)")
    figure.update_layout(height=460, title=label_text(title), hovermode="x unified",
                         legend={"orientation": "h", "y": -0.15, "yanchor": "top"},
                         yaxis={"title": "share of the week's articles", "tickformat": ".0%"},
                         yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "articles"})
    return figure


def sources_figure(sources: pd.DataFrame, title: str) -> Figure:
    """An event's outlets in order of first report: days behind the first, hover with the outlet's sentence."""
    import plotly.graph_objects as go

    first = sources.drop_duplicates("outlet")
    figure = go.Figure(go.Bar(
        x=first["lag_days"].fillna(0), y=first["outlet"].map(label_text), orientation="h",
        text=[label_text(shorten(sentence, 120)) for sentence in first["sentence"]],
        hovertemplate="%{y}: +%{x} days<br>%{text}<extra></extra>", textposition="none",
    ))
    figure.update_layout(height=max(250, 28 * len(first) + 120), title=label_text(title),
                         xaxis_title="days after the first report", yaxis={"autorange": "reversed"})
    return figure


def day_figure(coverage: Mapping[str, pd.DataFrame], names: Mapping[int, str], title: str) -> Figure:
    """A day's articles per outlet, stacked by topic."""
    import plotly.express as px

    articles = coverage["articles"].copy()
    articles["topic name"] = [label_text(shorten(names.get(int(topic), "no topic"), 40)) if pd.notna(topic)
                              else "no topic" for topic in articles["topic"]]
    counts = articles.groupby(["outlet", "topic name"]).size().rename("articles").reset_index()
    figure = px.bar(counts, x="articles", y="outlet", color="topic name", orientation="h", title=label_text(title))
    figure.update_layout(height=max(300, 30 * counts["outlet"].nunique() + 150), legend={"font": {"size": 10}})
    return figure

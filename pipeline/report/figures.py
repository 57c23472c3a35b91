"""The report's figures, drawn with matplotlib (static images survive nbconvert and print; Plotly's do not).

Each function takes a table from the report's table modules (`corpus_tables`, `topic_tables`, `event_tables`)
and returns a Figure sized for an A4 page (7.2 inches wide); the notebooks save it with `ItemStore.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.report.formatting import OTHER_COLOUR, shorten

WIDTH = 7.2
ACCENT = "#2166ac"
MARKER_AREA = 20  # points² per outlet: a marker's area is proportional to the outlets reporting the event


def use_style() -> None:
    """One look for every figure; a fixed SVG hash salt so identical figures give identical SVG files."""
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8.5,
            "axes.titlesize": 9,
            "axes.titleweight": "bold",
            "axes.labelsize": 8.5,
            "xtick.labelsize": 7.5,
            "ytick.labelsize": 7.5,
            "legend.fontsize": 7.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "figure.dpi": 100,
            "svg.hashsalt": "newsline",
            "svg.fonttype": "none",
        }
    )


def _date_axis(axis: plt.Axes, first: object = None, last: object = None, which: str = "x") -> None:
    """Month ticks for spans of four months to three years, else concise ticks of days or years (a one-week corpus
    and a decade both read)."""
    target = axis.xaxis if which == "x" else axis.yaxis
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days if first is not None and last is not None else 999
    if 120 < span <= 3 * 365:  # months, at most about fourteen ticks
        target.set_major_locator(mdates.MonthLocator(interval=max(1, -(-span // (30 * 14)))))
        target.set_major_formatter(mdates.DateFormatter("%b\n%Y" if which == "x" else "%b %Y"))
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        target.set_major_locator(locator)
        target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if which == "x":
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("center")


def weekly_articles(
    weekly: pd.DataFrame, outlets: Sequence[str], outlet_colours: Mapping[str, str],
    undated: Mapping[str, int] | None = None,
) -> Figure:
    """Articles per week: the corpus total as bars on top, each outlet as a heatmap row below; articles without
    a date in their own column on the right ("undated"), so none vanishes from the figure."""
    undated = {outlet: int(count) for outlet, count in (undated or {}).items() if count}
    matrix = weekly.pivot(index="outlet", columns="week", values="articles").reindex(list(outlets)).fillna(0)
    weeks = pd.DatetimeIndex(matrix.columns)
    edges = mdates.date2num([*weeks, weeks[-1] + pd.Timedelta(days=7)]) if len(weeks) else np.array([0, 1])
    height = 1.6 + 0.22 * len(outlets)
    ratios = [1.3, 0.22 * len(outlets)]
    if undated:
        figure, axes = plt.subplots(2, 2, figsize=(WIDTH, height), height_ratios=ratios, width_ratios=[24, 1.4],
                                    layout="constrained", sharey="row")
        (top, top_undated), (bottom, bottom_undated) = axes
        top.sharex(bottom)
        top.tick_params(labelbottom=False)
    else:
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH, height), sharex=True, height_ratios=ratios,
                                             layout="constrained")
    totals = matrix.sum(axis=0).to_numpy()
    top.bar(edges[:-1], totals, width=6.2, align="edge", color=ACCENT)
    top.set_ylabel("all outlets")
    top.grid(axis="y")
    top.set_axisbelow(True)
    vmax = max([float(matrix.to_numpy().max()) if matrix.size else 0.0, *undated.values(), 1.0])
    mesh = bottom.pcolormesh(edges, np.arange(len(outlets) + 1), matrix.to_numpy(), cmap="Blues", shading="flat",
                             vmin=0, vmax=vmax)
    bottom.set_yticks(np.arange(len(outlets)) + 0.5, labels=list(outlets))
    for label, outlet in zip(bottom.get_yticklabels(), outlets, strict=True):
        label.set_color(outlet_colours.get(outlet, OTHER_COLOUR[1]))
    bottom.invert_yaxis()
    bottom.spines[["left", "bottom"]].set_visible(False)
    bottom.tick_params(axis="y", length=0)
    _date_axis(bottom, weeks.min() if len(weeks) else None, weeks.max() if len(weeks) else None)
    if undated:
        total = sum(undated.values())
        top_undated.bar([0], [total], width=0.8, color="#999999")
        top_undated.text(0, total, f"{total:,}", ha="center", va="bottom", fontsize=7)
        top_undated.set_xticks([])
        top_undated.spines[["left", "bottom"]].set_visible(False)
        top_undated.tick_params(axis="y", length=0, labelleft=False)
        column = np.array([[undated.get(outlet, 0)] for outlet in outlets], dtype=float)
        bottom_undated.pcolormesh([0, 1], np.arange(len(outlets) + 1), column, cmap="Greys", shading="flat",
                                  vmin=0, vmax=vmax)
        bottom_undated.set_xticks([0.5], labels=["undated"])
        bottom_undated.spines[:].set_visible(False)
        bottom_undated.tick_params(length=0, labelleft=False)
    if len(outlets) > 1:  # one row repeats the bars above: no colour scale needed
        figure.colorbar(mesh, ax=[bottom, bottom_undated] if undated else bottom, label="articles per week",
                        shrink=0.8, pad=0.01)
    return figure


def copy_shares(copies: pd.DataFrame) -> Figure:
    """Share of each outlet's articles that are near copies, split into copies of its own and of others'."""
    table = copies.sort_values(["copy share", "outlet"], ascending=[True, False])
    figure, axis = plt.subplots(figsize=(WIDTH, 0.8 + 0.24 * len(table)), layout="constrained")
    positions = np.arange(len(table))
    axis.barh(positions, table["own share"] * 100, color="#9ecae1", label="copy of the outlet's own article")
    axis.barh(
        positions, table["other share"] * 100, left=table["own share"] * 100, color=ACCENT,
        label="copy of another outlet's article",
    )
    for position, (share, count) in enumerate(zip(table["copy share"], table["articles"], strict=True)):
        axis.text(share * 100 + 0.3, position, f"{share:.1%} of {count:,}", va="center", fontsize=7)
    axis.set_yticks(positions, labels=table["outlet"])
    axis.set_xlabel("share of the outlet's articles (%)")
    axis.set_xlim(0, max(1.0, float(table["copy share"].max()) * 100) * 1.25)
    axis.grid(axis="x")
    axis.set_axisbelow(True)
    axis.legend(loc="lower right", frameon=False)
    return figure


def topic_sizes(topics: pd.DataFrame, outliers: int | None) -> Figure:
    """Articles per topic, largest at the top, each bar labelled with the topic's words."""
    table = topics.iloc[::-1]
    figure, axis = plt.subplots(figsize=(WIDTH, 0.8 + 0.26 * len(table)), layout="constrained")
    positions = np.arange(len(table))
    axis.barh(positions, table["size"], color=ACCENT)
    names = [shorten(f"{topic}: {label}", 60) for topic, label in zip(table["topic"], table["label"], strict=True)]
    axis.set_yticks(positions, labels=names)
    for position, (size, share) in enumerate(zip(table["size"], table["share"], strict=True)):
        axis.text(size, position, f" {int(size):,} ({float(share):.1%})", va="center", fontsize=7)
    axis.set_xlim(0, float(table["size"].max()) * 1.22)
    axis.set_xlabel("articles" + (f" (another {outliers:,} fit no topic)" if outliers else ""))
    axis.grid(axis="x")
    axis.set_axisbelow(True)
    return figure


def topic_prevalence(prevalence: pd.DataFrame, topics: Sequence[int], names: Mapping[int, str]) -> Figure:
    """Small multiples: each main topic's weekly share of all articles, on one shared scale."""
    columns = 2
    rows = max(1, -(-len(topics) // columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(WIDTH, 0.4 + 1.45 * rows), sharex=True, sharey=True, layout="constrained",
        squeeze=False,
    )
    weeks = pd.to_datetime(prevalence["week"]) if len(prevalence) else pd.Series([pd.NaT])
    for axis, topic in zip(axes.flat, topics, strict=False):
        series = prevalence[prevalence["topic"] == topic].set_index("week")["share"] * 100
        axis.fill_between(series.index, series.to_numpy(), color=ACCENT, alpha=0.25, linewidth=0)
        axis.plot(series.index, series.to_numpy(), color=ACCENT, linewidth=1.2)
        if len(series) < 4:  # a line through one to three weeks is hard to see: mark the weeks
            axis.plot(series.index, series.to_numpy(), "o", color=ACCENT, markersize=3)
        axis.set_title(shorten(names[topic], 52), loc="left", fontsize=8)
        axis.grid(axis="y")
        axis.set_axisbelow(True)
        _date_axis(axis, weeks.min(), weeks.max())
        axis.tick_params(axis="x", labelsize=6.5)
    for axis in axes.flat[len(topics):]:
        axis.set_visible(False)
    for axis in axes[:, 0]:
        axis.set_ylabel("% of week")
    axis_bottom = axes[-1, 0]
    axis_bottom.set_ylim(bottom=0)
    return figure


def topic_heatmap(shares: pd.DataFrame, topic_names: Mapping[int, str], column_colours: Mapping[str, str]) -> Figure:
    """Rows: topics; columns: outlets or countries; cells: the topic's share of the column's articles (%)."""
    values = shares.to_numpy() * 100
    longest_column = max((len(str(column)) for column in shares.columns), default=0)
    width = min(WIDTH, 3.6 + 0.5 * len(shares.columns))
    figure, axis = plt.subplots(
        figsize=(width, 1.2 + 0.3 * len(shares.index) + 0.055 * longest_column), layout="constrained"
    )
    image = axis.imshow(values, cmap="YlOrRd", aspect="auto", vmin=0)
    axis.set_yticks(np.arange(len(shares.index)), labels=[shorten(topic_names[topic], 44) for topic in shares.index])
    axis.set_xticks(np.arange(len(shares.columns)), labels=list(shares.columns), rotation=40, ha="right")
    for label, column in zip(axis.get_xticklabels(), shares.columns, strict=True):
        label.set_color(column_colours.get(column, OTHER_COLOUR[1]))
    threshold = values.max() * 0.6 if values.size else 0
    for (row, column), value in np.ndenumerate(values):
        axis.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=6.5,
                  color="white" if value > threshold else "black")
    axis.spines[:].set_visible(False)
    axis.tick_params(length=0)
    figure.colorbar(image, ax=axis, label="% of the column's articles", shrink=0.7, pad=0.01)
    return figure


def event_timeline(events: pd.DataFrame, label_chars: int, reach: str = "outlets") -> Figure:
    """Key events on a vertical date axis; marker area grows with the number of outlets reporting the event
    (`reach="articles"`: of articles, for a corpus of one outlet or none named).

    Labels sit at evenly spaced heights beside the axis, joined to their date by a thin line, so events on
    neighbouring days never print over each other.
    """
    count = len(events)
    figure, axis = plt.subplots(figsize=(WIDTH, 1.0 + 0.34 * max(count, 3)), layout="constrained")
    dates = mdates.date2num(pd.to_datetime(events["date"]))
    low, high = (dates.min(), dates.max()) if count else (0.0, 1.0)
    pad = max((high - low) * 0.03, 2.0)
    slots = np.linspace(low, high, count) if count > 1 else dates
    column = "n_outlets" if reach == "outlets" else "n_articles"
    sizes = MARKER_AREA * events[column].to_numpy()
    for date, slot, row in zip(dates, slots, events.itertuples(), strict=True):
        axis.plot([0.0, 0.05, 0.09], [date, slot, slot], color="#999999", linewidth=0.6, zorder=1)
        reported = getattr(row, column)
        noun = reach if reported != 1 else reach[:-1]
        label = f"{pd.Timestamp(row.date):%d %b} \u00b7 {reported} {noun} \u00b7 {row.representative}"
        axis.text(0.1, slot, shorten(label, label_chars), va="center", fontsize=7)
    axis.scatter(np.zeros(count), dates, s=sizes, color=ACCENT, alpha=0.85, zorder=2, edgecolor="white", linewidth=0.5)
    axis.set_ylim(high + pad, low - pad)
    axis.set_xlim(-0.03, 1.0)
    _date_axis(axis, mdates.num2date(low), mdates.num2date(high), which="y")
    axis.set_xticks([])
    axis.spines[["bottom", "top", "right"]].set_visible(False)
    handles = [
        axis.scatter([], [], s=MARKER_AREA * outlets, color=ACCENT, alpha=0.85, edgecolor="white")
        for outlets in _legend_steps(events[column])
    ]
    labels = [f"{outlets} {reach if outlets != 1 else reach[:-1]}" for outlets in _legend_steps(events[column])]
    axis.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, -0.005), ncol=len(handles), frameon=False,
                title=f"marker size = {reach} reporting", title_fontsize=7)
    return figure


def _legend_steps(outlets: pd.Series) -> list[int]:
    if outlets.empty:
        return [1]
    low, high = int(outlets.min()), int(outlets.max())
    return sorted({low, (low + high) // 2, high})


SCALE_COLOURS = {"ingest": "#1b9e77", "embed": "#d95f02", "topics": "#7570b3", "timeline": "#e7298a"}


def scale(fitted: Mapping[str, Mapping[str, Mapping[str, object]]]) -> Figure:
    """Cost against corpus size (benchmarks/bench_scale.py's `fitted`): CPU seconds and the peak memory of the
    largest process per stage against the articles it read, log-log, one line per stage and engine."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    figure, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 3.2), layout="constrained")
    for engine, style in (("local", "-o"), ("dask", "--s")):
        for stage, colour in SCALE_COLOURS.items():
            found = fitted.get(engine, {}).get(stage)
            if not found:
                continue
            label = f"{stage} ({engine}), k = {found['exponent']:.2f}"
            left.plot(found["sizes"], found["cpu_seconds"], style, color=colour, label=label, markersize=3)
            right.plot(found["sizes"], found["peak_process_mb"], style, color=colour, markersize=3,
                       label=f"{stage} ({engine})")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.xaxis.set_major_locator(LogLocator(base=2))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:,.0f}k"))
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel("articles into the stage")
        axis.grid(True, which="both", alpha=0.3)
    left.set_ylabel("CPU seconds (with its workers)")
    left.set_title("CPU time (CPU ∝ n^k)")
    right.set_ylabel("MB")
    right.set_title("Peak memory of the largest process")
    if left.get_legend_handles_labels()[0]:
        left.legend(fontsize=6.5)
    return figure

"""The report's event tables: key events inside the corpus period, how two outlet groups told them, events
per week, and the summary timeline, with the sentences that read them.

Every function takes the timeline stage's outputs as it wrote them (`timeline.parquet`, `timeline.json`)
and returns a DataFrame or a plain-text sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.corpus import week_start
from pipeline.report.formatting import day_text, group_name, outlet_text, shorten


def within(events: pd.DataFrame, period: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """Day-precise events dated inside `period` (the corpus's first to last day), dates as timestamps.

    Articles also date events long before the corpus (anniversaries, history); they belong to the text,
    not to the period the corpus covers, and would stretch every date axis over decades.
    """
    events = events[events["precision"] == "day"].copy()
    events["date"] = pd.to_datetime(events["date"])
    if period is not None:
        first, last = (pd.Timestamp(day) for day in period)
        events = events[(events["date"] >= first) & (events["date"] <= last)]
    return events


def key_events(
    timeline: pd.DataFrame, n: int, per_day: int, period: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """The `n` day-precise events in `period` that the most outlets reported (then the most articles), at
    most `per_day` for one day, in date order: an event shared by many outlets is what the corpus agrees on."""
    events = within(timeline, period)
    events = events.sort_values(["n_outlets", "n_articles", "date", "event_id"], ascending=[False, False, True, True])
    events = events.groupby("date", sort=False).head(per_day).head(n)
    return events.sort_values(["date", "n_outlets"], ascending=[True, False]).reset_index(drop=True)


def key_events_sentence(events: pd.DataFrame, total_outlets: int) -> str:
    if events.empty:
        return "No event is dated to the day inside the corpus's period, so there is no timeline of key events."
    top = events.sort_values(["n_outlets", "n_articles"], ascending=False).iloc[0]
    if total_outlets <= 1:
        return (f"The most widely reported event is dated {top['date']:%d %B %Y}: {int(top['n_articles'])} articles "
                "mention it.")
    first = outlet_text(top["first_outlet"])
    return (
        f"The most widely reported event is dated {top['date']:%d %B %Y}: {int(top['n_outlets'])} of the "
        f"{total_outlets} outlets and {int(top['n_articles'])} articles mention it, first {first}."
    )


def events_table(events: pd.DataFrame, sentence_chars: int, outlets: bool = True) -> pd.DataFrame:
    """The key events as a reader's table: date, reach, who reported first, and what happened (without the outlet
    columns when the corpus names fewer than two outlets: they would repeat one name, or none)."""
    table = pd.DataFrame(
        {
            "date": events["date"].dt.strftime("%Y-%m-%d"),
            "outlets": events["n_outlets"].astype(int),
            "articles": events["n_articles"].astype(int),
            "first reported by": [
                f"{outlet_text(outlet)} ({day_text(day)})" if day_text(day) else outlet_text(outlet)
                for outlet, day in zip(events["first_outlet"], events["first_published"], strict=True)
            ],
            "what happened (most central sentence)": [
                shorten(text, sentence_chars) for text in events["representative"]
            ],
            "sources": [", ".join(outlet_text(outlet) for outlet in outlets) for outlets in events["outlets"]],
        }
    )
    if outlets:
        return table
    table["first reported"] = [day_text(day) for day in events["first_published"]]
    return table[["date", "articles", "first reported", "what happened (most central sentence)"]]


def framing_table(events: pd.DataFrame, first: str, second: str, n: int, sentence_chars: int) -> pd.DataFrame:
    """For the widest-reported key events that both groups reported: each group's most central sentence."""
    rows = []
    ordered = events.sort_values(["n_outlets", "n_articles", "date"], ascending=[False, False, True])
    for event in ordered.itertuples():
        told = {entry["group"]: entry for entry in event.group_sentences}
        if first in told and second in told:
            for group in (first, second):
                rows.append(
                    {
                        "date": f"{event.date:%Y-%m-%d}",
                        "group": group_name(group),
                        "outlet": outlet_text(told[group]["outlet"]),
                        "sentence": shorten(told[group]["sentence"], sentence_chars),
                    }
                )
        if len(rows) >= 2 * n:
            break
    return pd.DataFrame(rows, columns=["date", "group", "outlet", "sentence"])


def shared_events_sentence(events: pd.DataFrame, framing: pd.DataFrame, first: str, second: str) -> str:
    """How many of the key events both outlet groups reported, and how many the framing table shows."""
    both = int(sum(first in list(groups) and second in list(groups) for groups in events["groups"]))
    if both == 0:
        return (f"No key event was reported by both {group_name(first)} and {group_name(second)} outlets (see the "
                "outlets table for the period each covered).")
    return (
        f"{both} of the {len(events)} key events were reported by both {group_name(first)} and "
        f"{group_name(second)} outlets; the table shows the {framing['date'].nunique()} most widely reported."
    )


def summary_outside(summary: pd.DataFrame, period: tuple[dt.date, dt.date] | None) -> int:
    """Dates of the summary timeline outside the corpus's period (history the articles recall)."""
    if summary.empty or period is None:
        return 0
    days = pd.to_datetime(summary["date"]).dt.date
    return int(days[(days < period[0]) | (days > period[1])].nunique())


def summary_timeline(entries: Sequence[Mapping[str, Any]], outlets: bool = True) -> pd.DataFrame:
    """The summary timeline (timeline.json) as rows of date, sentence and source outlet (without the outlet when
    the corpus names fewer than two)."""
    rows = [
        {"date": str(entry["date"])[:10], "outlet": outlet_text(sentence.get("outlet")), "sentence": sentence["text"]}
        for entry in entries
        for sentence in entry["sentences"]
    ]
    table = pd.DataFrame(rows, columns=["date", "outlet", "sentence"]).sort_values("date", kind="stable")
    return table if outlets else table.drop(columns="outlet")


def events_per_week(
    timeline: pd.DataFrame, groups: Sequence[str], min_outlets: int, period: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """Tidy weekly counts of day-precise events in `period` reported by at least `min_outlets` outlets, in
    total and per outlet group that reported them (an event reported by two groups counts in both)."""
    events = within(timeline, period)
    events = events[events["n_outlets"] >= min_outlets]
    weeks = week_start(events["date"])
    frames = [pd.DataFrame({"week": weeks, "series": "all events"})]
    for group in groups:
        reported = events["groups"].map(lambda names, group=group: group in list(names))
        frames.append(pd.DataFrame({"week": weeks[reported], "series": f"{group_name(group)} outlets"}))
    tidy = pd.concat(frames, ignore_index=True)
    if tidy.empty:
        return pd.DataFrame(columns=["week", "series", "events"])
    span = pd.date_range(tidy["week"].min(), tidy["week"].max(), freq="7D")
    series = tidy["series"].unique()
    counts = tidy.groupby(["week", "series"]).size()
    index = pd.MultiIndex.from_product([span, series], names=["week", "series"])
    return counts.reindex(index, fill_value=0).rename("events").reset_index()

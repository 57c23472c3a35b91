"""Prevalence tables: counts and shares per week, outlet, country and outlet-week."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.topics.tables import assignments_frame, largest_topics_over_time, prevalence, week_label

LABELS = {-1: "(outliers)", 0: "gas, pipeline", 1: "refugees, border", 2: "tanks, shelling"}


@pytest.fixture()
def assignments() -> pd.DataFrame:
    articles = pd.DataFrame(
        {
            "id": [f"a{i}" for i in range(8)],
            "outlet": ["tass.com"] * 4 + ["bbc.co.uk"] * 3 + [None],
            "source_country": ["Russia"] * 4 + ["United Kingdom"] * 3 + [None],
            # 2022-02-21 is a Monday; 2022-02-27 a Sunday of the same week; 2022-02-28 the next Monday
            "date": [dt.date(2022, 2, day) for day in (21, 23, 27, 28, 21, 28, 28)] + [None],
        }
    )
    doc_topics = pd.DataFrame({"id": [f"a{i}" for i in range(8)], "topic": [0, 0, 2, 1, 0, 1, 1, -1]})
    return assignments_frame(articles, doc_topics)


def test_week_label_is_the_monday_and_missing_dates_stay_missing():
    weeks = week_label(pd.Series([dt.date(2022, 2, 27), dt.date(2022, 2, 28), None, "2022-03-02"]))
    assert weeks.tolist()[:2] == ["2022-02-21", "2022-02-28"]
    assert pd.isna(weeks.iloc[2])
    assert weeks.iloc[3] == "2022-02-28"


def test_assignments_fill_unknown_outlet_and_country(assignments):
    assert assignments["outlet"].iloc[-1] == "(unknown)"
    assert assignments["source_country"].iloc[-1] == "(unknown)"
    assert pd.isna(assignments["week"].iloc[-1])


def test_weekly_shares_sum_to_one_and_list_absent_topics_as_zero(assignments):
    table = prevalence(assignments, ["week"], LABELS)
    assert set(table["week"]) == {"2022-02-21", "2022-02-28"}  # the undated article is left out
    assert len(table) == 2 * len(LABELS)
    assert table.groupby("week")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    first_week = table[table["week"] == "2022-02-21"].set_index("topic")
    assert first_week.loc[0, "count"] == 3 and first_week.loc[0, "share"] == pytest.approx(0.75)
    assert first_week.loc[1, "count"] == 0
    assert first_week.loc[2, "label"] == "tanks, shelling"


def test_outlet_table_compares_outlets_of_different_size(assignments):
    table = prevalence(assignments, ["outlet", "source_country"], LABELS).set_index(["outlet", "topic"])
    assert table.loc[("tass.com", 0), "share"] == pytest.approx(0.5)
    assert table.loc[("bbc.co.uk", 1), "share"] == pytest.approx(2 / 3)
    assert table.loc[("(unknown)", -1), "count"] == 1


def test_outlet_week_table_lists_only_what_occurs(assignments):
    table = prevalence(assignments, ["outlet", "week"], LABELS, complete=False)
    assert (table["count"] > 0).all()
    tass_week = table[(table["outlet"] == "tass.com") & (table["week"] == "2022-02-21")]
    assert dict(zip(tass_week["topic"], tass_week["count"], strict=True)) == {0: 2, 2: 1}
    assert table.groupby(["outlet", "week"])["share"].sum().tolist() == pytest.approx([1.0] * 4)


def test_plot_data_keeps_the_largest_topics_without_outliers(assignments):
    over_time = prevalence(assignments, ["week"], LABELS)
    sizes = {0: 3, 1: 3, 2: 1, -1: 1}
    plot = largest_topics_over_time(over_time, sizes, n=2)
    assert sorted(set(plot["topic"])) == ["0: gas, pipeline", "1: refugees, border"]
    assert list(plot.columns) == ["week", "topic", "share"]
    assert len(plot) == 4  # two topics in two weeks, zeros included

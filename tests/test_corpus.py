"""The corpus contract's shared ideas: outlet groups by name or domain, and the period the corpus covers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.config import CorpusConfig
from pipeline.corpus import (
    OTHER_GROUP,
    UNKNOWN,
    dense_period,
    find_outlets,
    match_groups,
    read_outlets,
    select_articles,
    write_outlets,
)
from pipeline.report import formatting
from pipeline.report.topic_tables import group_contrast


def test_groups_match_outlet_names_and_domains_and_say_what_matched_nothing() -> None:
    articles = pd.DataFrame({
        "outlet": ["Wire Service", "The Herald", "news.gazette.example", "Daily Blog", None],
        "url": [None, "https://www.herald.example/1", "https://news.gazette.example/2", "https://blog.example/3",
                None],
    })
    groups = {"agency": ["wire service"], "papers": ["herald.example", "gazette.example"], "tv": ["bbc.co.uk"]}
    match = match_groups(articles, groups)
    assert match.groups == {UNKNOWN: OTHER_GROUP, "Daily Blog": OTHER_GROUP, "The Herald": "papers",
                            "Wire Service": "agency", "news.gazette.example": "papers"}
    assert match.matched_by == {"Wire Service": "name", "The Herald": "domain", "news.gazette.example": "domain"}
    assert match.unmatched_entries == {"tv": ["bbc.co.uk"]}
    warnings = match.warnings(groups)
    assert len(warnings) == 1 and "'tv' matches no outlet" in warnings[0]


def test_groups_that_leave_most_articles_other_are_warned_about() -> None:
    articles = pd.DataFrame({"outlet": ["a.example"] * 3 + [f"o{i}.example" for i in range(7)], "url": None})
    match = match_groups(articles, {"mine": ["a.example"]})
    assert match.grouped_articles == 3
    assert any("Only 30% of the articles" in warning for warning in match.warnings({"mine": ["a.example"]}))
    assert match_groups(articles, {}).warnings({}) == []


def test_the_dense_period_leaves_a_stray_old_date_out_and_counts_it() -> None:
    dates = [dt.date(2022, 2, 1) + dt.timedelta(days=i % 90) for i in range(500)] + [dt.date(2013, 6, 4), None]
    period = dense_period(dates)
    assert (period.first, period.last) == (dt.date(2022, 2, 1), dt.date(2022, 5, 1))
    assert (period.before, period.after, period.undated) == (1, 0, 1)
    assert "1 before it (earliest 04 June 2013)" in period.note() and "1 of 502 articles have no" in period.note()
    single = dense_period([dt.date(2022, 3, 1)] * 5)
    assert (single.first, single.last, single.note()) == (dt.date(2022, 3, 1), dt.date(2022, 3, 1), "")
    assert dense_period([None, None]).bounds() is None


def test_articles_without_an_outlet_are_unknown_for_every_stage() -> None:
    articles = pd.DataFrame({"id": ["b", "a"], "outlet": [None, "x.example"], "is_canonical": [True, True]})
    assert select_articles(articles, True)["outlet"].tolist() == ["x.example", UNKNOWN]


def test_any_group_name_gets_a_colour_and_the_caption_names_it() -> None:
    colours = formatting.group_colours(["planet", "star"])
    assert colours["planet"][1] != colours["star"][1] != colours[OTHER_GROUP][1]
    assert formatting.colour_legend(["planet", "star"], {"star", OTHER_GROUP, "planet"}) == \
        "red planet, blue star, grey other"
    defaults = formatting.group_colours(["russian_state", "western", "chinese_state", "cuban_state"])
    assert [defaults[group][0] for group in ("russian_state", "western")] == ["red", "blue"]


def test_the_group_contrast_counts_only_weeks_both_groups_covered() -> None:
    """A covers weeks 1-4 and writes on topic 0 in weeks 1-3; B covers weeks 4-6 and writes on topic 1 from week 5:
    compared over week 4 alone, where both wrote on topic 2, they do not differ."""
    rows = []
    for week in range(1, 5):
        rows.append(("A", f"2022-01-{week * 7:02d}", 0 if week < 4 else 2, 10))
    for week in range(4, 7):
        rows.append(("B", f"2022-01-{week * 7:02d}" if week < 5 else f"2022-02-{(week - 4) * 7:02d}",
                     2 if week == 4 else 1, 10))
    frame = pd.DataFrame(rows, columns=["outlet", "week", "topic", "count"])
    contrast = group_contrast(frame, {"A": "a", "B": "b"}, {0: "zero", 1: "one", 2: "two"}, "a", "b")
    assert contrast.weeks_compared == 1 and contrast.weeks_first_only == 3 and contrast.weeks_second_only == 2
    assert contrast.articles == {"a": 10, "b": 10} and contrast.articles_left_out == {"a": 30, "b": 20}
    assert contrast.table["difference"].abs().max() == 0.0
    apart = group_contrast(frame[frame["week"] != "2022-01-28"], {"A": "a", "B": "b"}, {}, "a", "b")
    assert apart.table.empty and apart.weeks_compared == 0


def test_the_outlets_table_holds_each_outlets_group_and_country_once(tmp_path) -> None:
    articles = select_articles(pd.DataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "outlet": ["The Herald", "Wire", "Wire", "Wire", "tass.com", None],
        "url": ["https://herald.example/1", "https://news.wire.example/2", None, None, "https://tass.com/5", None],
        "source_country": [None, "Kenya", "Kenya", "Ghana", None, None],
        "is_canonical": [True, True, True, True, True, False],
    }), canonical_only=True)
    corpus = CorpusConfig(outlet_groups={"papers": ["The Herald"], "agency": ["wire.example"], "unused": ["x.org"]},
                          outlet_countries={"tass.com": "Russia", "Wire": "Nigeria"})
    found = find_outlets(articles, corpus)
    table = found.table.set_index("outlet")
    assert list(table.index) == ["The Herald", "Wire", "tass.com"]  # the non-canonical outletless copy is not read
    assert table["group"].to_dict() == {"The Herald": "papers", "Wire": "agency", "tass.com": OTHER_GROUP}
    assert table["matched_by"].fillna("-").to_dict() == {"The Herald": "name", "Wire": "domain", "tass.com": "-"}
    # the articles' most common country wins over params; params fill an outlet whose articles carry none
    assert table["country"].fillna("-").to_dict() == {"The Herald": "-", "Wire": "Kenya", "tass.com": "Russia"}
    assert table["articles"].to_dict() == {"The Herald": 1, "Wire": 3, "tass.com": 1}
    assert found.groups == ["papers", "agency", "unused"]  # params.yaml's order, for colours and legends
    assert found.check["unmatched_entries"] == {"unused": ["x.org"]}

    filled = found.fill(articles)
    assert filled["group"].tolist() == ["papers", "agency", "agency", "agency", OTHER_GROUP]
    assert filled["source_country"].tolist() == [UNKNOWN, "Kenya", "Kenya", "Ghana", "Russia"]

    write_outlets(tmp_path / "outlets", found)
    again = read_outlets(tmp_path / "outlets")
    pd.testing.assert_frame_equal(again.table, found.table)
    assert (again.groups, again.check) == (found.groups, found.check)
    assert [path.name for path in tmp_path.iterdir()] == ["outlets"]  # written whole, no temporary left
    (tmp_path / "outlets" / "groups.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"groups\.json: run the outlets stage"):
        read_outlets(tmp_path / "outlets")


def test_the_outlets_command_names_a_bad_articles_file_and_exits_3(tmp_path, caplog) -> None:
    from pipeline.cli import main

    (tmp_path / "garbage.parquet").write_bytes(b"not parquet")
    pd.DataFrame({"title": ["x"]}).to_parquet(tmp_path / "no_id.parquet")
    for name, said in [("garbage.parquet", "magic bytes"), ("none.parquet", "not found"), ("no_id.parquet", "lacks column(s) id")]:
        assert main(["outlets", f"--articles={tmp_path / name}", f"--out-dir={tmp_path / 'outlets'}"]) == 3
        assert name in caplog.text and said in caplog.text
        caplog.clear()
    assert not (tmp_path / "outlets").exists()

"""The explorer's data and page: tables read the stage outputs as written, the map is deterministic and cached,
points are sampled above the cap, the questions are answered, and corpus text cannot become markup.

`hostile_outputs` builds small stage outputs whose titles, sentences, outlet names and topic words try to
inject markup; the browser test (`test_explorer_browser.py`) opens the page built from them in Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline import paths
from pipeline.config import CorpusConfig, ExplorerConfig
from pipeline.corpus import find_outlets
from pipeline.report import explorer, explorer_page, explorer_stage
from pipeline.timeline.merge import EVENT_COLUMNS

REPO = Path(__file__).resolve().parents[1]
HOSTILE = (
    "<script>window.__pwned = 1</script>Troops mass at the border",
    '<img src=x onerror="window.__pwned = 2">Gas prices rise',
    "</script><script>window.__pwned = 3</script> Talks in Geneva",
    "Tom & Jerry &lt;b&gt; 5 < 6 > 4 \u2028 pwned entities",
)
OUTLETS = {"tass.com": "russian_state", "apnews.com": "western", "<b>evil</b>.example": "other",
           "punchng.com": "other"}
GROUPS = {"russian_state": ["tass.com"], "western": ["apnews.com"]}
LABELS = {-1: "outliers", 0: "<i>troops</i>, border", 1: "gas, prices", 2: "talks, geneva"}
START = dt.date(2022, 1, 3)


def hostile_outputs(count: int = 80) -> explorer.Outputs:
    """Articles over six weeks and four outlets in three topics (and outliers), events with their mentions and
    8-dimensional embeddings clustered by topic; markup in titles, sentences, an outlet's name and topic words."""
    rng = np.random.default_rng(11)
    outlets = list(OUTLETS)
    rows = []
    for number in range(count):
        outlet = outlets[(number // 4) % len(outlets)]  # each outlet writes on every topic
        rows.append({
            "id": f"{number:016x}", "outlet": outlet, "source_country": None,
            "title": HOSTILE[number % len(HOSTILE)] if number < 2 * len(HOSTILE) else f"Article {number}",
            "date": pd.Timestamp(START + dt.timedelta(days=int(rng.integers(0, 42)))),
            "url": "javascript:window.__pwned = 5" if number == 3 else f"https://{outlet}/{number}",
            "is_canonical": True, "canonical_id": f"{number:016x}",
        })
    articles = pd.DataFrame(rows)
    articles = find_outlets(articles, CorpusConfig(outlet_groups=GROUPS)).fill(articles)  # as load_articles does
    topics = [(number % 4) - 1 for number in range(count)]
    doc_topics = pd.DataFrame({"id": articles["id"], "topic": topics,
                               "score": np.round(rng.uniform(0.2, 0.9, count), 3)})
    centres = {topic: rng.normal(size=8) * 3 for topic in LABELS}
    embeddings = np.stack([centres[topic] + rng.normal(size=8) * 0.3 for topic in topics]).astype(np.float32)
    sizes = pd.Series(topics).value_counts()
    topic_info = pd.DataFrame({
        "topic": list(LABELS), "label": list(LABELS.values()), "size": [int(sizes[t]) for t in LABELS],
        "share": [round(sizes[t] / count, 4) for t in LABELS],
        "words": [label + ", more, words" for label in LABELS.values()],
    })
    events = pd.DataFrame([
        make_event("2022-01-10-0001", START + dt.timedelta(days=7), ["tass.com", "apnews.com", "punchng.com"],
                   [0, 1, 3], HOSTILE[0]),
        make_event("2022-01-17-0001", START + dt.timedelta(days=14),
                   ["<b>evil</b>.example", "apnews.com", "tass.com", "punchng.com"], [0, 0, 2, 5], HOSTILE[2]),
        make_event("2022-01-24-0001", START + dt.timedelta(days=21), ["apnews.com", "punchng.com"], [0, 1],
                   "Western and other outlets only."),
        make_event("2022-01-25-0001", START + dt.timedelta(days=22), ["apnews.com"], [0], "One outlet only."),
        make_event("1945-05-09-0001", dt.date(1945, 5, 9), ["tass.com", "apnews.com"], [0, 0], "Before the corpus."),
    ])
    mentions = pd.DataFrame([
        {"event_id": event.event_id, "article_id": articles.loc[articles["outlet"] == outlet, "id"].iloc[position],
         "outlet": outlet, "published": event.date + dt.timedelta(days=int(lag) + again),
         "sentence": f"{outlet} wrote: {event.representative}" + (f" (again, {again} days later)" if again else "")}
        for event in events.itertuples() for position, (outlet, lag) in enumerate(
            zip(event.outlets, event.lag_days, strict=True))
        for again in (range(3) if event.event_id == "2022-01-17-0001" and outlet == "apnews.com" else [0])
    ])  # apnews.com mentions the widest-reported event three times
    return explorer.Outputs(articles=articles, doc_topics=doc_topics, topic_info=topic_info,
                            embedding_ids=articles[["id"]], embeddings=embeddings, events=events, mentions=mentions)


def make_event(event_id: str, day: dt.date, outlets: list[str], lags: list[int], sentence: str) -> dict:
    groups = sorted({OUTLETS[outlet] for outlet in outlets})
    event = {
        "event_id": event_id, "date": day, "date_last": day, "precision": "day", "date_value": day.isoformat(),
        "n_mentions": len(outlets), "n_articles": len(outlets) + 1, "n_outlets": len(outlets),
        "n_countries": 1, "n_groups": len(groups), "outlets": outlets, "lag_days": lags, "timely_outlets": outlets,
        "countries": [], "groups": groups, "silent_outlets": [], "silent_countries": [], "first_outlet": outlets[0],
        "first_published": day, "representative": sentence, "representative_article": "0" * 16,
        "representative_outlet": outlets[0], "group_sentences": [], "trigger": "met", "actors": [], "targets": [],
        "locations": [], "article_ids": [], "mention_ids": [],
    }
    assert set(event) - {"event_id"} == set(EVENT_COLUMNS), "the timeline stage's event schema changed"
    return event


def build_page(tmp_path: Path, config: ExplorerConfig | None = None) -> tuple[Path, explorer_page.Built]:
    out = tmp_path / "explorer.html"
    built = explorer_page.build(hostile_outputs(), config or ExplorerConfig(),
                                ["russian_state", "western"], 3, "Explorer <script>test</script>", out,
                                tmp_path / "cache")
    return out, built


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, explorer_page.Built]:
    out, built = build_page(tmp_path_factory.mktemp("explorer"))
    return out.read_text(encoding="utf-8"), built


def embedded_data(document: str) -> dict:
    block = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', document, re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_the_page_is_self_contained_and_names_no_network_address(page: tuple[str, explorer_page.Built]) -> None:
    document, built = page
    assert built.html_bytes == len(document.encode("utf-8"))
    assert "<script src" not in document and '<link rel="stylesheet"' not in document
    assert "Plotly" in document and "window.explorerReady" in document
    assert len(re.findall(r"<script\b", document)) == 3  # plotly.js, the data, the page's script


def test_corpus_text_never_appears_as_markup(page: tuple[str, explorer_page.Built]) -> None:
    document, _ = page
    for hostile in ("<script>window.__pwned", "<img src=x", "</script><script>window", "<b>evil</b>", "<i>troops"):
        assert hostile not in document
    assert "<title>Explorer &lt;script&gt;test&lt;/script&gt;</title>" in document
    data = embedded_data(document)  # the escapes are JSON's own: the text comes back intact
    assert set(HOSTILE) <= set(data["articles"]["title"])
    assert "<b>evil</b>.example" in data["outlets"]
    assert "javascript:" not in document.split('id="explorer-data">')[1].split("</script>")[0]


def test_script_json_round_trips_and_cannot_close_its_element() -> None:
    value = {"a": "</script><!-- & \u2028 \u2029 >", "b": [1, None, 2.5]}
    text = explorer_page.script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_safe_url_keeps_only_web_addresses() -> None:
    assert explorer.safe_url("https://tass.com/1") == "https://tass.com/1"
    assert explorer.safe_url("  HTTP://x.org ") == "HTTP://x.org"
    for bad in ("javascript:alert(1)", "data:text/html,<b>", "//x.org", None, float("nan"), ""):
        assert explorer.safe_url(bad) == ""


def test_payload_reads_the_stage_outputs(page: tuple[str, explorer_page.Built]) -> None:
    document, built = page
    data = embedded_data(document)
    assert built.articles == 80 and built.map_points == 80
    assert data["topics"]["id"] == [0, 1, 2, -1]  # largest first (equal sizes by number), outliers last
    dates = hostile_outputs().articles["date"]
    assert data["meta"]["period"] == [f"{dates.min():%Y-%m-%d}", f"{dates.max():%Y-%m-%d}"]
    # Events: day-precise, inside the corpus period, reported by at least two outlets (min_event_outlets).
    assert data["events"]["id"] == ["2022-01-10-0001", "2022-01-17-0001", "2022-01-24-0001"]
    assert data["events"]["reach"] == ["both", "both", "western"]
    first = data["events"]["mentions"][1]
    assert [data["outlets"][mention[1]] for mention in first] == [  # by date of publication
        "<b>evil</b>.example", "apnews.com", "apnews.com", "apnews.com", "tass.com", "punchng.com"]
    assert data["events"]["lags"][1] == [0, 0, 2, 5]
    assert all(mention[0] >= 0 for mentions in data["events"]["mentions"] for mention in mentions)


def test_the_map_is_deterministic_and_cached(tmp_path: Path) -> None:
    outputs = hostile_outputs()
    config = ExplorerConfig(map_seed=7)
    first, cached = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, config, tmp_path)
    assert not cached and list(first.columns) == ["id", "x", "y"]
    again = explorer.reduce_2d(outputs.embeddings, 7, config.map_neighbors, config.map_min_dist)
    assert np.array_equal(again, first[["x", "y"]].to_numpy())  # the same seed gives the same map
    second, cached = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, config, tmp_path)
    assert cached and second.equals(first)
    (entry,) = tmp_path.glob("map-*.parquet")
    entry.write_bytes(entry.read_bytes()[:-40])  # a truncated cache entry is reduced again, not trusted
    third, cached = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, config, tmp_path)
    assert not cached and third.equals(first)
    assert len(list(tmp_path.glob("map-*.parquet"))) == 1
    _, cached = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings * 2 + 1,
                                         ExplorerConfig(map_seed=8), tmp_path)
    assert not cached and len(list(tmp_path.glob("map-*.parquet"))) == 2
    # Articles of one topic lie closer to each other than to the others' (the embeddings are clustered).
    frame = first.assign(topic=outputs.doc_topics["topic"])
    centres = frame.groupby("topic")[["x", "y"]].mean()
    spread = frame.groupby("topic")[["x", "y"]].std().to_numpy().mean()
    gaps = [np.linalg.norm(centres.loc[a] - centres.loc[b]) for a in centres.index for b in centres.index if a < b]
    assert min(gaps) > spread


def test_a_handful_of_articles_is_placed_without_umap() -> None:
    vectors = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    placed = explorer.reduce_2d(vectors, 1, 15, 0.1)
    assert placed.shape == (5, 2) and np.array_equal(placed, explorer.reduce_2d(vectors, 1, 15, 0.1))
    assert explorer.reduce_2d(vectors[:1], 1, 15, 0.1).shape == (1, 2)
    assert explorer.reduce_2d(vectors[:0], 1, 15, 0.1).shape == (0, 2)


def test_above_the_cap_the_map_samples_within_each_topic() -> None:
    articles = pd.DataFrame({"topic": [0] * 900 + [1] * 90 + [2] * 10, "x": 1.0, "y": 1.0})
    articles.loc[5, "x"] = np.nan  # no position: never drawn
    keep = explorer.map_sample(articles, 100, seed=3)
    assert keep.sum() <= 100 and not keep[5]
    assert keep[articles["topic"] == 2].sum() >= 1  # a small topic keeps a point
    assert 80 <= keep[articles["topic"] == 0].sum() <= 90  # in proportion to its size
    assert keep.equals(explorer.map_sample(articles, 100, seed=3))
    assert explorer.map_sample(articles, 5000, seed=3).sum() == 999


def test_the_questions_are_answered_from_the_tables(tmp_path: Path) -> None:
    outputs = hostile_outputs()
    coordinates, _ = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, ExplorerConfig(), tmp_path)
    articles = explorer.article_frame(outputs, coordinates)
    assert articles["date"].is_monotonic_increasing
    assert set(articles.loc[articles["outlet"] == "tass.com", "group"]) == {"russian_state"}
    assert articles.loc[articles["id"] == f"{3:016x}", "url"].item() == ""  # the javascript: link is dropped

    listed = explorer.topic_articles(articles, 0, 5)
    assert len(listed) == 5 and listed["score"].is_monotonic_decreasing
    assert explorer.topic_words(outputs.topic_info, 0) == ["<i>troops</i>", "border", "more", "words"]
    with pytest.raises(KeyError, match="no topic 9"):
        explorer.topic_words(outputs.topic_info, 9)

    agenda = explorer.outlet_agenda(articles, "tass.com", n_topics=2)
    assert list(agenda.columns[:2]) == ["week", "articles"] and len(agenda.columns) == 4
    assert (agenda["articles"] == articles[articles["outlet"] == "tass.com"].groupby("week").size()
            .reindex(agenda["week"], fill_value=0).to_numpy()).all()
    by_group = explorer.topic_by_group(articles, 0)
    assert {"russian_state", "western", "other"} <= set(by_group.columns)

    sources = explorer.event_sources(outputs.events, outputs.mentions, articles, "2022-01-17-0001")
    assert sources["outlet"].tolist() == ["<b>evil</b>.example", "apnews.com", "apnews.com", "apnews.com",
                                          "tass.com", "punchng.com"]  # in order of first report
    assert sources["lag_days"].tolist() == [0, 0, 0, 0, 2, 5] and sources["url"].str.startswith("https://").all()
    assert sources["published"].is_monotonic_increasing
    with pytest.raises(KeyError):
        explorer.event_sources(outputs.events, outputs.mentions, articles, "nope")

    events = explorer.event_frame(outputs.events, explorer.corpus_period(articles), 1)
    coverage = explorer.day_coverage(articles, events, "2022-01-17")
    assert coverage["events"]["event_id"].tolist() == ["2022-01-17-0001"]
    assert len(coverage["articles"]) == int((articles["date"] == "2022-01-17").sum())
    assert coverage["per_outlet"]["articles"].sum() == len(coverage["articles"])


def test_without_two_groups_to_compare_events_have_one_colour() -> None:
    outputs = hostile_outputs()
    events = explorer.event_frame(outputs.events, (START, START + dt.timedelta(days=60)), 2, ())
    assert set(events["reach"]) == {"all"} and len(events) == 3


def test_missing_stage_outputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"doc_topics\.parquet.*events\.parquet"):
        explorer.load(tmp_path / "articles.parquet", tmp_path, tmp_path, tmp_path, tmp_path)


def test_the_report_sentence_states_size_points_and_load_time() -> None:
    facts = {"html_bytes": 11_000_000, "articles": 15246, "map_points": 15246, "events": 2816, "min_event_outlets": 2,
             "load_seconds": 2.5, "load_cpu_seconds": 3.1}
    sentence = explorer_stage.summary_sentence(facts)
    assert "11.0 MB" in sentence and "map of all 15,246 articles" in sentence and "2.5 s" in sentence
    assert "30,000 (a sample) of the 60,000" in explorer_stage.summary_sentence(
        {**facts, "articles": 60000, "map_points": 30000})
    assert "No screenshots" in explorer_stage.summary_sentence({**facts, "load_seconds": None,
                                                                 "why_no_screenshots": "no browser"})


def test_dvc_yaml_lists_the_explorer_and_its_inputs() -> None:
    report = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]["report"]
    assert str(paths.EXPLORER) in report["outs"]
    for needed in (paths.EMBEDDINGS, paths.TOPICS / "doc_topics.parquet", paths.TIMELINE / "events.parquet"):
        assert str(needed) in report["deps"]

"""The timeline stage: parameters, event candidates, and a run on a slice of the real corpus."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.timeline.mentions import event_candidates
from pipeline.timeline.sentences import date_text
from pipeline.timeline.stage import load_articles, run_stage, write_outputs
from pipeline.timex import tag

REPO = Path(__file__).resolve().parents[1]


def _articles(bodies: list[str], published: dt.date | None = dt.date(2022, 3, 4)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"a{number}" for number in range(len(bodies))],
            "url": [f"https://example.org/{number}" for number in range(len(bodies))],
            "outlet": "example.org",
            "source_country": None,
            "title": "",
            "body": bodies,
            "date": [published] * len(bodies),
        }
    )


def test_event_candidates_take_an_article_s_first_dated_sentences_only() -> None:
    body = (
        "Troops moved on Monday. Nothing is dated here. Talks began on Tuesday. Ships sailed in March 2022. "
        "Planes flew on Wednesday. It lasted three days."
    )
    articles = _articles([body])
    dated = [date_text(tag, body, dt.date(2022, 3, 4), "a0")]
    found = event_candidates(articles, dated, ["day", "month"], per_article=3)
    assert [candidate.text for candidate in found] == [
        "Troops moved on Monday.",
        "Talks began on Tuesday.",
        "Ships sailed in March 2022.",
    ]
    assert found[0].dates[0].text == "Monday"
    assert found[0].dates[0].first_day == dt.date(2022, 2, 28)
    assert event_candidates(articles, dated, ["week"], per_article=3) == []


def test_a_sentence_with_nothing_but_a_date_and_a_dateline_is_no_event_candidate() -> None:
    body = "TASS, February 24.\nMOSCOW, Feb. 24 (Xinhua) -- Troops crossed the border on Thursday."
    articles = _articles([body])
    dated = [date_text(tag, body, dt.date(2022, 2, 24), "a0")]
    found = event_candidates(articles, dated, ["day"], per_article=3, min_content_words=3)
    assert [candidate.text for candidate in found] == [body.splitlines()[1]]
    assert len(event_candidates(articles, dated, ["day"], per_article=3)) == 2


def test_load_articles_keeps_canonical_rows_and_reports_missing_columns(tmp_path: Path) -> None:
    frame = _articles(["One.", "Two."]).assign(is_canonical=[True, False], date=["2022-03-04", None])
    frame.to_parquet(tmp_path / "articles.parquet")
    loaded = load_articles(tmp_path / "articles.parquet", canonical_only=True)
    assert list(loaded["id"]) == ["a0"]
    assert loaded["date"].tolist() == [dt.date(2022, 3, 4)]
    frame.drop(columns="body").to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="body"):
        load_articles(tmp_path / "bad.parquet", canonical_only=True)


def test_an_article_without_an_outlet_joins_events_as_an_unknown_outlet(tmp_path: Path) -> None:
    sentence = "Russian forces shelled the city of Kharkiv on Thursday, officials in Kyiv said on Friday."
    frame = _articles([sentence, sentence + " More followed.", sentence]).assign(is_canonical=True)
    frame.loc[1, "outlet"] = "other.example"
    frame.loc[2, ["url", "outlet"]] = None  # a .txt article without a URL (what a slice of the corpus has)
    frame.to_parquet(tmp_path / "articles.parquet")
    articles = load_articles(tmp_path / "articles.parquet", canonical_only=True)
    assert articles["outlet"].tolist() == ["example.org", "other.example", "(unknown)"]
    params = load_config(REPO / "params.yaml")
    result = run_stage(articles, params.timeline.model_copy(update={"cache_dir": None}), params.corpus)
    outlets = sorted(outlet for row in result.timeline["outlets"] for outlet in row)
    assert outlets == ["(unknown)", "example.org", "other.example"]


def test_event_mentions_carry_the_source_country_of_the_corpus_contract(tmp_path: Path) -> None:
    """An article's own country, else its outlet's (its other articles' or corpus.outlet_countries), else
    `(unknown)`: what the outlets table and the timeline's `countries` say, never a missing raw value."""
    from pipeline.config import CorpusConfig
    from pipeline.corpus import find_outlets

    sentence = "Russian forces shelled the city of Kharkiv on Thursday, officials in Kyiv said on Friday."
    frame = _articles([sentence] * 5).assign(is_canonical=True)
    frame["outlet"] = ["wire.example", "wire.example", "tass.com", "blog.example", "wire.example"]
    frame["source_country"] = ["Kenya", None, None, None, "Ghana"]
    frame.to_parquet(tmp_path / "articles.parquet")
    articles = load_articles(tmp_path / "articles.parquet", canonical_only=True)
    params = load_config(REPO / "params.yaml")
    corpus = CorpusConfig(outlet_countries={"tass.com": "Russia", "wire.example": "Nigeria"})
    result = run_stage(articles, params.timeline.model_copy(update={"n_jobs": 1}), corpus)
    write_outputs(result, tmp_path / "timeline", tmp_path / "metrics.json")
    events = pd.read_parquet(tmp_path / "timeline" / "events.parquet")
    assert len(events) == 5
    by_article = dict(zip(events["article_id"], events["source_country"], strict=True))
    # the article's own country first; the outlet's most common one (Kenya, not params' Nigeria) for the
    # article without one; params for an outlet whose articles carry none; else unknown
    assert by_article == {"a0": "Kenya", "a1": "Kenya", "a2": "Russia", "a3": "(unknown)", "a4": "Ghana"}
    expected = find_outlets(articles, corpus).fill(articles)
    assert by_article == dict(zip(expected["id"], expected["source_country"], strict=True))
    countries = {country for row in pd.read_parquet(tmp_path / "timeline" / "timeline.parquet")["countries"]
                 for country in row}
    assert countries == {"Kenya", "Russia"}  # an event's outlets' countries: the same map


@pytest.mark.integration
def test_stage_on_a_corpus_slice_writes_traceable_outputs(corpus_slice: pd.DataFrame, tmp_path: Path) -> None:
    articles = pd.DataFrame(
        {
            "id": [hashlib.sha1(url.encode()).hexdigest()[:16] for url in corpus_slice["url"]],
            "url": corpus_slice["url"],
            "outlet": corpus_slice["outlet"],
            "source_country": corpus_slice["source_country"],
            "title": corpus_slice["title"],
            "body": corpus_slice["text"],
            "date": [dt.date.fromisoformat(value) for value in corpus_slice["date"]],
        }
    )
    params = load_config(REPO / "params.yaml")
    config = params.timeline.model_copy(update={"cache_dir": None})  # a cold run, and none kept
    result = run_stage(articles, config, params.corpus)
    write_outputs(result, tmp_path / "timeline", tmp_path / "metrics.json")

    events = pd.read_parquet(tmp_path / "timeline" / "events.parquet")
    timeline = pd.read_parquet(tmp_path / "timeline" / "timeline.parquet")
    assert len(events) > 100
    assert events.groupby("article_id").size().max() <= config.max_events_per_article
    assert set(events["granularity"]) <= set(config.event_granularities)
    assert events["mention_id"].is_unique and timeline["event_id"].is_unique
    assert set(events["event_id"]) == set(timeline["event_id"])
    assert (timeline["n_outlets"] == timeline["outlets"].map(len)).all()
    assert timeline["n_mentions"].sum() == len(events)

    summary = json.loads((tmp_path / "timeline" / "timeline.json").read_text())
    assert len(summary) == config.summary_dates
    known = set(articles["id"])
    assert all(sentence["article_id"] in known for entry in summary for sentence in entry["sentences"])

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["articles"] == len(articles)
    assert 0.5 < metrics["share_articles_with_dated_event"] <= 1.0
    assert metrics["tagger_chars_per_second"] > 0


@pytest.mark.integration
def test_appending_articles_tags_and_parses_only_theirs_and_writes_a_cold_run_s_bytes(
    corpus_slice: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With timeline.cache_dir, a run over 150 articles of the slice, then over 153: the second tags 3 articles
    and parses only sentences it had not parsed; its files are those of a cold run without a cache. A damaged
    shard is ignored (its items computed again) and a changed spaCy model would start another folder."""
    from pipeline.timeline import mentions, tagging

    tagged: list[int] = []
    parsed: list[int] = []
    date_partition, parse_batch = tagging.date_partition, mentions.parse_batch
    monkeypatch.setattr(tagging, "date_partition", lambda jobs: tagged.append(len(jobs)) or date_partition(jobs))
    monkeypatch.setattr(mentions, "parse_batch",
                        lambda batch, model: parsed.append(len(batch)) or parse_batch(batch, model))
    articles = _stage_articles(corpus_slice.iloc[:153])
    params = load_config(REPO / "params.yaml")
    # one process: the counting stand-ins above live in this one
    cached = params.timeline.model_copy(update={"cache_dir": tmp_path / "cache", "processes": 1})
    run_stage(articles.iloc[:150].reset_index(drop=True), cached, params.corpus)
    assert sum(tagged) == 150
    first_parsed = sum(parsed)
    tagged.clear()
    parsed.clear()
    digests = []
    for config in (cached, cached.model_copy(update={"cache_dir": None})):
        out = tmp_path / f"run-{len(digests)}"
        write_outputs(run_stage(articles, config, params.corpus), out, out / "timeline.json")
        digests.append({path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(out.iterdir())
                        if path.suffix == ".parquet"})
        if config.cache_dir is not None:
            assert sum(tagged) == 3 and sum(parsed) <= 3 * params.timeline.max_events_per_article
            tagged.clear()
            parsed.clear()
    assert sum(tagged) == 153 and sum(parsed) >= first_parsed > 0
    assert len(digests[0]) >= 3 and digests[0] == digests[1]

    shard = next((tmp_path / "cache" / "timeline-tags").rglob("*.pkl"))
    shard.write_bytes(b"not a pickle")
    tagged.clear()
    run_stage(articles, cached, params.corpus)
    assert 0 < sum(tagged) <= 153


@pytest.mark.integration
def test_bodies_read_chunk_by_chunk_from_the_file_give_the_files_of_a_run_on_loaded_articles(
    corpus_slice: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 articles of the slice, every fourth not canonical: the stage on `load_articles` (one chunk) and on
    `ArticleChunks.of_file` with chunks of 7 articles (read in Parquet batches of 7, so chunks cut across the
    dropped rows) writes the same files and metrics."""
    from pipeline.timeline import stage

    articles = _stage_articles(corpus_slice.iloc[:60])
    articles["is_canonical"] = [number % 4 != 0 for number in range(len(articles))]
    articles = articles.sort_values("id").reset_index(drop=True)
    articles.to_parquet(tmp_path / "articles.parquet", row_group_size=10)
    params = load_config(REPO / "params.yaml")
    config = params.timeline.model_copy(update={"cache_dir": None})
    written = []
    for name in ("whole", "chunks"):
        if name == "chunks":
            monkeypatch.setattr(stage, "CHUNK_ARTICLES", 7)
            source = stage.ArticleChunks.of_file(tmp_path / "articles.parquet", canonical_only=True)
        else:
            source = load_articles(tmp_path / "articles.parquet", canonical_only=True)
        result = run_stage(source, config, params.corpus)
        write_outputs(result, tmp_path / name, tmp_path / name / "metrics.json")
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        metrics.pop("seconds"), metrics.pop("tagger_chars_per_second"), metrics.pop("parser_sentences_per_second")
        written.append(({path.name: pd.read_parquet(path) for path in (tmp_path / name).glob("*.parquet")},
                        (tmp_path / name / "timeline.json").read_text(), metrics))
    (whole, whole_json, whole_metrics), (chunks, chunks_json, chunks_metrics) = written
    assert whole_metrics == chunks_metrics and whole_metrics["articles"] == 45 and whole_json == chunks_json
    for name, table in whole.items():
        pd.testing.assert_frame_equal(table, chunks[name])
    assert len(whole["events.parquet"]) > 10


@pytest.mark.integration
def test_worker_processes_write_the_bytes_of_one_process(
    corpus_slice: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`timeline.processes` spreads tagging and parsing over worker processes under the local engine; the
    outputs are those of a run in one process (partitions of 8 articles and 16 sentences, so both steps have
    several partitions to spread)."""
    from pipeline.config import EngineConfig
    from pipeline.engine import Engine

    articles = _stage_articles(corpus_slice.iloc[:40])
    params = load_config(REPO / "params.yaml")
    monkeypatch.setattr("pipeline.timeline.pool.MIN_PARTITIONS_TO_START", 2)  # workers for these few partitions
    digests = []
    for processes in (1, 2):
        config = params.timeline.model_copy(update={"cache_dir": None, "processes": processes, "spacy_batch_size": 16})
        with Engine(EngineConfig(partition_size=8)) as engine:
            result = run_stage(articles, config, params.corpus, engine)
        out = tmp_path / f"processes-{processes}"
        write_outputs(result, out, out / "metrics.json")
        digests.append({path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(out.iterdir())
                        if path.name != "metrics.json"})  # the metrics hold the seconds
        assert result.metrics["event_mentions"] > 16
    assert len(digests[0]) == 4 and digests[0] == digests[1]


def _stage_articles(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the corpus slice as the stage's articles (ids from the URL, as ingest makes them)."""
    return pd.DataFrame({
        "id": [hashlib.sha1(url.encode()).hexdigest()[:16] for url in frame["url"]], "url": frame["url"],
        "outlet": frame["outlet"], "source_country": frame["source_country"], "title": frame["title"],
        "body": frame["text"], "date": [dt.date.fromisoformat(value) for value in frame["date"]],
    })

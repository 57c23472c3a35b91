"""Sentences and their dates, the news-tls reader/writer, and the evaluation protocol (tilse)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.config import SummaryConfig, load_config
from pipeline.timeline import tls
from pipeline.timeline.sentences import (
    assign_to_sentences,
    detokenise_ptb,
    join_sentences,
    mentioned_days,
    sentence_spans,
    tag_safely,
)
from pipeline.timex import Timex, tag
from tests.conftest import shared_path


def test_detokenise_ptb_restores_prose_for_the_tagger() -> None:
    text = "Tripoli , Libya -LRB- CNN -RRB- -- Forces fired on Feb. 17 , 2011 . `` We have n't , '' he said"
    assert detokenise_ptb(text) == 'Tripoli, Libya (CNN) -- Forces fired on Feb. 17, 2011. " We haven\'t, " he said'


def test_sentence_spans_locate_sentences_and_break_at_lines() -> None:
    text = "Mr. Smith met U.S. envoys on Monday. Talks failed!\n\nA new paragraph\nand a line"
    assert [text[start:end] for start, end in sentence_spans(text)] == [
        "Mr. Smith met U.S. envoys on Monday.",
        "Talks failed!",
        "A new paragraph",
        "and a line",
    ]


def test_timexes_go_to_the_sentence_they_start_in_and_only_single_days_count() -> None:
    joined, spans = join_sentences(["Troops left on Monday.", "Talks resume next week, and then in March 2022."])
    timexes = tag(joined, dct=dt.date(2022, 3, 10))
    grouped = assign_to_sentences(timexes, spans)
    assert [len(group) for group in grouped] == [1, 2]
    assert mentioned_days(grouped[0]) == (dt.date(2022, 3, 7),)
    assert mentioned_days(grouped[1]) == ()  # a week and a month are not days


def test_tag_safely_turns_a_tagger_failure_into_no_dates(caplog: pytest.LogCaptureFixture) -> None:
    def broken(text: str, dct: dt.date | None = None) -> list[Timex]:
        raise OverflowError("date out of range")

    assert tag_safely(broken, "text", None, "article x") == []
    assert "article x" in caplog.text


def _write_topic(folder: Path, articles: list[dict], timelines: list[list]) -> None:
    folder.mkdir(parents=True)
    (folder / "articles.jsonl").write_text("".join(json.dumps(article) + "\n" for article in articles))
    (folder / "timelines.clean.jsonl").write_text("".join(json.dumps(timeline) + "\n" for timeline in timelines))


REFERENCE = [
    ["2011-03-01T00:00:00", ["Rebels seize the port of Brega after heavy fighting ."]],
    ["2011-03-05T00:00:00", ["The council in Benghazi declares itself the sole representative of Libya ."]],
]


def test_reader_and_writer_round_trip(tmp_path: Path) -> None:
    articles = [{"id": "1", "time": "2011-03-02T10:00:00", "text": "A sentence .\nAnother one ."}]
    _write_topic(tmp_path / "topic", articles, [REFERENCE])
    topic = tls.read_topic(tmp_path / "topic")
    assert topic.articles == [tls.Article("1", dt.date(2011, 3, 2), "A sentence .\nAnother one .")]
    tls.write_timeline(tmp_path / "out.json", topic.timelines[0])
    assert json.loads((tmp_path / "out.json").read_text()) == REFERENCE


def test_reader_reports_malformed_lines(tmp_path: Path) -> None:
    (tmp_path / "articles.jsonl").write_text('{"id": "1", "text": "no time"}\n')
    with pytest.raises(tls.TopicError, match=r"articles\.jsonl:1"):
        tls.read_topic(tmp_path)
    with pytest.raises(tls.TopicError, match="missing"):
        tls.read_topic(tmp_path / "absent")


def test_a_timeline_scored_against_itself_is_perfect() -> None:
    reference = {tls.parse_day(day): sentences for day, sentences in REFERENCE}
    scores = tls.score_timeline(reference, reference)
    assert (scores.dates.f1, scores.rouge_1.f1, scores.rouge_2.f1) == (1.0, 1.0, 1.0)


def test_scores_fall_with_wrong_dates_and_words() -> None:
    reference = {tls.parse_day(day): sentences for day, sentences in REFERENCE}
    shifted = {day + dt.timedelta(days=1): sentences for day, sentences in reference.items()}
    scores = tls.score_timeline(shifted, reference)
    assert scores.dates.f1 == 0.0
    assert scores.rouge_1.f1 == pytest.approx(0.5)  # right words, each a day off: weight 1 / (1 + 1)
    assert tls.score_timeline({}, reference).rouge_1.f1 == 0.0


def test_average_takes_f1_of_the_averaged_precision_and_recall() -> None:
    tasks = [
        tls.TaskScores(tls.PRF(1.0, 0.0), tls.PRF(0.2, 0.2), tls.PRF(0.1, 0.1)),
        tls.TaskScores(tls.PRF(0.0, 1.0), tls.PRF(0.4, 0.4), tls.PRF(0.1, 0.1)),
    ]
    average = tls.average_scores(tasks)
    assert average.dates.f1 == pytest.approx(0.5)
    assert average.rouge_1.f1 == pytest.approx(0.3)


def test_summary_length_is_the_reference_size_rounded() -> None:
    reference = {dt.date(2011, 3, day): ["s"] * size for day, size in [(1, 1), (2, 2), (3, 4)]}
    assert tls.summary_length(reference) == (3, 2)


def test_evaluate_on_a_tiny_topic_finds_the_dated_events(tmp_path: Path) -> None:
    reference = [*REFERENCE, ["2011-03-09T00:00:00", ["NATO ships reach the Libyan coast ."]]]
    articles = [
        {"id": "1", "time": "2011-03-02", "text": "Rebels seize the port of Brega on March 1 after heavy fighting ."},
        {"id": "2", "time": "2011-03-03", "text": "The fall of Brega on March 1 shocked Tripoli ."},
        {"id": "3", "time": "2011-03-06", "text": "On March 5 , the council in Benghazi declares itself Libya 's sole "
                                                  "representative ."},
        {"id": "4", "time": "2011-03-07", "text": "The council formed on March 5 in Benghazi named a leader ."},
        {"id": "5", "time": "2011-03-12", "text": "Oil prices rose in Asian trading on Friday ."},
    ]
    _write_topic(tmp_path / "tiny", articles, [reference])
    topic = tls.read_topic(tmp_path / "tiny")
    [(timeline, scores)] = tls.evaluate_topic(topic, tls.topic_sentences(topic, tag), SummaryConfig())
    # Days without a sentence to say are skipped; the oil story was published after the window.
    assert sorted(timeline) == [dt.date(2011, 3, 1), dt.date(2011, 3, 5)]
    assert scores.dates.f1 == pytest.approx(0.8)
    assert scores.rouge_1.f1 > 0.3


def test_cli_summarise_writes_the_news_tls_layout(tmp_path: Path) -> None:
    articles = [{"id": "1", "time": "2011-03-02", "text": "Rebels seize the port of Brega on March 1 ."}]
    _write_topic(tmp_path / "tiny", articles, [REFERENCE])
    out = tmp_path / "timeline.json"
    from pipeline.cli import main

    assert main(["tls", "summarise", str(tmp_path / "tiny"), "--dates", "1", "--sentences", "1", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == [["2011-03-01T00:00:00", ["Rebels seize the port of Brega on March 1 ."]]]
    assert main(["tls", "evaluate", str(tmp_path / "absent")]) == 3  # a missing input


@pytest.mark.integration
def test_t17_syrian_crisis_beats_the_datewise_anchor() -> None:
    """SyrianCrisis_bbc, the smallest Timeline17 topic here: DATEWISE scored Date-F1 0.077, AR1 0.011 (ANCHORS)."""
    topic = tls.read_topic(shared_path("tls", "t17", "SyrianCrisis_bbc"))
    [(_, scores)] = tls.evaluate_topic(topic, tls.topic_sentences(topic, tag), SummaryConfig())
    assert scores.dates.f1 > 0.077
    assert scores.rouge_1.f1 > 0.011


def test_summary_settings_in_params_yaml_are_the_built_in_defaults() -> None:
    """Outside the repository the command runs with the defaults, which must be the tuned values."""
    assert load_config(Path(__file__).resolve().parents[1] / "params.yaml").timeline.summary == SummaryConfig()

